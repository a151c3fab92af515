package storagerest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/locationclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// Location is what the forwarder calls (*locationclient.Client).
type Location interface {
	Upsert(ctx context.Context, key string, rec *record.Record) error
	// UpsertBatch answers locationclient.ErrBatchNotSupported when
	// location has no POST /upsertbatch.
	UpsertBatch(ctx context.Context, items []locationclient.BatchItem) ([]locationclient.BatchResult, error)
	Remove(ctx context.Context, key string) error
}

// A worker hands location up to batchRecords upserts, or about batchBytes
// of them, in one POST /upsertbatch: a first publish of 18,000 records is
// then a few dozen requests instead of 18,000, and location logs a line
// per batch. A batch of this size is applied by location in tens of
// milliseconds, well within the client's 10 s timeout, and stays under
// location's default --max-body-bytes (4 MiB).
const (
	batchRecords = 500
	batchBytes   = 1 << 20
	// batchItemPad is an item's bytes besides its body and model card:
	// key, timestamps, bookkeeping fields and JSON punctuation.
	batchItemPad = 256
)

// ForwarderOptions configures NewForwarder.
type ForwarderOptions struct {
	Location Location
	// URL names location in log lines.
	URL string
	Log logr.Logger
	// Registerer receives the forwarding metrics; nil leaves them
	// unregistered.
	Registerer prometheus.Registerer
	// Workers send in parallel (4 when 0); one key is never sent twice at
	// once, so its changes arrive in order.
	Workers int
	// MinBackoff and MaxBackoff bound the pause after location failed
	// (500ms and 30s when 0).
	MinBackoff, MaxBackoff time.Duration
}

// Forwarder hands every change of the store to location, asynchronously:
// a queue that holds the latest change per key, so a slow or dead location
// never blocks a write and its backlog never exceeds one entry per key.
// Upserts waiting together go in batches (POST /upsertbatch), removals one
// by one. While location is unreachable everything waits, one request
// probes it after each backoff, and the outage is logged once when it
// starts and once when it ends.
type Forwarder struct {
	loc         Location
	url         string
	log         logr.Logger
	workers     int
	minB, maxB  time.Duration
	forwarded   *prometheus.CounterVec
	failures    *prometheus.CounterVec
	queueLength prometheus.GaugeFunc

	mu sync.Mutex
	// pending holds the change waiting per key (nil: removed) and order
	// its keys, oldest first: a key is in one exactly when in the other.
	pending  map[string]*record.Record
	order    []string
	inflight map[string]struct{}
	changed  chan struct{}
	down     bool
	probing  bool
	retryAt  time.Time
	backoff  time.Duration
	// single: location has no batch API, so upserts go one per request.
	single bool
	// batchRefused: location refused a batch as a whole once (logged).
	batchRefused bool
}

// change is one key's change handed to location: rec nil is a removal;
// err is how handing it over went.
type change struct {
	key string
	rec *record.Record
	err error
}

// NewForwarder returns a Forwarder; it sends nothing until Run.
func NewForwarder(o ForwarderOptions) (*Forwarder, error) {
	if o.Location == nil {
		return nil, errors.New("storagerest: the forwarder needs a location client")
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Second, o.MinBackoff)
	}
	f := &Forwarder{
		loc: o.Location, url: o.URL, log: o.Log.WithValues("location", o.URL), workers: o.Workers,
		minB: o.MinBackoff, maxB: o.MaxBackoff,
		pending: map[string]*record.Record{}, inflight: map[string]struct{}{}, changed: make(chan struct{}),
	}
	const ns, sub = "rhoai_connector", "storage_rest"
	f.forwarded = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Subsystem: sub, Name: "forwarded_total",
		Help: "Changes handed to location, by operation (upsert, remove).",
	}, []string{"op"})
	f.failures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Subsystem: sub, Name: "forward_failures_total",
		Help: "Failed attempts to hand a change to location, by reason (unavailable: retried; rejected: dropped).",
	}, []string{"reason"})
	f.queueLength = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: ns, Subsystem: sub, Name: "forward_queue_length",
		Help: "Changes waiting to be handed to location (at most one per key).",
	}, func() float64 { return float64(f.Pending()) })
	if o.Registerer != nil {
		for _, c := range []prometheus.Collector{f.forwarded, f.failures, f.queueLength} {
			if err := o.Registerer.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return f, nil
}

// Enqueue records the latest change of key (rec nil: removed). It never
// blocks; it is the store's OnChange.
func (f *Forwarder) Enqueue(key string, rec *record.Record) {
	f.mu.Lock()
	if _, queued := f.pending[key]; !queued {
		f.order = append(f.order, key)
	}
	f.pending[key] = rec
	f.notifyLocked()
	f.mu.Unlock()
}

// Pending is the number of changes not yet handed to location.
func (f *Forwarder) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pending) + len(f.inflight)
}

// Run forwards until ctx ends.
func (f *Forwarder) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range f.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				job, ok := f.next(ctx)
				if !ok {
					return
				}
				f.send(ctx, job)
				f.done(job)
			}
		}()
	}
	wg.Wait()
}

// Flush waits until every queued change is handed over or ctx ends, and
// returns how many are left.
func (f *Forwarder) Flush(ctx context.Context) int {
	for {
		f.mu.Lock()
		n := len(f.pending) + len(f.inflight)
		ch := f.changed
		f.mu.Unlock()
		if n == 0 {
			return 0
		}
		select {
		case <-ctx.Done():
			return n
		case <-ch:
		}
	}
}

func (f *Forwarder) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// next waits for changes to send (takeLocked), and while location is down
// takes only one job, the probe, after the backoff.
func (f *Forwarder) next(ctx context.Context) ([]change, bool) {
	for {
		if ctx.Err() != nil {
			return nil, false
		}
		f.mu.Lock()
		ch := f.changed
		var wait time.Duration
		switch {
		case f.down && f.probing:
			wait = -1
		case f.down && time.Now().Before(f.retryAt):
			wait = time.Until(f.retryAt)
		default:
			if job := f.takeLocked(); len(job) > 0 {
				f.probing = f.down
				f.mu.Unlock()
				return job, true
			}
			wait = -1
		}
		f.mu.Unlock()
		var t *time.Timer
		var timer <-chan time.Time
		if wait >= 0 {
			t = time.NewTimer(wait)
			timer = t.C
		}
		select {
		case <-ctx.Done():
		case <-ch:
		case <-timer:
		}
		if t != nil {
			t.Stop()
		}
		if ctx.Err() != nil {
			return nil, false
		}
	}
}

// takeLocked takes the oldest changes whose key is not in flight and marks
// them in flight: a removal alone, else up to batchRecords upserts or about
// batchBytes of them (one while location has no batch API). The keys it
// passes over (in flight, or removals behind the upserts taken) keep their
// place in the queue. Only the part of the queue it scanned is moved, so
// taking from a long queue stays cheap.
func (f *Forwarder) takeLocked() []change {
	limit := batchRecords
	if f.single {
		limit = 1
	}
	var job []change
	kept, size, i := 0, 0, 0
	for ; i < len(f.order) && len(job) < limit; i++ {
		key := f.order[i]
		rec := f.pending[key]
		if _, busy := f.inflight[key]; busy || (rec == nil && len(job) > 0) {
			f.order[kept] = key
			kept++
			continue
		}
		n := changeBytes(key, rec)
		if len(job) > 0 && size+n > batchBytes {
			break
		}
		size += n
		delete(f.pending, key)
		f.inflight[key] = struct{}{}
		job = append(job, change{key: key, rec: rec})
		if rec == nil {
			i++
			break
		}
	}
	// The kept keys go back just before the first key not scanned.
	copy(f.order[i-kept:i], f.order[:kept])
	f.order = f.order[i-kept:]
	return job
}

// changeBytes estimates what a change adds to a batch body (the body is
// sent as base64).
func changeBytes(key string, rec *record.Record) int {
	if rec == nil {
		return 0
	}
	return (len(rec.Body)+2)/3*4 + len(rec.ModelCard) + len(rec.ModelCardKey) + len(key) + batchItemPad
}

// send hands job to location and sets each change's err: a removal or a
// lone upsert with its own request (location logs a lone record by key),
// several upserts as one batch.
func (f *Forwarder) send(ctx context.Context, job []change) {
	switch {
	case job[0].rec == nil:
		job[0].err = f.remove(ctx, job[0].key)
	case len(job) == 1:
		job[0].err = f.loc.Upsert(ctx, job[0].key, job[0].rec)
	default:
		f.sendBatch(ctx, job)
	}
}

func (f *Forwarder) remove(ctx context.Context, key string) error {
	err := f.loc.Remove(ctx, key)
	var se *locationclient.StatusError
	if errors.As(err, &se) && se.Code == http.StatusNotFound {
		// Location does not have it: that is what we wanted.
		return nil
	}
	return err
}

// sendBatch hands job's upserts to location in one request. A location
// without the batch API, or one that refuses the request itself (a batch
// over its --max-body-bytes), gets them one by one, so that each record
// has its own verdict and none is dropped for another's sake.
func (f *Forwarder) sendBatch(ctx context.Context, job []change) {
	items := make([]locationclient.BatchItem, len(job))
	for i, c := range job {
		items[i] = locationclient.BatchItem{Key: c.key, Record: c.rec}
	}
	res, err := f.loc.UpsertBatch(ctx, items)
	switch {
	case err == nil:
		for i := range job {
			job[i].err = res[i].Err()
		}
		return
	case locationclient.IsNotSupported(err):
		f.mu.Lock()
		if !f.single {
			f.single = true
			f.log.Info("location has no batch API (POST /upsertbatch); forwarding changes one by one. Update the location sidecar to storage-rest's version")
		}
		f.mu.Unlock()
	case rejected(err):
		f.mu.Lock()
		first := !f.batchRefused
		f.batchRefused = true
		f.mu.Unlock()
		if first {
			f.log.Error(err, "location refused a batch of changes as a whole; sending its records one by one (logged once). On HTTP 413, raise location's --max-body-bytes (MAX_BODY_BYTES) to at least 2 MiB",
				"records", len(job))
		}
	default:
		for i := range job {
			job[i].err = fmt.Errorf("forwarding a batch of %d changes: %w", len(job), err)
		}
		return
	}
	f.sendOneByOne(ctx, job)
}

// sendOneByOne upserts job's changes one request each; once location is
// unavailable the rest fail with it instead of waiting a timeout each.
func (f *Forwarder) sendOneByOne(ctx context.Context, job []change) {
	for i := range job {
		err := f.loc.Upsert(ctx, job[i].key, job[i].rec)
		job[i].err = err
		if err != nil && !rejected(err) {
			for j := i + 1; j < len(job); j++ {
				job[j].err = err
			}
			return
		}
	}
}

// done settles a job: a change handed over ends an outage, a rejected one
// is dropped, and a transient failure requeues the change (unless a newer
// one is queued) and pauses everything, once for the whole job.
func (f *Forwarder) done(job []change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.notifyLocked()
	f.probing = false
	var requeue []string
	var failed error
	handed := 0
	for _, c := range job {
		delete(f.inflight, c.key)
		op := "upsert"
		if c.rec == nil {
			op = "remove"
		}
		switch {
		case c.err == nil:
			f.forwarded.WithLabelValues(op).Inc()
			handed++
		case rejected(c.err):
			f.failures.WithLabelValues("rejected").Inc()
			f.log.Error(c.err, "location rejected a change; it is not retried. Location reloads every record from storage-rest's GET /records when it restarts",
				"key", c.key, "op", op)
		default:
			if _, newer := f.pending[c.key]; !newer {
				f.pending[c.key] = c.rec
				requeue = append(requeue, c.key)
			}
			if !errors.Is(c.err, context.Canceled) {
				f.failures.WithLabelValues("unavailable").Inc()
				failed = c.err
			}
		}
	}
	if len(requeue) > 0 {
		// Requeued changes are the oldest: they go first, in their order.
		f.order = append(requeue, f.order...)
	}
	if failed != nil {
		f.backoff = min(max(2*f.backoff, f.minB), f.maxB)
		f.retryAt = time.Now().Add(f.backoff)
		if !f.down {
			f.down = true
			f.log.Error(failed, "cannot reach location; changes are stored and kept queued, and will be forwarded when it is back. Check that the location container runs and that BRIDGE_URL points at it",
				"queued", len(f.pending)+len(f.inflight))
		}
		return
	}
	if handed > 0 {
		if f.down {
			f.down = false
			f.log.Info("location is reachable again; forwarding the changes kept meanwhile", "queued", len(f.pending))
		}
		f.backoff = 0
	}
}

// rejected reports whether location refused the change itself: a 4xx
// other than timeouts, rate limits and authentication (a wrong token is an
// outage of every change, not a problem of this one). The status is a
// request's (locationclient.StatusError) or a batch item's
// (locationclient.ItemError).
func rejected(err error) bool {
	var se interface{ StatusCode() int }
	if !errors.As(err, &se) {
		return false
	}
	switch code := se.StatusCode(); code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusUnauthorized, http.StatusForbidden:
		return false
	default:
		return code >= 400 && code < 500
	}
}
