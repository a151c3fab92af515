// The in-memory copy's side of the Store: the informers' handlers, which
// apply every ConfigMap they see to the copy (state.go), and refresh and
// ensurePrimary, which read or create a ConfigMap and apply it directly.
// Run (store.go) starts the informers.

package store

import (
	"context"
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"
)

func (s *Store) watchError(_ context.Context, _ *cache.Reflector, err error) {
	if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) || errors.Is(err, context.Canceled) {
		return
	}
	s.log.Error(err, "listing or watching ConfigMaps failed; retrying. Check that the API server is reachable and that the Role grants get, list and watch on configmaps in this namespace")
}

// observe is the informers' add/update handler.
func (s *Store) observe(obj any) {
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok {
		return
	}
	s.mu.Lock()
	s.applyLocked(cm)
	s.mu.Unlock()
	s.poke()
}

// observeDelete is the informers' delete handler.
func (s *Store) observeDelete(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok {
		return
	}
	s.mu.Lock()
	s.st.forget(cm.Name, parseRV(cm.ResourceVersion))
	s.gaugesLocked()
	s.mu.Unlock()
	s.poke()
}

func (s *Store) applyLocked(cm *corev1.ConfigMap) {
	s.st.apply(cm)
	s.gaugesLocked()
}

func (s *Store) gaugesLocked() {
	s.metrics.records.Set(float64(s.st.records()))
	s.metrics.cms.Set(float64(len(s.st.cms)))
	s.metrics.bytes.Set(float64(s.st.bytes))
}

// ensurePrimary creates the primary ConfigMap when it does not exist, so
// the documented `oc get configmap` works before the first record.
func (s *Store) ensurePrimary(ctx context.Context) error {
	delay := time.Second
	for {
		s.mu.RLock()
		_, ok := s.st.cms[s.name]
		s.mu.RUnlock()
		if ok {
			return nil
		}
		_, err := s.create(ctx, s.newConfigMap(s.name))
		switch {
		case err == nil:
			s.log.Info("created the ConfigMap that holds the records")
			return nil
		case apierrors.IsAlreadyExists(err):
			s.refresh(ctx, s.name)
		default:
			s.log.Error(err, "cannot create the ConfigMap that holds the records; retrying. Check that the Role grants create on configmaps in this namespace", "retryIn", delay.String())
			if !sleep(ctx, delay) {
				return ctx.Err()
			}
			delay = min(2*delay, 30*time.Second)
		}
	}
}

// refresh re-reads one ConfigMap after a conflict.
func (s *Store) refresh(ctx context.Context, name string) {
	cm, err := s.get(ctx, name)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err == nil:
		s.applyLocked(cm)
	case apierrors.IsNotFound(err):
		if c := s.st.cms[name]; c != nil {
			s.st.forget(name, c.rv)
			s.gaugesLocked()
		}
	}
}
