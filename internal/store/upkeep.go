// Upkeep, run by the writer goroutine between batches: removing superseded
// copies, emptying spill ConfigMaps and deleting the empty ones, with a
// backoff after failures. It writes its plans with the writer's execute,
// and its state is the writer goroutine's alone, so it needs no lock.

package store

import (
	"context"
	"errors"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// upkeep is the writer's upkeep and what it remembers between rounds.
type upkeep struct {
	w *writer
	// undeletable are spills we are forbidden to delete; they are left
	// empty and reused.
	undeletable map[string]bool
	// After a failure, upkeep waits until notBefore; delay grows with
	// each failure in a row.
	notBefore time.Time
	delay     time.Duration
}

func newUpkeep(w *writer) *upkeep {
	return &upkeep{w: w, undeletable: map[string]bool{}}
}

// maintain carries out the store's upkeep (see plan.maintain), backing off
// after failures.
func (u *upkeep) maintain(ctx context.Context) {
	if time.Now().Before(u.notBefore) {
		return
	}
	for round := 0; round < maxAttempts; round++ {
		u.w.mem.mu.Lock()
		if !u.w.mem.st.dirty {
			u.w.mem.mu.Unlock()
			return
		}
		p := newPlan(u.w.mem.st, u.w.limit, u.w.fill)
		p.maintain(u.undeletable)
		if p.empty() {
			u.w.mem.st.dirty = false
			u.w.mem.mu.Unlock()
			return
		}
		u.w.mem.mu.Unlock()
		u.w.log.V(1).Info("store upkeep", "plan", p.String())
		_, err := u.w.execute(ctx, p)
		if err == nil {
			err = u.dropEmpty(ctx, p)
		}
		if err == nil {
			u.w.metrics.writes.WithLabelValues("move").Add(float64(p.moves))
			u.w.metrics.writes.WithLabelValues("dedupe").Add(float64(p.dedupes))
			u.delay = 0
			continue
		}
		if ctx.Err() != nil {
			return
		}
		var ce *cmError
		if errors.As(err, &ce) {
			u.w.mem.refresh(ctx, ce.name)
		}
		if retriable(err) {
			u.w.metrics.conflicts.Inc()
			if !sleep(ctx, backoff(round)) {
				return
			}
			continue
		}
		u.delay = min(max(2*u.delay, time.Second), maxMaintDelay)
		u.notBefore = time.Now().Add(u.delay)
		u.w.log.Error(err, "store upkeep (removing superseded copies, emptying spill ConfigMaps) failed; records are safe, retrying later", "retryIn", u.delay.String())
		return
	}
}

// dropFailed makes upkeep try again later.
func (u *upkeep) dropFailed(err error) {
	u.w.log.Error(err, "deleting an empty spill ConfigMap failed; records are safe, upkeep retries later")
	u.w.mem.mu.Lock()
	u.w.mem.st.dirty = true
	u.w.mem.mu.Unlock()
}

// dropEmpty deletes the plan's spill ConfigMaps that are now empty, each
// only if nobody wrote to it since we saw it empty.
func (u *upkeep) dropEmpty(ctx context.Context, p *plan) error {
	for _, name := range p.names(nil) {
		if _, ok := p.drop[name]; !ok || u.undeletable[name] {
			continue
		}
		u.w.mem.mu.RLock()
		c := u.w.mem.st.cms[name]
		u.w.mem.mu.RUnlock()
		if c == nil || c.index == 0 || !c.empty() {
			continue
		}
		rv := c.obj.ResourceVersion
		err := u.w.api.delete(ctx, name, rv)
		switch {
		case err == nil, apierrors.IsNotFound(err):
			u.w.mem.forget(name, c.rv)
			if err == nil {
				u.w.log.Info("deleted empty spill ConfigMap", "spill", name)
			}
		case apierrors.IsConflict(err):
			// Written since; upkeep looks again.
		case apierrors.IsForbidden(err):
			u.undeletable[name] = true
			u.w.log.Info("cannot delete the empty spill ConfigMap; it is harmless and will be reused. To let storage-rest delete it, add the verb delete on configmaps to its Role",
				"spill", name, "error", err.Error())
		default:
			return err
		}
	}
	return nil
}
