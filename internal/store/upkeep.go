// Upkeep, run by the writer goroutine between batches: removing superseded
// copies, emptying spill ConfigMaps and deleting the empty ones, with a
// backoff after failures.

package store

import (
	"context"
	"errors"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

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
