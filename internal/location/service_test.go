package location

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

func TestNewValidatesItsConfig(t *testing.T) {
	_, err := New(Config{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Storage")

	_, err = New(Config{Storage: staticSource{}, Format: "Yaml"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), string(record.CatalogInfoYAMLFormat))

	// Any spelling record.ParseFormat accepts is served as the documented one.
	s, err := New(Config{Storage: staticSource{}, Format: " catalogInfoYAMLformat "})
	require.NoError(t, err)
	assert.Equal(t, record.CatalogInfoYAMLFormat, s.ix.Snapshot().Format())

	s, err = New(Config{Storage: staticSource{}})
	require.NoError(t, err)
	assert.Equal(t, record.JSONArrayFormat, s.ix.Snapshot().Format())
	assert.Equal(t, DefaultReloadInterval, s.ld.interval)
	assert.Equal(t, Backoff{Initial: DefaultRetryInitial, Max: DefaultRetryMax}, s.ld.backoff)
	assert.EqualValues(t, DefaultMaxBodyBytes, s.maxBody)
}
