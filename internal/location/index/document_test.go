package index

import (
	"sync"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// A Document keeps only part of its record: what it compares must still be
// what record.SameContent compares.
func TestDocumentComparesWhatSameContentCompares(t *testing.T) {
	ix, _ := newIndex(t, Options{})
	r := rec("a", 1)
	r.ReconcilerType = string([]byte(record.TypeKubeflow))
	r.LocationTarget = "/m/v1/model-catalog.json"
	assert.Equal(t, Created, upsert(t, ix, "m__v1", r))
	d := ix.Snapshot().DocumentByKey("m__v1")
	assert.Same(t, &kubeflowType, d.reconciler, "a known type is not kept per record")
	assert.Nil(t, d.cardKey)

	r.LocationTarget = "ignored"
	assert.Equal(t, Unchanged, upsert(t, ix, "m__v1", r))
	for _, step := range []struct {
		change func(*record.Record)
		want   Outcome
	}{
		{func(r *record.Record) { r.ReconcilerType = record.TypeKServe }, Updated},
		{func(r *record.Record) { r.ReconcilerType = "custom" }, Updated},
		{func(r *record.Record) { r.ReconcilerType = string([]byte("custom")) }, Unchanged},
		{func(r *record.Record) { r.ReconcilerType = "" }, Updated},
		{func(r *record.Record) { r.ModelCardKey = "other" }, Updated},
		{func(r *record.Record) { r.ModelCard = "# card" }, Updated},
		{func(r *record.Record) { r.ModelCardKey = "" }, Updated},
		{func(r *record.Record) { r.LastUpdateTimeSinceEpoch = 5 }, Unchanged},
		{func(r *record.Record) { r.Body = rec("b", 5).Body }, Updated},
	} {
		step.change(&r)
		assert.Equal(t, step.want, upsert(t, ix, "m__v1", r), "%+v", r)
	}
	d = ix.Snapshot().DocumentByKey("m__v1")
	assert.EqualValues(t, 5, d.updated)
	assert.Equal(t, "# card", d.card)
	assert.Equal(t, "/m/v1/model-catalog.json", d.URI())
	assert.Equal(t, "/m/v1/catalog-info.yaml", d.EntitiesURI())
}

// A record's card under its own key is not in owners, yet competes with
// the cards other records carry for that key like any other.
func TestCardsUnderOwnAndOtherKeysCompete(t *testing.T) {
	ix, _ := newIndex(t, Options{})
	card := func() string { return string(ix.Snapshot().Card("b__v1").Body) }
	upsert(t, ix, "b__v1", withCard(rec("b", 5), "", "# own"))
	upsert(t, ix, "a__v1", withCard(rec("a", 5), "b__v1", "# from a"))
	assert.Equal(t, "# own", card(), "a tie goes to the greatest key")
	upsert(t, ix, "c__v1", withCard(rec("c", 5), "b__v1", "# from c"))
	assert.Equal(t, "# from c", card())
	upsert(t, ix, "b__v1", withCard(rec("b", 6), "", "# own"))
	assert.Equal(t, "# own", card(), "the newest wins")
	owners, _ := ix.Snapshot().owners.get("b__v1")
	assert.Equal(t, []string{"a__v1", "c__v1"}, owners, "not b__v1 itself")

	upsert(t, ix, "b__v1", withCard(rec("b", 7), "elsewhere", "# own"))
	assert.Equal(t, "# from c", card(), "b__v1's card moved: it no longer competes for its own key")
	_, err := ix.Remove("c__v1")
	require.NoError(t, err)
	assert.Equal(t, "# from a", card())
	_, err = ix.Remove("a__v1")
	require.NoError(t, err)
	assert.Nil(t, ix.Snapshot().Card("b__v1"))
	owners, _ = ix.Snapshot().owners.get("elsewhere")
	assert.Equal(t, []string{"b__v1"}, owners)
	assert.Equal(t, 1, ix.Snapshot().owners.len())
	assert.Equal(t, "# own", string(ix.Snapshot().Card("elsewhere").Body))
}

// Documents that share a body share its rendered entities, rendered once
// whichever of them is asked first, by readers at once (run with -race).
func TestSharedEntitiesRenderOnceUnderConcurrentReaders(t *testing.T) {
	ix, _ := newIndex(t, Options{})
	upsert(t, ix, "m__v1", rec("m", 1))
	before := ix.Snapshot().DocumentByKey("m__v1")
	upsert(t, ix, "m__v1", rec("m", 2)) // a new timestamp: a copy of the document
	after := ix.Snapshot().DocumentByKey("m__v1")
	require.NotSame(t, before, after)
	require.Same(t, before.ents, after.ents)

	var wg sync.WaitGroup
	reps := make([]*Representation, 8)
	for i := range reps {
		wg.Go(func() {
			d := before
			if i%2 == 1 {
				d = after
			}
			rep, err := d.Entities()
			assert.NoError(t, err)
			reps[i] = rep
		})
	}
	wg.Wait()
	for _, rep := range reps {
		assert.Same(t, reps[0], rep)
	}
	assert.Contains(t, string(reps[0].Body), "kind: Resource")
	h := map[string][]string{}
	reps[0].SetHeaders(h)
	assert.Equal(t, []string{record.MediaTypeYAML}, h["Content-Type"])
}

// In the YAML format a record's catalog-info YAML is its document.
func TestYAMLFormatEntitiesAreTheDocument(t *testing.T) {
	ix, _ := newIndex(t, Options{Format: record.CatalogInfoYAMLFormat})
	upsert(t, ix, "mnist__v1", record.Record{Body: []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\n"), LastUpdateTimeSinceEpoch: 1})
	d := ix.Snapshot().Document("/mnist/v1/catalog-info.yaml")
	require.NotNil(t, d)
	assert.Equal(t, "/mnist/v1/catalog-info.yaml", d.URI())
	rep, err := d.Entities()
	require.NoError(t, err)
	assert.Same(t, &d.Representation, rep)
	assert.Same(t, d, ix.Snapshot().EntitiesDocument("mnist/v1/catalog-info.yaml"))
}

// What the index holds for every record: each size class crossed costs
// 16 bytes a record, 1.4 MiB at 90,000 records (BenchmarkMemoryPerRecord).
func TestPerRecordStructsStaySmall(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes are for 64-bit platforms")
	}
	assert.LessOrEqual(t, unsafe.Sizeof(Document{}), uintptr(128))
	assert.LessOrEqual(t, unsafe.Sizeof(entities{}), uintptr(32))
	assert.LessOrEqual(t, unsafe.Sizeof(Representation{}), uintptr(64))
}
