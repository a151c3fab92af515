package httpserver

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/httpcheck"
)

// serve runs h on a real server from Listen on 127.0.0.1:0.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	s, err := Listen("127.0.0.1:0", h, logr.Discard(), time.Second)
	require.NoError(t, err)
	httpcheck.ServeUntilTestEnds(t, s.Serve)
	return s.Addr()
}

// rawRequest writes req on a new connection and returns the status and body.
func rawRequest(t *testing.T, addr, req string) (int, http.Header, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer func() { _ = c.Close() }()
	// The server may answer and close before the whole request is written.
	go func() { _, _ = io.WriteString(c, req) }()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestServerRefusesHugeHeaders(t *testing.T) {
	reached := false
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		reached = true
		w.WriteHeader(http.StatusNoContent)
	}))
	code, _, _ := rawRequest(t, addr, "GET /list HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 1<<20)+"\r\n\r\n")
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, code)
	assert.False(t, reached, "the handler never sees the request")

	code, _, _ = rawRequest(t, addr, "GET /list HTTP/1.1\r\nHost: x\r\nX-Small: "+strings.Repeat("a", 1000)+"\r\n\r\n")
	assert.Equal(t, http.StatusNoContent, code, "ordinary headers pass")
}

func TestBodyLimitOverARealConnection(t *testing.T) {
	const limit = 64
	h := LimitBody(limit)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if IsTooLarge(err) {
			WriteError(w, http.StatusRequestEntityTooLarge, "too large")
			return
		}
		require.NoError(t, err)
		WriteJSON(w, http.StatusOK, map[string]int{"read": len(b)})
	}))
	addr := serve(t, h)
	chunk := func(n int) string { return fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", n, strings.Repeat("x", n)) }
	for _, tc := range []struct {
		name, req string
		code      int
	}{
		{"at the limit", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 64\r\n\r\n" + strings.Repeat("x", limit), 200},
		{"one byte over", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65\r\n\r\n" + strings.Repeat("x", limit+1), 413},
		{"chunked at the limit", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(limit), 200},
		{"chunked one byte over", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(limit+1), 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, hdr, body := rawRequest(t, addr, tc.req)
			assert.Equal(t, tc.code, code, body)
			assert.Equal(t, "application/json", hdr.Get("Content-Type"))
			if code == 413 {
				var e ErrorBody
				require.NoError(t, json.Unmarshal([]byte(body), &e))
				assert.NotEmpty(t, e.Error)
			}
		})
	}
}

func TestForwardingHeadersDoNotMakeARemoteCallerLocal(t *testing.T) {
	forged := map[string]string{
		"X-Forwarded-For":  "127.0.0.1",
		"X-Real-Ip":        "127.0.0.1",
		"Forwarded":        "for=127.0.0.1;host=localhost",
		"X-Forwarded-Host": "localhost",
		"X-Client-Ip":      "::1",
	}
	for _, token := range []string{"", "s3cret"} {
		for _, remoteAddr := range []string{"10.1.2.3:5555", "[fe80::1]:5555", "0.0.0.0:1", "127.0.0.1", "garbage", ""} {
			r, _ := http.NewRequest(http.MethodPost, "http://localhost/upsert?key=a", nil)
			r.RemoteAddr = remoteAddr
			r.Host = "127.0.0.1"
			for k, v := range forged {
				r.Header.Set(k, v)
			}
			assert.False(t, FromLoopback(r), remoteAddr)
			w := &recorder{header: http.Header{}}
			LocalOrToken(token)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
				t.Errorf("remote %q with forged headers reached the handler (token %q)", remoteAddr, token)
			})).ServeHTTP(w, r)
			assert.Contains(t, []int{401, 403}, w.code, remoteAddr)
		}
	}
}

// FuzzHasBearer: only the exact configured token (after "Bearer ", any
// case, surrounding blanks ignored) is accepted; an empty token never is.
func FuzzHasBearer(f *testing.F) {
	for _, s := range [][2]string{{"s3cret", "Bearer s3cret"}, {"s3cret", "bearer s3cret"}, {"s3cret", "Bearer  s3cret "}, {"", "Bearer "},
		{"s3cret", "Bearer s3cre"}, {"s3cret", "Basic s3cret"}, {"s3cret", "Bearers3cret"}, {"a", "Bearer a\x00"}, {" ", "Bearer  "}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, token, auth string) {
		r := &http.Request{Header: http.Header{"Authorization": {auth}}}
		got := HasBearer(r, token)
		if token == "" && got {
			t.Fatalf("an empty token accepted %q", auth)
		}
		if got && (len(auth) < 7 || !strings.EqualFold(auth[:7], "Bearer ") || strings.TrimSpace(auth[7:]) != token) {
			t.Fatalf("token %q accepted %q", token, auth)
		}
	})
}

// recorder is the least of a ResponseWriter, without httptest's panics on
// odd input.
type recorder struct {
	header http.Header
	code   int
	body   []byte
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { r.body = append(r.body, b...); return len(b), nil }
func (r *recorder) WriteHeader(c int)           { r.code = c }
