package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/storageclient"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestHelpPrintsUsageWithVariables(t *testing.T) {
	var out bytes.Buffer
	_, err := parseConfig([]string{"--help"}, envOf(nil), &out)
	require.ErrorIs(t, err, flag.ErrHelp)
	for _, s := range []string{"-address", "STORAGE_TOKEN", "STORAGE_TYPE", "BRIDGE_URL", "POD_NAMESPACE", "-configmap-name", "127.0.0.1:7070"} {
		assert.Contains(t, out.String(), s)
	}
}

func TestDefaults(t *testing.T) {
	c, err := parseConfig(nil, envOf(nil), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:7070", c.address)
	assert.Equal(t, "http://localhost:9090", c.bridgeURL)
	assert.Equal(t, "bac-import-model", c.configMapName)
	assert.Equal(t, record.FileJSON, c.documentFile)
	assert.Equal(t, int64(4<<20), c.maxBodyBytes)
	assert.Equal(t, 20*time.Second, c.shutdownTimeout)
}

func TestVariablesAreDefaultsAndFlagsWin(t *testing.T) {
	env := envOf(map[string]string{
		"STORAGE_TYPE": "ConfigMap", "BRIDGE_URL": "http://127.0.0.1:9191", "POD_NAMESPACE": "rhdh",
		"SHUTDOWN_TIMEOUT": "3s", "MAX_BODY_BYTES": "1000", "NORMALIZER_FORMAT": string(record.CatalogInfoYAMLFormat),
		"STORAGE_ADDRESS": "127.0.0.1:7777",
	})
	c, err := parseConfig([]string{"--max-body-bytes", "2000", "--address", "7071", "--token", "t"}, env, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9191", c.bridgeURL)
	assert.Equal(t, "rhdh", c.namespace)
	assert.Equal(t, 3*time.Second, c.shutdownTimeout)
	assert.Equal(t, int64(2000), c.maxBodyBytes, "the flag wins")
	assert.Equal(t, ":7071", c.address, "a bare port is accepted")
	assert.Equal(t, record.FileYAML, c.documentFile)

	// NORMALIZER_FORMAT is read by record.ParseFormat, as in the other two
	// binaries: case and surrounding spaces do not matter.
	c, err = parseConfig(nil, envOf(map[string]string{"NORMALIZER_FORMAT": " catalogInfoYAMLformat "}), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, record.FileYAML, c.documentFile)
}

// A flag on the command line wins over its variable, even one that would
// not parse; SHUTDOWN_TIMEOUT is trimmed like every variable.
func TestFlagBeatsBadVariable(t *testing.T) {
	env := envOf(map[string]string{"SHUTDOWN_TIMEOUT": "soon", "MAX_BODY_BYTES": "lots", "INSECURE_SKIP_TLS_VERIFY": "maybe"})
	c, err := parseConfig([]string{"--shutdown-timeout=4s", "--max-body-bytes=10", "--insecure-skip-tls-verify=false"}, env, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, 4*time.Second, c.shutdownTimeout)
	assert.Equal(t, int64(10), c.maxBodyBytes)
	assert.False(t, c.insecure)

	c, err = parseConfig(nil, envOf(map[string]string{"SHUTDOWN_TIMEOUT": " 5s\n"}), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, c.shutdownTimeout)
}

func TestStartUpErrors(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		says string
	}{
		{nil, map[string]string{"STORAGE_TYPE": "Redis"}, "only ConfigMap"},
		{[]string{"--address", "0.0.0.0:7070"}, nil, "without a token"},
		{[]string{"--address", "7070"}, nil, "without a token"},
		{nil, map[string]string{"STORAGE_ADDRESS": ":7070"}, "STORAGE_TOKEN"},
		{[]string{"--address", "nope"}, nil, "listen address"},
		{nil, map[string]string{"BRIDGE_URL": "localhost:9090"}, "BRIDGE_URL"},
		{nil, map[string]string{"SHUTDOWN_TIMEOUT": "soon"}, "SHUTDOWN_TIMEOUT"},
		{nil, map[string]string{"NORMALIZER_FORMAT": "xml"}, "NORMALIZER_FORMAT"},
		{[]string{"--configmap-name", "Bad_Name"}, nil, "configmap-name"},
		{[]string{"--max-body-bytes", "0"}, nil, "positive"},
		{[]string{"extra"}, nil, "unexpected arguments"},
	}
	for _, c := range cases {
		_, err := parseConfig(c.args, envOf(c.env), &bytes.Buffer{})
		require.Error(t, err, "%v %v", c.args, c.env)
		assert.Contains(t, err.Error(), c.says)
	}
	_, err := parseConfig([]string{"--address", "0.0.0.0:7070"}, envOf(map[string]string{"STORAGE_TOKEN": "s"}), &bytes.Buffer{})
	assert.NoError(t, err, "with a token any address is fine")
}

// TestRunServesAndShutsDown starts the binary's wiring against a real API
// server, stores a record through the API, sees it forwarded to location,
// and stops it as SIGTERM would.
func TestRunServesAndShutsDown(t *testing.T) {
	kubeconfig, cfg := testenv.StartAdminAPIServer(t)

	var mu sync.Mutex
	forwarded := map[string]bool{}
	loc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		forwarded[r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery] = true
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{}"))
	}))
	defer loc.Close()

	addr := testenv.FreeAddr(t)
	stop := testenv.RunInBackground(t, 30*time.Second, func(ctx context.Context) error {
		return run(ctx, []string{"--address", addr, "--kubeconfig", kubeconfig, "--log-level", "error"},
			envOf(map[string]string{"POD_NAMESPACE": "default", "BRIDGE_URL": loc.URL, "STORAGE_TYPE": "ConfigMap"}), &bytes.Buffer{}, &bytes.Buffer{})
	})
	base := "http://" + addr
	testenv.WaitOK(t, base+"/readyz", 30*time.Second)

	ctx := context.Background()
	c := storageclient.New(base)
	res, err := c.Upsert(ctx, "mnist__v1", record.TypeKServe, &record.Record{Body: []byte(`{"models":[]}`), LastUpdateTimeSinceEpoch: 1})
	require.NoError(t, err)
	assert.Equal(t, record.UpsertCreated, res.Status)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return forwarded["POST /upsert?key=mnist__v1"]
	}, 10*time.Second, 10*time.Millisecond, "the change reaches location")

	cs, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	cm, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "bac-import-model", metav1.GetOptions{})
	require.NoError(t, err)
	var stored record.Record
	require.NoError(t, json.Unmarshal(cm.BinaryData["mnist__v1"], &stored))
	assert.Equal(t, "/mnist/v1/model-catalog.json", stored.LocationTarget)

	metrics := testenv.GetBody(t, base+"/metrics")
	for _, m := range []string{"rhoai_connector_storage_rest_store_records 1", "rhoai_connector_storage_rest_configmap_api_calls_total",
		"rhoai_connector_storage_rest_forwarded_total", "rhoai_connector_storage_rest_http_requests_total"} {
		assert.Contains(t, metrics, m)
	}

	require.NoError(t, stop())
	resp, err := http.Get(base + "/healthz")
	if err == nil {
		_ = resp.Body.Close()
	}
	assert.Error(t, err, "the port is closed after shutdown")
}
