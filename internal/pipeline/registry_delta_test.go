package pipeline

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/go-logr/logr"
	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registryclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
)

// registryPipeline wires a pipeline that polls srv, with its real client,
// into a fresh in-memory storage-rest.
func registryPipeline(t *testing.T, url string) (*Pipeline, *fakeStore) {
	t.Helper()
	ep := discovery.Endpoint{Name: "mr", URL: url}
	store := newFakeStore()
	p := New(Config{
		Discoverer: &fakeDiscovery{res: discovery.Result{Registries: []discovery.Endpoint{ep}}},
		NewRegistry: func(e discovery.Endpoint) RegistryReader {
			return registryclient.New(e.URL, registryclient.Options{PageSize: 50})
		},
		Store: store,
		Log:   logr.Discard(),
	})
	return p, store
}

// A registry change between two polls is mapped alone (the versions it
// touches), and storage-rest ends up holding exactly what a full mapping
// of the same registry stores.
func TestARegistryChangeMapsOnlyWhatChanged(t *testing.T) {
	srv := fakeregistry.New(fakeregistry.Options{})
	_, err := fakeregistry.Generate(srv, 120, fakeregistry.GenOptions{Seed: 3})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	ctx := context.Background()
	p, store := registryPipeline(t, hs.URL)
	res, err := p.Sync(ctx)
	require.NoError(t, err)
	require.True(t, res.Complete())
	require.False(t, res.Partial, "the first sync maps everything")

	sync := func(what string, upserted, removed int) {
		t.Helper()
		res, err := p.Sync(ctx)
		require.NoError(t, err, what)
		assert.True(t, res.Partial, "%s: mapped alone", what)
		assert.Equal(t, upserted, res.Upserted, "%s: upserted", what)
		assert.Equal(t, removed, res.Removed, "%s: removed", what)
		fresh, freshStore := registryPipeline(t, hs.URL)
		want, err := fresh.Sync(ctx)
		require.NoError(t, err)
		assert.Equal(t, want.Desired, res.Desired, "%s: desired", what)
		assert.Equal(t, want.Problems, res.Problems, "%s: problems", what)
		require.Equal(t, freshStore.keys(), store.keys(), "%s: the records a full mapping stores", what)
		for k, r := range freshStore.recs {
			assert.Equal(t, string(r.Body), string(store.recs[k].Body), "%s: %s", what, k)
		}
	}

	rm, mv, art, err := srv.RegisterModel("fresh model", "s3://models/fresh")
	require.NoError(t, err)
	sync("a model registered", 1, 0)

	desc := "a better description"
	_, err = srv.UpdateModelVersion(*mv.Id, func(v *openapi.ModelVersion) { v.Description = &desc })
	require.NoError(t, err)
	sync("its version described", 1, 0)

	moved := "s3://models/moved"
	_, err = srv.UpdateModelArtifact(*art.Id, func(a *openapi.ModelArtifact) { a.Uri = &moved })
	require.NoError(t, err)
	sync("its artifact moved", 1, 0)

	owner := "group:default/new-owners"
	_, err = srv.UpdateRegisteredModel(*rm.Id, func(m *openapi.RegisteredModel) { m.Owner = &owner })
	require.NoError(t, err)
	sync("the model's owner changed", 1, 0)

	archived := openapi.MODELVERSIONSTATE_ARCHIVED
	_, err = srv.UpdateModelVersion(*mv.Id, func(v *openapi.ModelVersion) { v.State = &archived })
	require.NoError(t, err)
	sync("its version archived", 0, 1)

	live := openapi.MODELVERSIONSTATE_LIVE
	_, err = srv.UpdateModelVersion(*mv.Id, func(v *openapi.ModelVersion) { v.State = &live })
	require.NoError(t, err)
	sync("restored", 1, 0)

	res, err = p.Sync(ctx)
	require.NoError(t, err)
	assert.Zero(t, res.Upserted+res.Removed, "nothing changed since")
}
