package storagerest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/storagerest"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/httpcheck"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/rudeclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// serveReal runs h on a real server (httpserver.NewServer, as the binary
// does) with the given limits and returns its address.
func serveReal(t *testing.T, h http.Handler, l httpserver.Limits) string {
	t.Helper()
	ln, err := httpserver.Bind("127.0.0.1:0", "--address")
	require.NoError(t, err)
	s := httpserver.NewServer(ln, h, httpserver.Options{Log: logr.Discard(), ShutdownTimeout: 5 * time.Second, Limits: l})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	return s.Addr()
}

// An oversized upsert or key set written in full before the client reads
// gets the 413 JSON error, not a reset, with or without Content-Length.
func TestOversizedWritesWrittenBeforeReadingGet413(t *testing.T) {
	s := newFakeStore()
	h, _ := newHandler(t, s)
	addr := serveReal(t, h, httpserver.Limits{})
	for _, req := range [][2]string{{http.MethodPost, "/upsert?key=m&type=kubeflow"}, {http.MethodPost, "/currentkeyset"}, {http.MethodDelete, "/remove?key=m"}} {
		for _, mib := range []int{8, 16, 64} {
			for _, chunked := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s %s/%dMiB/chunked=%v", req[0], req[1], mib, chunked), func(t *testing.T) {
					status, header, body, err := rudeclient.WriteThenRead(addr, req[0], req[1], mib<<20, chunked)
					require.NoError(t, err)
					assert.Equal(t, http.StatusRequestEntityTooLarge, status, body)
					assert.Equal(t, "application/json", header.Get("Content-Type"))
					var e httpserver.ErrorBody
					require.NoError(t, json.Unmarshal([]byte(body), &e), body)
					assert.Contains(t, e.Error, fmt.Sprintf("more than the %d bytes accepted", storagerest.DefaultMaxBodyBytes))
					assert.Contains(t, e.Error, "--max-body-bytes (MAX_BODY_BYTES)")
				})
			}
		}
	}
	assert.Equal(t, 0, s.writeCount(), "nothing reached the store")
}

// Slow clients are cut off by the server's timeouts.
func TestSlowClientsAreCutOff(t *testing.T) {
	h, _ := newHandler(t, newFakeStore())
	addr := serveReal(t, h, httpserver.Limits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 600 * time.Millisecond})
	c, stop := rudeclient.SlowHeaders(t, addr)
	rudeclient.AssertClosedSoon(t, c, "headers a byte at a time")
	stop()
	c, stop = rudeclient.SlowBody(t, addr, "/upsert?key=m&type=kubeflow")
	rudeclient.AssertClosedSoon(t, c, "a body a byte at a time")
	stop()
}

// blockingStore never finishes a write until its context ends.
type blockingStore struct {
	*fakeStore
	entered chan string
}

func (b *blockingStore) Upsert(ctx context.Context, _ string, _ record.Record) (string, error) {
	b.entered <- "upsert"
	<-ctx.Done()
	return "", fmt.Errorf("updating ConfigMap bac-import-model: %w", ctx.Err())
}

func (b *blockingStore) Remove(ctx context.Context, _ string) (bool, error) {
	b.entered <- "remove"
	<-ctx.Done()
	return false, fmt.Errorf("updating ConfigMap bac-import-model: %w", ctx.Err())
}

func (b *blockingStore) RemoveExcept(ctx context.Context, _ []string) ([]string, error) {
	b.entered <- "currentkeyset"
	<-ctx.Done()
	return nil, fmt.Errorf("listing: %w", ctx.Err())
}

// A store call that hangs (the API server accepts the connection and never
// answers) is given up after StoreTimeout, and the caller gets a 503 with
// Retry-After over the real server: the answer is written well before the
// server's WriteTimeout.
func TestAHangingStoreGets503BeforeTheWriteTimeout(t *testing.T) {
	s := &blockingStore{fakeStore: newFakeStore(), entered: make(chan string, 3)}
	h, reg := newHandler(t, s, func(o *storagerest.Options) { o.StoreTimeout = 200 * time.Millisecond })
	// WriteTimeout well above StoreTimeout, as in production (60 s vs 45 s).
	addr := serveReal(t, h, httpserver.Limits{WriteTimeout: 30 * time.Second})
	for _, req := range []struct{ method, target, body string }{
		{http.MethodPost, "/upsert?key=m&type=kserve", recordJSON(mnist, 1)},
		{http.MethodDelete, "/remove?key=m", ""},
		{http.MethodPost, "/currentkeyset", `["m"]`},
	} {
		r, err := http.NewRequest(req.method, "http://"+addr+req.target, strings.NewReader(req.body))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(r)
		require.NoError(t, err, req.target)
		var e httpserver.ErrorBody
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, req.target)
		assert.Equal(t, "5", resp.Header.Get("Retry-After"), req.target)
		assert.Contains(t, e.Error, "did not finish within 200ms", req.target)
		assert.Contains(t, e.Error, "retry later", req.target)
	}
	assert.Len(t, s.entered, 3, "each write reached the store")
	assert.Equal(t, 3.0, counterValue(t, reg, "rhoai_connector_storage_rest_errors_total"))
}

// A Forbidden from the API server says which verb the Role lacks.
func TestForbiddenNamesTheMissingVerb(t *testing.T) {
	for _, verb := range []string{"update", "create", "delete"} {
		s := newFakeStore()
		s.err = fmt.Errorf("storing key m: %w", apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "bac-import-model",
			fmt.Errorf(`User "system:serviceaccount:rhdh:connector" cannot %s resource "configmaps" in API group "" in the namespace "rhdh"`, verb)))
		h, reg := newHandler(t, s)
		for _, req := range [][3]string{
			{http.MethodPost, "/upsert?key=m&type=kserve", recordJSON(mnist, 1)},
			{http.MethodDelete, "/remove?key=m", ""},
		} {
			res := do(h, req[0], req[1], req[2])
			assert.Equal(t, http.StatusServiceUnavailable, res.Code, res.Body.String())
			assert.NotEmpty(t, res.Header().Get("Retry-After"))
			msg := httpcheck.ErrorMessage(t, res)
			assert.Contains(t, msg, "may not "+verb+" configmaps")
			assert.Contains(t, msg, `add the verb "`+verb+`" on configmaps`)
			assert.NotContains(t, msg, `\u0026`, "not HTML-escaped")
		}
		assert.Equal(t, 2.0, counterValue(t, reg, "rhoai_connector_storage_rest_errors_total"))
	}
}

// Removing an absent key answers the same shape as removing a present one,
// {"removed": [...]}, as location does.
func TestRemoveAnswersTheRemovedKeys(t *testing.T) {
	s := newFakeStore()
	s.recs["m"] = record.Record{Body: []byte("{}")}
	h, _ := newHandler(t, s)
	res := do(h, http.MethodDelete, "/remove?key=m", "")
	assert.Equal(t, http.StatusOK, res.Code)
	assert.JSONEq(t, `{"removed":["m"]}`, res.Body.String())
	res = do(h, http.MethodDelete, "/remove?key=m", "")
	assert.Equal(t, http.StatusOK, res.Code)
	assert.JSONEq(t, `{"removed":[]}`, res.Body.String())
}

// /healthz and /readyz answer {"status":"ok"}, as on the other binaries.
func TestProbesAnswerOK(t *testing.T) {
	h, _ := newHandler(t, newFakeStore())
	for _, p := range []string{"/healthz", "/readyz"} {
		res := do(h, http.MethodGet, p, "")
		assert.Equal(t, http.StatusOK, res.Code)
		assert.Equal(t, `{"status":"ok"}`, res.Body.String(), p)
	}
}
