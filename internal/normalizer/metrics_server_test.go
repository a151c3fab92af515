package normalizer

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
)

// The normalizer's metrics and probe server has the same limits on slow
// clients as location and storage-rest: a client that sends its headers or
// its body a byte at a time is cut off. Short limits keep the test quick.
func TestMetricsServerCutsOffSlowClients(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	reg := prometheus.NewRegistry()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{
			RestConfig:            cluster.Config,
			Namespace:             "default",
			MetricsListener:       ln,
			HTTPLimits:            httpserver.Limits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 600 * time.Millisecond},
			Log:                   testr.New(t),
			Discovery:             discovery.Config{RegistryURLs: []string{"http://127.0.0.1:1"}},
			PollingInterval:       time.Hour,
			StorageURL:            "http://127.0.0.1:1",
			GracefulShutdownDelay: time.Second,
			MetricsRegistry:       reg,
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Error("the normalizer did not stop")
		}
	})

	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 20*time.Millisecond)
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(b), "rhoai_connector_normalizer_records_published", "the normalizer's own registry is served")

	for name, start := range map[string]string{
		"headers": "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ",
		"body":    "POST /readyz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n",
	} {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err, name)
		_, err = io.WriteString(c, start)
		require.NoError(t, err, name)
		cut := make(chan struct{})
		go func() { // a byte every 100 ms, until the server hangs up
			defer close(cut)
			for i := 0; i < 100; i++ {
				time.Sleep(100 * time.Millisecond)
				if _, err := io.WriteString(c, "x"); err != nil {
					return
				}
			}
		}()
		require.NoError(t, c.SetReadDeadline(time.Now().Add(8*time.Second)))
		got, err := io.ReadAll(c)
		var ne net.Error
		if err != nil && assert.ErrorAs(t, err, &ne, name) {
			assert.False(t, ne.Timeout(), "%s: a slow client kept its connection past the limits", name)
		}
		assert.False(t, strings.HasPrefix(string(got), "HTTP/1.1 200"), "%s: a slow client was served: %q", name, got)
		c.Close()
		<-cut
	}
}
