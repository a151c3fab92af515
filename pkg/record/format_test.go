package record

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{
		"": JSONArrayFormat, "  ": JSONArrayFormat,
		"JsonArrayFormat": JSONArrayFormat, " jsonarrayformat ": JSONArrayFormat, "JSONARRAYFORMAT": JSONArrayFormat,
		"CatalogInfoYamlFormat": CatalogInfoYAMLFormat, " CatalogInfoYamlFormat\n": CatalogInfoYAMLFormat, "catalogInfoYAMLFormat": CatalogInfoYAMLFormat,
	} {
		got, err := ParseFormat(in)
		require.NoError(t, err, "%q", in)
		assert.Equal(t, want, got, "%q", in)
	}
	for _, in := range []string{"yaml", "json", "Yaml", "xml", "JsonArray", "Json ArrayFormat"} {
		_, err := ParseFormat(in)
		require.Error(t, err, in)
		assert.ErrorContains(t, err, "NORMALIZER_FORMAT")
		assert.ErrorContains(t, err, "JsonArrayFormat")
		assert.ErrorContains(t, err, "CatalogInfoYamlFormat")
		assert.ErrorContains(t, err, in)
	}
}

// The documented spellings, file names and media types: the contract with
// the deployment manifests, RHDH's plugin and every sidecar.
func TestFormatContract(t *testing.T) {
	assert.Equal(t, "JsonArrayFormat", string(JSONArrayFormat))
	assert.Equal(t, "CatalogInfoYamlFormat", string(CatalogInfoYAMLFormat))
	assert.Equal(t, "model-catalog.json", JSONArrayFormat.File())
	assert.Equal(t, "catalog-info.yaml", CatalogInfoYAMLFormat.File())
	assert.Equal(t, "application/json", JSONArrayFormat.MediaType())
	assert.Equal(t, "application/yaml", CatalogInfoYAMLFormat.MediaType())
	assert.Equal(t, FileJSON, Format("").File(), "the zero value is the default format")
	assert.Equal(t, MediaTypeJSON, Format("").MediaType())
	for _, f := range []Format{JSONArrayFormat, CatalogInfoYAMLFormat} {
		back, err := ParseFormat(string(f))
		require.NoError(t, err)
		assert.Equal(t, f, back)
		uri, err := URI("mnist__v1", f.File())
		require.NoError(t, err)
		_, file, err := KeyFromURI(uri)
		require.NoError(t, err)
		assert.Equal(t, f.File(), file)
	}
}
