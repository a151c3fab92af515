package storagerest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/location"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/storagerest"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/store"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/locationclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/storageclient"
)

// One control plane for the package; each test has its own namespace.
var apiServer *rest.Config

func TestMain(m *testing.M) {
	os.Exit(testenv.RunMain(m, func(_ *envtest.Environment, cfg *rest.Config) error {
		apiServer = cfg
		return nil
	}))
}

func kubeClient(t *testing.T) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(apiServer)
	require.NoError(t, err)
	return cs
}

// stack is storage-rest as main wires it: store, forwarder and handler.
type stack struct {
	store  *store.Store
	fwd    *storagerest.Forwarder
	client *storageclient.Client
	url    string
	stop   func()
}

func startStack(t *testing.T, ns, locationURL string) *stack {
	t.Helper()
	kc, err := store.NewClient(apiServer)
	require.NoError(t, err)
	fwd, err := storagerest.NewForwarder(storagerest.ForwarderOptions{
		Location: locationclient.New(locationURL), URL: locationURL, Log: logr.Discard(),
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
	})
	require.NoError(t, err)
	st, err := store.New(store.Options{Client: kc, Namespace: ns, Log: logr.Discard(), OnChange: fwd.Enqueue})
	require.NoError(t, err)
	h, err := storagerest.NewHandler(storagerest.Options{Store: st, Log: logr.Discard()})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	ctx, cancel := context.WithCancel(context.Background())
	storeDone, fwdDone := make(chan error, 1), make(chan struct{})
	go func() { storeDone <- st.Run(ctx) }()
	go func() {
		defer close(fwdDone)
		fwd.Run(ctx)
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		srv.Close()
		cancel()
		require.NoError(t, <-storeDone)
		<-fwdDone
	}
	t.Cleanup(stop)
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	require.NoError(t, st.WaitReady(wctx))
	return &stack{store: st, fwd: fwd, client: storageclient.New(srv.URL), url: srv.URL, stop: stop}
}

func modelDoc(name string) []byte {
	return []byte(fmt.Sprintf(`{"models":[{"name":%q,"owner":"o","lifecycle":"l","description":"d"}]}`, name))
}

func storedInConfigMap(t *testing.T, ns, key string) (record.Record, bool) {
	t.Helper()
	cm, err := kubeClient(t).CoreV1().ConfigMaps(ns).Get(context.Background(), store.DefaultName, metav1.GetOptions{})
	require.NoError(t, err)
	v, ok := cm.BinaryData[key]
	if !ok {
		return record.Record{}, false
	}
	var r record.Record
	require.NoError(t, json.Unmarshal(v, &r))
	return r, true
}

func TestChangesReachLocationAndCatchUpAfterAnOutage(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "storagerest")
	loc, locURL := serveFakeLocation(t)
	s := startStack(t, ns, locURL)
	ctx := context.Background()

	_, err := s.client.Upsert(ctx, "mnist__v1", record.TypeKServe, &record.Record{Body: modelDoc("mnist"), LastUpdateTimeSinceEpoch: 1, ModelCard: "# MNIST"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { _, ok := loc.get("mnist__v1"); return ok }, 10*time.Second, 5*time.Millisecond)
	got, _ := loc.get("mnist__v1")
	assert.Equal(t, "# MNIST", got.ModelCard)
	assert.Equal(t, "/mnist/v1/model-catalog.json", got.LocationTarget)

	// Location goes down: writes still succeed and are durable.
	loc.status.Store(http.StatusServiceUnavailable)
	res, err := s.client.Upsert(ctx, "granite__v2", record.TypeKubeflow, &record.Record{Body: modelDoc("granite"), LastUpdateTimeSinceEpoch: 2})
	require.NoError(t, err)
	assert.Equal(t, record.UpsertCreated, res.Status)
	removed, err := s.client.CurrentKeySet(ctx, []string{"granite__v2"})
	require.NoError(t, err)
	assert.Equal(t, []string{"mnist__v1"}, removed)
	_, ok := storedInConfigMap(t, ns, "granite__v2")
	assert.True(t, ok, "stored while location is down")
	_, ok = storedInConfigMap(t, ns, "mnist__v1")
	assert.False(t, ok)
	_, ok = loc.get("granite__v2")
	assert.False(t, ok, "location has not heard yet")
	assert.Positive(t, s.fwd.Pending())

	// Location comes back and catches up with both changes.
	loc.status.Store(0)
	require.Eventually(t, func() bool {
		_, hasNew := loc.get("granite__v2")
		_, hasOld := loc.get("mnist__v1")
		return hasNew && !hasOld
	}, 10*time.Second, 5*time.Millisecond)
}

func TestRestartServesEverythingAndLocationReloads(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "storagerest")
	first := startStack(t, ns, "http://127.0.0.1:1") // location never answers
	ctx := context.Background()
	for i := range 30 {
		key := fmt.Sprintf("model-%02d__v1", i)
		_, err := first.client.Upsert(ctx, key, record.TypeKubeflow, &record.Record{
			Body: modelDoc(key), LastUpdateTimeSinceEpoch: record.Epoch(i + 1), ModelCard: "# card " + key, ModelCardKey: fmt.Sprintf("model-%02d", i),
		})
		require.NoError(t, err)
	}
	first.stop()

	loc, locURL := serveFakeLocation(t)
	second := startStack(t, ns, locURL)
	all, err := second.client.Records(ctx)
	require.NoError(t, err)
	require.Len(t, all, 30)
	for i := range 30 {
		key := fmt.Sprintf("model-%02d__v1", i)
		r := all[key]
		assert.JSONEq(t, string(modelDoc(key)), string(r.Body), key)
		assert.Equal(t, "# card "+key, r.ModelCard)
		assert.Equal(t, fmt.Sprintf("model-%02d", i), r.ModelCardKey)
		assert.Equal(t, record.Epoch(i+1), r.LastUpdateTimeSinceEpoch)
		assert.Equal(t, record.TypeKubeflow, r.ReconcilerType)
	}
	require.Eventually(t, func() bool { return loc.count() == 30 }, 10*time.Second, 5*time.Millisecond,
		"a restarted storage-rest hands location what it loaded")
}

func TestHTTPErrorsAgainstTheRealStore(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "storagerest")
	s := startStack(t, ns, "http://127.0.0.1:1")
	ctx := context.Background()
	_, err := s.client.Upsert(ctx, "m", record.TypeKubeflow, &record.Record{Body: modelDoc("v2"), LastUpdateTimeSinceEpoch: 10})
	require.NoError(t, err)

	before := s.store.APICalls()
	res, err := s.client.Upsert(ctx, "m", record.TypeKubeflow, &record.Record{Body: modelDoc("v2"), LastUpdateTimeSinceEpoch: 11})
	require.NoError(t, err)
	assert.Equal(t, record.UpsertUnchanged, res.Status)
	assert.Zero(t, s.store.APICalls().Sub(before).Requests(), "an identical upsert does not reach the API server")

	_, err = s.client.Upsert(ctx, "m", record.TypeKubeflow, &record.Record{Body: modelDoc("v1"), LastUpdateTimeSinceEpoch: 9})
	var se *storageclient.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusConflict, se.Code)
	assert.Contains(t, se.Message, "older")

	big := []byte(`{"d":"` + strings.Repeat("x", 900_000) + `"}`)
	_, err = s.client.Upsert(ctx, "big", record.TypeKubeflow, &record.Record{Body: big, LastUpdateTimeSinceEpoch: 1})
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusRequestEntityTooLarge, se.Code)
	assert.Contains(t, se.Message, "1048576")

	r, ok := storedInConfigMap(t, ns, "m")
	require.True(t, ok)
	assert.JSONEq(t, string(modelDoc("v2")), string(r.Body), "the stored record is untouched")
	_, ok = storedInConfigMap(t, ns, "big")
	assert.False(t, ok)
}

// gatedLocation serves the real location service (New, Mount, Run as
// cmd/location wires it) and counts the writes it gets. Until open is
// closed it holds every request, so that what storage-rest stores at once
// waits in the forwarder's queue whatever the machine's load.
type gatedLocation struct {
	open             chan struct{}
	h                http.Handler
	batches, singles atomic.Int64
}

func (g *gatedLocation) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	<-g.open
	switch r.URL.Path {
	case "/upsertbatch":
		g.batches.Add(1)
	case "/upsert":
		g.singles.Add(1)
	}
	g.h.ServeHTTP(w, r)
}

func TestABatchStoredReachesTheRealLocationInFewRequests(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "storagerest")
	gate := &gatedLocation{open: make(chan struct{})}
	locSrv := httptest.NewUnstartedServer(gate)
	s := startStack(t, ns, "http://"+locSrv.Listener.Addr().String())

	svc, err := location.New(location.Config{Storage: storageclient.New(s.url), StorageURL: s.url, Log: logr.Discard()})
	require.NoError(t, err)
	router := httpserver.NewRouter(httpserver.RouterOptions{Service: "location", Log: logr.Discard(), Ready: svc.Ready})
	svc.Mount(router)
	gate.h = router
	locSrv.Start()
	t.Cleanup(locSrv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go svc.Run(ctx)
	// Loaded (empty) first, so the records can only come by forwards.
	require.Eventually(t, func() bool { return svc.Ready() == nil }, 10*time.Second, 5*time.Millisecond)

	const n = 300
	items := make([]record.BatchItem, n)
	for i := range items {
		key := fmt.Sprintf("model-%03d__v1", i)
		items[i] = record.BatchItem{Key: key, Type: record.TypeKubeflow, Record: record.Record{Body: modelDoc(key), LastUpdateTimeSinceEpoch: 1}}
	}
	res, err := s.client.UpsertBatch(ctx, items)
	require.NoError(t, err)
	for _, r := range res {
		require.Equal(t, record.UpsertCreated, r.Status, r)
	}
	require.Eventually(t, func() bool { return s.fwd.Pending() == n }, 10*time.Second, 5*time.Millisecond, "every change queued for location")
	close(gate.open)

	loc := locationclient.New(locSrv.URL)
	require.Eventually(t, func() bool {
		uris, err := loc.List(ctx)
		return err == nil && len(uris) == n
	}, 20*time.Second, 10*time.Millisecond, "location serves every record")
	fctx, fcancel := context.WithTimeout(ctx, 10*time.Second)
	defer fcancel()
	require.Zero(t, s.fwd.Flush(fctx))
	assert.Positive(t, gate.batches.Load(), "forwarded with POST /upsertbatch")
	// At most one job per worker was taken while location held them; the
	// rest went in batches of up to 500.
	assert.LessOrEqual(t, gate.batches.Load()+gate.singles.Load(), int64(8), "%d records in a few requests", n)

	w := httptest.NewRecorder()
	router.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/model-123/v1/model-catalog.json", nil))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.JSONEq(t, string(modelDoc("model-123__v1")), w.Body.String())
}
