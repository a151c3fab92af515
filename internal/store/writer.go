// The writer goroutine: it takes queued operations (queue.go) in batches,
// plans them against the in-memory copy (plan.go, cache.go), writes the
// plans and re-plans on conflicts, and runs upkeep (upkeep.go) in between.
// Only this goroutine writes to the API server after the first load, so
// what only it touches (here and in upkeep) needs no lock.

package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Tuning of the writer. maxBatch is the most operations planned together:
// a POST /upsertbatch brings up to 1,000 records, and planning them all
// at once is what lets a first publish write each ConfigMap about once
// (each write rewrites the whole ConfigMap in etcd); the patches are split
// under the API server's request limits whatever the batch.
const (
	maxBatch       = 4096
	maxAttempts    = 20
	callTimeout    = 30 * time.Second
	maintainPeriod = 30 * time.Second
	maxBackoff     = time.Second
	maxMaintDelay  = time.Minute
)

// writer carries out the queued writes of the store in namespace ns, whose
// ConfigMaps hold at most limit bytes each and are filled to fill bytes.
// Its methods, and upkeep's, run on the writer goroutine only.
type writer struct {
	queue   *queue
	mem     *memCopy
	api     *configMapAPI
	upkeep  *upkeep
	ns      string
	limit   int
	fill    int
	log     logr.Logger
	metrics *metrics
}

func newWriter(q *queue, mem *memCopy, api *configMapAPI, limit, fill int, log logr.Logger, m *metrics) *writer {
	w := &writer{queue: q, mem: mem, api: api, ns: api.ns, limit: limit, fill: fill, log: log, metrics: m}
	w.upkeep = newUpkeep(w)
	return w
}

// writeLoop carries out queued writes in batches, and upkeep in between.
func (w *writer) writeLoop(ctx context.Context) {
	tick := time.NewTicker(maintainPeriod)
	defer tick.Stop()
	for {
		for {
			batch := w.queue.takeBatch()
			if len(batch) == 0 {
				break
			}
			w.runBatch(ctx, batch)
		}
		w.upkeep.maintain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-w.queue.wake:
		case <-tick.C:
		}
	}
}

// runBatch plans and writes until every op of the batch is finished.
func (w *writer) runBatch(ctx context.Context, pending []*op) {
	for attempt := 0; ; attempt++ {
		w.mem.mu.RLock()
		p := newPlan(w.mem.st, w.limit, w.fill)
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
				w.finished(o, r)
			} else {
				next = append(next, o)
			}
		}
		w.mem.mu.RUnlock()
		pending = next
		if len(pending) == 0 {
			return
		}
		w.log.V(1).Info("writing", "plan", p.String(), "ops", len(pending), "attempt", attempt)
		written, err := w.execute(ctx, p)
		for _, o := range pending {
			if _, ok := written[o.key]; ok {
				o.wrote = true
			}
		}
		if err == nil {
			w.metrics.writes.WithLabelValues("move").Add(float64(p.moves))
			// The records are stored; a spill that stays behind empty is
			// upkeep's business, not the callers'.
			if err := w.upkeep.dropEmpty(ctx, p); err != nil {
				w.upkeep.dropFailed(err)
			}
			continue
		}
		if ctx.Err() != nil {
			err = ErrClosed
		}
		if !retriable(err) {
			w.log.Error(err, "writing records failed; the callers get an error and may retry", "ops", len(pending))
			for _, o := range pending {
				w.finished(o, result{err: fmt.Errorf("storing %s in ConfigMaps of namespace %s: %w", o.key, w.ns, err)})
			}
			return
		}
		// Someone else wrote one of the same records, or the state moved:
		// plan again from what is stored now. A conflict means another
		// writer made progress, so this never gives up on its own; an op
		// ends when its caller stops waiting (storage-rest then answers 503
		// with Retry-After).
		w.metrics.conflicts.Inc()
		log := w.log.V(1)
		if attempt > 0 && attempt%20 == 0 {
			log = w.log
		}
		log.Info("write conflict; re-reading and planning again", "error", err.Error(), "attempt", attempt, "ops", len(pending))
		var ce *cmError
		if errors.As(err, &ce) {
			w.mem.refresh(ctx, ce.name)
		}
		if !sleep(ctx, backoff(attempt)) {
			for _, o := range pending {
				w.finished(o, result{err: ErrClosed})
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

func (w *writer) finished(o *op, r result) {
	if r.err == nil {
		switch {
		case o.kind == opRemove && r.removed:
			w.metrics.writes.WithLabelValues("remove").Inc()
		case r.status == statusCreated:
			w.metrics.writes.WithLabelValues("create").Inc()
		case r.status == statusUpdated:
			w.metrics.writes.WithLabelValues("update").Inc()
		}
	}
	o.finish(r)
}

// execute writes phases 1 and 2 of a plan in order (phase 3 is dropEmpty).
// It returns the keys whose new values were written, also when it fails
// part way.
func (w *writer) execute(ctx context.Context, p *plan) (map[string]struct{}, error) {
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
				obj := w.api.newConfigMap(name)
				for k, v := range ch.set {
					obj.BinaryData[k] = v
				}
				if n := configMapSize(obj); n > w.limit {
					return written, &cmError{name: name, verb: "writing", err: fmt.Errorf("%w: it would hold %d bytes", errReplan, n)}
				}
				res, err := w.api.create(ctx, obj)
				if err != nil {
					return written, err
				}
				w.mem.apply(res)
				latest[name] = res
				for k := range ch.set {
					written[k] = struct{}{}
				}
				continue
			}
			if n := sizeAfter(base, ch); n > w.limit {
				return written, &cmError{name: name, verb: "writing", err: fmt.Errorf("%w: it would hold %d bytes", errReplan, n)}
			}
			bodies, keys, err := patchBodies(base, ch, w.api.labels())
			if err != nil {
				return written, &cmError{name: name, verb: "writing", err: err}
			}
			for i, body := range bodies {
				res, err := w.api.patch(ctx, name, body)
				if err != nil {
					return written, err
				}
				w.mem.apply(res)
				latest[name] = res
				for _, k := range keys[i] {
					written[k] = struct{}{}
				}
			}
		}
	}
	return written, nil
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
