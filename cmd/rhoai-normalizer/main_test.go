package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/controller"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	o, err := parseOptions(nil, env(nil), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, ":8081", o.metricsAddr)
	assert.Equal(t, 30*time.Second, o.polling, "the documented default")
	assert.Equal(t, 20*time.Second, o.shutdown)
	assert.False(t, o.leaderElect)
	assert.Equal(t, "info", o.logLevel)
	assert.Equal(t, record.JSONArrayFormat, o.fmtv)
}

func TestEnvironmentValues(t *testing.T) {
	o, err := parseOptions(nil, env(map[string]string{"POLLING_INTERVAL": "2m", "LEADER_ELECT": "true", "SHUTDOWN_TIMEOUT": " 7s ",
		"METRICS_ADDRESS": "9999", "NORMALIZER_FORMAT": string(record.CatalogInfoYAMLFormat)}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 2*time.Minute, o.polling)
	assert.True(t, o.leaderElect)
	assert.Equal(t, 7*time.Second, o.shutdown)
	assert.Equal(t, "9999", o.metricsAddr)
	assert.Equal(t, record.CatalogInfoYAMLFormat, o.fmtv)

	for _, bad := range []string{"120", "-1s", "0s", "soon"} {
		_, err = parseOptions(nil, env(map[string]string{"POLLING_INTERVAL": bad}), io.Discard)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "POLLING_INTERVAL")
	}
	_, err = parseOptions(nil, env(map[string]string{"LEADER_ELECT": "maybe"}), io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `LEADER_ELECT="maybe"`)
}

// The flag wins over its variable, which is then not read: a bad value in
// it is no error.
func TestFlagBeatsBadVariable(t *testing.T) {
	o, err := parseOptions([]string{"--polling-interval=1m", "--leader-elect", "--shutdown-timeout=3s"},
		env(map[string]string{"POLLING_INTERVAL": "soon", "LEADER_ELECT": "maybe", "SHUTDOWN_TIMEOUT": "later"}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, time.Minute, o.polling)
	assert.True(t, o.leaderElect)
	assert.Equal(t, 3*time.Second, o.shutdown)
}

// run's flag and variable errors come before anything starts (no port
// bound, no cluster read): each names what to fix.
func TestRunFlagAndVariableErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"bad polling variable":   {nil, map[string]string{"POLLING_INTERVAL": "soon"}, `POLLING_INTERVAL="soon"`},
		"zero polling flag":      {[]string{"--polling-interval=0s"}, nil, "--polling-interval or POLLING_INTERVAL"},
		"bad shutdown variable":  {nil, map[string]string{"SHUTDOWN_TIMEOUT": "soon"}, `SHUTDOWN_TIMEOUT="soon"`},
		"zero shutdown variable": {nil, map[string]string{"SHUTDOWN_TIMEOUT": "0s"}, "--shutdown-timeout or SHUTDOWN_TIMEOUT"},
		"bad leader variable":    {nil, map[string]string{"LEADER_ELECT": "yes please"}, "LEADER_ELECT"},
		"bad format":             {nil, map[string]string{"NORMALIZER_FORMAT": "xml"}, "xml"},
		"bad flag value":         {[]string{"--registry-page-size=many"}, nil, "registry-page-size"},
		"unknown flag":           {[]string{"--colour"}, nil, "colour"},
		"stray argument":         {[]string{"serve"}, nil, "unexpected arguments"},
	} {
		called := false
		runNormalizer = func(context.Context, controller.Config) error { called = true; return nil }
		err := run(context.Background(), append([]string{"--metrics-address=0"}, tc.args...), env(tc.env), io.Discard, io.Discard)
		runNormalizer = controller.Run
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), tc.want, name)
		assert.False(t, called, name)
	}
}

func TestHelpNamesTheVariables(t *testing.T) {
	var out bytes.Buffer
	_, err := parseOptions([]string{"--help"}, env(nil), &out)
	require.True(t, errors.Is(err, flag.ErrHelp))
	for _, s := range []string{"Usage: rhoai-normalizer", "(env METRICS_ADDRESS)", "(env POLLING_INTERVAL)", "(env SHUTDOWN_TIMEOUT)",
		"(env LEADER_ELECT)", "(env RHOAI_DASHBOARD_URL)", "-debounce duration"} {
		assert.Contains(t, out.String(), s)
	}
	assert.NoError(t, run(context.Background(), []string{"--help"}, env(nil), io.Discard, io.Discard), "--help exits 0")
}

// run hands the normalizer what the flags and variables say, read through
// getenv only: SHUTDOWN_TIMEOUT becomes the manager's graceful shutdown.
func TestRunWiresTheSettings(t *testing.T) {
	var got controller.Config
	runNormalizer = func(_ context.Context, cfg controller.Config) error { got = cfg; return nil }
	defer func() { runNormalizer = controller.Run }()
	err := run(context.Background(), []string{"--metrics-address=0", "--kubeconfig=" + testenv.UnreachableKubeconfig(t), "--leader-elect=false", "--log-level=error"},
		env(map[string]string{
			"SHUTDOWN_TIMEOUT": "3s", "POLLING_INTERVAL": "45s", "LEADER_ELECT": "true", "STORAGE_URL": " http://storage:7070 ",
			"MODEL_REGISTRY_URL": "http://registry:8080", "KFMR_TOKEN": "t", "RHOAI_DASHBOARD_URL": "https://dash.example.com",
		}), io.Discard, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, got.GracefulShutdownDelay)
	assert.Equal(t, 45*time.Second, got.PollingInterval)
	assert.False(t, got.LeaderElection, "the flag wins")
	assert.Equal(t, "http://storage:7070", got.StorageURL, "trimmed")
	assert.Equal(t, "t", got.RegistryToken)
	assert.Equal(t, "https://dash.example.com", got.DashboardURL)
	assert.Equal(t, []string{"http://registry:8080"}, got.Discovery.RegistryURLs)
	assert.Nil(t, got.MetricsListener, "--metrics-address=0 serves nothing")
}
