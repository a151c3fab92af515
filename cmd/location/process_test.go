package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
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

	addr := testenv.FreeAddr(t)
	p := self.Start(t, []string{"STORAGE_URL=" + storage.URL, "LOG_LEVEL=info"}, "--address="+addr)
	base := "http://" + addr
	testenv.WaitOK(t, base+"/readyz", 20*time.Second)

	assert.Equal(t, `{"uris":["/mnist/v1/model-catalog.json"]}`, testenv.GetBody(t, base+"/list"))
	metrics := testenv.GetBody(t, base+"/metrics")
	assert.Contains(t, metrics, "rhoai_connector_location_records 1")
	assert.Contains(t, metrics, `rhoai_connector_location_loads_total{outcome="success"} 1`)

	require.NoError(t, p.Terminate(t, 20*time.Second), "exit status after SIGTERM; logs:\n%s", p.Output())
	logs := p.Output()
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var entry map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &entry), "every log line is JSON: %s", line)
	}
	assert.Contains(t, logs, `"location stopped"`)
	assert.Regexp(t, `"msg":"starting location","version":"dev","commit":"unknown","goVersion":"go[^"]+"`, logs, "the start-up line names the build")
	assert.Contains(t, logs, `loaded records from storage-rest`)
}
