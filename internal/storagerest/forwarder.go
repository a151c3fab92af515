package storagerest

import (
	"context"
	"errors"
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
	Remove(ctx context.Context, key string) error
}

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
// While location is unreachable everything waits, one request probes it
// after each backoff, and the outage is logged once when it starts and once
// when it ends.
type Forwarder struct {
	loc         Location
	url         string
	log         logr.Logger
	workers     int
	minB, maxB  time.Duration
	forwarded   *prometheus.CounterVec
	failures    *prometheus.CounterVec
	queueLength prometheus.GaugeFunc

	mu       sync.Mutex
	pending  map[string]*record.Record // nil value: removed
	order    []string
	inflight map[string]struct{}
	changed  chan struct{}
	down     bool
	probing  bool
	retryAt  time.Time
	backoff  time.Duration
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
				key, rec, ok := f.next(ctx)
				if !ok {
					return
				}
				f.done(key, rec, f.send(ctx, key, rec))
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

// next waits for a key to send: one that is not in flight, and while
// location is down only one probe after the backoff.
func (f *Forwarder) next(ctx context.Context) (string, *record.Record, bool) {
	for {
		if ctx.Err() != nil {
			return "", nil, false
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
			for i, key := range f.order {
				if _, busy := f.inflight[key]; busy {
					continue
				}
				rec := f.pending[key]
				delete(f.pending, key)
				if i == 0 {
					f.order = f.order[1:]
				} else {
					f.order = append(f.order[:i:i], f.order[i+1:]...)
				}
				f.inflight[key] = struct{}{}
				f.probing = f.down
				f.mu.Unlock()
				return key, rec, true
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
			return "", nil, false
		}
	}
}

func (f *Forwarder) send(ctx context.Context, key string, rec *record.Record) error {
	if rec == nil {
		err := f.loc.Remove(ctx, key)
		var se *locationclient.StatusError
		if errors.As(err, &se) && se.Code == http.StatusNotFound {
			// Location does not have it: that is what we wanted.
			return nil
		}
		return err
	}
	return f.loc.Upsert(ctx, key, rec)
}

// done settles one send: success ends an outage, a transient failure
// requeues the change (unless a newer one is queued) and pauses everything,
// a rejection drops it.
func (f *Forwarder) done(key string, rec *record.Record, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.notifyLocked()
	delete(f.inflight, key)
	f.probing = false
	op := "upsert"
	if rec == nil {
		op = "remove"
	}
	if err == nil {
		f.forwarded.WithLabelValues(op).Inc()
		if f.down {
			f.down = false
			f.log.Info("location is reachable again; forwarding the changes kept meanwhile", "queued", len(f.pending))
		}
		f.backoff = 0
		return
	}
	if rejected(err) {
		f.failures.WithLabelValues("rejected").Inc()
		f.log.Error(err, "location rejected a change; it is not retried. Location reloads every record from storage-rest's GET /records when it restarts",
			"key", key, "op", op)
		return
	}
	if _, newer := f.pending[key]; !newer {
		f.pending[key] = rec
		f.order = append([]string{key}, f.order...)
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	f.failures.WithLabelValues("unavailable").Inc()
	f.backoff = min(max(2*f.backoff, f.minB), f.maxB)
	f.retryAt = time.Now().Add(f.backoff)
	if !f.down {
		f.down = true
		f.log.Error(err, "cannot reach location; changes are stored and kept queued, and will be forwarded when it is back. Check that the location container runs and that BRIDGE_URL points at it",
			"queued", len(f.pending)+len(f.inflight))
	}
}

// rejected reports whether location refused the change itself: a 4xx
// other than timeouts, rate limits and authentication (a wrong token is an
// outage of every change, not a problem of this one).
func rejected(err error) bool {
	var se *locationclient.StatusError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusUnauthorized, http.StatusForbidden:
		return false
	}
	return se.Code >= 400 && se.Code < 500
}
