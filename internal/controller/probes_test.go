package controller

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
)

// The probes keep the contract of the three binaries: JSON, {"status":"ok"}
// or 503 {"error":"not ready: ..."}.
func TestProbesAnswerJSON(t *testing.T) {
	p := newProbes()
	require.NoError(t, p.AddHealthzCheck("ping", healthz.Ping))
	require.Error(t, p.AddHealthzCheck("ping", healthz.Ping), "a name is added once")
	failing := errors.New("the first sync has not completed yet")
	ok := true
	require.NoError(t, p.AddReadyzCheck("b-sync", func(*http.Request) error {
		if ok {
			return nil
		}
		return failing
	}))
	require.NoError(t, p.AddReadyzCheck("a-ping", healthz.Ping))

	get := func(h http.Handler) (int, string, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", http.NoBody))
		return w.Code, w.Header().Get("Content-Type"), w.Body.String()
	}
	code, ct, body := get(checksHandler(p.healthz))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "application/json", ct)
	assert.JSONEq(t, `{"status":"ok"}`, body)

	ready := checksHandler(p.readyz)
	code, _, body = get(ready)
	assert.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"status":"ok"}`, body)
	ok = false
	code, ct, body = get(ready)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "application/json", ct)
	assert.JSONEq(t, `{"error":"not ready: the first sync has not completed yet"}`, body)
}
