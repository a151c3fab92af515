package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// The test binary doubles as the location binary when re-executed, so the
// process tests need no separate build.
var self = testenv.Self{Name: "location", Env: "LOCATION_TEST_RUN_MAIN"}

func TestMain(m *testing.M) {
	self.RunMainIfAsked(main)
	os.Exit(m.Run())
}

// The binary as deployed: it starts, loads from storage-rest, serves, and
// exits 0 with a final log line on SIGTERM.
func TestBinaryServesAndStopsOnSIGTERM(t *testing.T) {
	body, err := json.Marshal(record.RecordSet{Records: map[string]record.Record{
		"mnist__v1": {Body: []byte(`{"models":[{"name":"mnist","owner":"o","lifecycle":"development","description":"d"}]}`), LastUpdateTimeSinceEpoch: 1},
	}})
	require.NoError(t, err)
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		httpserver.WriteRawJSON(w, http.StatusOK, body)
	}))
	defer storage.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	var logs bytes.Buffer
	cmd := self.Command([]string{"STORAGE_URL=" + storage.URL, "LOG_LEVEL=info"}, "--address="+addr)
	cmd.Stderr = &logs
	cmd.Stdout = &logs
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	}()

	base := "http://" + addr
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 20*time.Second, 10*time.Millisecond, "location did not become ready; logs:\n%s", &logs)

	resp, err := http.Get(base + "/list")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, `{"uris":["/mnist/v1/model-catalog.json"]}`, string(b))

	resp, err = http.Get(base + "/metrics")
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Contains(t, string(b), "rhoai_connector_location_records 1")
	assert.Contains(t, string(b), `rhoai_connector_location_loads_total{outcome="success"} 1`)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err, "exit status after SIGTERM; logs:\n%s", &logs)
	case <-time.After(20 * time.Second):
		t.Fatalf("location did not stop after SIGTERM; logs:\n%s", &logs)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &entry), "every log line is JSON: %s", line)
	}
	assert.Contains(t, logs.String(), `"location stopped"`)
	assert.Regexp(t, `"msg":"starting location","version":"dev","commit":"unknown","goVersion":"go[^"]+"`, logs.String(), "the start-up line names the build")
	assert.Contains(t, logs.String(), `loaded records from storage-rest`)
}
