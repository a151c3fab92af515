package pipeline

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registryclient"
)

// An InferenceService event publishes its server without relisting the
// registries or asking discovery: the other sources keep their last answer.
func TestAnInferenceServiceEventSyncsWithoutRelistingTheRegistries(t *testing.T) {
	reg := &fakeRegistry{models: []string{"mnist"}, version: "v1"}
	f := newFixture(map[string]*fakeRegistry{"http://a": reg})
	f.sync(t)
	require.Equal(t, 1, reg.calls)
	require.Equal(t, 1, f.disc.calls)

	chat := readyISVC("ns", "chat", true)
	chat.ResourceVersion = "1" // the watch's version: what tells a change
	f.servers.list = []mapping.Server{{InferenceService: chat}}
	res, err := f.p.SyncServers(context.Background())
	require.NoError(t, err)
	assert.True(t, res.Rebuilt)
	assert.True(t, res.Partial, "only the new server is mapped")
	assert.Equal(t, 1, res.Upserted)
	assert.Equal(t, 2, res.Desired)
	assert.Equal(t, []string{"kserve__ns__chat", "mnist__v1"}, f.store.keys(), "the new server, and the registry's model kept")
	assert.Equal(t, 1, reg.calls, "the registry is not read again")
	assert.Equal(t, 1, f.disc.calls, "nor is discovery asked")

	// The server goes away: removed by the next event sync, since every
	// source has answered and discovery did last time.
	f.servers.list = nil
	res, err = f.p.SyncServers(context.Background())
	require.NoError(t, err)
	assert.True(t, res.Partial)
	assert.Equal(t, 1, res.Removed)
	assert.Equal(t, 1, f.store.calls["remove"], "removed by key, without sending every key")
	assert.Equal(t, []string{"mnist__v1"}, f.store.keys())

	// An InferenceService a registry may claim is mapped with everything.
	labelled := chat.DeepCopy()
	labelled.ResourceVersion = "2"
	labelled.Labels = map[string]string{mapping.LabelRegisteredModelID: "1"}
	f.servers.list = []mapping.Server{{InferenceService: labelled}}
	res, err = f.p.SyncServers(context.Background())
	require.NoError(t, err)
	assert.True(t, res.Rebuilt)
	assert.False(t, res.Partial)

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

// fakeSlowRegistry answers its snapshot once release is closed.
type fakeSlowRegistry struct {
	fakeRegistry
	reading chan struct{}
	release chan struct{}
}

func (f *fakeSlowRegistry) Snapshot(ctx context.Context) (*registryclient.Snapshot, error) {
	select {
	case f.reading <- struct{}{}:
	default:
	}
	<-f.release
	return f.fakeRegistry.Snapshot(ctx)
}

// A registry poll reads without holding the pipeline: an InferenceService
// event is published while a registry is still answering.
func TestAnEventIsPublishedWhileARegistryIsBeingRead(t *testing.T) {
	reg := &fakeRegistry{models: []string{"mnist"}, version: "v1"}
	f := newFixture(map[string]*fakeRegistry{"http://a": reg})
	slow := &fakeSlowRegistry{fakeRegistry: *reg, reading: make(chan struct{}, 1), release: make(chan struct{})}
	f.p.cfg.NewRegistry = func(discovery.Endpoint) RegistryReader { return slow }
	close(slow.release)
	f.sync(t)
	slow.release = make(chan struct{})

	full := make(chan error, 1)
	go func() {
		_, err := f.p.Sync(context.Background())
		full <- err
	}()
	<-slow.reading
	chat := readyISVC("ns", "chat", true)
	chat.ResourceVersion = "1" // the watch's version: what tells a change
	f.servers.list = []mapping.Server{{InferenceService: chat}}
	res, err := f.p.SyncServers(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, res.Upserted)
	assert.Equal(t, []string{"kserve__ns__chat", "mnist__v1"}, f.store.keys(), "published before the registry answered")

	close(slow.release)
	require.NoError(t, <-full)
	assert.Equal(t, []string{"kserve__ns__chat", "mnist__v1"}, f.store.keys())
}
