// Every request the Store makes to the API server, each counted in the
// metrics: the informers' list and watch, and get, create, patch and delete
// of one ConfigMap (bounded by callTimeout); and the ConfigMaps it creates.
// configMapAPI holds no state of its own beyond its settings, so the
// in-memory copy (cache.go) and the writer (writer.go) share it.

package store

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// configMapAPI makes the requests about the ConfigMaps in ns of the store
// whose primary ConfigMap is primary.
type configMapAPI struct {
	client  kubernetes.Interface
	ns      string
	primary string
	metrics *metrics
}

func (a *configMapAPI) listWatch(sel func(*metav1.ListOptions)) *cache.ListWatch {
	cms := a.client.CoreV1().ConfigMaps(a.ns)
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			sel(&o)
			a.metrics.call(verbList)
			return cms.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			sel(&o)
			a.metrics.call(verbWatch)
			return cms.Watch(ctx, o)
		},
	}
}

func (a *configMapAPI) get(ctx context.Context, name string) (*corev1.ConfigMap, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	a.metrics.call(verbGet)
	cm, err := a.client.CoreV1().ConfigMaps(a.ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, &cmError{name: name, verb: "reading", err: err}
	}
	return cm, nil
}

func (a *configMapAPI) create(ctx context.Context, cm *corev1.ConfigMap) (*corev1.ConfigMap, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	a.metrics.call(verbCreate)
	res, err := a.client.CoreV1().ConfigMaps(a.ns).Create(ctx, cm, metav1.CreateOptions{FieldManager: ManagedBy})
	if err != nil {
		return nil, &cmError{name: cm.Name, verb: "creating", err: err}
	}
	return res, nil
}

// patch applies a JSON patch built by patchBodies. A failed precondition
// (someone else wrote one of the same records) or a ConfigMap that would
// outgrow its limit is answered 422: both mean "plan again".
func (a *configMapAPI) patch(ctx context.Context, name string, body []byte) (*corev1.ConfigMap, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	a.metrics.call(verbPatch)
	res, err := a.client.CoreV1().ConfigMaps(a.ns).Patch(ctx, name, types.JSONPatchType, body, metav1.PatchOptions{FieldManager: ManagedBy})
	if err != nil {
		if apierrors.IsInvalid(err) {
			err = fmt.Errorf("%w (%w)", errReplan, err)
		}
		return nil, &cmError{name: name, verb: "patching", err: err}
	}
	return res, nil
}

func (a *configMapAPI) delete(ctx context.Context, name, rv string) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	a.metrics.call(verbDelete)
	err := a.client.CoreV1().ConfigMaps(a.ns).Delete(ctx, name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{ResourceVersion: &rv},
	})
	if err != nil {
		return &cmError{name: name, verb: "deleting", err: err}
	}
	return nil
}

func (a *configMapAPI) newConfigMap(name string) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: a.ns},
		BinaryData: map[string][]byte{},
	}
	a.label(cm)
	return cm
}

// labels are the labels on every ConfigMap we write (the primary may
// predate them).
func (a *configMapAPI) labels() map[string]string {
	return map[string]string{LabelPartOf: PartOf, LabelManagedBy: ManagedBy, LabelStore: a.primary}
}

func (a *configMapAPI) label(cm *corev1.ConfigMap) {
	if cm.Labels == nil {
		cm.Labels = map[string]string{}
	}
	for k, v := range a.labels() {
		cm.Labels[k] = v
	}
}
