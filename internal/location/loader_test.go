package location

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/httpcheck"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// run starts the service's loader and stops it when the test ends.
func (ts *testService) run(t *testing.T) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ts.Run(ctx)
	}()
	stop = func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
	}
	t.Cleanup(stop)
	return stop
}

const eventually = 10 * time.Second

func TestStartUpWaitsForStorageRestThenBecomesReady(t *testing.T) {
	// A port with nothing listening: storage-rest is not up yet.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	st := newFakeStorage(map[string]record.Record{"mnist__v1": doc("mnist", 1)})
	ts := newTestServiceAt(t, "http://"+addr, st, nil)
	ts.run(t)

	require.Eventually(t, func() bool {
		return testutil.ToFloat64(ts.ld.m.loads.WithLabelValues("failure")) >= 3
	}, eventually, time.Millisecond, "the loader keeps retrying")
	w := ts.do(http.MethodGet, "/readyz", nil)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Contains(t, httpcheck.ErrorMessage(t, w), addr, "readiness names what it waits for")
	w = ts.do(http.MethodGet, "/list", nil)
	assert.Equal(t, http.StatusNotFound, w.Code)

	// Forwards are accepted while waiting (storage-rest stored it first).
	st.set("early__v1", doc("early", 1))
	require.Equal(t, http.StatusOK, ts.upsert(t, "early__v1", doc("early", 1)).Code)
	assert.Equal(t, http.StatusNotFound, ts.do(http.MethodGet, "/list", nil).Code, "still not loaded")

	// storage-rest comes up on its port.
	ln, err = net.Listen("tcp", addr)
	require.NoError(t, err, "re-binding the storage-rest test port")
	srv := &http.Server{Handler: st, ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	require.Eventually(t, func() bool {
		return ts.do(http.MethodGet, "/readyz", nil).Code == http.StatusOK
	}, eventually, time.Millisecond)
	assert.Equal(t, []string{"/early/v1/model-catalog.json", "/mnist/v1/model-catalog.json"}, ts.list(t))
	// The index is ready the moment the load is applied, and the load is
	// counted just after: wait for the count rather than race it.
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(ts.ld.m.loads.WithLabelValues("success")) == 1 &&
			testutil.ToFloat64(ts.ld.m.lastLoad) > 0
	}, eventually, time.Millisecond, "one successful load counted, and its time")
}

// Forwards that arrive while GET /records is in flight keep the newer state.
func TestLoadMergesForwardsThatArriveDuringIt(t *testing.T) {
	st := newFakeStorage(map[string]record.Record{
		"updated__v1":  doc("stored", 100),
		"removed__v1":  doc("stored", 100),
		"stalefwd__v1": doc("stored", 300),
		"plain__v1":    doc("stored", 100),
	})
	ts := newTestService(t, st, nil)
	// Runs on the storage server's goroutine, hence assert, not require.
	st.during = func() {
		st.during = nil
		assert.Equal(t, "created", result(t, ts.upsert(t, "updated__v1", doc("forwarded", 200))).Status)
		assert.Equal(t, http.StatusOK, ts.upsert(t, "removed__v1", doc("forwarded", 150)).Code)
		assert.JSONEq(t, `{"removed":["removed__v1"]}`, ts.do(http.MethodDelete, "/remove?key=removed__v1", nil).Body.String())
		assert.Equal(t, http.StatusOK, ts.upsert(t, "stalefwd__v1", doc("forwarded", 200)).Code)
		assert.Equal(t, http.StatusOK, ts.upsert(t, "new__v1", doc("forwarded", 200)).Code)
	}
	ts.load(t)

	assert.Equal(t, []string{
		"/new/v1/model-catalog.json", "/plain/v1/model-catalog.json",
		"/stalefwd/v1/model-catalog.json", "/updated/v1/model-catalog.json",
	}, ts.list(t))
	body := func(uri string) string { return ts.do(http.MethodGet, uri, nil).Body.String() }
	assert.Contains(t, body("/updated/v1/model-catalog.json"), "forwarded", "forward newer than the load")
	assert.Contains(t, body("/stalefwd/v1/model-catalog.json"), "stored", "load newer than the forward")
	assert.Contains(t, body("/new/v1/model-catalog.json"), "forwarded", "forward of a key the load did not have")
	assert.Contains(t, body("/plain/v1/model-catalog.json"), "stored")
}

func TestPeriodicReloadHealsMissedForwards(t *testing.T) {
	st := newFakeStorage(map[string]record.Record{"a__v1": doc("a", 1), "b__v1": doc("b", 1)})
	ts := newTestService(t, st, func(c *Config) { c.ReloadInterval = 5 * time.Millisecond })
	ts.run(t)
	require.Eventually(t, func() bool { return ts.ix.Snapshot().Loaded() }, eventually, time.Millisecond)

	// storage-rest changed without telling location.
	st.mu.Lock()
	st.recs["c__v1"] = doc("c", 1)
	st.recs["a__v1"] = doc("a2", 2)
	delete(st.recs, "b__v1")
	st.mu.Unlock()

	require.Eventually(t, func() bool {
		s := ts.ix.Snapshot()
		a := s.DocumentByKey("a__v1")
		return s.Len() == 2 && s.DocumentByKey("c__v1") != nil && a != nil && string(a.Body) == string(doc("a2", 2).Body)
	}, eventually, time.Millisecond)
	assert.Equal(t, []string{"/a/v1/model-catalog.json", "/c/v1/model-catalog.json"}, ts.list(t))
}

// A periodic reload first asks storage-rest for its digest, and reads
// every record only when it differs from the index's.
func TestPeriodicReloadReadsRecordsOnlyWhenTheDigestsDiffer(t *testing.T) {
	st := newFakeStorage(map[string]record.Record{"a__v1": doc("a", 1), "b__v1": withCard(doc("b", 1), "", "# b")})
	st.digest = true
	ts := newTestService(t, st, func(c *Config) { c.ReloadInterval = 5 * time.Millisecond })
	ts.run(t)
	require.Eventually(t, func() bool { return ts.ix.Snapshot().Loaded() }, eventually, time.Millisecond)
	require.Eventually(t, func() bool { return st.digests.Load() >= 5 }, eventually, time.Millisecond)
	assert.Equal(t, int32(1), st.requests.Load(), "the same records: only the start-up load read them")

	st.set("c__v1", doc("c", 1)) // storage-rest changed without telling location
	require.Eventually(t, func() bool { return ts.ix.Snapshot().DocumentByKey("c__v1") != nil }, eventually, time.Millisecond)
	assert.Equal(t, int32(2), st.requests.Load())
}

func TestInvalidStoredRecordsAreSkipped(t *testing.T) {
	st := newFakeStorage(map[string]record.Record{
		"good__v1": doc("good", 1),
		"bad__v1":  {Body: []byte("not: json"), LastUpdateTimeSinceEpoch: 1},
	})
	ts := newTestService(t, st, nil)
	ts.load(t)
	assert.Equal(t, []string{"/good/v1/model-catalog.json"}, ts.list(t))
	assert.Equal(t, 1.0, testutil.ToFloat64(ts.ld.m.errors.WithLabelValues(errInvalidStored)))
}

func TestRunStopsWhileWaitingForStorageRest(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	ts := newTestServiceAt(t, "http://"+addr, newFakeStorage(nil), nil)
	stop := ts.run(t)
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(ts.ld.m.loads.WithLabelValues("failure")) >= 1
	}, eventually, time.Millisecond)
	stop() // fails the test if Run does not return
	assert.False(t, ts.ix.Snapshot().Loaded())
}

// A new location instance (a restarted container) loads the same records
// and serves the same bytes, ETags included.
func TestRestartServesTheSameRecords(t *testing.T) {
	st := newFakeStorage(map[string]record.Record{
		"mnist__v1":   doc("mnist", 1),
		"granite__v2": withCard(doc("granite", 1), "", "# Granite"),
	})
	first := newTestService(t, st, nil)
	stop := first.run(t)
	require.Eventually(t, func() bool { return first.ix.Snapshot().Loaded() }, eventually, time.Millisecond)
	// A forward, after storage-rest stored it.
	st.set("added__v1", doc("added", 2))
	require.Equal(t, http.StatusOK, first.upsert(t, "added__v1", doc("added", 2)).Code)
	stop()

	second := newTestService(t, st, nil)
	second.load(t)
	require.Equal(t, first.do(http.MethodGet, "/list", nil).Body.String(), second.do(http.MethodGet, "/list", nil).Body.String())
	require.Len(t, second.list(t), 3)
	for _, uri := range append(second.list(t), "/modelcard?key=granite__v2") {
		a, b := first.do(http.MethodGet, uri, nil), second.do(http.MethodGet, uri, nil)
		require.Equal(t, http.StatusOK, b.Code, uri)
		assert.Equal(t, a.Body.String(), b.Body.String(), uri)
		assert.Equal(t, a.Header().Get("ETag"), b.Header().Get("ETag"), "ETags survive a restart: %s", uri)
	}
}
