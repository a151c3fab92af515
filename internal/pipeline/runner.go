package pipeline

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
)

// Runner runs a full sync at start and every Interval (the registries have
// no watch API), and after every Trigger an OnTrigger sync, or a full one
// when OnTrigger is nil. OnTrigger syncs run in their own loop, beside the
// full ones: an InferenceService event is published while a registry poll
// is still reading (the Pipeline serializes what must be). The first
// event after a quiet spell syncs at once; the events that arrive while a
// sync runs, or within Debounce of its start, make one more sync.
type Runner struct {
	Sync      func(ctx context.Context) error
	OnTrigger func(ctx context.Context) error
	Interval  time.Duration
	// Debounce is the least time between the starts of two event syncs
	// (twice the last one's duration when that is longer), so that a burst
	// of events costs one or two syncs.
	Debounce time.Duration
	Log      logr.Logger

	trigger chan struct{}
	ready   atomic.Bool
}

// NewRunner returns a runner; Start runs it.
func NewRunner(sync func(ctx context.Context) error, interval, debounce time.Duration, log logr.Logger) *Runner {
	if interval <= 0 {
		interval = 30 * time.Second
	}
	if debounce < 0 {
		debounce = 0
	}
	return &Runner{Sync: sync, Interval: interval, Debounce: debounce, Log: log, trigger: make(chan struct{}, 1)}
}

// Trigger asks for a sync soon; it never blocks.
func (r *Runner) Trigger() {
	select {
	case r.trigger <- struct{}{}:
	default:
	}
}

// Ready is nil once a sync has published (readiness probe).
func (r *Runner) Ready() error {
	if !r.ready.Load() {
		return errors.New("the first sync has not completed yet (is storage-rest reachable?)")
	}
	return nil
}

// Start runs until ctx ends (controller-runtime manager.Runnable).
func (r *Runner) Start(ctx context.Context) error {
	ticker := time.NewTicker(r.Interval)
	defer ticker.Stop()
	r.run(ctx, r.Sync)
	var events <-chan struct{} = r.trigger
	done := make(chan struct{})
	if r.OnTrigger != nil {
		// Only after the first full sync: before it, an event sync would
		// publish without the registries and mark the normalizer ready.
		go func() {
			defer close(done)
			r.eventLoop(ctx)
		}()
		events = nil
	} else {
		close(done)
	}
	defer func() { <-done }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		case <-events:
			if !r.pause(ctx, r.Debounce) {
				return nil
			}
			r.drop()
		}
		r.run(ctx, r.Sync)
	}
}

// eventLoop runs an OnTrigger sync per trigger. Between the starts of two
// it leaves Debounce, or twice the time the last one took when that is
// longer, so that a storm of events keeps event syncs to half the CPU.
func (r *Runner) eventLoop(ctx context.Context) {
	var last time.Time
	var took time.Duration
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.trigger:
		}
		if !r.pause(ctx, max(r.Debounce, 2*took)-time.Since(last)) {
			return
		}
		r.drop()
		last = time.Now()
		r.run(ctx, r.OnTrigger)
		took = time.Since(last)
	}
}

// pause waits d (nothing when d <= 0); false when ctx ended first.
func (r *Runner) pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// drop forgets a trigger that arrived during a pause: the sync about to
// run sees its change.
func (r *Runner) drop() {
	select {
	case <-r.trigger:
	default:
	}
}

func (r *Runner) run(ctx context.Context, sync func(ctx context.Context) error) {
	err := sync(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.Log.Error(err, "sync failed; retrying at the next interval or event")
		}
		return
	}
	r.ready.Store(true)
}
