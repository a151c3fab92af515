package storagerest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/httpcheck"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

func batchJSON(items ...string) string {
	return `{"items":[` + strings.Join(items, ",") + `]}`
}

func batchItem(key, typ, doc string, ts any) string {
	return fmt.Sprintf(`{"key":%q,"type":%q,"record":%s}`, key, typ, recordJSON(doc, ts))
}

func batchResults(t *testing.T, body []byte) []record.BatchItemResult {
	t.Helper()
	var res record.BatchResult
	require.NoError(t, json.Unmarshal(body, &res), "%s", body)
	return res.Results
}

// Each item of a batch is checked and stored as POST /upsert would, and
// answered at its index; a bad item does not stop the good ones.
func TestUpsertBatchStoresEachItemAsUpsertWould(t *testing.T) {
	s := newFakeStore()
	h, _ := newHandler(t, s)
	res := do(h, http.MethodPost, "/upsertbatch", batchJSON(
		batchItem("mnist__v1", "kserve", mnist, "1234"),
		batchItem("bad key", "kubeflow", mnist, 1),
		batchItem("granite__v1", "kubeflow", mnist, 0),
		batchItem("phi__v1", "neither", mnist, 1),
		batchItem("mnist__v1", "kserve", mnist, 1),
		batchItem("llama__v1", "kubeflow", `[1, 2]`, 1),
	))
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	got := batchResults(t, res.Body.Bytes())
	require.Len(t, got, 6)
	assert.Equal(t, record.BatchItemResult{Key: "mnist__v1", Status: record.UpsertCreated}, got[0])
	assert.Equal(t, http.StatusBadRequest, got[1].Code)
	assert.Contains(t, got[1].Error, "bad key")
	assert.Equal(t, record.BatchItemResult{Key: "granite__v1", Status: record.UpsertCreated}, got[2])
	assert.Equal(t, http.StatusBadRequest, got[3].Code)
	assert.Contains(t, got[3].Error, `unknown type "neither"`)
	assert.Equal(t, http.StatusBadRequest, got[4].Code, "a key twice in one batch")
	assert.Contains(t, got[4].Error, "more than once")
	assert.Equal(t, http.StatusBadRequest, got[5].Code, "a document the location could not serve")

	rec, ok := s.record("mnist__v1")
	require.True(t, ok)
	assert.Equal(t, record.Epoch(1234), rec.LastUpdateTimeSinceEpoch, "the first mnist__v1, not the refused second")
	assert.Equal(t, record.TypeKServe, rec.ReconcilerType)
	assert.Equal(t, "/mnist/v1/model-catalog.json", rec.LocationTarget)
	rec, ok = s.record("granite__v1")
	require.True(t, ok)
	assert.Equal(t, record.Epoch(fixedNow.UnixMilli()), rec.LastUpdateTimeSinceEpoch, "stamped like POST /upsert")
	for _, k := range []string{"phi__v1", "llama__v1"} {
		_, ok := s.record(k)
		assert.False(t, ok, k)
	}
}

// A store failure is told per item, with the status POST /upsert would
// answer, and counted as storage-rest's failure.
func TestUpsertBatchReportsStoreFailuresPerItem(t *testing.T) {
	s := newFakeStore()
	s.err = errors.New("updating ConfigMap bac-import-model: something odd")
	h, reg := newHandler(t, s)
	res := do(h, http.MethodPost, "/upsertbatch", batchJSON(batchItem("a__v1", "kubeflow", mnist, 1), batchItem("b__v1", "kubeflow", mnist, 1)))
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	for _, r := range batchResults(t, res.Body.Bytes()) {
		assert.Equal(t, http.StatusServiceUnavailable, r.Code, r.Key)
		assert.Contains(t, r.Error, "something odd")
		assert.Contains(t, r.Error, r.Key, "the message names the record")
	}
	assert.Equal(t, 2.0, counterValue(t, reg, "rhoai_connector_storage_rest_errors_total"))
}

func TestUpsertBatchRefusesAMalformedRequest(t *testing.T) {
	s := newFakeStore()
	h, _ := newHandler(t, s)
	for name, body := range map[string]string{
		"empty":            "",
		"not JSON":         "items",
		"no items":         `{}`,
		"items not a list": `{"items":{}}`,
	} {
		res := do(h, http.MethodPost, "/upsertbatch", body)
		assert.Equal(t, http.StatusBadRequest, res.Code, name)
		assert.Contains(t, httpcheck.ErrorMessage(t, res), `{"items": [`, name)
	}
	res := do(h, http.MethodPost, "/upsertbatch", `{"items":[]}`)
	require.Equal(t, http.StatusOK, res.Code)
	assert.Empty(t, batchResults(t, res.Body.Bytes()))
	assert.Zero(t, s.writes, "nothing stored")

	res = do(h, http.MethodPost, "/upsertbatch", batchJSON(batchItem("a__v1", "kubeflow", mnist, 1)), "10.0.0.7:4000")
	assert.Equal(t, http.StatusForbidden, res.Code, "writes only from the pod, as POST /upsert")
}

// A batch through the Go client into the real store: every record is
// stored, forwarded to location, and the whole batch costs about one
// ConfigMap write per ConfigMap it fills, not one per few records.
func TestABatchWritesEachConfigMapAboutOnce(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "storagerest")
	loc, locURL := serveFakeLocation(t)
	s := startStack(t, ns, locURL)
	ctx := context.Background()
	const n = 1500
	items := make([]record.BatchItem, n)
	for i := range items {
		key := fmt.Sprintf("model-%04d__v1", i)
		items[i] = record.BatchItem{Key: key, Type: record.TypeKubeflow, Record: record.Record{Body: modelDoc(key), LastUpdateTimeSinceEpoch: 1}}
	}
	before := s.store.APICalls()
	results, err := s.client.UpsertBatch(ctx, items)
	require.NoError(t, err)
	require.Len(t, results, n)
	for i, r := range results {
		require.Equal(t, record.BatchItemResult{Key: items[i].Key, Status: record.UpsertCreated}, r)
	}
	calls := s.store.APICalls().Sub(before)
	u := s.store.Usage()
	t.Logf("%d records in %d ConfigMaps (%d bytes): %d patches, %d creates", n, len(u.ConfigMaps), u.Bytes, calls.Patch, calls.Create)
	assert.LessOrEqual(t, calls.Patch+calls.Create, int64(2*len(u.ConfigMaps)), "about one write per ConfigMap")
	assert.Equal(t, n, s.store.Len())
	require.Eventually(t, func() bool { return loc.count() == n }, 20*time.Second, 10*time.Millisecond, "every record forwarded to location")

	before = s.store.APICalls()
	results, err = s.client.UpsertBatch(ctx, items)
	require.NoError(t, err)
	for _, r := range results {
		require.Equal(t, record.UpsertUnchanged, r.Status, r.Key)
	}
	assert.Zero(t, s.store.APICalls().Sub(before).Requests(), "an unchanged batch does not reach the API server")
}
