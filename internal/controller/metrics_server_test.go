package controller

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/rudeclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
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

	testenv.WaitOK(t, "http://"+addr+"/healthz", 30*time.Second)
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Contains(t, string(b), "rhoai_connector_normalizer_records_published", "the normalizer's own registry is served")

	c, stop := rudeclient.SlowHeaders(t, addr)
	rudeclient.AssertClosedSoon(t, c, "headers a byte at a time")
	stop()
	c, stop = rudeclient.SlowBody(t, addr, "/readyz")
	rudeclient.AssertClosedSoon(t, c, "a body a byte at a time")
	stop()
}
