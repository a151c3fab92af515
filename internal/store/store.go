// Package store keeps connector records durably in ConfigMaps: the primary
// `bac-import-model` (the one the product documentation inspects) and, once
// that is full, spill ConfigMaps `bac-import-model-1`, `-2`, ... tied to it
// by the label rhoai-connector.redhat.com/store=<primary>. Each record is
// one binaryData entry holding the record's JSON.
//
// A watch keeps an in-memory copy of those ConfigMaps, so reads and
// unchanged upserts never call the API server. Writes are batched by one
// writer goroutine into JSON patches that test each entry they change
// against the value they were planned from (patch.go), and are re-read and
// re-planned when one of those entries changed meanwhile, so several
// replicas and an admin may share the ConfigMaps without losing each
// other's writes or invalidating each other's unrelated ones.
package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// Tuning of the writer.
const (
	maxBatch       = 256
	maxAttempts    = 20
	callTimeout    = 30 * time.Second
	maintainPeriod = 30 * time.Second
	maxBackoff     = time.Second
	maxMaintDelay  = time.Minute
)

// Options configures a Store.
type Options struct {
	// Client talks to the API server; see NewClient.
	Client kubernetes.Interface
	// Namespace holds the ConfigMaps (the pod's namespace).
	Namespace string
	// Name is the primary ConfigMap; DefaultName when empty.
	Name string
	Log  logr.Logger
	// Registerer receives the store's metrics; nil leaves them unregistered.
	Registerer prometheus.Registerer
	// OnChange hears every change of a key's record, from this Store's
	// writes and from other writers seen through the watch, including the
	// initial load; rec is nil when the key is gone. It is called with the
	// Store's lock held: it must not block nor call the Store.
	OnChange func(key string, rec *record.Record)
	// MaxBytes overrides MaxConfigMapBytes (tests only).
	MaxBytes int
}

// Item is one record in its served JSON encoding.
type Item struct {
	Key  string
	JSON []byte
}

// Usage describes the ConfigMaps in use.
type Usage struct {
	// ConfigMaps are the names in use, primary first.
	ConfigMaps []string
	// Bytes is the total counted against the limit.
	Bytes int
}

// Store is the durable record store. Create it with New and start it with
// Run; reads and writes fail with ErrNotReady until the first load is done.
type Store struct {
	client  kubernetes.Interface
	ns      string
	name    string
	log     logr.Logger
	limit   int
	metrics *metrics

	mu sync.RWMutex
	st *state

	qmu   sync.Mutex
	queue []*op
	wake  chan struct{}

	started atomic.Bool
	ready   atomic.Bool
	readyCh chan struct{}
	closed  atomic.Bool

	// Owned by the writer goroutine.
	undeletable map[string]bool
	maintAfter  time.Time
	maintDelay  time.Duration
}

// NewClient returns a client for the store: protobuf on the wire (binary
// data is not base64-encoded) and a rate limit that does not throttle a burst
// of upserts.
func NewClient(cfg *rest.Config) (kubernetes.Interface, error) {
	c := rest.CopyConfig(cfg)
	if c.QPS == 0 {
		c.QPS = 50
	}
	if c.Burst == 0 {
		c.Burst = 100
	}
	c.ContentType = runtime.ContentTypeProtobuf
	c.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	if c.UserAgent == "" {
		c.UserAgent = "rhoai-connector-storage-rest"
	}
	cs, err := kubernetes.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("building Kubernetes client for %s: %w", c.Host, err)
	}
	return cs, nil
}

// New returns a Store; it does nothing until Run.
func New(o Options) (*Store, error) {
	if o.Client == nil {
		return nil, errors.New("store: a Kubernetes client is required")
	}
	if o.Namespace == "" {
		return nil, errors.New("store: the namespace is empty: set POD_NAMESPACE to the namespace of the RHDH pod")
	}
	if o.Name == "" {
		o.Name = DefaultName
	}
	if err := ValidateName(o.Name); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = MaxConfigMapBytes
	}
	log := o.Log.WithValues("namespace", o.Namespace, "configMap", o.Name)
	return &Store{
		client:      o.Client,
		ns:          o.Namespace,
		name:        o.Name,
		log:         log,
		limit:       o.MaxBytes,
		metrics:     newMetrics(o.Registerer),
		st:          newState(o.Name, log, o.OnChange),
		wake:        make(chan struct{}, 1),
		readyCh:     make(chan struct{}),
		undeletable: map[string]bool{},
	}, nil
}

// Run loads the ConfigMaps, keeps the in-memory copy fresh and carries out
// writes until ctx ends. It returns nil on a normal shutdown.
func (s *Store) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("store: Run called twice")
	}
	defer s.close()
	var wg sync.WaitGroup
	defer wg.Wait()
	handlers := cache.ResourceEventHandlerFuncs{
		AddFunc:    s.observe,
		UpdateFunc: func(_, obj any) { s.observe(obj) },
		DeleteFunc: s.observeDelete,
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
		return ok && cm.Name != s.name
	}
	var synced []cache.InformerSynced
	for _, w := range []struct {
		sel     func(*metav1.ListOptions)
		handler cache.ResourceEventHandler
	}{
		{func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", s.name).String()
		}, handlers},
		{func(o *metav1.ListOptions) {
			o.LabelSelector = LabelStore + "=" + s.name
		}, cache.FilteringResourceEventHandler{FilterFunc: notPrimary, Handler: handlers}},
	} {
		inf := cache.NewSharedIndexInformer(s.listWatch(w.sel), &corev1.ConfigMap{}, 0, cache.Indexers{})
		if err := inf.SetWatchErrorHandlerWithContext(s.watchError); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		reg, err := inf.AddEventHandler(w.handler)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		synced = append(synced, reg.HasSynced)
		wg.Add(1)
		go func() {
			defer wg.Done()
			inf.RunWithContext(ctx)
		}()
	}
	s.log.Info("loading records from ConfigMaps")
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return nil
	}
	if err := s.ensurePrimary(ctx); err != nil {
		return nil
	}
	s.mu.RLock()
	n, u := s.st.records(), s.usageLocked()
	s.mu.RUnlock()
	s.ready.Store(true)
	close(s.readyCh)
	s.log.Info("store loaded", "records", n, "configMaps", u.ConfigMaps, "bytes", u.Bytes)
	s.writeLoop(ctx)
	return nil
}

// Ready returns nil once the first load is done.
func (s *Store) Ready() error {
	if s.closed.Load() {
		return ErrClosed
	}
	if !s.ready.Load() {
		return fmt.Errorf("%w (ConfigMap %s in namespace %s; see the log for API errors)", ErrNotReady, s.name, s.ns)
	}
	return nil
}

// WaitReady blocks until the first load is done or ctx ends.
func (s *Store) WaitReady(ctx context.Context) error {
	select {
	case <-s.readyCh:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the store to load: %w", ctx.Err())
	}
}

// Upsert stores rec under key unless the stored record has the same content
// (status unchanged, no API call) or is newer (ErrStale). It returns once
// the record is durably stored.
func (s *Store) Upsert(ctx context.Context, key string, rec record.Record) (string, error) {
	if err := record.ValidateKey(key); err != nil {
		return "", err
	}
	if err := s.Ready(); err != nil {
		return "", err
	}
	raw, err := encodeRecord(&rec)
	if err != nil {
		return "", fmt.Errorf("record %s: %w", key, err)
	}
	if n := entrySize(key, raw); n > s.limit {
		return "", tooLarge(key, n, s.limit)
	}
	s.mu.RLock()
	win := s.st.view[key]
	s.mu.RUnlock()
	if win != nil && win.rec.SameContent(&rec) {
		return statusUnchanged, nil
	}
	if win != nil && rec.LastUpdateTimeSinceEpoch < win.rec.LastUpdateTimeSinceEpoch {
		return "", stale(key, int64(rec.LastUpdateTimeSinceEpoch), int64(win.rec.LastUpdateTimeSinceEpoch), win.cm)
	}
	o := newOp(ctx, opUpsert, key)
	o.rec, o.raw = rec, raw
	s.submit(o)
	r := o.wait()
	return r.status, r.err
}

// Remove deletes key; it reports whether the key was stored.
func (s *Store) Remove(ctx context.Context, key string) (bool, error) {
	if err := record.ValidateKey(key); err != nil {
		return false, err
	}
	if err := s.Ready(); err != nil {
		return false, err
	}
	s.mu.RLock()
	n := len(s.st.copies(key))
	s.mu.RUnlock()
	if n == 0 {
		return false, nil
	}
	o := newOp(ctx, opRemove, key)
	s.submit(o)
	r := o.wait()
	return r.removed, r.err
}

// RemoveExcept deletes every stored key that is not in keep and returns
// the removed keys, sorted. An invalid key in keep fails the whole call
// before anything is removed.
func (s *Store) RemoveExcept(ctx context.Context, keep []string) ([]string, error) {
	live := make(map[string]struct{}, len(keep))
	for _, k := range keep {
		if err := record.ValidateKey(k); err != nil {
			return nil, err
		}
		live[k] = struct{}{}
	}
	if err := s.Ready(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	var ops []*op
	for k := range s.st.view {
		if _, ok := live[k]; !ok {
			ops = append(ops, newOp(ctx, opRemove, k))
		}
	}
	s.mu.RUnlock()
	for _, o := range ops {
		s.submit(o)
	}
	removed := []string{}
	var errs []error
	for _, o := range ops {
		r := o.wait()
		if r.err != nil {
			errs = append(errs, fmt.Errorf("removing %s: %w", o.key, r.err))
		} else if r.removed {
			removed = append(removed, o.key)
		}
	}
	sort.Strings(removed)
	return removed, errors.Join(errs...)
}

// Get returns the record of key and its JSON encoding.
func (s *Store) Get(key string) (record.Record, []byte, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.st.view[key]
	if e == nil {
		return record.Record{}, nil, false
	}
	return e.rec, e.json, true
}

// Keys returns the stored keys, sorted.
func (s *Store) Keys() []string {
	s.mu.RLock()
	keys := make([]string, 0, len(s.st.view))
	for k := range s.st.view {
		keys = append(keys, k)
	}
	s.mu.RUnlock()
	sort.Strings(keys)
	return keys
}

// Snapshot returns every record, sorted by key. The JSON slices are shared
// and must not be modified.
func (s *Store) Snapshot() []Item {
	s.mu.RLock()
	items := make([]Item, 0, len(s.st.view))
	for k, e := range s.st.view {
		items = append(items, Item{Key: k, JSON: e.json})
	}
	s.mu.RUnlock()
	sort.Slice(items, func(i, j int) bool { return items[i].Key < items[j].Key })
	return items
}

// Digest summarizes the stored records by content (record.Digest), so a
// writer can tell without reading them all whether someone else changed
// them.
func (s *Store) Digest() (records int, digest string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.digest.Len(), s.st.digest.String()
}

// Len is the number of stored records.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.records()
}

// Usage returns the ConfigMaps in use.
func (s *Store) Usage() Usage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.usageLocked()
}

func (s *Store) usageLocked() Usage {
	u := Usage{Bytes: s.st.bytes, ConfigMaps: []string{}}
	for _, c := range s.st.order {
		u.ConfigMaps = append(u.ConfigMaps, c.obj.Name)
	}
	return u
}

// APICalls returns how many ConfigMap requests the Store has made so far.
func (s *Store) APICalls() APICalls { return s.metrics.snapshot() }

func (s *Store) submit(o *op) {
	s.qmu.Lock()
	s.queue = append(s.queue, o)
	s.qmu.Unlock()
	if s.closed.Load() {
		s.failQueue()
	}
	s.poke()
}

func (s *Store) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Store) close() {
	s.closed.Store(true)
	s.failQueue()
}

func (s *Store) failQueue() {
	s.qmu.Lock()
	q := s.queue
	s.queue = nil
	s.qmu.Unlock()
	for _, o := range q {
		o.finish(result{err: ErrClosed})
	}
}

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

// writeLoop carries out queued writes in batches, and upkeep in between.
func (s *Store) writeLoop(ctx context.Context) {
	tick := time.NewTicker(maintainPeriod)
	defer tick.Stop()
	for {
		for {
			batch := s.takeBatch()
			if len(batch) == 0 {
				break
			}
			s.runBatch(ctx, batch)
		}
		s.maintain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-tick.C:
		}
	}
}

// takeBatch takes queued ops, at most one per key (a later op on the same
// key waits for the next batch, keeping the order of writes).
func (s *Store) takeBatch() []*op {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	keys := map[string]struct{}{}
	var batch, rest []*op
	for _, o := range s.queue {
		if err := o.ctx.Err(); err != nil {
			o.finish(result{err: err})
			continue
		}
		if _, dup := keys[o.key]; dup || len(batch) >= maxBatch {
			rest = append(rest, o)
			continue
		}
		keys[o.key] = struct{}{}
		batch = append(batch, o)
	}
	s.queue = rest
	return batch
}

// runBatch plans and writes until every op of the batch is finished.
func (s *Store) runBatch(ctx context.Context, pending []*op) {
	for attempt := 0; ; attempt++ {
		s.mu.RLock()
		p := newPlan(s.st, s.limit)
		var next []*op
		for _, o := range pending {
			var r result
			var done bool
			if o.kind == opUpsert {
				r, done = p.upsert(o)
			} else {
				r, done = p.remove(o)
			}
			if done {
				s.finished(o, r)
			} else {
				next = append(next, o)
			}
		}
		s.mu.RUnlock()
		pending = next
		if len(pending) == 0 {
			return
		}
		s.log.V(1).Info("writing", "plan", p.String(), "ops", len(pending), "attempt", attempt)
		written, err := s.execute(ctx, p)
		for _, o := range pending {
			if _, ok := written[o.key]; ok {
				o.wrote = true
			}
		}
		if err == nil {
			s.metrics.writes.WithLabelValues("move").Add(float64(p.moves))
			// The records are stored; a spill that stays behind empty is
			// upkeep's business, not the callers'.
			if err := s.dropEmpty(ctx, p); err != nil {
				s.dropFailed(err)
			}
			continue
		}
		if ctx.Err() != nil {
			err = ErrClosed
		}
		if !retriable(err) {
			s.log.Error(err, "writing records failed; the callers get an error and may retry", "ops", len(pending))
			for _, o := range pending {
				s.finished(o, result{err: fmt.Errorf("storing %s in ConfigMaps of namespace %s: %w", o.key, s.ns, err)})
			}
			return
		}
		// Someone else wrote one of the same records, or the state moved:
		// plan again from what is stored now. A conflict means another
		// writer made progress, so this never gives up on its own; an op
		// ends when its caller stops waiting (storage-rest then answers 503
		// with Retry-After).
		s.metrics.conflicts.Inc()
		log := s.log.V(1)
		if attempt > 0 && attempt%20 == 0 {
			log = s.log
		}
		log.Info("write conflict; re-reading and planning again", "error", err.Error(), "attempt", attempt, "ops", len(pending))
		var ce *cmError
		if errors.As(err, &ce) {
			s.refresh(ctx, ce.name)
		}
		if !sleep(ctx, backoff(attempt)) {
			for _, o := range pending {
				s.finished(o, result{err: ErrClosed})
			}
			return
		}
		pending = waiting(pending)
		if len(pending) == 0 {
			return
		}
	}
}

// waiting drops the ops whose callers stopped waiting.
func waiting(ops []*op) []*op {
	out := ops[:0]
	for _, o := range ops {
		if err := o.ctx.Err(); err != nil {
			o.finish(result{err: err})
			continue
		}
		out = append(out, o)
	}
	return out
}

func (s *Store) finished(o *op, r result) {
	if r.err == nil {
		switch {
		case o.kind == opRemove && r.removed:
			s.metrics.writes.WithLabelValues("remove").Inc()
		case r.status == statusCreated:
			s.metrics.writes.WithLabelValues("create").Inc()
		case r.status == statusUpdated:
			s.metrics.writes.WithLabelValues("update").Inc()
		}
	}
	o.finish(r)
}

// maintain carries out the store's upkeep (see plan.maintain), backing off
// after failures.
func (s *Store) maintain(ctx context.Context) {
	if time.Now().Before(s.maintAfter) {
		return
	}
	for round := 0; round < maxAttempts; round++ {
		s.mu.Lock()
		if !s.st.dirty {
			s.mu.Unlock()
			return
		}
		p := newPlan(s.st, s.limit)
		p.maintain(s.undeletable)
		if p.empty() {
			s.st.dirty = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		s.log.V(1).Info("store upkeep", "plan", p.String())
		_, err := s.execute(ctx, p)
		if err == nil {
			err = s.dropEmpty(ctx, p)
		}
		if err == nil {
			s.metrics.writes.WithLabelValues("move").Add(float64(p.moves))
			s.metrics.writes.WithLabelValues("dedupe").Add(float64(p.dedupes))
			s.maintDelay = 0
			continue
		}
		if ctx.Err() != nil {
			return
		}
		var ce *cmError
		if errors.As(err, &ce) {
			s.refresh(ctx, ce.name)
		}
		if retriable(err) {
			s.metrics.conflicts.Inc()
			if !sleep(ctx, backoff(round)) {
				return
			}
			continue
		}
		s.maintDelay = min(max(2*s.maintDelay, time.Second), maxMaintDelay)
		s.maintAfter = time.Now().Add(s.maintDelay)
		s.log.Error(err, "store upkeep (removing superseded copies, emptying spill ConfigMaps) failed; records are safe, retrying later", "retryIn", s.maintDelay.String())
		return
	}
}

// execute writes phases 1 and 2 of a plan in order (phase 3 is dropEmpty).
// It returns the keys whose new values were written, also when it fails
// part way.
func (s *Store) execute(ctx context.Context, p *plan) (map[string]struct{}, error) {
	written := map[string]struct{}{}
	latest := map[string]*corev1.ConfigMap{}
	for _, phase := range []map[string]*change{p.phase1, p.phase2} {
		for _, name := range p.names(phase) {
			ch := phase[name]
			base := latest[name]
			if base == nil {
				base = p.base[name]
			}
			if base == nil {
				if len(ch.set) == 0 {
					continue
				}
				obj := s.newConfigMap(name)
				for k, v := range ch.set {
					obj.BinaryData[k] = v
				}
				if n := configMapSize(obj); n > s.limit {
					return written, &cmError{name: name, verb: "writing", err: fmt.Errorf("%w: it would hold %d bytes", errReplan, n)}
				}
				res, err := s.create(ctx, obj)
				if err != nil {
					return written, err
				}
				s.mu.Lock()
				s.applyLocked(res)
				s.mu.Unlock()
				latest[name] = res
				for k := range ch.set {
					written[k] = struct{}{}
				}
				continue
			}
			if n := sizeAfter(base, ch); n > s.limit {
				return written, &cmError{name: name, verb: "writing", err: fmt.Errorf("%w: it would hold %d bytes", errReplan, n)}
			}
			bodies, keys, err := patchBodies(base, ch, s.labels())
			if err != nil {
				return written, &cmError{name: name, verb: "writing", err: err}
			}
			for i, body := range bodies {
				res, err := s.patch(ctx, name, body)
				if err != nil {
					return written, err
				}
				s.mu.Lock()
				s.applyLocked(res)
				s.mu.Unlock()
				latest[name] = res
				for _, k := range keys[i] {
					written[k] = struct{}{}
				}
			}
		}
	}
	return written, nil
}

// dropFailed makes upkeep try again later.
func (s *Store) dropFailed(err error) {
	s.log.Error(err, "deleting an empty spill ConfigMap failed; records are safe, upkeep retries later")
	s.mu.Lock()
	s.st.dirty = true
	s.mu.Unlock()
}

// dropEmpty deletes the plan's spill ConfigMaps that are now empty, each
// only if nobody wrote to it since we saw it empty.
func (s *Store) dropEmpty(ctx context.Context, p *plan) error {
	for _, name := range p.names(nil) {
		if _, ok := p.drop[name]; !ok || s.undeletable[name] {
			continue
		}
		s.mu.RLock()
		c := s.st.cms[name]
		s.mu.RUnlock()
		if c == nil || c.index == 0 || !c.empty() {
			continue
		}
		rv := c.obj.ResourceVersion
		err := s.delete(ctx, name, rv)
		switch {
		case err == nil, apierrors.IsNotFound(err):
			s.mu.Lock()
			s.st.forget(name, c.rv)
			s.gaugesLocked()
			s.mu.Unlock()
			if err == nil {
				s.log.Info("deleted empty spill ConfigMap", "spill", name)
			}
		case apierrors.IsConflict(err):
			// Written since; upkeep looks again.
		case apierrors.IsForbidden(err):
			s.undeletable[name] = true
			s.log.Info("cannot delete the empty spill ConfigMap; it is harmless and will be reused. To let storage-rest delete it, add the verb delete on configmaps to its Role",
				"spill", name, "error", err.Error())
		default:
			return err
		}
	}
	return nil
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

// retriable reports whether planning again may succeed: another writer got
// there first, the state moved, or the API server is briefly overloaded.
func retriable(err error) bool {
	return errors.Is(err, errReplan) ||
		apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) || apierrors.IsNotFound(err) ||
		apierrors.IsServerTimeout(err) || apierrors.IsTooManyRequests(err) || apierrors.IsTimeout(err) ||
		apierrors.IsServiceUnavailable(err)
}

// backoff is exponential with full jitter, so that replicas that collided
// do not collide again in lockstep.
func backoff(attempt int) time.Duration {
	d := min(5*time.Millisecond<<min(attempt, 10), maxBackoff)
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// sizeAfter is the size base will have once ch is applied to it.
func sizeAfter(base *corev1.ConfigMap, ch *change) int {
	n := configMapSize(base)
	for k := range ch.del {
		if v, ok := base.BinaryData[k]; ok {
			n -= len(k) + len(v)
		}
	}
	for k, v := range ch.set {
		if cur, ok := base.BinaryData[k]; ok {
			n -= len(k) + len(cur)
		}
		n += len(k) + len(v)
	}
	return n
}
