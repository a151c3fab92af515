package pipeline

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
)

// Runner runs syncs one at a time: a full one at start and every Interval
// (the registries have no watch API), and after every Trigger (debounced,
// so a burst of InferenceService events costs one sync) an OnTrigger one,
// or a full one when OnTrigger is nil.
type Runner struct {
	Sync      func(ctx context.Context) error
	OnTrigger func(ctx context.Context) error
	Interval  time.Duration
	Debounce  time.Duration
	Log       logr.Logger

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
	for {
		sync := r.Sync
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		case <-r.trigger:
			if r.OnTrigger != nil {
				sync = r.OnTrigger
			}
			// Let a burst of events settle into one sync.
			if r.Debounce > 0 {
				t := time.NewTimer(r.Debounce)
				select {
				case <-ctx.Done():
					t.Stop()
					return nil
				case <-t.C:
				}
			}
			select { // drop a trigger that arrived during the wait
			case <-r.trigger:
			default:
			}
		}
		r.run(ctx, sync)
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
