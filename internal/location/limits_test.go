package location

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/rudeclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// serveReal runs the service's router on a real server, as the binary
// does, with the given limits.
func serveReal(t *testing.T, ts *testService, l httpserver.Limits) string {
	t.Helper()
	ln, err := httpserver.Bind("127.0.0.1:0", "--address")
	require.NoError(t, err)
	s := httpserver.NewServer(ln, ts.h, httpserver.Options{Log: logr.Discard(), ShutdownTimeout: 5 * time.Second, Limits: l})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	return s.Addr()
}

// An oversized write, sent in full before the client reads (Python's
// urllib), gets the 413 JSON error, not a connection reset, on both write
// endpoints, with and without Content-Length.
func TestOversizedWritesWrittenBeforeReadingGet413(t *testing.T) {
	ts := newTestService(t, newFakeStorage(map[string]record.Record{"m__v1": doc("m", 5)}), nil)
	ts.load(t)
	addr := serveReal(t, ts, httpserver.Limits{})
	for _, req := range [][2]string{{http.MethodPost, "/upsert?key=n__v1"}, {http.MethodDelete, "/remove?key=m__v1"}} {
		for _, mib := range []int{8, 16, 64} {
			for _, chunked := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%dMiB/chunked=%v", req[0], mib, chunked), func(t *testing.T) {
					status, header, body, err := rudeclient.WriteThenRead(addr, req[0], req[1], mib<<20, chunked)
					require.NoError(t, err)
					assert.Equal(t, http.StatusRequestEntityTooLarge, status, body)
					assert.Equal(t, "application/json", header.Get("Content-Type"))
					var e httpserver.ErrorBody
					require.NoError(t, json.Unmarshal([]byte(body), &e), body)
					assert.Contains(t, e.Error, fmt.Sprintf("more than the %d bytes accepted", DefaultMaxBodyBytes))
					assert.Contains(t, e.Error, "--max-body-bytes (MAX_BODY_BYTES)")
				})
			}
		}
	}
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
	addr := serveReal(t, ts, httpserver.Limits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 600 * time.Millisecond})
	c, stop := rudeclient.SlowHeaders(t, addr)
	rudeclient.AssertClosedSoon(t, c, "headers a byte at a time")
	stop()
	c, stop = rudeclient.SlowBody(t, addr, "/upsert?key=m__v1")
	rudeclient.AssertClosedSoon(t, c, "a body a byte at a time")
	stop()
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
