package storagerest_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/storagerest"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/locationclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// logLines collects log lines to count how often something was said.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logger() logr.Logger {
	return funcr.New(func(_, args string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.lines = append(l.lines, args)
	}, funcr.Options{})
}

func (l *logLines) count(substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.lines {
		if strings.Contains(s, substr) {
			n++
		}
	}
	return n
}

func startForwarder(t *testing.T, url string, log logr.Logger) (*storagerest.Forwarder, *prometheus.Registry, func()) {
	t.Helper()
	reg := prometheus.NewRegistry()
	f, err := storagerest.NewForwarder(storagerest.ForwarderOptions{
		Location: locationclient.New(url, locationclient.WithHTTPClient(&http.Client{Timeout: 5 * time.Second})),
		URL:      url, Log: log, Registerer: reg,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Run(ctx)
	}()
	stop := func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return f, reg, stop
}

func recV(v string) *record.Record {
	return &record.Record{Body: []byte(`{"v":"` + v + `"}`), LastUpdateTimeSinceEpoch: 1}
}

func TestForwarderSendsTheLatestChangePerKey(t *testing.T) {
	loc := newFakeLocation()
	srv := httptest.NewServer(loc)
	defer srv.Close()
	reg := prometheus.NewRegistry()
	f, err := storagerest.NewForwarder(storagerest.ForwarderOptions{Location: locationclient.New(srv.URL), Log: logr.Discard(), Registerer: reg})
	require.NoError(t, err)
	f.Enqueue("a", recV("1"))
	f.Enqueue("a", recV("2"))
	f.Enqueue("b", recV("1"))
	f.Enqueue("b", nil)
	assert.Equal(t, 2, f.Pending())

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.Run(ctx)
	fctx, fcancel := context.WithTimeout(ctx, 10*time.Second)
	defer fcancel()
	require.Equal(t, 0, f.Flush(fctx))
	got, ok := loc.get("a")
	require.True(t, ok)
	assert.JSONEq(t, `{"v":"2"}`, string(got.Body))
	_, ok = loc.get("b")
	assert.False(t, ok)
	assert.Equal(t, int64(2), loc.calls.Load(), "one request per key: the latest change")
	assert.Equal(t, 2.0, counterValue(t, reg, "rhoai_connector_storage_rest_forwarded_total"))
}

func TestForwarderWaitsOutAnOutageAndLogsItOnce(t *testing.T) {
	loc := newFakeLocation()
	loc.status.Store(http.StatusServiceUnavailable)
	srv := httptest.NewServer(loc)
	defer srv.Close()
	var logs logLines
	f, reg, _ := startForwarder(t, srv.URL, logs.logger())
	for i := range 20 {
		f.Enqueue(fmt.Sprintf("k%d", i), recV("1"))
	}
	require.Eventually(t, func() bool {
		return counterValue(t, reg, "rhoai_connector_storage_rest_forward_failures_total") >= 8
	}, 10*time.Second, 5*time.Millisecond, "location is probed again and again")
	assert.Equal(t, 20, f.Pending(), "nothing is dropped while location is down")
	assert.Equal(t, 1, logs.count("cannot reach location"), "the outage is logged once, not per record or attempt")

	loc.status.Store(0)
	require.Eventually(t, func() bool { return loc.count() == 20 }, 10*time.Second, 5*time.Millisecond, "location catches up")
	require.Eventually(t, func() bool { return f.Pending() == 0 }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, 1, logs.count("reachable again"))
	assert.Equal(t, 1, logs.count("cannot reach location"))
}

func TestForwarderCatchesUpWhenLocationStarts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nobody listens: connection refused
	var logs logLines
	f, reg, _ := startForwarder(t, "http://"+addr, logs.logger())
	f.Enqueue("a", recV("1"))
	f.Enqueue("gone", nil)
	require.Eventually(t, func() bool {
		return counterValue(t, reg, "rhoai_connector_storage_rest_forward_failures_total") >= 3
	}, 10*time.Second, 5*time.Millisecond)
	f.Enqueue("a", recV("2"))

	loc := newFakeLocation()
	ln, err = net.Listen("tcp", addr)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(loc)
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	require.Eventually(t, func() bool { return f.Pending() == 0 }, 10*time.Second, 5*time.Millisecond)
	got, ok := loc.get("a")
	require.True(t, ok)
	assert.JSONEq(t, `{"v":"2"}`, string(got.Body), "the latest version arrives")
	assert.Equal(t, 1, logs.count("cannot reach location"))
}

func TestForwarderDropsWhatLocationRejects(t *testing.T) {
	loc := newFakeLocation()
	loc.status.Store(http.StatusBadRequest)
	srv := httptest.NewServer(loc)
	defer srv.Close()
	var logs logLines
	f, reg, _ := startForwarder(t, srv.URL, logs.logger())
	f.Enqueue("a", recV("1"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.Equal(t, 0, f.Flush(ctx))
	assert.Equal(t, int64(1), loc.calls.Load(), "a rejected change is not retried")
	assert.Equal(t, 1, logs.count("rejected"))
	assert.Equal(t, 1.0, counterValue(t, reg, "rhoai_connector_storage_rest_forward_failures_total"))
}

func TestForwarderRemovalOfAnUnknownKeyIsDone(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"error":"unknown key"}`, http.StatusNotFound)
	}))
	defer srv.Close()
	var logs logLines
	f, reg, _ := startForwarder(t, srv.URL, logs.logger())
	f.Enqueue("a", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.Equal(t, 0, f.Flush(ctx))
	assert.Equal(t, 0.0, counterValue(t, reg, "rhoai_connector_storage_rest_forward_failures_total"))
	assert.Equal(t, 0, logs.count("rejected"))
}

func TestForwarderFlushGivesUpWithTheCountLeft(t *testing.T) {
	loc := newFakeLocation()
	loc.status.Store(http.StatusBadGateway)
	srv := httptest.NewServer(loc)
	defer srv.Close()
	f, _, stop := startForwarder(t, srv.URL, logr.Discard())
	f.Enqueue("a", recV("1"))
	f.Enqueue("b", recV("1"))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	assert.Equal(t, 2, f.Flush(ctx))
	stop()
	assert.Equal(t, 2, f.Pending(), "stopping keeps the changes (an in-flight one is requeued)")
}
