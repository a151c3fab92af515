package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/store"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

func TestConfigMapsAreFilledToTheFillNotToTheLimit(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "store")
	s := startStore(t, ns)
	recs := make([]store.KeyedRecord, 12)
	for i := range recs {
		key := fmt.Sprintf("r%02d", i)
		recs[i] = store.KeyedRecord{Key: key, Record: rec(doc(key, 50_000), 1)}
	}
	for i, o := range s.UpsertMany(context.Background(), recs) {
		require.NoError(t, o.Err, recs[i].Key)
	}
	cms := serverConfigMaps(t, ns)
	assert.GreaterOrEqual(t, len(cms), 3, "600 kB of records need three ConfigMaps filled to %d bytes", store.DefaultFillBytes)
	for name, cm := range cms {
		assert.LessOrEqual(t, primarySize(cm), store.DefaultFillBytes, name)
	}
	assert.Len(t, serverRecords(t, ns), len(recs))
}

// An older storage-rest filled ConfigMaps to the limit: they are read as
// they are, never grown, and shrink as their records change.
func TestAConfigMapFullerThanTheFillIsKeptAndOnlyShrinks(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "store")
	ctx := context.Background()
	old := startStore(t, ns, fillToTheLimit)
	for i := range 7 {
		_, err := old.Upsert(ctx, fmt.Sprintf("r%d", i), rec(doc("x", 100_000), 1))
		require.NoError(t, err)
	}
	old.stop()
	full := primarySize(serverConfigMaps(t, ns)[store.DefaultName])
	require.Greater(t, full, store.DefaultFillBytes)

	s := startStore(t, ns)
	before := s.APICalls()
	status, err := s.Upsert(ctx, "r0", rec(doc("x", 100_000), 2))
	require.NoError(t, err)
	assert.Equal(t, "unchanged", status)
	assert.Zero(t, s.APICalls().Sub(before).Requests(), "an unchanged record costs no write")

	// The same size, new content: rewritten in place.
	before = s.APICalls()
	_, err = s.Upsert(ctx, "r1", rec(doc("y", 100_000), 2))
	require.NoError(t, err)
	assert.Equal(t, []string{store.DefaultName}, sortedNames(serverConfigMaps(t, ns)))
	assert.Equal(t, int64(1), s.APICalls().Sub(before).Patch)

	// A new record does not go into the full ConfigMap.
	_, err = s.Upsert(ctx, "new", rec(doc("new", 1_000), 1))
	require.NoError(t, err)
	cms := serverConfigMaps(t, ns)
	assert.NotContains(t, cms[store.DefaultName].BinaryData, "new")
	assert.Equal(t, full, primarySize(cms[store.DefaultName]))

	// A record that grows moves out, and the full ConfigMap shrinks.
	_, err = s.Upsert(ctx, "r2", rec(doc("z", 110_000), 2))
	require.NoError(t, err)
	got := serverRecords(t, ns) // fails on a key stored twice
	assert.Len(t, got, 8)
	assert.Equal(t, doc("z", 110_000), string(got["r2"].Body))
	cms = serverConfigMaps(t, ns)
	assert.NotContains(t, cms[store.DefaultName].BinaryData, "r2")
	assert.Less(t, primarySize(cms[store.DefaultName]), full)
	for name, cm := range cms {
		if name != store.DefaultName {
			assert.LessOrEqual(t, primarySize(cm), store.DefaultFillBytes, name)
		}
	}
}
