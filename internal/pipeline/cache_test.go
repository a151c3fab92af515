package pipeline

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A build encodes only the versions whose inputs changed; the others come
// out without a body. When storage-rest does not hold such a record as it
// was built (someone else removed it, or its write failed), the sync
// builds every record again and stores it with its body.
func TestARecordNotStoredAsBuiltIsBuiltAgainWithItsBody(t *testing.T) {
	f := newFixture(map[string]*fakeRegistry{"http://a": {models: []string{"mnist", "granite"}, version: "1", stamped: true}})
	f.store.fail = map[string]error{"mnist__v1": errors.New("connection reset")}
	res := f.sync(t)
	assert.Equal(t, 1, res.Upserted)
	assert.Equal(t, 1, res.Failed)
	require.Equal(t, 2, f.p.documents.Len(), "both versions are remembered")

	f.store.fail = nil
	res = f.sync(t)
	assert.Equal(t, 1, res.Upserted, "the failed write is made again")
	require.Contains(t, f.store.recs, "mnist__v1")
	assert.Contains(t, string(f.store.recs["mnist__v1"].Body), `"mnist-v1"`, "with its body")

	f.store.mu.Lock()
	held := f.store.recs["granite__v1"]
	delete(f.store.recs, "granite__v1") // someone else's doing
	f.store.mu.Unlock()
	f.p.stored.invalidate()
	res = f.sync(t)
	assert.Equal(t, 1, res.Upserted)
	assert.Equal(t, string(held.Body), string(f.store.recs["granite__v1"].Body))

	res = f.sync(t)
	assert.Zero(t, res.Upserted, "nothing changed")
	assert.False(t, res.Rebuilt, "and nothing was built")
}
