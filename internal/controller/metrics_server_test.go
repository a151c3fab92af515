package controller

import (
	"context"
	"net"
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
	stop := testenv.RunInBackground(t, 30*time.Second, func(ctx context.Context) error {
		return Run(ctx, Config{
			RestConfig:            cluster.Config,
			Namespace:             "default",
			MetricsListener:       ln,
			HTTPLimits:            httpserver.Limits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 600 * time.Millisecond},
			Log:                   testr.New(t),
			Discovery:             discovery.Config{RegistryURLs: []string{"http://127.0.0.1:1"}},
			PollingInterval:       time.Hour,
			StorageURL:            "http://127.0.0.1:1",
			GracefulShutdownDelay: time.Second,
			MetricsRegistry:       prometheus.NewRegistry(),
		})
	})
	t.Cleanup(func() { assert.NoError(t, stop(), "the normalizer stops cleanly") })

	testenv.WaitOK(t, "http://"+addr+"/healthz", 30*time.Second)
	assert.Contains(t, testenv.GetBody(t, "http://"+addr+"/metrics"), "rhoai_connector_normalizer_records_published", "the normalizer's own registry is served")

	rudeclient.AssertSlowClientsCutOff(t, addr, "/readyz")
}
