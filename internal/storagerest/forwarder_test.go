package storagerest_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
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
	f, reg, run := newForwarder(t, url, log)
	return f, reg, run()
}

// newForwarder builds a forwarder that sends nothing until run, so a test
// can queue changes first; run returns a function that stops it.
func newForwarder(t *testing.T, url string, log logr.Logger) (*storagerest.Forwarder, *prometheus.Registry, func() func()) {
	t.Helper()
	reg := prometheus.NewRegistry()
	f, err := storagerest.NewForwarder(storagerest.ForwarderOptions{
		Location: locationclient.New(url, locationclient.WithHTTPClient(&http.Client{Timeout: 5 * time.Second})),
		URL:      url, Log: log, Registerer: reg,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond,
	})
	require.NoError(t, err)
	run := func() func() {
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
		return stop
	}
	return f, reg, run
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
	require.Eventually(t, func() bool { return loc.calls.Load() >= 8 }, 10*time.Second, 5*time.Millisecond, "location is probed again and again")
	assert.GreaterOrEqual(t, counterValue(t, reg, "rhoai_connector_storage_rest_forward_failures_total"), 20.0, "every record's failed attempt counts")
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

// counterWith is one labelled series of a counter.
func counterWith(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func flush(t *testing.T, f *storagerest.Forwarder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.Equal(t, 0, f.Flush(ctx), "every change is handed over")
}

// batchSizes records the size of every batch loc receives; the function
// it returns reads them.
func batchSizes(loc *fakeLocation) func() []int {
	var mu sync.Mutex
	var sizes []int
	loc.setOnBatch(func(keys []string) {
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(keys))
	})
	return func() []int {
		mu.Lock()
		defer mu.Unlock()
		return append([]int(nil), sizes...)
	}
}

func TestForwarderSendsUpsertsInBatches(t *testing.T) {
	loc, url := serveFakeLocation(t)
	sizes := batchSizes(loc)
	f, reg, run := newForwarder(t, url, logr.Discard())
	for i := range 1000 {
		f.Enqueue(fmt.Sprintf("model-%04d__v1", i), recV(fmt.Sprint(i)))
	}
	f.Enqueue("gone__v1", nil)
	assert.Equal(t, 1001, f.Pending())
	assert.Equal(t, 1001.0, gaugeValue(t, reg, "rhoai_connector_storage_rest_forward_queue_length"), "the queue counts records, not batches")
	run()
	flush(t, f)

	assert.Equal(t, 1000, loc.count())
	assert.LessOrEqual(t, loc.calls.Load(), int64(10), "1,000 upserts and a removal in a few requests, not 1,001")
	assert.Equal(t, int64(1), loc.calls.Load()-loc.batches.Load()-loc.singles.Load(), "the removal alone")
	for _, n := range sizes() {
		assert.LessOrEqual(t, n, 500, "at most 500 records a batch")
	}
	for i := range 1000 {
		require.Equal(t, 1, loc.receivedOf(fmt.Sprintf("model-%04d__v1", i)), "each record once")
	}
	assert.Equal(t, 1000.0, counterWith(t, reg, "rhoai_connector_storage_rest_forwarded_total", "op", "upsert"), "counted per record")
	assert.Equal(t, 1.0, counterWith(t, reg, "rhoai_connector_storage_rest_forwarded_total", "op", "remove"))
	assert.Zero(t, gaugeValue(t, reg, "rhoai_connector_storage_rest_forward_queue_length"))
}

func TestForwarderKeepsABatchToAboutAMebibyte(t *testing.T) {
	loc, url := serveFakeLocation(t)
	sizes := batchSizes(loc)
	f, _, run := newForwarder(t, url, logr.Discard())
	big := strings.Repeat("x", 300<<10) // 400 KiB as base64
	for i := range 10 {
		f.Enqueue(fmt.Sprintf("big-%d__v1", i), recV(big))
	}
	run()
	flush(t, f)
	assert.Equal(t, 10, loc.count())
	got := sizes()
	require.NotEmpty(t, got)
	for _, n := range got {
		assert.LessOrEqual(t, n, 2, "two 400 KiB records per 1 MiB batch")
	}
}

func TestForwarderBatchesLoseNothingThroughAnOutage(t *testing.T) {
	loc, url := serveFakeLocation(t)
	loc.status.Store(http.StatusServiceUnavailable)
	var logs logLines
	f, reg, run := newForwarder(t, url, logs.logger())
	for i := range 300 {
		f.Enqueue(fmt.Sprintf("k%03d", i), recV("1"))
	}
	run()
	require.Eventually(t, func() bool { return loc.calls.Load() >= 4 }, 10*time.Second, time.Millisecond, "location is probed again and again")
	// Changes made during the outage replace what waits (or is in flight).
	for i := 0; i < 300; i += 3 {
		f.Enqueue(fmt.Sprintf("k%03d", i), recV("2"))
	}
	// A probe may be in flight: its keys count once in flight and, when
	// changed since, once more queued.
	assert.GreaterOrEqual(t, f.Pending(), 300, "nothing dropped")
	assert.LessOrEqual(t, f.Pending(), 400, "at most one queued change per key besides the one in flight")
	assert.Equal(t, 1, logs.count("cannot reach location"), "the outage is logged once, not per batch or attempt")
	assert.Zero(t, counterWith(t, reg, "rhoai_connector_storage_rest_forwarded_total", "op", "upsert"))
	assert.GreaterOrEqual(t, counterWith(t, reg, "rhoai_connector_storage_rest_forward_failures_total", "reason", "unavailable"), 300.0,
		"a failed batch counts a failure per record")

	loc.status.Store(0)
	flush(t, f)
	require.Equal(t, 300, loc.count())
	for i := range 300 {
		key := fmt.Sprintf("k%03d", i)
		got, _ := loc.get(key)
		want := `{"v":"1"}`
		if i%3 == 0 {
			want = `{"v":"2"}`
		}
		require.JSONEq(t, want, string(got.Body), "the latest record of %s", key)
	}
	assert.Equal(t, 1, logs.count("reachable again"))
	assert.Equal(t, 1, logs.count("cannot reach location"))
	// A probe sent as location came back may hand over the older records
	// of the changed keys before their newer ones.
	assert.GreaterOrEqual(t, counterWith(t, reg, "rhoai_connector_storage_rest_forwarded_total", "op", "upsert"), 300.0)
}

func TestForwarderDropsARejectedItemAndKeepsTheRestOfItsBatch(t *testing.T) {
	loc, url := serveFakeLocation(t)
	loc.refuse["k3"] = true
	var logs logLines
	f, reg, run := newForwarder(t, url, logs.logger())
	for i := range 10 {
		f.Enqueue(fmt.Sprintf("k%d", i), recV("1"))
	}
	run()
	flush(t, f)
	assert.Equal(t, 9, loc.count())
	_, ok := loc.get("k3")
	assert.False(t, ok)
	assert.Equal(t, int64(1), loc.calls.Load(), "one batch, and the refused record is not retried")
	assert.Equal(t, int64(1), loc.batches.Load())
	assert.Equal(t, 1, logs.count(`"key"="k3"`), "the refused record is logged with its key")
	assert.Equal(t, 1, logs.count("rejected"))
	assert.Zero(t, logs.count("cannot reach location"), "a refusal is not an outage")
	assert.Equal(t, 1.0, counterWith(t, reg, "rhoai_connector_storage_rest_forward_failures_total", "reason", "rejected"))
	assert.Equal(t, 9.0, counterWith(t, reg, "rhoai_connector_storage_rest_forwarded_total", "op", "upsert"))
}

func TestForwarderFallsBackToSingleUpsertsOnALocationWithoutBatches(t *testing.T) {
	loc, url := serveFakeLocation(t)
	loc.batchStatus.Store(http.StatusNotFound)
	var logs logLines
	f, reg, run := newForwarder(t, url, logs.logger())
	for i := range 50 {
		f.Enqueue(fmt.Sprintf("k%02d", i), recV("1"))
	}
	run()
	flush(t, f)
	assert.Equal(t, 50, loc.count())
	assert.Equal(t, int64(50), loc.singles.Load())
	assert.Equal(t, int64(1), loc.batches.Load(), "all 50 waited together: one batch tried")

	for i := range 20 {
		f.Enqueue(fmt.Sprintf("k%02d", i), recV("2"))
	}
	flush(t, f)
	assert.Equal(t, int64(70), loc.singles.Load())
	assert.Equal(t, int64(1), loc.batches.Load(), "not asked again")
	got, _ := loc.get("k00")
	assert.JSONEq(t, `{"v":"2"}`, string(got.Body))
	assert.Equal(t, 1, logs.count("no batch API"), "logged once")
	assert.Zero(t, counterValue(t, reg, "rhoai_connector_storage_rest_forward_failures_total"), "a missing batch API is not a failure")
	assert.Equal(t, 70.0, counterWith(t, reg, "rhoai_connector_storage_rest_forwarded_total", "op", "upsert"))
}

// A location whose --max-body-bytes is below a batch refuses the request
// (413): its records go one by one instead of being dropped.
func TestForwarderSendsABatchRefusedAsAWholeOneByOne(t *testing.T) {
	loc, url := serveFakeLocation(t)
	loc.batchStatus.Store(http.StatusRequestEntityTooLarge)
	loc.refuse["k1"] = true
	var logs logLines
	f, reg, run := newForwarder(t, url, logs.logger())
	for i := range 5 {
		f.Enqueue(fmt.Sprintf("k%d", i), recV("1"))
	}
	run()
	flush(t, f)
	assert.Equal(t, 4, loc.count(), "every record but the one refused on its own")
	assert.Equal(t, int64(5), loc.singles.Load())
	assert.Equal(t, 1, logs.count("max-body-bytes"))
	assert.Equal(t, 1.0, counterWith(t, reg, "rhoai_connector_storage_rest_forward_failures_total", "reason", "rejected"))
}

func TestForwarderSendsAKeyChangedWhileItsBatchIsInFlightAgain(t *testing.T) {
	loc, url := serveFakeLocation(t)
	f, _, run := newForwarder(t, url, logr.Discard())
	var once sync.Once
	inFlight := make(chan int, 1)
	loc.setOnBatch(func(keys []string) {
		if slices.Contains(keys, "a") {
			once.Do(func() {
				f.Enqueue("a", recV("2"))
				inFlight <- f.Pending()
				// Give a wrong second send of a, in parallel, the time
				// to land before this batch: the end state would show
				// it. A correct forwarder only makes this wait.
				for range 100 {
					if loc.receivedOf("a") > 0 {
						break
					}
					time.Sleep(2 * time.Millisecond)
				}
			})
		}
	})
	f.Enqueue("a", recV("1"))
	for i := range 9 {
		f.Enqueue(fmt.Sprintf("k%d", i), recV("1"))
	}
	run()
	flush(t, f)
	assert.Equal(t, 11, <-inFlight, "the batch's ten records in flight and a's newer one queued")
	got, ok := loc.get("a")
	require.True(t, ok)
	assert.JSONEq(t, `{"v":"2"}`, string(got.Body), "the newer record arrives after the batch")
	assert.Equal(t, 2, loc.receivedOf("a"), "a was sent twice, in order")
	assert.Equal(t, 1, loc.receivedOf("k0"))
}

func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}
