// Package httpcheck holds the checks the HTTP services' tests share: a
// request sent exactly as a client puts it on the wire, the JSON error
// every refusal must be, and a logger that keeps every line so that a test
// can search it (for a token that must never appear).
package httpcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
)

// ServeRaw sends target as a client would put it on the request line, from
// loopback; it reports false when the server's own parser would refuse the
// line (the server answers 400 before any handler runs).
func ServeRaw(h http.Handler, method, target string, body []byte, hdr http.Header) (*httptest.ResponseRecorder, bool) {
	u, err := url.ParseRequestURI(target)
	if err != nil || strings.ContainsAny(target, " \t\r\n\x00") {
		return nil, false
	}
	r := httptest.NewRequest(method, "/", bytes.NewReader(body))
	r.URL = u
	r.RequestURI = target
	r.RemoteAddr = "127.0.0.1:40000"
	for k, v := range hdr {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w, true
}

// JSONError fails unless w is a 4xx whose body is exactly
// {"error": "<non-empty>"} served as application/json.
func JSONError(t testing.TB, what string, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code < 400 || w.Code >= 500 {
		t.Fatalf("%s: status %d, want 4xx: %s", what, w.Code, w.Body.String())
	}
	errorMessage(t, what, w)
}

// ErrorMessage is the message of w's error body, whatever its status; it
// fails unless the body is exactly {"error": "<non-empty>"} served as
// application/json.
func ErrorMessage(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	return errorMessage(t, "error answer", w)
}

func errorMessage(t testing.TB, what string, w *httptest.ResponseRecorder) string {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s: status %d with Content-Type %q, want application/json: %s", what, w.Code, ct, w.Body.String())
	}
	var e map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("%s: error body is not JSON: %v: %q", what, err, w.Body.String())
	}
	s, ok := e["error"].(string)
	if !ok || s == "" || len(e) != 1 {
		t.Fatalf("%s: error body is not {\"error\": \"...\"}: %q", what, w.Body.String())
	}
	return s
}

// LogBuffer keeps every line logged through Logger, at every verbosity.
type LogBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

// Logger logs into b.
func (b *LogBuffer) Logger() logr.Logger {
	return funcr.New(func(prefix, args string) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.buf.WriteString(prefix + " " + args + "\n")
	}, funcr.Options{Verbosity: 10})
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ServeUntilTestEnds runs serve (a server's Serve) in the background
// until the test ends, then checks that it stopped without an error. It
// takes the method rather than an httpserver.Server because httpserver's
// own tests use it, and this package must not import httpserver.
func ServeUntilTestEnds(t testing.TB, serve func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serving: %v", err)
		}
	})
}
