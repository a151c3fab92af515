package registryclient_test

import (
	"context"
	"testing"

	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registryclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
)

// A snapshot's Version is the same exactly while the registry answers the
// same: the pipeline skips the mapping on it.
func TestSnapshotVersionChangesWithTheRegistry(t *testing.T) {
	srv, ts := newServer(t, fakeregistry.Options{})
	versions := seed(t, srv, 250, true)
	c := registryclient.New(ts.URL, registryclient.Options{PageSize: 100})
	ctx := context.Background()
	version := func() string {
		t.Helper()
		s, err := c.Snapshot(ctx)
		require.NoError(t, err)
		require.NotEmpty(t, s.Version)
		return s.Version
	}
	v1 := version()
	assert.Equal(t, v1, version(), "the same registry")
	desc := "a new description"
	_, err := srv.UpdateModelVersion(versions[7], func(v *openapi.ModelVersion) { v.Description = &desc })
	require.NoError(t, err)
	v2 := version()
	assert.NotEqual(t, v1, v2, "a version's description changed")
	assert.Equal(t, v2, version())

	_, err = srv.AddModelArtifact(versions[3], openapi.ModelArtifact{Name: ptr("extra"), Uri: ptr("s3://bucket/extra")})
	require.NoError(t, err)
	assert.NotEqual(t, v2, version(), "an artifact was added to a version")
}

func ptr(s string) *string { return &s }
