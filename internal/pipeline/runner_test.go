package pipeline

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunnerSyncsOnStartTriggerAndInterval(t *testing.T) {
	var n atomic.Int64
	fail := atomic.Bool{}
	fail.Store(true)
	r := NewRunner(func(context.Context) error {
		n.Add(1)
		if fail.Load() {
			return errors.New("storage-rest down")
		}
		return nil
	}, time.Hour, 20*time.Millisecond, logr.Discard())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Start(ctx) }()

	require.Eventually(t, func() bool { return n.Load() == 1 }, 5*time.Second, time.Millisecond, "a sync runs at start")
	assert.Error(t, r.Ready(), "not ready while syncs fail")

	fail.Store(false)
	for i := 0; i < 50; i++ { // a burst of events
		r.Trigger()
	}
	require.Eventually(t, func() bool { return r.Ready() == nil }, 5*time.Second, time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	assert.LessOrEqual(t, n.Load(), int64(3), "a burst of triggers is debounced into one or two syncs")
	cancel()
	assert.NoError(t, <-done)

	var m atomic.Int64
	r2 := NewRunner(func(context.Context) error { m.Add(1); return nil }, 10*time.Millisecond, 0, logr.Discard())
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { _ = r2.Start(ctx2) }()
	require.Eventually(t, func() bool { return m.Load() >= 3 }, 5*time.Second, time.Millisecond, "the interval triggers syncs")
	cancel2()
}

func TestRunnerEventSyncsDoNotWaitForAFullSyncNorTheDebounce(t *testing.T) {
	var full, events atomic.Int64
	release := make(chan struct{})
	r := NewRunner(func(ctx context.Context) error {
		if full.Add(1) > 1 { // every poll after the first reads a slow registry
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return nil
	}, 10*time.Millisecond, time.Hour, logr.Discard())
	r.OnTrigger = func(context.Context) error { events.Add(1); return nil }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Start(ctx) }()
	defer func() {
		close(release)
		cancel()
		assert.NoError(t, <-done)
	}()

	require.Eventually(t, func() bool { return full.Load() == 2 }, 5*time.Second, time.Millisecond, "a second full sync is running")
	r.Trigger()
	require.Eventually(t, func() bool { return events.Load() == 1 }, 5*time.Second, time.Millisecond,
		"the first event syncs at once, while the full sync still runs")
	r.Trigger()
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, int64(1), events.Load(), "a second event within Debounce waits")
	assert.Equal(t, int64(2), full.Load())
}
