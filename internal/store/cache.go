// The in-memory copy of the ConfigMaps (state.go) and what keeps it fresh:
// the informers and their handlers, which apply every ConfigMap they see,
// and refresh and ensurePrimary, which read or create a ConfigMap and apply
// it directly. Reads are served from the copy and the writer plans from it,
// so it is the one place that holds the lock over the state.

package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/tools/cache"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// memCopy is the in-memory copy of the store's ConfigMaps. mu guards st:
// the informers' handlers and the writer apply what they see or wrote
// under the write lock; the Store's reads and the writer's planning take
// the read lock.
type memCopy struct {
	api     *configMapAPI
	primary string
	log     logr.Logger
	metrics *metrics
	// wake tells the writer that the copy changed, so that upkeep looks.
	wake func()

	mu sync.RWMutex
	st *state
}

func newMemCopy(api *configMapAPI, log logr.Logger, m *metrics, onChange func(string, *record.Record), wake func()) *memCopy {
	return &memCopy{
		api:     api,
		primary: api.primary,
		log:     log,
		metrics: m,
		wake:    wake,
		st:      newState(api.primary, log, onChange),
	}
}

// watch starts the informers that keep the copy fresh, until ctx ends; wg
// counts them. It returns what tells when their first lists are applied.
func (c *memCopy) watch(ctx context.Context, wg *sync.WaitGroup) ([]cache.InformerSynced, error) {
	handlers := cache.ResourceEventHandlerFuncs{
		AddFunc:    c.observe,
		UpdateFunc: func(_, obj any) { c.observe(obj) },
		DeleteFunc: c.observeDelete,
	}
	// Two watches: the primary by name, since it may predate our labels,
	// and the spills by label. The spill watch also sees the labelled
	// primary; it leaves it to the first, so that someone removing the
	// label does not look like a deletion.
	notPrimary := func(obj any) bool {
		if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = t.Obj
		}
		cm, ok := obj.(*corev1.ConfigMap)
		return ok && cm.Name != c.primary
	}
	var synced []cache.InformerSynced
	for _, w := range []struct {
		sel     func(*metav1.ListOptions)
		handler cache.ResourceEventHandler
	}{
		{func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", c.primary).String()
		}, handlers},
		{func(o *metav1.ListOptions) {
			o.LabelSelector = LabelStore + "=" + c.primary
		}, cache.FilteringResourceEventHandler{FilterFunc: notPrimary, Handler: handlers}},
	} {
		inf := cache.NewSharedIndexInformer(c.api.listWatch(w.sel), &corev1.ConfigMap{}, 0, cache.Indexers{})
		if err := inf.SetWatchErrorHandlerWithContext(c.watchError); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		reg, err := inf.AddEventHandler(w.handler)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		synced = append(synced, reg.HasSynced)
		wg.Add(1)
		go func() {
			defer wg.Done()
			inf.RunWithContext(ctx)
		}()
	}
	return synced, nil
}

func (c *memCopy) watchError(_ context.Context, _ *cache.Reflector, err error) {
	if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) || errors.Is(err, context.Canceled) {
		return
	}
	c.log.Error(err, "listing or watching ConfigMaps failed; retrying. Check that the API server is reachable and that the Role grants get, list and watch on configmaps in this namespace")
}

// observe is the informers' add/update handler.
func (c *memCopy) observe(obj any) {
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok {
		return
	}
	c.mu.Lock()
	c.st.observe(cm)
	c.gaugesLocked()
	c.mu.Unlock()
	c.wake()
}

// observeDelete is the informers' delete handler.
func (c *memCopy) observeDelete(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok {
		return
	}
	c.forget(cm.Name, parseRV(cm.ResourceVersion))
	c.wake()
}

// apply records cm, as seen or as written, in the copy.
func (c *memCopy) apply(cm *corev1.ConfigMap) {
	c.mu.Lock()
	c.applyLocked(cm)
	c.mu.Unlock()
}

// forget drops the ConfigMap name, deleted at resourceVersion rv, from the
// copy.
func (c *memCopy) forget(name string, rv uint64) {
	c.mu.Lock()
	c.st.forget(name, rv)
	c.gaugesLocked()
	c.mu.Unlock()
}

func (c *memCopy) applyLocked(cm *corev1.ConfigMap) {
	c.st.apply(cm)
	c.gaugesLocked()
}

func (c *memCopy) gaugesLocked() {
	c.metrics.records.Set(float64(c.st.records()))
	c.metrics.cms.Set(float64(len(c.st.cms)))
	c.metrics.bytes.Set(float64(c.st.bytes))
}

func (c *memCopy) usageLocked() Usage {
	u := Usage{Bytes: c.st.bytes, ConfigMaps: []string{}}
	for _, cm := range c.st.order {
		u.ConfigMaps = append(u.ConfigMaps, cm.obj.Name)
	}
	return u
}

// ensurePrimary creates the primary ConfigMap when it does not exist, so
// the documented `oc get configmap` works before the first record.
func (c *memCopy) ensurePrimary(ctx context.Context) error {
	delay := time.Second
	for {
		c.mu.RLock()
		_, ok := c.st.cms[c.primary]
		c.mu.RUnlock()
		if ok {
			return nil
		}
		_, err := c.api.create(ctx, c.api.newConfigMap(c.primary))
		switch {
		case err == nil:
			c.log.Info("created the ConfigMap that holds the records")
			return nil
		case apierrors.IsAlreadyExists(err):
			c.refresh(ctx, c.primary)
		default:
			c.log.Error(err, "cannot create the ConfigMap that holds the records; retrying. Check that the Role grants create on configmaps in this namespace", "retryIn", delay.String())
			if !sleep(ctx, delay) {
				return ctx.Err()
			}
			delay = min(2*delay, 30*time.Second)
		}
	}
}

// refresh re-reads one ConfigMap after a conflict.
func (c *memCopy) refresh(ctx context.Context, name string) {
	cm, err := c.api.get(ctx, name)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err == nil:
		c.applyLocked(cm)
	case apierrors.IsNotFound(err):
		if cur := c.st.cms[name]; cur != nil {
			c.st.forget(name, cur.rv)
			c.gaugesLocked()
		}
	}
}
