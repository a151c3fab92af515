package pipeline

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
)

// An InferenceService event publishes its server without relisting the
// registries or asking discovery: the other sources keep their last answer.
func TestAnInferenceServiceEventSyncsWithoutRelistingTheRegistries(t *testing.T) {
	reg := &fakeRegistry{models: []string{"mnist"}, version: "v1"}
	f := newFixture(map[string]*fakeRegistry{"http://a": reg})
	f.sync(t)
	require.Equal(t, 1, reg.calls)
	require.Equal(t, 1, f.disc.calls)

	f.servers.list = []mapping.Server{{InferenceService: readyISVC("ns", "chat", true)}}
	res, err := f.p.SyncServers(context.Background())
	require.NoError(t, err)
	assert.True(t, res.Rebuilt)
	assert.Equal(t, 1, res.Upserted)
	assert.Equal(t, []string{"kserve__ns__chat", "mnist__v1"}, f.store.keys(), "the new server, and the registry's model kept")
	assert.Equal(t, 1, reg.calls, "the registry is not read again")
	assert.Equal(t, 1, f.disc.calls, "nor is discovery asked")

	// The server goes away: removed by the next event sync, since every
	// source has answered and discovery did last time.
	f.servers.list = nil
	res, err = f.p.SyncServers(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, res.Removed)
	assert.Equal(t, []string{"mnist__v1"}, f.store.keys())

	f.sync(t)
	assert.Equal(t, 2, reg.calls, "a full sync reads the registry")
}

// Triggers run OnTrigger; the start and the interval run Sync.
func TestRunnerRunsOnTriggerForEvents(t *testing.T) {
	var full, events atomic.Int64
	r := NewRunner(func(context.Context) error { full.Add(1); return nil }, time.Hour, 0, logr.Discard())
	r.OnTrigger = func(context.Context) error { events.Add(1); return nil }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Start(ctx) }()
	require.Eventually(t, func() bool { return full.Load() == 1 }, 5*time.Second, time.Millisecond, "a full sync at start")
	r.Trigger()
	require.Eventually(t, func() bool { return events.Load() == 1 }, 5*time.Second, time.Millisecond, "an event sync after a trigger")
	assert.Equal(t, int64(1), full.Load())
	cancel()
	assert.NoError(t, <-done)
}
