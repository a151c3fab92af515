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
//
// This file holds the public API. A Store is composed of parts that each
// keep their methods in their own file: configMapAPI (apicalls.go) makes
// the requests, memCopy (cache.go) is the in-memory copy the watch keeps
// fresh, queue (queue.go) hands the callers' writes to the writer
// goroutine (writer.go), and upkeep (upkeep.go) tidies up in between.
package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
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
	// FillBytes is how full a ConfigMap is filled before records go to the
	// next one; DefaultFillBytes when zero, never more than MaxBytes. A
	// ConfigMap already fuller than that (written with a larger fill) is
	// read and kept as it is; it only shrinks, as its records change.
	FillBytes int
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
	ns      string
	name    string
	log     logr.Logger
	limit   int
	metrics *metrics

	mem    *memCopy
	queue  *queue
	writer *writer

	started atomic.Bool
	ready   atomic.Bool
	readyCh chan struct{}
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
	if o.FillBytes <= 0 {
		o.FillBytes = DefaultFillBytes
	}
	o.FillBytes = min(o.FillBytes, o.MaxBytes)
	log := o.Log.WithValues("namespace", o.Namespace, "configMap", o.Name)
	m := newMetrics(o.Registerer)
	api := &configMapAPI{client: o.Client, ns: o.Namespace, primary: o.Name, metrics: m}
	q := newQueue()
	mem := newMemCopy(api, log, m, o.OnChange, q.poke)
	return &Store{
		ns:      o.Namespace,
		name:    o.Name,
		log:     log,
		limit:   o.MaxBytes,
		metrics: m,
		mem:     mem,
		queue:   q,
		writer:  newWriter(q, mem, api, o.MaxBytes, o.FillBytes, log, m),
		readyCh: make(chan struct{}),
	}, nil
}

// Run loads the ConfigMaps, keeps the in-memory copy fresh and carries out
// writes until ctx ends. It returns nil on a normal shutdown.
func (s *Store) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("store: Run called twice")
	}
	defer s.queue.close()
	var wg sync.WaitGroup
	defer wg.Wait()
	synced, err := s.mem.watch(ctx, &wg)
	if err != nil {
		return err
	}
	s.log.Info("loading records from ConfigMaps")
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return nil
	}
	if err := s.mem.ensurePrimary(ctx); err != nil {
		return nil
	}
	s.mem.mu.RLock()
	n, u := s.mem.st.records(), s.mem.usageLocked()
	s.mem.mu.RUnlock()
	s.ready.Store(true)
	close(s.readyCh)
	s.log.Info("store loaded", "records", n, "configMaps", u.ConfigMaps, "bytes", u.Bytes)
	s.writer.writeLoop(ctx)
	return nil
}

// Ready returns nil once the first load is done.
func (s *Store) Ready() error {
	if s.queue.closed.Load() {
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
	o, status, err := s.prepareUpsert(ctx, key, rec)
	if o == nil {
		return status, err
	}
	s.queue.submit(o)
	r := o.wait()
	return r.status, r.err
}

// KeyedRecord is a record and its key, for UpsertMany.
type KeyedRecord struct {
	Key    string
	Record record.Record
}

// Outcome is what UpsertMany did with one record: Upsert's answer.
type Outcome struct {
	Status string
	Err    error
}

// UpsertMany is Upsert for several records at once, an outcome per record
// at its index. Their writes are queued together, so that the writer
// plans them as one batch and writes each ConfigMap they land in about
// once, instead of once per few records.
func (s *Store) UpsertMany(ctx context.Context, recs []KeyedRecord) []Outcome {
	out := make([]Outcome, len(recs))
	ops := make([]*op, len(recs))
	queued := make([]*op, 0, len(recs))
	for i := range recs {
		o, status, err := s.prepareUpsert(ctx, recs[i].Key, recs[i].Record)
		if o == nil {
			out[i] = Outcome{Status: status, Err: err}
			continue
		}
		ops[i] = o
		queued = append(queued, o)
	}
	s.queue.submit(queued...)
	for i, o := range ops {
		if o != nil {
			r := o.wait()
			out[i] = Outcome{Status: r.status, Err: r.err}
		}
	}
	return out
}

// prepareUpsert checks an upsert and answers it when no write is needed
// (op nil: unchanged, or refused with err); otherwise it returns the op to
// queue.
func (s *Store) prepareUpsert(ctx context.Context, key string, rec record.Record) (*op, string, error) {
	if err := record.ValidateKey(key); err != nil {
		return nil, "", err
	}
	if err := s.Ready(); err != nil {
		return nil, "", err
	}
	raw, err := encodeRecord(&rec)
	if err != nil {
		return nil, "", fmt.Errorf("record %s: %w", key, err)
	}
	if n := entrySize(key, raw); n > s.limit {
		return nil, "", tooLarge(key, n, s.limit)
	}
	s.mem.mu.RLock()
	win := s.mem.st.view[key]
	s.mem.mu.RUnlock()
	if win != nil && win.rec.SameContent(&rec) {
		return nil, statusUnchanged, nil
	}
	if win != nil && rec.LastUpdateTimeSinceEpoch < win.rec.LastUpdateTimeSinceEpoch {
		return nil, "", stale(key, int64(rec.LastUpdateTimeSinceEpoch), int64(win.rec.LastUpdateTimeSinceEpoch), win.cm)
	}
	o := newOp(ctx, opUpsert, key)
	o.rec, o.raw = rec, raw
	return o, "", nil
}

// Remove deletes key; it reports whether the key was stored.
func (s *Store) Remove(ctx context.Context, key string) (bool, error) {
	if err := record.ValidateKey(key); err != nil {
		return false, err
	}
	if err := s.Ready(); err != nil {
		return false, err
	}
	s.mem.mu.RLock()
	n := len(s.mem.st.copies(key))
	s.mem.mu.RUnlock()
	if n == 0 {
		return false, nil
	}
	o := newOp(ctx, opRemove, key)
	s.queue.submit(o)
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
	s.mem.mu.RLock()
	var ops []*op
	for k := range s.mem.st.view {
		if _, ok := live[k]; !ok {
			ops = append(ops, newOp(ctx, opRemove, k))
		}
	}
	s.mem.mu.RUnlock()
	s.queue.submit(ops...)
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
	s.mem.mu.RLock()
	defer s.mem.mu.RUnlock()
	e := s.mem.st.view[key]
	if e == nil {
		return record.Record{}, nil, false
	}
	return e.rec, e.json, true
}

// Keys returns the stored keys, sorted.
func (s *Store) Keys() []string {
	s.mem.mu.RLock()
	keys := make([]string, 0, len(s.mem.st.view))
	for k := range s.mem.st.view {
		keys = append(keys, k)
	}
	s.mem.mu.RUnlock()
	sort.Strings(keys)
	return keys
}

// Snapshot returns every record, sorted by key. The JSON slices are shared
// and must not be modified.
func (s *Store) Snapshot() []Item {
	s.mem.mu.RLock()
	items := make([]Item, 0, len(s.mem.st.view))
	for k, e := range s.mem.st.view {
		items = append(items, Item{Key: k, JSON: e.json})
	}
	s.mem.mu.RUnlock()
	sort.Slice(items, func(i, j int) bool { return items[i].Key < items[j].Key })
	return items
}

// Digest summarizes the stored records by content (record.Digest), so a
// writer can tell without reading them all whether someone else changed
// them.
func (s *Store) Digest() (records int, digest string) {
	s.mem.mu.RLock()
	defer s.mem.mu.RUnlock()
	return s.mem.st.digest.Len(), s.mem.st.digest.String()
}

// Len is the number of stored records.
func (s *Store) Len() int {
	s.mem.mu.RLock()
	defer s.mem.mu.RUnlock()
	return s.mem.st.records()
}

// Usage returns the ConfigMaps in use.
func (s *Store) Usage() Usage {
	s.mem.mu.RLock()
	defer s.mem.mu.RUnlock()
	return s.mem.usageLocked()
}

// APICalls returns how many ConfigMap requests the Store has made so far.
func (s *Store) APICalls() APICalls { return s.metrics.snapshot() }
