package main

import (
	"bytes"
	"errors"
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	o, err := parseOptions(nil, env(nil), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, options{
		address:         ":9090",
		storageURL:      "http://localhost:7070",
		format:          record.JSONArrayFormat,
		reloadInterval:  5 * time.Minute,
		removedGrace:    2 * time.Minute,
		logLevel:        "info",
		shutdownTimeout: 20 * time.Second,
		maxBodyBytes:    4 << 20,
	}, o)
}

func TestEnvironmentSetsDefaultsAndFlagsWin(t *testing.T) {
	e := env(map[string]string{
		"LOCATION_ADDRESS":  "9191",
		"STORAGE_URL":       "http://storage:7070",
		"NORMALIZER_FORMAT": string(record.CatalogInfoYAMLFormat),
		"LOCATION_TOKEN":    "from-env",
		"RELOAD_INTERVAL":   "1m",
		"MAX_BODY_BYTES":    "1000",
		"LOG_LEVEL":         "debug",
	})
	o, err := parseOptions(nil, e, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, ":9191", o.address, "a bare port is accepted")
	assert.Equal(t, "http://storage:7070", o.storageURL)
	assert.Equal(t, record.CatalogInfoYAMLFormat, o.format)
	assert.Equal(t, "from-env", o.token)
	assert.Equal(t, time.Minute, o.reloadInterval)
	assert.EqualValues(t, 1000, o.maxBodyBytes)
	assert.Equal(t, "debug", o.logLevel)

	o, err = parseOptions([]string{"--address=127.0.0.1:9999", "--token", "from-flag", "--reload-interval=0", "--format=" + string(record.JSONArrayFormat), "--max-body-bytes=2000"}, e, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9999", o.address)
	assert.Equal(t, "from-flag", o.token)
	assert.Zero(t, o.reloadInterval)
	assert.Equal(t, record.JSONArrayFormat, o.format)
	assert.EqualValues(t, 2000, o.maxBodyBytes)
}

// A flag on the command line wins over its variable, even a variable whose
// value would not parse: it is not read at all.
func TestFlagBeatsBadVariable(t *testing.T) {
	e := env(map[string]string{"RELOAD_INTERVAL": "often", "MAX_BODY_BYTES": "lots", "SHUTDOWN_TIMEOUT": "soon", "LOCATION_ADDRESS": "nope"})
	o, err := parseOptions([]string{"--reload-interval=1m", "--max-body-bytes=10", "--shutdown-timeout=3s", "--address=9999"}, e, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, time.Minute, o.reloadInterval)
	assert.EqualValues(t, 10, o.maxBodyBytes)
	assert.Equal(t, 3*time.Second, o.shutdownTimeout)
	assert.Equal(t, ":9999", o.address)
}

// SHUTDOWN_TIMEOUT sets --shutdown-timeout (trimmed), which run hands to
// the HTTP server's drain.
func TestShutdownTimeoutVariable(t *testing.T) {
	o, err := parseOptions(nil, env(map[string]string{"SHUTDOWN_TIMEOUT": " 3s "}), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, o.shutdownTimeout)
	_, err = parseOptions(nil, env(map[string]string{"SHUTDOWN_TIMEOUT": "0s"}), &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--shutdown-timeout or SHUTDOWN_TIMEOUT")
}

func TestBadSettingsAreClearStartUpErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"unknown format":  {nil, map[string]string{"NORMALIZER_FORMAT": "Yaml"}, string(record.CatalogInfoYAMLFormat)},
		"bad env":         {nil, map[string]string{"RELOAD_INTERVAL": "often"}, "RELOAD_INTERVAL"},
		"bad env number":  {nil, map[string]string{"MAX_BODY_BYTES": "lots"}, "MAX_BODY_BYTES"},
		"negative env":    {nil, map[string]string{"REMOVED_GRACE": "-1s"}, "REMOVED_GRACE"},
		"bad address":     {[]string{"--address=nope"}, nil, "listen address"},
		"negative reload": {[]string{"--reload-interval=-1s"}, nil, "--reload-interval"},
		"zero body cap":   {[]string{"--max-body-bytes=0"}, nil, "--max-body-bytes"},
		"zero shutdown":   {[]string{"--shutdown-timeout=0s"}, nil, "--shutdown-timeout"},
		"stray argument":  {[]string{"serve"}, nil, "unexpected arguments"},
		"unknown flag":    {[]string{"--colour"}, nil, "colour"},
	} {
		_, err := parseOptions(tc.args, env(tc.env), &bytes.Buffer{})
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), tc.want, name)
	}
}

func TestHelpPrintsUsage(t *testing.T) {
	var out bytes.Buffer
	_, err := parseOptions([]string{"--help"}, env(nil), &out)
	require.True(t, errors.Is(err, flag.ErrHelp))
	for _, s := range []string{"Usage: location", "-address", "STORAGE_URL", "NORMALIZER_FORMAT", "LOCATION_TOKEN", "-reload-interval", "-shutdown-timeout", "-max-body-bytes", "-log-level"} {
		assert.Contains(t, out.String(), s)
	}
}
