package fakeregistry

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dump lists everything a server holds, as raw JSON pages.
func dump(t *testing.T, c *client) string {
	t.Helper()
	var sb strings.Builder
	for _, p := range []string{
		rmPath, RegistryBasePath + "/model_versions", RegistryBasePath + "/model_artifacts",
		RegistryBasePath + "/serving_environments", RegistryBasePath + "/inference_services",
		CatalogBasePath + "/models", CatalogBasePath + "/sources",
	} {
		code, b := c.do(http.MethodGet, p+"?pageSize=100000", nil)
		require.Equal(t, http.StatusOK, code)
		sb.Write(b)
	}
	return sb.String()
}

func TestGenerateIsDeterministic(t *testing.T) {
	gen := func(seed int64) string {
		s, c := newTestServer(t, Options{})
		_, err := Generate(s, 150, GenOptions{Seed: seed})
		require.NoError(t, err)
		return dump(t, c)
	}
	a, b, other := gen(7), gen(7), gen(8)
	assert.Equal(t, a, b, "same seed, same data")
	assert.NotEqual(t, a, other, "another seed, other data")
}

func TestGenerateBuildsConsistentData(t *testing.T) {
	s, c := newTestServer(t, Options{})
	res, err := Generate(s, 300, GenOptions{Seed: 1})
	require.NoError(t, err)
	assert.Equal(t, 300, res.RegisteredModels)
	assert.Len(t, res.RegisteredModelIDs, 300)
	assert.Equal(t, 3, res.ServingEnvironments)

	var models listResponse[openapi.RegisteredModel]
	c.getJSON(rmPath+"?pageSize=1000", &models)
	require.Len(t, models.Items, 300)
	var versions listResponse[openapi.ModelVersion]
	c.getJSON(RegistryBasePath+"/model_versions?pageSize=10000", &versions)
	assert.Len(t, versions.Items, res.ModelVersions)
	assert.GreaterOrEqual(t, res.ModelVersions, 300)
	var arts listResponse[openapi.ModelArtifact]
	c.getJSON(RegistryBasePath+"/model_artifacts?pageSize=10000", &arts)
	assert.Len(t, arts.Items, res.ModelArtifacts)
	var services listResponse[openapi.InferenceService]
	c.getJSON(RegistryBasePath+"/inference_services?pageSize=10000", &services)
	assert.Len(t, services.Items, res.InferenceServices)
	assert.Positive(t, res.InferenceServices)

	archived, spaced, long := 0, 0, 0
	for _, m := range models.Items {
		if m.GetState() == openapi.REGISTEREDMODELSTATE_ARCHIVED {
			archived++
		}
		if strings.Contains(m.Name, " ") {
			spaced++
		}
		if len(m.Name) > 63 {
			long++
		}
	}
	assert.Positive(t, archived)
	assert.Positive(t, spaced)
	assert.Positive(t, long)

	fromCatalog := 0
	for _, a := range arts.Items {
		if a.GetModelSourceKind() != "catalog" {
			continue
		}
		fromCatalog++
		name := a.GetModelSourceGroup() + "/" + a.GetModelSourceName()
		var cm CatalogModel
		c.getJSON(modelPath(a.GetModelSourceClass(), name), &cm)
		assert.NotEmpty(t, cm.Readme, name)
	}
	assert.Positive(t, fromCatalog)
	assert.Positive(t, res.CatalogModels)

	for _, is := range services.Items {
		v, ok := s.ModelVersion(is.GetModelVersionId())
		if is.ModelVersionId != nil {
			require.True(t, ok)
			assert.Equal(t, is.RegisteredModelId, v.RegisteredModelId)
		}
		_, ok = s.ServingEnvironment(is.ServingEnvironmentId)
		assert.True(t, ok)
	}

	more, err := Generate(s, 10, GenOptions{Seed: 1})
	require.NoError(t, err, "generating again adds to the data")
	assert.Equal(t, 10, more.RegisteredModels)
	assert.Zero(t, more.ServingEnvironments, "serving environments are reused")
}
