package testenv

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// EditConfigMap changes the ConfigMap ns/name as an admin's oc edit does,
// behind the connector's back: it reads the ConfigMap, lets edit change it
// and updates it, reading it again when the update meets a conflict (the
// connector writes the same ConfigMap). An error from edit ends the edit.
func EditConfigMap(ctx context.Context, c client.Client, ns, name string, edit func(cm *corev1.ConfigMap) error) error {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var cm corev1.ConfigMap
		if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &cm); err != nil {
			return err
		}
		if err := edit(&cm); err != nil {
			return err
		}
		return c.Update(ctx, &cm)
	})
	if err != nil {
		return fmt.Errorf("editing ConfigMap %s/%s: %w", ns, name, err)
	}
	return nil
}
