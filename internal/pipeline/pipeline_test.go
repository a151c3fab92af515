package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registryclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// fakeStore is storage-rest in memory, counting calls.
type fakeStore struct {
	mu      sync.Mutex
	recs    map[string]record.Record
	calls   map[string]int
	failAll bool
	fail    map[string]error // per key
	noBatch bool             // a storage-rest without POST /upsertbatch
	// digest, when set, is kept as records are written, as storage-rest
	// keeps it, instead of computed on each call: for benchmarks, which
	// never edit recs behind the store's back.
	digest *record.Digest
}

func newFakeStore() *fakeStore {
	return &fakeStore{recs: map[string]record.Record{}, calls: map[string]int{}}
}

func (m *fakeStore) Records(context.Context) (map[string]record.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["records"]++
	if m.failAll {
		return nil, errors.New("connection refused")
	}
	out := map[string]record.Record{}
	for k, v := range m.recs {
		out[k] = v
	}
	return out, nil
}

func (m *fakeStore) Digest(context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["digest"]++
	if m.failAll {
		return "", errors.New("connection refused")
	}
	if m.digest != nil {
		return m.digest.String(), nil
	}
	d := record.DigestOf(m.recs)
	return d.String(), nil
}

func (m *fakeStore) Upsert(_ context.Context, key, typ string, rec *record.Record) (*record.UpsertResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["upsert"]++
	if m.failAll {
		return nil, errors.New("connection refused")
	}
	if err := m.fail[key]; err != nil {
		return nil, err
	}
	r := *rec
	r.ReconcilerType = typ
	r.LocationTarget = "/" + key // storage-rest fills it; it must not count as a change
	m.drop(key)
	if m.digest != nil {
		m.digest.Add(key, &r)
	}
	m.recs[key] = r
	return &record.UpsertResult{Key: key, Status: record.UpsertUpdated}, nil
}

// UpsertBatch stores each item as Upsert would, unless noBatch plays a
// storage-rest without the batch API.
func (m *fakeStore) UpsertBatch(ctx context.Context, items []record.BatchItem) ([]record.BatchItemResult, error) {
	m.mu.Lock()
	m.calls["upsertbatch"]++
	noBatch, failAll := m.noBatch, m.failAll
	m.mu.Unlock()
	switch {
	case noBatch:
		return nil, statusErr(http.StatusNotFound)
	case failAll:
		return nil, errors.New("connection refused")
	}
	out := make([]record.BatchItemResult, len(items))
	for i := range items {
		out[i].Key = items[i].Key
		res, err := m.Upsert(ctx, items[i].Key, items[i].Type, &items[i].Record)
		var se interface{ StatusCode() int }
		switch {
		case errors.As(err, &se):
			out[i].Code, out[i].Error = se.StatusCode(), err.Error()
		case err != nil:
			out[i].Code, out[i].Error = http.StatusServiceUnavailable, err.Error()
		default:
			out[i].Status = res.Status
		}
	}
	return out, nil
}

func (m *fakeStore) CurrentKeySet(_ context.Context, keys []string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["currentkeyset"]++
	keep := map[string]bool{}
	for _, k := range keys {
		keep[k] = true
	}
	var removed []string
	for k := range m.recs {
		if !keep[k] {
			removed = append(removed, k)
			m.drop(k)
		}
	}
	return removed, nil
}

func (m *fakeStore) Remove(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["remove"]++
	if m.failAll {
		return errors.New("connection refused")
	}
	m.drop(key)
	return nil
}

// drop deletes key's record; m.mu is held.
func (m *fakeStore) drop(key string) {
	if old, ok := m.recs[key]; ok && m.digest != nil {
		m.digest.Remove(key, &old)
	}
	delete(m.recs, key)
}

func (m *fakeStore) keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ks []string
	for k := range m.recs {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (m *fakeStore) total() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.calls {
		n += c
	}
	return n
}

type fakeDiscovery struct {
	res   discovery.Result
	err   error
	calls int
}

func (f *fakeDiscovery) Discover(context.Context) (discovery.Result, error) {
	f.calls++
	return f.res, f.err
}

// fakeRegistry serves a snapshot of models named name-i with one version v1.
type fakeRegistry struct {
	models []string
	err    error
	// version is the snapshots' Version ("": the fake cannot tell).
	version string
	// stamped gives every object a lastUpdateTimeSinceEpoch, so that
	// builds can tell them unchanged (mapping.Cache).
	stamped bool
	calls   int
}

func (f *fakeRegistry) Snapshot(context.Context) (*registryclient.Snapshot, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	s := &registryclient.Snapshot{RegistrySnapshot: mapping.RegistrySnapshot{Version: f.version, VersionArtifacts: map[string][]*registrymodel.ModelArtifact{}}, Requests: 5}
	for i, name := range f.models {
		rmID, mvID := fmt.Sprint(i+1), fmt.Sprint(100+i)
		var stamp registrymodel.Epoch
		if f.stamped {
			stamp = 1
		}
		s.RegisteredModels = append(s.RegisteredModels, registrymodel.RegisteredModel{ID: rmID, Name: name, LastUpdateTimeSinceEpoch: stamp})
		s.ModelVersions = append(s.ModelVersions, registrymodel.ModelVersion{ID: mvID, Name: "v1", RegisteredModelID: rmID, LastUpdateTimeSinceEpoch: stamp})
		s.VersionArtifacts[mvID] = nil
	}
	return s, nil
}

type fixture struct {
	disc    *fakeDiscovery
	regs    map[string]*fakeRegistry
	store   *fakeStore
	p       *Pipeline
	servers *fakeServers
}

type fakeServers struct {
	list []mapping.Server
	err  error
}

func (f *fakeServers) Servers(context.Context) ([]mapping.Server, error) { return f.list, f.err }

func newFixture(regs map[string]*fakeRegistry) *fixture {
	f := &fixture{disc: &fakeDiscovery{}, regs: regs, store: newFakeStore(), servers: &fakeServers{}}
	for u := range regs {
		f.disc.res.Registries = append(f.disc.res.Registries, discovery.Endpoint{Name: u, URL: u})
	}
	sort.Slice(f.disc.res.Registries, func(i, j int) bool { return f.disc.res.Registries[i].URL < f.disc.res.Registries[j].URL })
	f.p = New(Config{
		Discoverer:  f.disc,
		Servers:     f.servers,
		NewRegistry: func(ep discovery.Endpoint) RegistryReader { return f.regs[ep.URL] },
		NewCatalog:  func(discovery.Endpoint) CardReader { return nil },
		Store:       f.store,
		Log:         logr.Discard(),
	})
	return f
}

func (f *fixture) sync(t *testing.T) Result {
	t.Helper()
	res, err := f.p.Sync(context.Background())
	require.NoError(t, err)
	return res
}

func TestSyncPublishesAndIsIdempotent(t *testing.T) {
	f := newFixture(map[string]*fakeRegistry{"http://a": {models: []string{"mnist", "granite"}}})
	res := f.sync(t)
	assert.Equal(t, 2, res.Upserted)
	assert.Equal(t, []string{"granite__v1", "mnist__v1"}, f.store.keys())

	before := f.store.total()
	digests := f.store.calls["digest"]
	res = f.sync(t)
	assert.Equal(t, 0, res.Upserted)
	assert.Equal(t, digests+1, f.store.calls["digest"], "an unchanged sync asks for the digest")
	assert.Equal(t, before+1, f.store.total(), "and makes no other storage-rest call")
}

type statusErr int

func (e statusErr) Error() string   { return fmt.Sprintf("HTTP %d", int(e)) }
func (e statusErr) StatusCode() int { return int(e) }

// A sync is complete (the normalizer ready) only once every record that can
// be stored is; a record storage-rest refuses as invalid does not hold it
// back for ever.
func TestSyncIsCompleteOnlyWhenEveryStorableRecordIsStored(t *testing.T) {
	for _, noBatch := range []bool{false, true} {
		f := newFixture(map[string]*fakeRegistry{"http://a": {models: []string{"mnist", "granite", "phi"}}})
		f.store.noBatch = noBatch
		f.store.fail = map[string]error{
			"mnist__v1":   fmt.Errorf("upsert: %w", statusErr(http.StatusServiceUnavailable)),
			"granite__v1": fmt.Errorf("upsert: %w", statusErr(http.StatusRequestEntityTooLarge)),
		}
		res := f.sync(t)
		assert.Equal(t, 1, res.Upserted, "noBatch=%v", noBatch)
		assert.Equal(t, 2, res.Failed, "noBatch=%v", noBatch)
		assert.Equal(t, 1, res.Refused, "413 is the record's fault (noBatch=%v)", noBatch)
		assert.False(t, res.Complete(), "mnist can still be stored (noBatch=%v)", noBatch)

		delete(f.store.fail, "mnist__v1") // storage-rest is back
		res = f.sync(t)
		assert.Equal(t, 1, res.Upserted, "noBatch=%v", noBatch)
		assert.True(t, res.Complete(), "only the refused record is missing (noBatch=%v)", noBatch)
		assert.Equal(t, []string{"mnist__v1", "phi__v1"}, f.store.keys(), "noBatch=%v", noBatch)
	}
}

// A first publish goes to storage-rest in batches of about a ConfigMap's
// worth of records, so that it writes each ConfigMap about once.
func TestRecordsAreSentInBatches(t *testing.T) {
	models := make([]string, 2500)
	for i := range models {
		models[i] = fmt.Sprintf("model-%04d", i)
	}
	f := newFixture(map[string]*fakeRegistry{"http://a": {models: models}})
	res := f.sync(t)
	assert.Equal(t, 2500, res.Upserted)
	assert.Equal(t, 3, f.store.calls["upsertbatch"], "batches of at most %d records", batchRecords)
	assert.Len(t, f.store.keys(), 2500)
}

// A storage-rest older than POST /upsertbatch gets the records one by one,
// and is asked for the batch API only once.
func TestAStorageRestWithoutTheBatchAPIGetsRecordsOneByOne(t *testing.T) {
	reg := &fakeRegistry{models: []string{"mnist", "granite", "phi"}}
	f := newFixture(map[string]*fakeRegistry{"http://a": reg})
	f.store.noBatch = true
	res := f.sync(t)
	assert.Equal(t, 3, res.Upserted)
	assert.True(t, res.Complete())
	assert.Equal(t, []string{"granite__v1", "mnist__v1", "phi__v1"}, f.store.keys())

	reg.models = append(reg.models, "llama")
	res = f.sync(t)
	assert.Equal(t, 1, res.Upserted)
	assert.Equal(t, 1, f.store.calls["upsertbatch"], "not asked again")
	assert.Equal(t, 4, f.store.calls["upsert"])
}

// Big records make smaller batches: a batch stays near batchBytes.
func TestBatchesAreBoundedByBytes(t *testing.T) {
	items := make([]record.BatchItem, 10)
	for i := range items {
		items[i] = record.BatchItem{Key: fmt.Sprintf("m%d__v1", i), Type: record.TypeKubeflow,
			Record: record.Record{Body: make([]byte, 300<<10)}} // 400 KiB in base64
	}
	store := newFakeStore()
	p := New(Config{Discoverer: &fakeDiscovery{}, Store: store, Log: logr.Discard()})
	n := 0
	for r := range p.write(context.Background(), items) {
		require.NoError(t, r.err)
		n++
	}
	assert.Equal(t, 10, n)
	assert.Equal(t, 5, store.calls["upsertbatch"], "two 400 KiB records per 1 MiB batch")
}

func TestFailingRegistryKeepsItsModels(t *testing.T) {
	reg := &fakeRegistry{models: []string{"mnist", "granite"}}
	f := newFixture(map[string]*fakeRegistry{"http://a": reg})
	f.sync(t)
	reg.err = errors.New("HTTP 500")
	res := f.sync(t)
	assert.Equal(t, 0, res.Removed)
	assert.Contains(t, res.Unhealthy, "registry http://a")
	assert.Equal(t, []string{"granite__v1", "mnist__v1"}, f.store.keys(), "a failing registry loses nothing")

	reg.err = nil
	reg.models = []string{"mnist"}
	res = f.sync(t)
	assert.Equal(t, 1, res.Removed, "a real deletion goes through once the registry answers")
	assert.Equal(t, []string{"mnist__v1"}, f.store.keys())
}

func TestNoRemovalBeforeEverySourceAnswered(t *testing.T) {
	f := newFixture(map[string]*fakeRegistry{"http://a": {err: errors.New("dial tcp: connection refused")}})
	f.store.recs["mnist__v1"] = record.Record{Body: []byte("{}")} // published by an earlier run
	f.servers.err = ErrServersNotReady
	res := f.sync(t)
	assert.False(t, res.Removals)
	assert.Equal(t, []string{"mnist__v1"}, f.store.keys(), "a normalizer starting while the registry is down removes nothing")

	f.regs["http://a"].err = nil
	f.regs["http://a"].models = []string{"granite"}
	res = f.sync(t)
	assert.False(t, res.Removals, "the InferenceService watch has not answered yet")
	assert.Equal(t, []string{"granite__v1", "mnist__v1"}, f.store.keys())

	f.servers.err = nil
	f.sync(t)
	assert.Equal(t, []string{"granite__v1"}, f.store.keys())
}

func TestDiscoveryFailureKeepsRegistries(t *testing.T) {
	f := newFixture(map[string]*fakeRegistry{"http://a": {models: []string{"mnist"}}})
	f.sync(t)
	f.disc.err = errors.New("forbidden")
	res := f.sync(t)
	assert.False(t, res.Removals)
	assert.Equal(t, []string{"mnist__v1"}, f.store.keys())

	// The registry is really gone: discovery answers without it.
	f.disc.err = nil
	f.disc.res.Registries = nil
	f.sync(t)
	assert.Empty(t, f.store.keys())
}

func TestStoreDownIsAnErrorAndRetried(t *testing.T) {
	f := newFixture(map[string]*fakeRegistry{"http://a": {models: []string{"mnist"}}})
	f.store.failAll = true
	_, err := f.p.Sync(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "storage-rest")
	f.store.failAll = false
	res := f.sync(t)
	assert.Equal(t, 1, res.Upserted)
}

func TestMakePlanIgnoresTimestampsAndDerivedFields(t *testing.T) {
	out := []mapping.Output{{Key: "a", Type: record.TypeKubeflow, Body: []byte("x")}, {Key: "b", Type: record.TypeKubeflow, Body: []byte("y")}}
	stored := map[string]record.Record{
		"a": {Body: []byte("x"), ReconcilerType: record.TypeKubeflow, LastUpdateTimeSinceEpoch: 5, LocationTarget: "/a/model-catalog.json"},
		"b": {Body: []byte("old"), ReconcilerType: record.TypeKubeflow},
		"c": {Body: []byte("z")},
	}
	hashes := map[string]record.Hash{}
	for k, r := range stored {
		hashes[k] = record.HashOf(k, &r)
	}
	p := MakePlan(out, hashes)
	require.Len(t, p.Upserts, 1)
	assert.Equal(t, "b", p.Upserts[0].Key)
	assert.Equal(t, []string{"c"}, p.Removals)
	assert.Equal(t, []string{"a", "b"}, p.Keys)
	assert.False(t, p.Empty())
	assert.True(t, MakePlan(out[:1], map[string]record.Hash{"a": hashes["a"]}).Empty())
}

func TestEmptyAnswerMustBeConfirmed(t *testing.T) {
	reg := &fakeRegistry{models: []string{"mnist", "granite"}}
	f := newFixture(map[string]*fakeRegistry{"http://a": reg})
	f.sync(t)
	reg.models = nil // the registry suddenly holds nothing
	for i := 1; i < 3; i++ {
		f.sync(t)
		assert.Equal(t, []string{"granite__v1", "mnist__v1"}, f.store.keys(), "empty answer %d is not believed yet", i)
	}
	// One good answer in between resets the count.
	reg.models = []string{"mnist", "granite"}
	f.sync(t)
	reg.models = nil
	f.sync(t)
	f.sync(t)
	assert.Len(t, f.store.keys(), 2)
	f.sync(t) // third empty answer in a row: a real deletion of everything
	assert.Empty(t, f.store.keys())
}
