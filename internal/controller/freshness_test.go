package controller

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
)

// The freshness policy alone: fake readers stand for the informer cache
// (stuck in its watch backoff) and for the API server.
func TestFreshnessReadsLiveFromOutageUntilTheCacheCatchesUp(t *testing.T) {
	scheme := runtime.NewScheme()
	require.NoError(t, v1beta1.AddToScheme(scheme))
	cache := fake.NewClientBuilder().WithScheme(scheme).Build()
	live := fake.NewClientBuilder().WithScheme(scheme).Build()
	var down bool
	ping := func(context.Context) error {
		if down {
			return errors.New("connection refused")
		}
		return nil
	}
	triggers := 0
	f := newFreshness(cache, live, ping, func() { triggers++ }, logr.Discard())
	f.Window = time.Minute
	ctx := context.Background()
	now := time.Now()

	f.tick(ctx, now)
	assert.Same(t, cache, f.Reader(), "reads come from the cache while nothing happened")
	assert.Zero(t, triggers)

	down = true
	f.tick(ctx, now.Add(2*time.Second))
	assert.Same(t, cache, f.Reader(), "while the API server is down, the cache is all there is")

	down = false
	f.tick(ctx, now.Add(4*time.Second))
	assert.Same(t, live, f.Reader(), "once it answers again, reads are live")
	assert.Equal(t, 1, triggers, "and a sync runs at once")

	f.tick(ctx, now.Add(6*time.Second))
	assert.Equal(t, 1, triggers, "no sync while nothing changes")

	isvc := &v1beta1.InferenceService{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "created-after"}}
	require.NoError(t, live.Create(ctx, isvc))
	f.tick(ctx, now.Add(8*time.Second))
	assert.Equal(t, 2, triggers, "an InferenceService created after the outage triggers a sync without its watch event")
	assert.Same(t, live, f.Reader())

	f.tick(ctx, now.Add(2*time.Minute))
	assert.Same(t, live, f.Reader(), "past the window, reads stay live while the cache lacks what the API server has")

	copied := isvc.DeepCopy()
	copied.ResourceVersion = ""
	require.NoError(t, cache.Create(ctx, copied))
	cached := &v1beta1.InferenceService{}
	require.NoError(t, cache.Get(ctx, client.ObjectKeyFromObject(isvc), cached))
	require.NoError(t, live.Get(ctx, client.ObjectKeyFromObject(isvc), isvc))
	require.Equal(t, isvc.ResourceVersion, cached.ResourceVersion, "the cache caught up with the same version")
	f.tick(ctx, now.Add(2*time.Minute+2*time.Second))
	assert.Same(t, cache, f.Reader(), "once the cache agrees with the API server past the window, reads come from it again")
	assert.Equal(t, 3, triggers, "and one more sync reads the cache")
}
