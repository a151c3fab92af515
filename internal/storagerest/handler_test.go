package storagerest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/storagerest"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/store"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/httpcheck"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/storageclient"
)

var fixedNow = time.UnixMilli(1_700_000_000_000)

func newHandler(t *testing.T, s storagerest.Store, mod ...func(*storagerest.Options)) (http.Handler, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	o := storagerest.Options{Store: s, Log: logr.Discard(), Registry: reg, Now: func() time.Time { return fixedNow }}
	for _, m := range mod {
		m(&o)
	}
	h, err := storagerest.NewHandler(o)
	require.NoError(t, err)
	return h, reg
}

// do sends a request from loopback unless remote is given.
func do(h http.Handler, method, target, body string, remote ...string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	req.RemoteAddr = "127.0.0.1:40000"
	if len(remote) > 0 {
		req.RemoteAddr = remote[0]
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func recordJSON(doc string, ts any) string {
	b, _ := json.Marshal(map[string]any{"body": base64.StdEncoding.EncodeToString([]byte(doc)), "lastUpdateTimeSinceEpoch": ts})
	return string(b)
}

const mnist = `{"models":[{"name":"mnist","owner":"o","lifecycle":"l","description":"d"}]}`

func TestUpsertStoresTheRecord(t *testing.T) {
	s := newFakeStore()
	h, _ := newHandler(t, s)
	res := do(h, http.MethodPost, "/upsert?key=mnist__v1&type=kserve", recordJSON(mnist, "1234"))
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	assert.JSONEq(t, `{"key":"mnist__v1","status":"created"}`, res.Body.String())
	got, ok := s.record("mnist__v1")
	require.True(t, ok)
	assert.Equal(t, mnist, string(got.Body))
	assert.Equal(t, record.Epoch(1234), got.LastUpdateTimeSinceEpoch)
	assert.Equal(t, record.TypeKServe, got.ReconcilerType)
	assert.Equal(t, "/mnist/v1/model-catalog.json", got.LocationTarget)

	res = do(h, http.MethodPost, "/upsert?key=mnist__v1&type=kubeflow", recordJSON(mnist, 99999))
	require.Equal(t, http.StatusOK, res.Code)
	assert.JSONEq(t, `{"key":"mnist__v1","status":"updated"}`, res.Body.String(), "the type changed")
	res = do(h, http.MethodPost, "/upsert?key=mnist__v1&type=kubeflow", recordJSON(mnist, 99999))
	assert.JSONEq(t, `{"key":"mnist__v1","status":"unchanged"}`, res.Body.String())
}

func TestUpsertStampsRecordsWithoutATimestamp(t *testing.T) {
	s := newFakeStore()
	h, _ := newHandler(t, s)
	body := fmt.Sprintf(`{"body":%q,"modelCard":"# hi","modelCardKey":"mnist"}`, base64.StdEncoding.EncodeToString([]byte(mnist)))
	require.Equal(t, http.StatusOK, do(h, http.MethodPost, "/upsert?key=mnist__v1&type=kubeflow", body).Code)
	got, _ := s.record("mnist__v1")
	assert.Equal(t, record.Epoch(fixedNow.UnixMilli()), got.LastUpdateTimeSinceEpoch)
	assert.Equal(t, "# hi", got.ModelCard)
	assert.Equal(t, "mnist", got.ModelCardKey)
}

func TestUpsertWithYAMLFormat(t *testing.T) {
	s := newFakeStore()
	h, _ := newHandler(t, s, func(o *storagerest.Options) { o.DocumentFile = record.FileYAML })
	require.Equal(t, http.StatusOK, do(h, http.MethodPost, "/upsert?key=m&type=kubeflow", recordJSON("apiVersion: v1\nkind: x\n", 1)).Code)
	got, _ := s.record("m")
	assert.Equal(t, "/m/catalog-info.yaml", got.LocationTarget)
}

func TestBadInputIsRefusedAndNothingChanges(t *testing.T) {
	good := recordJSON(mnist, 1)
	cases := []struct {
		name, method, target, body string
		code                       int
		says                       string
	}{
		{"missing key", "POST", "/upsert", good, 400, "key"},
		{"empty key", "POST", "/upsert?key=", good, 400, "key"},
		{"two keys", "POST", "/upsert?key=a&key=b", good, 400, "exactly one"},
		{"slash", "POST", "/upsert?key=a/b&type=kubeflow", good, 400, "invalid key"},
		{"dot dot", "POST", "/upsert?key=..&type=kubeflow", good, 400, "invalid key"},
		{"dot dot inside", "POST", "/upsert?key=a..b&type=kubeflow", good, 400, "invalid key"},
		{"space", "POST", "/upsert?key=a%20b&type=kubeflow", good, 400, "invalid key"},
		{"configmap-invalid char", "POST", "/upsert?key=a:b&type=kubeflow", good, 400, "invalid key"},
		{"too long key", "POST", "/upsert?key=" + strings.Repeat("a", 254), good, 400, "at most 253"},
		{"unknown type", "POST", "/upsert?key=a&type=foo", good, 400, "unknown type"},
		{"missing type", "POST", "/upsert?key=a", good, 400, "type is required: POST /upsert?key=a&type=kubeflow or type=kserve"},
		{"empty type", "POST", "/upsert?key=a&type=", good, 400, "type is required"},
		{"empty body", "POST", "/upsert?key=a&type=kubeflow", "", 400, "empty"},
		{"blank body", "POST", "/upsert?key=a&type=kubeflow", "  \n", 400, "empty"},
		{"malformed json", "POST", "/upsert?key=a&type=kubeflow", `{"body":`, 400, "not a record"},
		{"not an object", "POST", "/upsert?key=a&type=kubeflow", `[1]`, 400, "not a record"},
		{"body not base64", "POST", "/upsert?key=a&type=kubeflow", `{"body":"%%%"}`, 400, "not a record"},
		{"bad timestamp", "POST", "/upsert?key=a&type=kubeflow", `{"body":"e30=","lastUpdateTimeSinceEpoch":"soon"}`, 400, "lastUpdateTimeSinceEpoch"},
		{"negative timestamp", "POST", "/upsert?key=a&type=kubeflow", `{"body":"e30=","lastUpdateTimeSinceEpoch":-5}`, 400, "negative"},
		{"null record", "POST", "/upsert?key=a&type=kubeflow", `null`, 400, "body is empty"},
		{"no document", "POST", "/upsert?key=a&type=kubeflow", `{"lastUpdateTimeSinceEpoch":1}`, 400, "body is empty"},
		{"document not json", "POST", "/upsert?key=a&type=kubeflow", recordJSON("models: []", 1), 400, "JSON"},
		{"bad model card key", "POST", "/upsert?key=a&type=kubeflow", `{"body":"e30=","modelCardKey":"a/b"}`, 400, "modelCardKey"},
		{"too large", "POST", "/upsert?key=a&type=kubeflow", recordJSON(`{"d":"`+strings.Repeat("x", 2000)+`"}`, 1), 413, "at most 1024"},
		{"keyset empty body", "POST", "/currentkeyset", "", 400, "live keys"},
		{"keyset not array", "POST", "/currentkeyset", `{"keys":[]}`, 400, "JSON array"},
		{"keyset null", "POST", "/currentkeyset", `null`, 400, "JSON array"},
		{"keyset both forms", "POST", "/currentkeyset?key=a", `["a"]`, 400, "not both"},
		{"keyset bad key", "POST", "/currentkeyset", `["ok","bad key"]`, 400, "nothing was removed"},
		{"keyset bad legacy key", "POST", "/currentkeyset?key=ok,a/b", "", 400, "nothing was removed"},
		{"remove without key", "DELETE", "/remove", "", 400, "key"},
		{"remove bad key", "DELETE", "/remove?key=a%2Fb", "", 400, "invalid key"},
		{"fetch without key", "GET", "/fetch", "", 400, "key"},
		{"unknown path", "GET", "/nope", "", 404, "/nope"},
		{"old path", "POST", "/set?key=a", good, 404, "/upsert"},
		{"wrong method", "GET", "/upsert?key=a&type=kubeflow", "", 405, "GET"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newFakeStore()
			s.recs["keep"] = record.Record{Body: []byte("{}"), LastUpdateTimeSinceEpoch: 1}
			h, _ := newHandler(t, s, func(o *storagerest.Options) { o.MaxBodyBytes = 1024 })
			res := do(h, c.method, c.target, c.body)
			assert.Equal(t, c.code, res.Code, res.Body.String())
			assert.Contains(t, httpcheck.ErrorMessage(t, res), c.says)
			assert.Equal(t, 0, s.writeCount(), "the store was not called")
			assert.Equal(t, []string{"keep"}, s.Keys())
		})
	}
}

func TestBodyOverTheLimitWithoutContentLength(t *testing.T) {
	s := newFakeStore()
	h, _ := newHandler(t, s, func(o *storagerest.Options) { o.MaxBodyBytes = 1024 })
	req := httptest.NewRequest(http.MethodPost, "/upsert?key=a&type=kubeflow", strings.NewReader(recordJSON(strings.Repeat("x", 2000), 1)))
	req.RemoteAddr = "127.0.0.1:1"
	req.ContentLength = -1 // chunked
	res := httptest.NewRecorder()
	h.ServeHTTP(res, req)
	assert.Equal(t, http.StatusRequestEntityTooLarge, res.Code)
	assert.Contains(t, httpcheck.ErrorMessage(t, res), "more than the 1024 bytes accepted")
	assert.Equal(t, 0, s.writeCount())
}

func TestStoreErrorsMapToStatuses(t *testing.T) {
	cases := []struct {
		err  error
		code int
	}{
		{fmt.Errorf("%w: older", store.ErrStale), http.StatusConflict},
		{fmt.Errorf("%w: 2 MiB", store.ErrTooLarge), http.StatusRequestEntityTooLarge},
		{store.ErrNotReady, http.StatusServiceUnavailable},
		{store.ErrClosed, http.StatusServiceUnavailable},
		// Anything else storage-rest could not store: 503, never 500.
		{errors.New("updating ConfigMap bac-import-model: something odd"), http.StatusServiceUnavailable},
		{apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "bac-import-model",
			errors.New(`User "system:serviceaccount:rhdh:connector" cannot update resource "configmaps" in API group "" in the namespace "rhdh"`)), http.StatusServiceUnavailable},
		{apierrors.NewInternalError(errors.New("etcd went away")), http.StatusServiceUnavailable},
		// The API server down: not the caller's fault, retry later.
		{fmt.Errorf("updating ConfigMap bac-import-model: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), http.StatusServiceUnavailable},
		{apierrors.NewServiceUnavailable("etcdserver: leader changed"), http.StatusServiceUnavailable},
	}
	for _, c := range cases {
		s := newFakeStore()
		s.err = c.err
		h, reg := newHandler(t, s)
		res := do(h, http.MethodPost, "/upsert?key=a&type=kubeflow", recordJSON(mnist, 1))
		assert.Equal(t, c.code, res.Code, c.err.Error())
		assert.Contains(t, httpcheck.ErrorMessage(t, res), c.err.Error())
		if c.code == http.StatusServiceUnavailable {
			assert.NotEmpty(t, res.Header().Get("Retry-After"), c.err.Error())
			if !errors.Is(c.err, store.ErrNotReady) && !errors.Is(c.err, store.ErrClosed) {
				assert.Equal(t, 1.0, counterValue(t, reg, "rhoai_connector_storage_rest_errors_total"), "counted as storage-rest's failure: %v", c.err)
			}
		}
	}
}

func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

func TestCurrentKeySet(t *testing.T) {
	seed := func() *fakeStore {
		s := newFakeStore()
		for _, k := range []string{"a", "b", "c", "d"} {
			s.recs[k] = record.Record{Body: []byte("{}")}
		}
		return s
	}
	for name, req := range map[string][2]string{
		"json body":       {"/currentkeyset", `["a","c"]`},
		"legacy list":     {"/currentkeyset?key=a,c", ""},
		"legacy repeated": {"/currentkeyset?key=a&key=c", ""},
	} {
		t.Run(name, func(t *testing.T) {
			s := seed()
			h, _ := newHandler(t, s)
			res := do(h, http.MethodPost, req[0], req[1])
			require.Equal(t, http.StatusOK, res.Code, res.Body.String())
			assert.JSONEq(t, `{"removed":["b","d"]}`, res.Body.String())
			assert.Equal(t, []string{"a", "c"}, s.Keys())
		})
	}
	s := seed()
	h, _ := newHandler(t, s)
	res := do(h, http.MethodPost, "/currentkeyset", `[]`)
	require.Equal(t, http.StatusOK, res.Code)
	assert.JSONEq(t, `{"removed":["a","b","c","d"]}`, res.Body.String(), "[] removes everything")
	res = do(h, http.MethodPost, "/currentkeyset", `[]`)
	assert.Equal(t, `{"removed":[]}`, res.Body.String(), "an empty array, not null")
}

func TestReads(t *testing.T) {
	s := newFakeStore()
	h, _ := newHandler(t, s)
	res := do(h, http.MethodGet, "/list", "")
	assert.Equal(t, `{"keys":[]}`, res.Body.String())
	res = do(h, http.MethodGet, "/records", "")
	assert.Equal(t, `{"records":{}}`, res.Body.String())

	for _, k := range []string{"b__v1", "a", "c.d-e_f"} {
		require.Equal(t, http.StatusOK, do(h, http.MethodPost, "/upsert?type=kubeflow&key="+k, recordJSON(`{"k":"`+k+`"}`, 5)).Code)
	}
	res = do(h, http.MethodGet, "/list", "")
	assert.JSONEq(t, `{"keys":["a","b__v1","c.d-e_f"]}`, res.Body.String())

	res = do(h, http.MethodGet, "/fetch?key=b__v1", "")
	require.Equal(t, http.StatusOK, res.Code)
	var got record.Record
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &got))
	assert.JSONEq(t, `{"k":"b__v1"}`, string(got.Body))
	assert.Equal(t, "/b/v1/model-catalog.json", got.LocationTarget)

	res = do(h, http.MethodGet, "/fetch?key=zzz", "")
	assert.Equal(t, http.StatusNotFound, res.Code)
	assert.Contains(t, httpcheck.ErrorMessage(t, res), "zzz")

	res = do(h, http.MethodGet, "/records", "")
	require.Equal(t, http.StatusOK, res.Code)
	var set record.RecordSet
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &set))
	assert.Len(t, set.Records, 3)
	assert.JSONEq(t, `{"k":"c.d-e_f"}`, string(set.Records["c.d-e_f"].Body))

	res = do(h, http.MethodDelete, "/remove?key=a", "")
	assert.JSONEq(t, `{"removed":["a"]}`, res.Body.String())
	res = do(h, http.MethodDelete, "/remove?key=a", "")
	assert.JSONEq(t, `{"removed":[]}`, res.Body.String(), "removing an absent key is fine")
}

func TestNotReady(t *testing.T) {
	s := newFakeStore()
	s.notReady = store.ErrNotReady
	h, _ := newHandler(t, s)
	for _, path := range []string{"/readyz", "/list", "/records", "/fetch?key=a"} {
		res := do(h, http.MethodGet, path, "")
		assert.Equal(t, http.StatusServiceUnavailable, res.Code, path)
		assert.Contains(t, httpcheck.ErrorMessage(t, res), "loading", path)
	}
	assert.Equal(t, http.StatusOK, do(h, http.MethodGet, "/healthz", "").Code)
}

func TestAccessRules(t *testing.T) {
	s := newFakeStore()
	open, _ := newHandler(t, s)
	res := do(open, http.MethodPost, "/upsert?key=a&type=kubeflow", recordJSON(mnist, 1), "10.1.2.3:5555")
	assert.Equal(t, http.StatusForbidden, res.Code, "no token: only loopback")
	assert.Contains(t, httpcheck.ErrorMessage(t, res), "loopback")
	res = do(open, http.MethodGet, "/list", "", "10.1.2.3:5555")
	assert.Equal(t, http.StatusForbidden, res.Code, "reads follow the same rule")

	tokened, _ := newHandler(t, s, func(o *storagerest.Options) { o.Token = "s3cret" })
	res = do(tokened, http.MethodGet, "/list", "", "10.1.2.3:5555")
	assert.Equal(t, http.StatusUnauthorized, res.Code)
	assert.NotContains(t, res.Body.String(), "s3cret")
	req := httptest.NewRequest(http.MethodGet, "/list", nil)
	req.RemoteAddr = "10.1.2.3:5555"
	req.Header.Set("Authorization", "Bearer s3cret")
	rec := httptest.NewRecorder()
	tokened.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, http.StatusOK, do(tokened, http.MethodGet, "/list", "").Code, "loopback needs no token")

	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		assert.Equal(t, http.StatusOK, do(tokened, http.MethodGet, p, "", "10.1.2.3:5555").Code, p)
	}
	assert.Equal(t, 0, s.writeCount())
}

// TestTheGoClientSpeaksThisAPI runs pkg/storageclient against the handler.
func TestTheGoClientSpeaksThisAPI(t *testing.T) {
	s := newFakeStore()
	h, _ := newHandler(t, s)
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := storageclient.New(srv.URL)
	ctx := context.Background()

	r := &record.Record{Body: []byte(mnist), LastUpdateTimeSinceEpoch: 7, ModelCard: "# card"}
	res, err := c.Upsert(ctx, "mnist__v1", record.TypeKubeflow, r)
	require.NoError(t, err)
	assert.Equal(t, &record.UpsertResult{Key: "mnist__v1", Status: record.UpsertCreated}, res)
	_, err = c.Upsert(ctx, "other", "", r)
	var bad *storageclient.StatusError
	require.ErrorAs(t, err, &bad, "the type is required")
	assert.Equal(t, http.StatusBadRequest, bad.Code)
	assert.Contains(t, bad.Message, "type=kubeflow or type=kserve")
	_, err = c.Upsert(ctx, "other", record.TypeKServe, r)
	require.NoError(t, err)

	keys, err := c.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"mnist__v1", "other"}, keys)

	got, err := c.Fetch(ctx, "mnist__v1")
	require.NoError(t, err)
	assert.Equal(t, mnist, string(got.Body))
	assert.Equal(t, "# card", got.ModelCard)
	assert.Equal(t, record.TypeKubeflow, got.ReconcilerType)

	_, err = c.Fetch(ctx, "absent")
	var se *storageclient.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusNotFound, se.Code)

	all, err := c.Records(ctx)
	require.NoError(t, err)
	assert.Len(t, all, 2)
	assert.Equal(t, "/other/model-catalog.json", all["other"].LocationTarget)

	removed, err := c.CurrentKeySet(ctx, []string{"mnist__v1"})
	require.NoError(t, err)
	assert.Equal(t, []string{"other"}, removed)
	require.NoError(t, c.Remove(ctx, "mnist__v1"))
	require.NoError(t, c.Remove(ctx, "mnist__v1"))
	keys, err = c.List(ctx)
	require.NoError(t, err)
	assert.Empty(t, keys)
	assert.NotNil(t, keys)
}

func BenchmarkRecords10k(b *testing.B) {
	s := newFakeStore()
	body := []byte(`{"models":[{"name":"m","owner":"o","lifecycle":"l","description":"` + strings.Repeat("d", 3000) + `"}]}`)
	for i := range 10_000 {
		s.recs[fmt.Sprintf("model-%05d__v1", i)] = record.Record{Body: body, LastUpdateTimeSinceEpoch: 1, ModelCard: "# card"}
	}
	items := s.Snapshot()
	h, err := storagerest.NewHandler(storagerest.Options{Store: snapshotStore{s, items}, Log: logr.Discard()})
	require.NoError(b, err)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodGet, "/records", nil)
		req.RemoteAddr = "127.0.0.1:1"
		w := &countingWriter{header: http.Header{}}
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatal(w.code)
		}
		b.SetBytes(w.n)
	}
}

// countingWriter is a ResponseWriter that only counts, so the benchmark
// measures the handler rather than a growing buffer.
type countingWriter struct {
	header http.Header
	code   int
	n      int64
}

func (c *countingWriter) Header() http.Header { return c.header }
func (c *countingWriter) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
}
func (c *countingWriter) Write(p []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	c.n += int64(len(p))
	return len(p), nil
}

// snapshotStore serves a prepared snapshot, as the real store does from
// memory.
type snapshotStore struct {
	*fakeStore
	items []store.Item
}

func (s snapshotStore) Snapshot() []store.Item { return s.items }
