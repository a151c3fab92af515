// Every request the Store makes to the API server, each counted in the
// metrics: the informers' list and watch, and get, create, patch and delete
// of one ConfigMap (bounded by callTimeout); and the ConfigMaps it creates.

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
	"k8s.io/client-go/tools/cache"
)

func (s *Store) listWatch(sel func(*metav1.ListOptions)) *cache.ListWatch {
	cms := s.client.CoreV1().ConfigMaps(s.ns)
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			sel(&o)
			s.metrics.call(verbList)
			return cms.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			sel(&o)
			s.metrics.call(verbWatch)
			return cms.Watch(ctx, o)
		},
	}
}

func (s *Store) get(ctx context.Context, name string) (*corev1.ConfigMap, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	s.metrics.call(verbGet)
	cm, err := s.client.CoreV1().ConfigMaps(s.ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, &cmError{name: name, verb: "reading", err: err}
	}
	return cm, nil
}

func (s *Store) create(ctx context.Context, cm *corev1.ConfigMap) (*corev1.ConfigMap, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	s.metrics.call(verbCreate)
	res, err := s.client.CoreV1().ConfigMaps(s.ns).Create(ctx, cm, metav1.CreateOptions{FieldManager: ManagedBy})
	if err != nil {
		return nil, &cmError{name: cm.Name, verb: "creating", err: err}
	}
	return res, nil
}

// patch applies a JSON patch built by patchBodies. A failed precondition
// (someone else wrote one of the same records) or a ConfigMap that would
// outgrow its limit is answered 422: both mean "plan again".
func (s *Store) patch(ctx context.Context, name string, body []byte) (*corev1.ConfigMap, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	s.metrics.call(verbPatch)
	res, err := s.client.CoreV1().ConfigMaps(s.ns).Patch(ctx, name, types.JSONPatchType, body, metav1.PatchOptions{FieldManager: ManagedBy})
	if err != nil {
		if apierrors.IsInvalid(err) {
			err = fmt.Errorf("%w (%w)", errReplan, err)
		}
		return nil, &cmError{name: name, verb: "patching", err: err}
	}
	return res, nil
}

func (s *Store) delete(ctx context.Context, name, rv string) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	s.metrics.call(verbDelete)
	err := s.client.CoreV1().ConfigMaps(s.ns).Delete(ctx, name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{ResourceVersion: &rv},
	})
	if err != nil {
		return &cmError{name: name, verb: "deleting", err: err}
	}
	return nil
}

func (s *Store) newConfigMap(name string) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.ns},
		BinaryData: map[string][]byte{},
	}
	s.label(cm)
	return cm
}

// labels are the labels on every ConfigMap we write (the primary may
// predate them).
func (s *Store) labels() map[string]string {
	return map[string]string{LabelPartOf: PartOf, LabelManagedBy: ManagedBy, LabelStore: s.name}
}

func (s *Store) label(cm *corev1.ConfigMap) {
	if cm.Labels == nil {
		cm.Labels = map[string]string{}
	}
	for k, v := range s.labels() {
		cm.Labels[k] = v
	}
}
