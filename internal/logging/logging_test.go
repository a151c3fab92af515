package logging

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLevels(t *testing.T) {
	for _, lvl := range []string{"debug", "info", "warn", "error"} {
		log, flush, err := New(lvl)
		require.NoError(t, err, lvl)
		assert.Equal(t, lvl == "debug", log.V(1).Enabled(), "V(1) is debug")
		flush()
	}
	_, _, err := New("verbose")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "use debug, info, warn or error")
}
