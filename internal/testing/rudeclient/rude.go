// Package rudeclient holds the rude and slow HTTP clients the tests of
// the connector's servers use: a client that writes a whole oversized
// body before reading the answer, and one that trickles bytes.
package rudeclient

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// WriteThenRead is a rude client: it writes the whole request, a body of
// size bytes included (chunked or with a Content-Length), over a raw
// connection, and only then reads the answer, as Python's urllib does. It
// returns the answer's status, headers and body, read to the end. An
// error means the client could not write its request or read an answer
// (a connection reset, for instance).
func WriteThenRead(addr, method, target string, size int, chunked bool, header ...string) (status int, answerHeader http.Header, body string, err error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, nil, "", err
	}
	defer func() { _ = c.Close() }()
	bw := bufio.NewWriterSize(c, 1<<20)
	// A bufio.Writer keeps its first error and Flush returns it: the writes
	// below need no check of their own.
	_, _ = fmt.Fprintf(bw, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n", method, target)
	for i := 0; i+1 < len(header); i += 2 {
		_, _ = fmt.Fprintf(bw, "%s: %s\r\n", header[i], header[i+1])
	}
	if chunked {
		_, _ = bw.WriteString("Transfer-Encoding: chunked\r\n\r\n")
	} else {
		_, _ = fmt.Fprintf(bw, "Content-Length: %d\r\n\r\n", size)
	}
	chunk := []byte(strings.Repeat("x", 64<<10))
	for left := size; left > 0; left -= len(chunk) {
		p := chunk[:min(len(chunk), left)]
		if chunked {
			_, _ = fmt.Fprintf(bw, "%x\r\n", len(p))
		}
		if _, err := bw.Write(p); err != nil {
			return 0, nil, "", fmt.Errorf("writing the body: %w", err)
		}
		if chunked {
			_, _ = bw.WriteString("\r\n")
		}
	}
	if chunked {
		_, _ = bw.WriteString("0\r\n\r\n")
	}
	if err := bw.Flush(); err != nil {
		return 0, nil, "", fmt.Errorf("writing the body: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, nil, "", fmt.Errorf("reading the answer: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, resp.Header, string(b), fmt.Errorf("reading the answer's body: %w", err)
	}
	return resp.StatusCode, resp.Header, string(b), nil
}

// Trickle writes p (a byte, or a small chunk) every 20 ms until stopped or
// the connection fails.
func Trickle(c net.Conn, p string) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			if _, err := io.WriteString(c, p); err != nil {
				return
			}
		}
	}()
	return func() { close(done) }
}

// AssertClosedSoon fails unless the server closes c within 10 s (the
// timeouts under test are configured well below that).
func AssertClosedSoon(t testing.TB, c net.Conn, what string, args ...any) {
	t.Helper()
	AssertClosedWithin(t, c, 10*time.Second, what, args...)
}

// AssertClosedWithin fails unless the server closes c within timeout: for
// servers with their default limits, which take longer than
// AssertClosedSoon waits.
func AssertClosedWithin(t testing.TB, c net.Conn, timeout time.Duration, what string, args ...any) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		t.Fatal(err)
	}
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open: "+what, args...)
	}
}

// SlowHeaders opens a connection to addr and sends a request's headers a
// byte at a time, forever; stop ends the sender and closes the connection.
func SlowHeaders(t testing.TB, addr string) (c net.Conn, stop func()) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	s := Trickle(c, "x")
	return c, func() { s(); _ = c.Close() }
}

// SlowBody opens a connection to addr and sends a POST whose body comes a
// byte at a time, forever; stop ends the sender and closes the connection.
func SlowBody(t testing.TB, addr, target string) (c net.Conn, stop func()) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "POST "+target+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	s := Trickle(c, "x")
	return c, func() { s(); _ = c.Close() }
}

// AssertSlowClientsCutOff checks that the server at addr, run with short
// read timeouts, cuts off a client that sends its headers a byte at a
// time and one that sends a POST body to bodyTarget a byte at a time.
func AssertSlowClientsCutOff(t testing.TB, addr, bodyTarget string) {
	t.Helper()
	c, stop := SlowHeaders(t, addr)
	AssertClosedSoon(t, c, "headers a byte at a time")
	stop()
	c, stop = SlowBody(t, addr, bodyTarget)
	AssertClosedSoon(t, c, "a body a byte at a time")
	stop()
}

// Write is a write request: method and target.
type Write struct{ Method, Target string }

// AssertOversizedWritesGet413 sends each write with bodies of 8, 16 and
// 64 MiB, with and without Content-Length, written in full before the
// answer is read (WriteThenRead): each must get the 413 JSON error, not a
// connection reset, saying what the limit (maxBytes) is and which setting
// changes it. Each case is a subtest.
func AssertOversizedWritesGet413(t *testing.T, addr string, maxBytes int64, writes ...Write) {
	t.Helper()
	for _, req := range writes {
		for _, mib := range []int{8, 16, 64} {
			for _, chunked := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s %s/%dMiB/chunked=%v", req.Method, req.Target, mib, chunked), func(t *testing.T) {
					status, header, body, err := WriteThenRead(addr, req.Method, req.Target, mib<<20, chunked)
					require.NoError(t, err)
					assert.Equal(t, http.StatusRequestEntityTooLarge, status, body)
					assert.Equal(t, "application/json", header.Get("Content-Type"))
					var e struct { // httpserver.ErrorBody, which this package must not import: httpserver's tests use it
						Error string `json:"error"`
					}
					require.NoError(t, json.Unmarshal([]byte(body), &e), body)
					assert.Contains(t, e.Error, fmt.Sprintf("more than the %d bytes accepted", maxBytes))
					assert.Contains(t, e.Error, "--max-body-bytes (MAX_BODY_BYTES)")
				})
			}
		}
	}
}
