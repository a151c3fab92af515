package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnvironmentValues(t *testing.T) {
	t.Setenv("POLLING_INTERVAL", "2m")
	d, err := envPollingInterval()
	require.NoError(t, err)
	assert.Equal(t, 2*time.Minute, d)

	t.Setenv("POLLING_INTERVAL", "")
	d, err = envPollingInterval()
	require.NoError(t, err)
	assert.Equal(t, 30*time.Second, d, "the documented default")

	for _, bad := range []string{"120", "-1s", "soon"} {
		t.Setenv("POLLING_INTERVAL", bad)
		_, err = envPollingInterval()
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "POLLING_INTERVAL")
	}

	t.Setenv("LEADER_ELECT", "true")
	b, err := envBool("LEADER_ELECT", false)
	require.NoError(t, err)
	assert.True(t, b)
	t.Setenv("LEADER_ELECT", "maybe")
	_, err = envBool("LEADER_ELECT", false)
	assert.Error(t, err)
}
