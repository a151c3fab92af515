package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/store"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// UpsertMany answers each record as Upsert would, and writes the records
// it queues together: filling three ConfigMaps costs about a write each,
// where one Upsert at a time costs one write per record.
func TestUpsertManyAnswersEachRecordAndWritesEachConfigMapAboutOnce(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "store")
	s := startStore(t, ns)
	ctx := context.Background()
	_, err := s.Upsert(ctx, "kept", rec(doc("kept", 10), 5))
	require.NoError(t, err)

	recs := []store.KeyedRecord{
		{Key: "kept", Record: rec(doc("kept", 10), 6)},    // same content: unchanged
		{Key: "bad key", Record: rec(doc("x", 10), 1)},    // refused
		{Key: "huge", Record: rec(doc("huge", 2<<20), 1)}, // too large for any ConfigMap
	}
	for i := range 24 {
		key := fmt.Sprintf("big-%02d", i)
		recs = append(recs, store.KeyedRecord{Key: key, Record: rec(doc(key, 100_000), 1)})
	}
	before := s.APICalls()
	out := s.UpsertMany(ctx, recs)
	calls := s.APICalls().Sub(before)

	require.Len(t, out, len(recs))
	assert.Equal(t, store.Outcome{Status: record.UpsertUnchanged}, out[0])
	assert.ErrorIs(t, out[1].Err, record.ErrInvalidKey)
	assert.ErrorIs(t, out[2].Err, store.ErrTooLarge)
	for i, o := range out[3:] {
		require.NoError(t, o.Err, recs[3+i].Key)
		assert.Equal(t, record.UpsertCreated, o.Status, recs[3+i].Key)
	}
	cms := serverConfigMaps(t, ns)
	require.GreaterOrEqual(t, len(cms), 3, "24 records of ~130 kB need at least three ConfigMaps")
	t.Logf("%d records into %d ConfigMaps: %d patches, %d creates", len(recs)-3, len(cms), calls.Patch, calls.Create)
	assert.LessOrEqual(t, calls.Patch+calls.Create, int64(2*len(cms)), "about one write per ConfigMap, not one per record")
	for _, r := range recs[3:] {
		_, _, ok := s.Get(r.Key)
		assert.True(t, ok, r.Key)
	}
	assert.Empty(t, s.UpsertMany(ctx, nil))
}
