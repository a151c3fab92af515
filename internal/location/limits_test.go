package location

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/realserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/rudeclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// An oversized write, sent in full before the client reads (Python's
// urllib), gets the 413 JSON error, not a connection reset, on both write
// endpoints, with and without Content-Length.
func TestOversizedWritesWrittenBeforeReadingGet413(t *testing.T) {
	ts := newTestService(t, newFakeStorage(map[string]record.Record{"m__v1": doc("m", 5)}), nil)
	ts.load(t)
	addr := realserver.Start(t, ts.h, httpserver.Limits{})
	rudeclient.AssertOversizedWritesGet413(t, addr, DefaultMaxBodyBytes,
		rudeclient.Write{Method: http.MethodPost, Target: "/upsert?key=n__v1"}, rudeclient.Write{Method: http.MethodDelete, Target: "/remove?key=m__v1"})
	assert.Equal(t, []string{"/m/v1/model-catalog.json"}, ts.list(t), "nothing changed")
	// A small body on a removal is ignored.
	status, _, body, err := rudeclient.WriteThenRead(addr, http.MethodDelete, "/remove?key=m__v1", 100, true)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, `{"removed":["m__v1"]}`, body)
}

// Slow clients are cut off by the server's timeouts.
func TestSlowClientsAreCutOff(t *testing.T) {
	ts := newTestService(t, newFakeStorage(nil), nil)
	ts.load(t)
	addr := realserver.Start(t, ts.h, httpserver.Limits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 600 * time.Millisecond})
	rudeclient.AssertSlowClientsCutOff(t, addr, "/upsert?key=m__v1")
	assert.Empty(t, ts.list(t))
}

// /healthz and /readyz answer {"status":"ok"}, as on the other binaries.
func TestProbesAnswerOK(t *testing.T) {
	ts := newTestService(t, newFakeStorage(nil), nil)
	ts.load(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		w := ts.do(http.MethodGet, p, nil)
		assert.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, `{"status":"ok"}`, w.Body.String(), p)
	}
}
