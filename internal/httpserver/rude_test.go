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

	"github.com/go-chi/chi/v5"
	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/httpcheck"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/rudeclient"
)

const rudeLimit = 4 << 20

// serveWith runs h on a real server with the given limits.
func serveWith(t *testing.T, h http.Handler, l Limits) string {
	t.Helper()
	ln, err := Bind("127.0.0.1:0", "--address")
	require.NoError(t, err)
	s := NewServer(ln, h, Options{Log: logr.Discard(), ShutdownTimeout: 5 * time.Second, Limits: l})
	httpcheck.ServeUntilTestEnds(t, s.Serve)
	return s.Addr()
}

// uploadRouter is a write endpoint as the binaries mount it: the router's
// middlewares, then LimitBodyWith, then a handler that reads the body.
func uploadRouter(l BodyLimit) http.Handler {
	r := NewRouter(RouterOptions{Service: "test", Log: logr.Discard()})
	r.Group(func(r chi.Router) {
		r.Use(LimitBodyWith(l))
		r.Post("/upsert", func(w http.ResponseWriter, r *http.Request) {
			n, err := io.Copy(io.Discard, r.Body)
			if IsTooLarge(err) {
				WriteTooLarge(w, r)
				return
			}
			if err != nil {
				WriteError(w, http.StatusBadRequest, "reading: %v", err)
				return
			}
			WriteJSON(w, http.StatusOK, map[string]int64{"read": n})
		})
	})
	return r
}

// writeThenRead is rudeclient.WriteThenRead on /upsert, with the
// answer's Content-Type checked.
func writeThenRead(addr string, size int, chunked bool) (int, string, error) {
	status, header, body, err := rudeclient.WriteThenRead(addr, http.MethodPost, "/upsert?key=a", size, chunked)
	if err != nil {
		return 0, body, err
	}
	if ct := header.Get("Content-Type"); ct != "application/json" {
		return status, body, fmt.Errorf("Content-Type %q", ct)
	}
	return status, body, nil
}

// A client that writes an oversized body before reading gets the 413 and
// its JSON error, not a connection reset, with or without Content-Length;
// both messages say what the limit is and how to change it.
func TestOversizedBodyWrittenBeforeReadingGets413(t *testing.T) {
	addr := serveWith(t, uploadRouter(BodyLimit{Max: rudeLimit}), Limits{})
	for _, mib := range []int{8, 16, 64} {
		for _, chunked := range []bool{false, true} {
			t.Run(fmt.Sprintf("%dMiB/chunked=%v", mib, chunked), func(t *testing.T) {
				code, body, err := writeThenRead(addr, mib<<20, chunked)
				require.NoError(t, err)
				assert.Equal(t, http.StatusRequestEntityTooLarge, code, body)
				var e ErrorBody
				require.NoError(t, json.Unmarshal([]byte(body), &e), body)
				assert.Contains(t, e.Error, "more than the 4194304 bytes accepted")
				assert.Contains(t, e.Error, "--max-body-bytes (MAX_BODY_BYTES)")
				if !chunked {
					assert.Contains(t, e.Error, fmt.Sprintf("request body is %d bytes", mib<<20))
				}
			})
		}
	}
	code, body, err := writeThenRead(addr, rudeLimit, false)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code, "a body at the limit passes: %s", body)
	code, body, err = writeThenRead(addr, rudeLimit, true)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code, "a chunked body at the limit passes: %s", body)
}

// The drain is bounded in bytes: a body far beyond DrainBytes is not read
// to its end; the connection is closed (and the sender sees that).
func TestDrainIsBoundedInBytes(t *testing.T) {
	addr := serveWith(t, uploadRouter(BodyLimit{Max: 1024, DrainBytes: 64 << 10}), Limits{})
	_, _, err := writeThenRead(addr, 256<<20, false)
	require.Error(t, err, "the server stopped reading long before 256 MiB")
}

// The drain is bounded in time: a client that trickles an endless body is
// cut off after DrainTime even though it keeps sending.
func TestDrainIsBoundedInTime(t *testing.T) {
	addr := serveWith(t, uploadRouter(BodyLimit{Max: 1024, DrainTime: 300 * time.Millisecond}), Limits{})
	for _, chunked := range []bool{false, true} {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		if chunked {
			_, err = io.WriteString(c, "POST /upsert HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n"+strings.Repeat("x", 2048)+"\r\n")
		} else {
			_, err = io.WriteString(c, "POST /upsert HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
		}
		require.NoError(t, err)
		p := "x"
		if chunked {
			p = "f\r\nxxxxxxxxxxxxxxx\r\n"
		}
		stop := rudeclient.Trickle(c, p)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		assert.True(t, resp.Close, "Connection: close")
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		rudeclient.AssertClosedSoon(t, c, "an endless over-limit body (chunked=%v)", chunked)
		stop()
		_ = c.Close()
	}
}

// Slow clients are cut off by the server's timeouts: headers a byte at a
// time by ReadHeaderTimeout, a body a byte at a time by ReadTimeout.
func TestSlowClientsAreCutOff(t *testing.T) {
	read := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		read <- err
		w.WriteHeader(http.StatusNoContent)
	})
	addr := serveWith(t, h, Limits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 600 * time.Millisecond})

	t.Run("headers", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer func() { _ = c.Close() }()
		_, err = io.WriteString(c, "GET /list HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		require.NoError(t, err)
		stop := rudeclient.Trickle(c, "x")
		defer stop()
		rudeclient.AssertClosedSoon(t, c, "headers sent a byte at a time")
	})
	t.Run("body", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer func() { _ = c.Close() }()
		_, err = io.WriteString(c, "POST /upsert HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
		require.NoError(t, err)
		stop := rudeclient.Trickle(c, "x")
		defer stop()
		rudeclient.AssertClosedSoon(t, c, "a body sent a byte at a time")
		select {
		case err := <-read:
			require.Error(t, err, "the handler's read failed on the timeout")
		case <-time.After(10 * time.Second):
			t.Fatal("the handler never returned")
		}
	})
}

func TestBindErrorNamesTheAddressAndTheSetting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = ln.Close() }()
	_, err = Bind(ln.Addr().String(), "--address or LOCATION_ADDRESS")
	require.Error(t, err)
	var be *BindError
	require.ErrorAs(t, err, &be)
	assert.Contains(t, err.Error(), "cannot listen on "+ln.Addr().String())
	assert.Contains(t, err.Error(), "address already in use")
	assert.Contains(t, err.Error(), "choose another address with --address or LOCATION_ADDRESS")
}

func TestJSONIsNotHTMLEscaped(t *testing.T) {
	w := &recorder{header: http.Header{}}
	WriteError(w, http.StatusUnauthorized, "send Authorization: Bearer <token> & retry")
	assert.Equal(t, `{"error":"send Authorization: Bearer <token> & retry"}`, string(w.body))
	b, err := Marshal(ErrorBody{Error: "a <b> & c"})
	require.NoError(t, err)
	assert.Equal(t, `{"error":"a <b> & c"}`, string(b))
	b, err = Marshal(StatusOK)
	require.NoError(t, err)
	assert.Equal(t, `{"status":"ok"}`, string(b))
}

// A client that asks "Expect: 100-continue" before sending an oversized
// body (curl does above 1 MiB) gets the 413 at once, without a 100
// Continue, and need not send the body at all.
func TestExpectContinueGets413WithoutSendingTheBody(t *testing.T) {
	addr := serveWith(t, uploadRouter(BodyLimit{Max: rudeLimit}), Limits{})
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer func() { _ = c.Close() }()
	_, err = fmt.Fprintf(c, "POST /upsert HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", 64<<20)
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "the final answer, not 100 Continue")
	var e ErrorBody
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
	assert.Contains(t, e.Error, "request body is 67108864 bytes")
}
