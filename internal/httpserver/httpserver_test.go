package httpserver

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListenAddress(t *testing.T) {
	for in, want := range map[string]string{"9191": ":9191", ":9090": ":9090", "127.0.0.1:7070": "127.0.0.1:7070", "[::1]:80": "[::1]:80"} {
		got, err := ListenAddress(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
	}
	for _, in := range []string{"", "99999", "host", "a:b", "1.2.3.4:70000"} {
		_, err := ListenAddress(in)
		assert.Error(t, err, in)
	}
	assert.True(t, IsLoopbackAddress("127.0.0.1:7070"))
	assert.True(t, IsLoopbackAddress("localhost:7070"))
	assert.True(t, IsLoopbackAddress("[::1]:7070"))
	assert.False(t, IsLoopbackAddress(":7070"))
	assert.False(t, IsLoopbackAddress("0.0.0.0:7070"))
	assert.False(t, IsLoopbackAddress("10.0.0.1:7070"))
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
}

func TestLocalOrToken(t *testing.T) {
	cases := []struct {
		name, remote, token, auth string
		want                      int
	}{
		{"loopback v4", "127.0.0.1:5555", "", "", http.StatusNoContent},
		{"loopback v6", "[::1]:5555", "", "", http.StatusNoContent},
		{"remote no token configured", "10.1.2.3:5555", "", "", http.StatusForbidden},
		{"remote with forged forwarding still refused", "10.1.2.3:5555", "", "", http.StatusForbidden},
		{"remote right token", "10.1.2.3:5555", "s3cret", "Bearer s3cret", http.StatusNoContent},
		{"remote lower-case scheme", "10.1.2.3:5555", "s3cret", "bearer s3cret", http.StatusNoContent},
		{"remote wrong token", "10.1.2.3:5555", "s3cret", "Bearer nope", http.StatusUnauthorized},
		{"remote no header", "10.1.2.3:5555", "s3cret", "", http.StatusUnauthorized},
		{"remote basic auth", "10.1.2.3:5555", "s3cret", "Basic s3cret", http.StatusUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/upsert?key=a", nil)
			r.RemoteAddr = c.remote
			r.Header.Set("X-Forwarded-For", "127.0.0.1")
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			w := httptest.NewRecorder()
			LocalOrToken(c.token)(okHandler()).ServeHTTP(w, r)
			assert.Equal(t, c.want, w.Code)
			if w.Code >= 400 {
				assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
				assert.Contains(t, w.Body.String(), `"error"`)
				if c.token != "" {
					assert.NotContains(t, w.Body.String(), c.token, "the token must never be echoed")
				}
			}
		})
	}
}

func TestLimitBody(t *testing.T) {
	h := LimitBody(10)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		if IsTooLarge(err) {
			WriteError(w, http.StatusRequestEntityTooLarge, "too large")
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("0123456789abc")))
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	w = httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("0123456789abc"))
	r.ContentLength = -1 // chunked: only the reader can tell
	h.ServeHTTP(w, r)
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("small")))
	assert.Equal(t, http.StatusOK, w.Code)
}

func TestRouterProbesMetricsAndRequestID(t *testing.T) {
	ready := false
	reg := NewRegistry()
	r := NewRouter(RouterOptions{Service: "test", Log: logr.Discard(), Registry: reg, Ready: func() error {
		if !ready {
			return assert.AnError
		}
		return nil
	}})
	r.Get("/thing/{id}", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"id": RequestID(r.Context())})
	})
	r.Get("/boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	srv := httptest.NewServer(r)
	defer srv.Close()

	get := func(path string, hdr ...string) (int, http.Header, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode, resp.Header, string(b)
	}
	code, _, body := get("/healthz")
	assert.Equal(t, 200, code)
	assert.Equal(t, `{"status":"ok"}`, body, "the same answer on all three binaries")
	code, _, body = get("/readyz")
	assert.Equal(t, 503, code)
	assert.Contains(t, body, "not ready")
	ready = true
	code, _, body = get("/readyz")
	assert.Equal(t, 200, code)
	assert.Equal(t, `{"status":"ok"}`, body, "the same answer on all three binaries")

	_, header, body := get("/thing/1", RequestIDHeader, "abc123")
	assert.Equal(t, "abc123", header.Get(RequestIDHeader))
	assert.JSONEq(t, `{"id":"abc123"}`, body)
	_, header, _ = get("/thing/2")
	assert.Len(t, header.Get(RequestIDHeader), 16, "a request id is generated when none is sent")

	code, _, body = get("/boom")
	assert.Equal(t, 500, code)
	assert.Contains(t, body, "internal error")

	_, _, body = get("/metrics")
	assert.Contains(t, body, `rhoai_connector_test_http_requests_total{code="200",method="GET",route="/thing/{id}"} 2`)
	assert.Contains(t, body, `rhoai_connector_test_http_request_duration_seconds_count{method="GET",route="/thing/{id}"} 2`)
	assert.Contains(t, body, "go_goroutines")
}

func TestServerDrainsInFlightRequests(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		<-release
		_, _ = w.Write([]byte("done"))
	})
	s, err := Listen("127.0.0.1:0", h, logr.Discard(), 5*time.Second)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx) }()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + s.Addr() + "/")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		got <- string(b)
	}()
	<-started
	cancel() // SIGTERM while a request is in flight
	time.Sleep(50 * time.Millisecond)
	resp, err := http.Get("http://" + s.Addr() + "/")
	if err == nil {
		_ = resp.Body.Close()
	}
	assert.Error(t, err, "no new connections once shutting down")
	close(release)
	assert.Equal(t, "done", <-got, "the in-flight request finishes")
	assert.NoError(t, <-served)

	_, err = Listen(s.Addr(), h, logr.Discard(), 0)
	assert.NoError(t, err, "port is free after shutdown")
}
