package pipeline

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// What storage-rest holds converges to what the sources say at the next
// sync, not at the next StoreResync: a record no source produces is
// removed, a record edited by hand is put back, and while nobody else
// writes, the records are not read again.
func TestStoredStateConvergesAtTheNextSync(t *testing.T) {
	f := newFixture(map[string]*fakeRegistry{"http://a": {models: []string{"mnist", "granite"}}})
	f.sync(t)
	reads := f.store.calls["records"]

	f.sync(t)
	assert.Equal(t, reads, f.store.calls["records"], "nothing changed behind the normalizer's back: no re-read")

	// Someone stores a record no source produces, and edits another.
	f.store.mu.Lock()
	f.store.recs["stray__v1"] = record.Record{Body: []byte(`{"models":[]}`), ReconcilerType: record.TypeKubeflow}
	good := f.store.recs["mnist__v1"]
	edited := good
	edited.Body = []byte(`{"models":[{"name":"edited-by-hand"}]}`)
	f.store.recs["mnist__v1"] = edited
	f.store.mu.Unlock()

	res := f.sync(t)
	assert.Equal(t, reads+1, f.store.calls["records"], "the digest differed: the records are read again")
	assert.Equal(t, 1, res.Removed, "the stray record is removed")
	assert.Equal(t, 1, res.Upserted, "the edited record is put back")
	assert.Equal(t, []string{"granite__v1", "mnist__v1"}, f.store.keys())
	assert.Equal(t, string(good.Body), string(f.store.recs["mnist__v1"].Body))

	f.sync(t)
	assert.Equal(t, reads+1, f.store.calls["records"], "converged: no more re-reads")
}
