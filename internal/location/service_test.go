package location

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewValidatesItsConfig(t *testing.T) {
	_, err := New(Config{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Storage")

	_, err = New(Config{Storage: staticSource{}, Format: "Yaml"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CatalogInfoYamlFormat")

	s, err := New(Config{Storage: staticSource{}})
	require.NoError(t, err)
	assert.Equal(t, DefaultReloadInterval, s.ld.interval)
	assert.Equal(t, Backoff{Initial: DefaultRetryInitial, Max: DefaultRetryMax}, s.ld.backoff)
	assert.EqualValues(t, DefaultMaxBodyBytes, s.maxBody)
}
