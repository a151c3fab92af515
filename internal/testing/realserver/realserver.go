// Package realserver runs a handler on a real loopback server as the
// binaries do (httpserver.Bind and NewServer), for tests of what only a
// real connection shows: the server's timeouts and the 413 a rude client
// gets.
package realserver

import (
	"net/http"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/httpcheck"
)

// Start serves h on 127.0.0.1 with limits (zero fields take
// httpserver.DefaultLimits) until the test ends, and returns the address.
func Start(t testing.TB, h http.Handler, limits httpserver.Limits) string {
	t.Helper()
	ln, err := httpserver.Bind("127.0.0.1:0", "--address")
	if err != nil {
		t.Fatalf("binding a loopback port: %v", err)
	}
	s := httpserver.NewServer(ln, h, httpserver.Options{Log: logr.Discard(), ShutdownTimeout: 5 * time.Second, Limits: limits})
	httpcheck.ServeUntilTestEnds(t, s.Serve)
	return s.Addr()
}
