package controller

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
)

// The watch cache holds InferenceServices without their managedFields,
// which the API server always sends and nothing in the normalizer reads.
func TestTheCacheKeepsNoManagedFields(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	namespace(t, "cache-fields")
	isvc := &v1beta1.InferenceService{ObjectMeta: metav1.ObjectMeta{Namespace: "cache-fields", Name: "chat",
		Labels: map[string]string{"team": "a"}}}
	require.NoError(t, cluster.Client.Create(ctx, isvc))
	t.Cleanup(func() { _ = cluster.Client.Delete(context.Background(), isvc) })
	live := &v1beta1.InferenceService{}
	require.NoError(t, cluster.Client.Get(ctx, client.ObjectKeyFromObject(isvc), live))
	require.NotEmpty(t, live.ManagedFields, "the API server sends managedFields")

	scheme, err := newScheme()
	require.NoError(t, err)
	opts := cacheOptions()
	opts.Scheme = scheme
	c, err := cache.New(cluster.Config, opts)
	require.NoError(t, err)
	go func() { _ = c.Start(ctx) }()
	require.True(t, c.WaitForCacheSync(ctx))

	var cached v1beta1.InferenceServiceList
	require.NoError(t, c.List(ctx, &cached, client.InNamespace("cache-fields")))
	require.Len(t, cached.Items, 1)
	assert.Empty(t, cached.Items[0].ManagedFields)
	assert.Equal(t, map[string]string{"team": "a"}, cached.Items[0].Labels, "the rest of the object is kept")
	assert.Equal(t, live.ResourceVersion, cached.Items[0].ResourceVersion)
}
