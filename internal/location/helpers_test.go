package location

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/storageclient"
)

// fakeStorage implements storage-rest's GET /records as storageclient
// expects it.
type fakeStorage struct {
	mu   sync.Mutex
	recs map[string]record.Record
	// during, when set, runs inside each GET /records after the records
	// were read and before they are sent: a load "in flight".
	during   func()
	requests atomic.Int32
	// digest serves GET /digest too, as storage-rest since 2026-11-29.
	digest  bool
	digests atomic.Int32
}

func newFakeStorage(recs map[string]record.Record) *fakeStorage {
	if recs == nil {
		recs = map[string]record.Record{}
	}
	return &fakeStorage{recs: recs}
}

func (f *fakeStorage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/digest" && f.digest {
		f.digests.Add(1)
		f.mu.Lock()
		d := record.DigestOf(f.recs)
		f.mu.Unlock()
		httpserver.WriteJSON(w, http.StatusOK, record.DigestAnswer{Records: d.Len(), Digest: d.String()})
		return
	}
	if r.Method != http.MethodGet || r.URL.Path != "/records" {
		httpserver.WriteError(w, http.StatusNotFound, "no route")
		return
	}
	f.requests.Add(1)
	f.mu.Lock()
	b, err := json.Marshal(record.RecordSet{Records: f.recs})
	during := f.during
	f.mu.Unlock()
	if err != nil {
		httpserver.WriteError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	if during != nil {
		during()
	}
	httpserver.WriteRawJSON(w, http.StatusOK, b)
}

func (f *fakeStorage) set(key string, r record.Record) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recs[key] = r
}

func doc(name string, ts int64) record.Record {
	return record.Record{
		Body: []byte(fmt.Sprintf(`{"models":[{"name":%q,"owner":"rhdh-rhoai-bridge","lifecycle":"development","description":"model %s"}]}`,
			name, name)),
		LastUpdateTimeSinceEpoch: record.Epoch(ts),
	}
}

type testService struct {
	*Service
	h       http.Handler
	storage *fakeStorage
	url     string
	reg     *prometheus.Registry
}

// newTestService builds a Service and its full router (as main wires it)
// against a fake storage-rest started on an httptest server.
func newTestService(t testing.TB, st *fakeStorage, mod func(*Config)) *testService {
	t.Helper()
	srv := httptest.NewServer(st)
	t.Cleanup(srv.Close)
	return newTestServiceAt(t, srv.URL, st, mod)
}

func newTestServiceAt(t testing.TB, url string, st *fakeStorage, mod func(*Config)) *testService {
	t.Helper()
	reg := prometheus.NewRegistry()
	var log logr.Logger
	if tt, ok := t.(*testing.T); ok {
		log = testr.NewWithOptions(tt, testr.Options{Verbosity: 1})
	} else {
		log = logr.Discard()
	}
	cfg := Config{
		Storage:    storageclient.New(url),
		StorageURL: url,
		Log:        log,
		Registry:   reg,
		Backoff:    Backoff{Initial: 2 * time.Millisecond, Max: 10 * time.Millisecond},
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	require.NoError(t, err)
	router := httpserver.NewRouter(httpserver.RouterOptions{Service: "location", Log: cfg.Log, Registry: reg, Ready: s.Ready})
	s.Mount(router)
	return &testService{Service: s, h: router, storage: st, url: url, reg: reg}
}

// load runs the start-up load to completion.
func (ts *testService) load(t testing.TB) {
	t.Helper()
	ok := ts.ld.initial(context.Background())
	require.True(t, ok)
}

func loopback(r *http.Request) { r.RemoteAddr = "127.0.0.1:40000" }
func remote(r *http.Request)   { r.RemoteAddr = "10.1.2.3:40000" }

func header(k, v string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set(k, v) }
}

// do serves one request; requests come from loopback unless a modifier
// says otherwise.
func (ts *testService) do(method, target string, body io.Reader, mods ...func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, body)
	loopback(r)
	for _, m := range mods {
		m(r)
	}
	w := httptest.NewRecorder()
	ts.h.ServeHTTP(w, r)
	return w
}

func (ts *testService) upsert(t testing.TB, key string, rec record.Record) *httptest.ResponseRecorder {
	t.Helper()
	b, err := json.Marshal(rec)
	require.NoError(t, err)
	return ts.do(http.MethodPost, "/upsert?key="+key, strings.NewReader(string(b)))
}

func (ts *testService) list(t testing.TB) []string {
	t.Helper()
	w := ts.do(http.MethodGet, "/list", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var l record.URIList
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &l))
	return l.URIs
}
