package storagerest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/store"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/locationclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// fakeStore is an in-memory Store for handler unit tests.
type fakeStore struct {
	mu       sync.Mutex
	recs     map[string]record.Record
	writes   int
	err      error
	notReady error
}

func newFakeStore() *fakeStore { return &fakeStore{recs: map[string]record.Record{}} }

func (f *fakeStore) Upsert(_ context.Context, key string, rec record.Record) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	if f.err != nil {
		return "", f.err
	}
	old, ok := f.recs[key]
	if ok && old.SameContent(&rec) {
		return record.UpsertUnchanged, nil
	}
	f.recs[key] = rec
	if ok {
		return record.UpsertUpdated, nil
	}
	return record.UpsertCreated, nil
}

// UpsertMany is Upsert for each record, as the real store answers it.
func (f *fakeStore) UpsertMany(ctx context.Context, recs []store.KeyedRecord) []store.Outcome {
	out := make([]store.Outcome, len(recs))
	for i, r := range recs {
		out[i].Status, out[i].Err = f.Upsert(ctx, r.Key, r.Record)
	}
	return out
}

func (f *fakeStore) Remove(_ context.Context, key string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	if f.err != nil {
		return false, f.err
	}
	_, ok := f.recs[key]
	delete(f.recs, key)
	return ok, nil
}

func (f *fakeStore) RemoveExcept(_ context.Context, keep []string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	if f.err != nil {
		return nil, f.err
	}
	live := map[string]bool{}
	for _, k := range keep {
		live[k] = true
	}
	var removed []string
	for k := range f.recs {
		if !live[k] {
			removed = append(removed, k)
			delete(f.recs, k)
		}
	}
	sort.Strings(removed)
	return removed, nil
}

func (f *fakeStore) Get(key string) (record.Record, []byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.recs[key]
	if !ok {
		return record.Record{}, nil, false
	}
	b, _ := json.Marshal(r)
	return r, b, true
}

func (f *fakeStore) Keys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	keys := []string{}
	for k := range f.recs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (f *fakeStore) Snapshot() []store.Item {
	f.mu.Lock()
	defer f.mu.Unlock()
	var items []store.Item
	for k, r := range f.recs {
		b, _ := json.Marshal(r)
		items = append(items, store.Item{Key: k, JSON: b})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Key < items[j].Key })
	return items
}

func (f *fakeStore) Ready() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.notReady
}

func (f *fakeStore) record(key string) (record.Record, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.recs[key]
	return r, ok
}

func (f *fakeStore) writeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes
}

// fakeLocation is location's write API; status, when set, is what it
// answers instead.
type fakeLocation struct {
	mu      sync.Mutex
	recs    map[string]record.Record
	removed []string
	// received counts the records received per key, batched or not.
	received map[string]int
	// refuse lists keys refused with 400, alone or in a batch.
	refuse map[string]bool
	// onBatch, when set, runs with a batch's keys before it is applied.
	onBatch func(keys []string)
	status  atomic.Int32
	// batchStatus, when set, is what POST /upsertbatch answers instead
	// (404: a location older than the batch API).
	batchStatus atomic.Int32
	calls       atomic.Int64
	// batches and singles count the requests to POST /upsertbatch and
	// POST /upsert that status let through.
	batches, singles atomic.Int64
}

func newFakeLocation() *fakeLocation {
	return &fakeLocation{recs: map[string]record.Record{}, received: map[string]int{}, refuse: map[string]bool{}}
}

// serveFakeLocation serves a new fakeLocation until the test ends and
// returns it with its URL.
func serveFakeLocation(t *testing.T) (*fakeLocation, string) {
	t.Helper()
	loc := newFakeLocation()
	srv := httptest.NewServer(loc)
	t.Cleanup(srv.Close)
	return loc, srv.URL
}

func (l *fakeLocation) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.calls.Add(1)
	if c := l.status.Load(); c != 0 {
		httpserver.WriteError(w, int(c), "location says no")
		return
	}
	key := r.URL.Query().Get("key")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/upsert":
		l.singles.Add(1)
		var rec record.Record
		if err := json.NewDecoder(r.Body).Decode(&rec); err != nil {
			httpserver.WriteError(w, http.StatusBadRequest, "bad record: %v", err)
			return
		}
		if err := l.put(key, rec); err != "" {
			httpserver.WriteError(w, http.StatusBadRequest, "%s", err)
			return
		}
	case r.Method == http.MethodPost && r.URL.Path == "/upsertbatch":
		l.upsertBatch(w, r)
		return
	case r.Method == http.MethodDelete && r.URL.Path == "/remove":
		l.mu.Lock()
		delete(l.recs, key)
		l.removed = append(l.removed, key)
		l.mu.Unlock()
	default:
		httpserver.WriteError(w, http.StatusNotFound, "no such endpoint")
		return
	}
	httpserver.WriteJSON(w, http.StatusOK, map[string]string{})
}

func (l *fakeLocation) upsertBatch(w http.ResponseWriter, r *http.Request) {
	l.batches.Add(1)
	if c := l.batchStatus.Load(); c != 0 {
		httpserver.WriteError(w, int(c), "no batch for you")
		return
	}
	var b struct {
		Items []locationclient.BatchItem `json:"items"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		httpserver.WriteError(w, http.StatusBadRequest, "bad batch: %v", err)
		return
	}
	keys := make([]string, len(b.Items))
	for i, it := range b.Items {
		keys[i] = it.Key
	}
	l.mu.Lock()
	hook := l.onBatch
	l.mu.Unlock()
	if hook != nil {
		hook(keys)
	}
	res := make([]locationclient.BatchResult, len(b.Items))
	for i, it := range b.Items {
		res[i].Key = it.Key
		if it.Record == nil {
			res[i].Code, res[i].Error = http.StatusBadRequest, "no record"
			continue
		}
		if err := l.put(it.Key, *it.Record); err != "" {
			res[i].Code, res[i].Error = http.StatusBadRequest, err
			continue
		}
		res[i].Status = "created"
	}
	httpserver.WriteJSON(w, http.StatusOK, map[string]any{"results": res})
}

// put stores rec unless key is refused, then it says why.
func (l *fakeLocation) put(key string, rec record.Record) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.refuse[key] {
		return "record " + key + " is refused"
	}
	l.recs[key] = rec
	l.received[key]++
	return ""
}

func (l *fakeLocation) setOnBatch(hook func(keys []string)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.onBatch = hook
}

func (l *fakeLocation) receivedOf(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.received[key]
}

func (l *fakeLocation) get(key string) (record.Record, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.recs[key]
	return r, ok
}

func (l *fakeLocation) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recs)
}

func (f *fakeStore) Digest() (int, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := record.DigestOf(f.recs)
	return d.Len(), d.String()
}
