package main

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckDashboardURL(t *testing.T) {
	for _, ok := range []string{"", " ", "https://rhods-dashboard-redhat-ods-applications.apps.example.com", "http://localhost:4010/"} {
		assert.NoError(t, checkDashboardURL(ok), ok)
	}
	for _, bad := range []string{"rhods-dashboard.apps.example.com", "ftp://x", "https://", "https://x/?a=1", "https://x/#top"} {
		assert.Error(t, checkDashboardURL(bad), bad)
	}
}

// A bad dashboard URL stops the start with a message naming the flag and
// the variable; the flag wins over the variable.
func TestDashboardURLFlagAndVariable(t *testing.T) {
	err := run(context.Background(), []string{"--metrics-address", "0"}, env(map[string]string{"RHOAI_DASHBOARD_URL": "not a url"}), io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `RHOAI_DASHBOARD_URL="not a url"`)

	err = run(context.Background(), []string{"--metrics-address", "0", "--dashboard-url", "dashboard.example.com"},
		env(map[string]string{"RHOAI_DASHBOARD_URL": "https://dashboard.example.com"}), io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"dashboard.example.com"`)
}
