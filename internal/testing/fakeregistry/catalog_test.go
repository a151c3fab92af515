package fakeregistry

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

func modelPath(source, name string) string {
	return CatalogBasePath + "/sources/" + source + "/models/" + name
}

func TestCatalogFromTestdata(t *testing.T) {
	s, c := newTestServer(t, Options{})
	require.NoError(t, s.LoadCatalogYAML(filepath.Join("testdata", "catalog")))

	var sl listResponse[CatalogSource]
	c.getJSON(CatalogBasePath+"/sources", &sl)
	require.Len(t, sl.Items, 3)
	byID := map[string]CatalogSource{}
	for _, src := range sl.Items {
		byID[src.ID] = src
	}
	assert.Equal(t, CatalogSourceAvailable, byID["test_models"].Status)
	assert.Equal(t, []string{"Test"}, byID["test_models"].Labels)
	assert.NotNil(t, byID["filtered_models"].Labels, "labels is required: [] not null")
	assert.Equal(t, "error", byID["hf"].Status, "non-yaml sources are listed but serve nothing")
	require.NotNil(t, byID["hf"].Error)

	// model names with "/" work raw and escaped
	for _, p := range []string{
		modelPath("test_models", "ibm-granite/granite-3.1-8b-instruct"),
		modelPath("test_models", url.PathEscape("ibm-granite/granite-3.1-8b-instruct")),
	} {
		var m CatalogModel
		c.getJSON(p, &m)
		assert.Equal(t, "ibm-granite/granite-3.1-8b-instruct", m.Name, p)
		assert.Equal(t, "test_models", m.SourceID)
		assert.True(t, strings.HasPrefix(m.Readme, "# Granite 3.1 8B Instruct"), m.Readme)
		assert.Equal(t, "1728086400000", m.CreateTimeSinceEpoch)
		assert.Equal(t, "8", m.CustomProperties["size"].MetadataIntValue.IntValue)
		assert.NotEmpty(t, m.ID)
	}
	var m CatalogModel
	c.getJSON(modelPath("test_models", "standalone-model"), &m)
	assert.Equal(t, "# Standalone", m.Readme)

	for _, p := range []string{
		modelPath("test_models", "ibm-granite/nope"),
		modelPath("nope", "standalone-model"),
		modelPath("filtered_models", "standalone-model"),                // not included
		modelPath("filtered_models", "ibm-granite/granite-3.1-8b-base"), // excluded
		modelPath("test_models", ""),
	} {
		code, b := c.do(http.MethodGet, p, nil)
		assert.Equal(t, http.StatusNotFound, code, "%s: %s", p, b)
		errorBody(t, b)
	}
	c.getJSON(modelPath("filtered_models", "ibm-granite/granite-3.1-8b-instruct"), &m)

	var ml listResponse[CatalogModel]
	c.getJSON(CatalogBasePath+"/models?source=filtered_models", &ml)
	assert.Equal(t, []string{"ibm-granite/granite-3.1-8b-instruct"}, catalogNames(ml.Items))
	c.getJSON(CatalogBasePath+"/models?source=test_models", &ml)
	assert.Equal(t, []string{"ibm-granite/granite-3.1-8b-base", "ibm-granite/granite-3.1-8b-instruct", "standalone-model"}, catalogNames(ml.Items), "ordered by NAME by default")
	c.getJSON(CatalogBasePath+"/models?source=test_models&q=ORGANISATION", &ml)
	assert.Equal(t, []string{"standalone-model"}, catalogNames(ml.Items))
	c.getJSON(CatalogBasePath+"/models?source=test_models&filterQuery="+url.QueryEscape("model_type = 'generative'"), &ml)
	assert.Equal(t, []string{"ibm-granite/granite-3.1-8b-instruct"}, catalogNames(ml.Items))
	c.getJSON(CatalogBasePath+"/models?sourceLabel=Test&pageSize=2", &ml)
	assert.Len(t, ml.Items, 2)
	assert.NotEmpty(t, ml.NextPageToken)

	// disabling a source hides its models
	_, err := s.UpdateCatalogSource("test_models", func(src *CatalogSource) { src.Enabled = ptr(false) })
	require.NoError(t, err)
	code, _ := c.do(http.MethodGet, modelPath("test_models", "standalone-model"), nil)
	assert.Equal(t, http.StatusNotFound, code)
	c.getJSON(CatalogBasePath+"/sources?name=test", &sl)
	require.Len(t, sl.Items, 1)
	assert.Equal(t, CatalogSourceDisabled, sl.Items[0].Status)

	assert.ErrorIs(t, s.LoadCatalogYAML(filepath.Join("testdata", "catalog")), ErrConflict, "loading the same sources twice")
}

func TestCatalogFromSharedSpecSamples(t *testing.T) {
	dir := testenv.SpecsDir(t, upstreamSpecs...)
	s, c := newTestServer(t, Options{})
	require.NoError(t, s.LoadCatalogYAML(dir))
	var sl listResponse[CatalogSource]
	c.getJSON(CatalogBasePath+"/sources", &sl)
	assert.Len(t, sl.Items, 3)
	var m CatalogModel
	c.getJSON(modelPath("validated_ai_models", "certified/production-llm-8b"), &m)
	assert.Contains(t, m.Readme, "#")
	assert.Equal(t, "validated_ai_models", m.SourceID)
	var ml listResponse[CatalogModel]
	c.getJSON(CatalogBasePath+"/models?source=community_custom_models,organization_ai_models&pageSize=100", &ml)
	assert.Len(t, ml.Items, 11)
}

func TestLoadCatalogYAMLErrors(t *testing.T) {
	write := func(t *testing.T, files map[string]string) string {
		dir := t.TempDir()
		for name, content := range files {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600))
		}
		return dir
	}
	src := "catalogs:\n  - name: S\n    id: s\n    type: yaml\n    properties:\n      yamlCatalogPath: m.yaml\n"
	for name, files := range map[string]map[string]string{
		"no sources file":  {"m.yaml": "models: []\n"},
		"missing models":   {"sources.yaml": src},
		"bad yaml":         {"sources.yaml": src, "m.yaml": "models: [\n"},
		"model w/o name":   {"sources.yaml": src, "m.yaml": "models:\n  - provider: x\n"},
		"duplicate model":  {"sources.yaml": src, "m.yaml": "models:\n  - name: a\n  - name: a\n"},
		"source w/o id":    {"sources.yaml": "catalogs:\n  - name: S\n"},
		"duplicate source": {"a-sources.yaml": src, "b-sources.yaml": src, "m.yaml": "models: []\n"},
		"bad metadata":     {"sources.yaml": src, "m.yaml": "models:\n  - name: a\n    customProperties:\n      k:\n        string_value: x\n"},
	} {
		t.Run(name, func(t *testing.T) {
			s := New(Options{})
			err := s.LoadCatalogYAML(write(t, files))
			require.Error(t, err)
			_, ok := s.CatalogModel("s", "a")
			assert.False(t, ok, "nothing is loaded on error")
		})
	}
}

func catalogNames(ms []CatalogModel) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}
