package index

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

func rec(name string, ts int64) record.Record {
	return record.Record{
		Body:                     []byte(fmt.Sprintf(`{"models":[{"name":%q,"owner":"o","lifecycle":"development","description":"d"}]}`, name)),
		LastUpdateTimeSinceEpoch: record.Epoch(ts),
	}
}

func withCard(r record.Record, cardKey, card string) record.Record {
	r.ModelCardKey, r.ModelCard = cardKey, card
	return r
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newIndex(t *testing.T, o Options) (*Index, *clock) {
	t.Helper()
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	if o.Now == nil {
		o.Now = c.now
	}
	return New(o), c
}

func upsert(t *testing.T, ix *Index, key string, r record.Record) Outcome {
	t.Helper()
	res, err := ix.Upsert(key, r)
	require.NoError(t, err)
	return res.Outcome
}

func loadFrom(recs map[string]record.Record) Stream {
	return func(_ context.Context, yield func(string, record.Record) error) error {
		for k, r := range recs {
			if err := yield(k, r); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestKeysAndURIsMapBothWays(t *testing.T) {
	ix, _ := newIndex(t, Options{})
	keys := map[string]string{
		"mnist__v1":                 "/mnist/v1/model-catalog.json",
		"granite-8b":                "/granite-8b/model-catalog.json",
		"my_model__v1.2":            "/my_model/v1.2/model-catalog.json",
		"a-b_c.d__e.f-g_h__i":       "/a-b_c.d/e.f-g_h/i/model-catalog.json",
		"my_model_v1":               "/my_model_v1/model-catalog.json",
		"Granite-3.1-8B__ver_2.0-1": "/Granite-3.1-8B/ver_2.0-1/model-catalog.json",
	}
	for k := range keys {
		upsert(t, ix, k, rec(k, 1))
	}
	s := ix.Snapshot()
	require.Equal(t, len(keys), s.Len())
	for k, uri := range keys {
		d := s.DocumentByKey(k)
		require.NotNil(t, d, k)
		assert.Equal(t, uri, d.URI())
		assert.Same(t, d, s.Document(uri), uri)
		assert.Same(t, d, s.Document(strings.TrimPrefix(uri, "/")), "without the leading slash: %s", uri)
		assert.Contains(t, string(d.Body), k)
	}
	assert.Nil(t, s.Document("/my/model_v1/model-catalog.json"), "my__model_v1 is not held")
	assert.Nil(t, s.Document("/mnist/v1/catalog-info.yaml"), "wrong format's file")
}

func TestYAMLFormatServesYAMLURIs(t *testing.T) {
	ix, _ := newIndex(t, Options{Format: record.CatalogInfoYAMLFormat})
	upsert(t, ix, "mnist__v1", record.Record{Body: []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\n"), LastUpdateTimeSinceEpoch: 1})
	s := ix.Snapshot()
	assert.Equal(t, []string{"/mnist/v1/catalog-info.yaml"}, s.URIs())
	d := s.Document("/mnist/v1/catalog-info.yaml")
	require.NotNil(t, d)
	var h = map[string][]string{}
	d.SetHeaders(h)
	assert.Equal(t, []string{"application/yaml"}, h["Content-Type"])
	assert.Nil(t, s.Document("/mnist/v1/model-catalog.json"))
}

func TestUpsertOutcomesAndStaleWrites(t *testing.T) {
	ix, _ := newIndex(t, Options{})
	assert.Equal(t, Created, upsert(t, ix, "m__v1", rec("a", 10)))
	s1 := ix.Snapshot()
	assert.Equal(t, Unchanged, upsert(t, ix, "m__v1", rec("a", 10)))
	assert.Same(t, s1, ix.Snapshot(), "an unchanged write publishes nothing")

	assert.Equal(t, Updated, upsert(t, ix, "m__v1", rec("b", 20)))
	etagB := ix.Snapshot().DocumentByKey("m__v1").ETag
	assert.NotEqual(t, s1.DocumentByKey("m__v1").ETag, etagB, "new content, new ETag")
	assert.Contains(t, string(s1.DocumentByKey("m__v1").Body), `"a"`, "an earlier snapshot never changes")

	res, err := ix.Upsert("m__v1", rec("old", 15))
	require.NoError(t, err)
	assert.Equal(t, Ignored, res.Outcome)
	assert.EqualValues(t, 20, res.Held)
	assert.Contains(t, string(ix.Snapshot().DocumentByKey("m__v1").Body), `"b"`)

	// Same content with a newer timestamp: unchanged, but the newer
	// timestamp now orders later writes.
	assert.Equal(t, Unchanged, upsert(t, ix, "m__v1", rec("b", 30)))
	assert.Equal(t, Ignored, upsert(t, ix, "m__v1", rec("c", 25)))
	assert.Equal(t, Updated, upsert(t, ix, "m__v1", rec("c", 30)), "an equal timestamp is not stale")
}

func TestInvalidInputChangesNothing(t *testing.T) {
	ix, _ := newIndex(t, Options{})
	upsert(t, ix, "m__v1", rec("a", 1))
	before := ix.Snapshot()
	for name, tc := range map[string]struct {
		key  string
		r    record.Record
		want error
	}{
		"bad key":       {"m/v1", rec("x", 2), record.ErrInvalidKey},
		"empty key":     {"", rec("x", 2), record.ErrInvalidKey},
		"dotdot":        {"..", rec("x", 2), record.ErrInvalidKey},
		"empty body":    {"m__v1", record.Record{LastUpdateTimeSinceEpoch: 3}, ErrInvalidRecord},
		"not JSON":      {"m__v1", record.Record{Body: []byte("models: []"), LastUpdateTimeSinceEpoch: 3}, ErrInvalidRecord},
		"JSON array":    {"m__v1", record.Record{Body: []byte("[]"), LastUpdateTimeSinceEpoch: 3}, ErrInvalidRecord},
		"long card key": {"m__v1", withCard(rec("x", 3), strings.Repeat("k", 2000), "card"), ErrInvalidRecord},
	} {
		_, err := ix.Upsert(tc.key, tc.r)
		require.ErrorIs(t, err, tc.want, name)
		assert.Same(t, before, ix.Snapshot(), name)
	}
	_, err := ix.Remove("no/slash")
	require.ErrorIs(t, err, record.ErrInvalidKey)
	assert.Same(t, before, ix.Snapshot())
}

func TestRemoveUnlistsAtOnceButServesForTheGracePeriod(t *testing.T) {
	ix, c := newIndex(t, Options{RemovedGrace: time.Minute})
	upsert(t, ix, "m__v1", rec("a", 1))
	upsert(t, ix, "n__v1", rec("b", 1))
	removed, err := ix.Remove("m__v1")
	require.NoError(t, err)
	assert.True(t, removed)
	removed, err = ix.Remove("m__v1")
	require.NoError(t, err)
	assert.False(t, removed, "second remove finds nothing")

	s := ix.Snapshot()
	assert.Equal(t, []string{"/n/v1/model-catalog.json"}, s.URIs())
	assert.Equal(t, 1, s.Len())
	require.NotNil(t, s.Document("/m/v1/model-catalog.json"), "a poll that listed it just before still gets it")
	require.NotNil(t, s.DocumentByKey("m__v1"))
	require.NotNil(t, s.EntitiesDocument("/m/v1/catalog-info.yaml"), "its catalog-info YAML too")
	assert.Contains(t, string(s.Document("m/v1/model-catalog.json").Body), `"a"`)
	assert.Equal(t, "/m/v1/model-catalog.json", s.DocumentByKey("m__v1").URI())

	c.t = c.t.Add(time.Minute)
	assert.Nil(t, s.Document("/m/v1/model-catalog.json"), "gone after the grace period")
	assert.Nil(t, s.DocumentByKey("m__v1"))
	assert.Nil(t, s.EntitiesDocument("/m/v1/catalog-info.yaml"))

	// The next write drops the expired document from the snapshot.
	upsert(t, ix, "o__v1", rec("c", 1))
	assert.Equal(t, 0, ix.Snapshot().gone.len())

	// Re-creating a removed key serves the new document.
	upsert(t, ix, "n__v1", rec("b", 1))
	_, err = ix.Remove("n__v1")
	require.NoError(t, err)
	upsert(t, ix, "n__v1", rec("b2", 2))
	assert.Contains(t, string(ix.Snapshot().Document("/n/v1/model-catalog.json").Body), "b2")
	assert.Equal(t, 0, ix.Snapshot().gone.len())
}

func TestRemoveWithoutGraceIsImmediate(t *testing.T) {
	ix, _ := newIndex(t, Options{})
	upsert(t, ix, "m__v1", rec("a", 1))
	_, err := ix.Remove("m__v1")
	require.NoError(t, err)
	assert.Nil(t, ix.Snapshot().Document("/m/v1/model-catalog.json"))
}

func TestModelCards(t *testing.T) {
	ix, _ := newIndex(t, Options{})
	upsert(t, ix, "m__v1", withCard(rec("a", 1), "", "# card v1"))
	c := ix.Snapshot().Card("m__v1")
	require.NotNil(t, c, "the record's own key when modelCardKey is empty")
	assert.Equal(t, "# card v1", string(c.Body))
	h := map[string][]string{}
	c.SetHeaders(h)
	assert.Equal(t, []string{MarkdownContentType}, h["Content-Type"])
	assert.Equal(t, []string{"9"}, h["Content-Length"])
	assert.Equal(t, []string{c.ETag}, h["Etag"])
	assert.Regexp(t, `^"[0-9a-f]{32}"$`, c.ETag)

	upsert(t, ix, "m__v1", withCard(rec("a", 2), "", "# card v2"))
	c2 := ix.Snapshot().Card("m__v1")
	assert.NotEqual(t, c.ETag, c2.ETag, "a changed card gets a new ETag")

	// Same content, another record: the same ETag (a hash of the content).
	upsert(t, ix, "x__v1", withCard(rec("x", 1), "other", "# card v1"))
	assert.Equal(t, c.ETag, ix.Snapshot().Card("other").ETag)

	// Two records share a card key: the newest record's card is served,
	// and removing it falls back to the other.
	upsert(t, ix, "m__v2", withCard(rec("b", 5), "shared", "# newer"))
	upsert(t, ix, "m__v3", withCard(rec("c", 3), "shared", "# older"))
	assert.Equal(t, "# newer", string(ix.Snapshot().Card("shared").Body))
	_, err := ix.Remove("m__v2")
	require.NoError(t, err)
	assert.Equal(t, "# older", string(ix.Snapshot().Card("shared").Body))

	// Moving a card to another key and dropping it.
	upsert(t, ix, "m__v3", withCard(rec("c", 6), "moved", "# older"))
	assert.Nil(t, ix.Snapshot().Card("shared"))
	assert.NotNil(t, ix.Snapshot().Card("moved"))
	upsert(t, ix, "m__v3", rec("c", 7))
	assert.Nil(t, ix.Snapshot().Card("moved"))
	assert.Equal(t, 2, ix.Snapshot().CardCount(), "m__v1 and other remain")
}

func TestLoadReplacesContentAndAppliesOnlyDifferences(t *testing.T) {
	ix, _ := newIndex(t, Options{})
	assert.False(t, ix.Snapshot().Loaded())
	res, err := ix.Load(context.Background(), loadFrom(map[string]record.Record{
		"a__v1": rec("a", 1), "b__v1": rec("b", 1), "c__v1": withCard(rec("c", 1), "", "# c"),
	}))
	require.NoError(t, err)
	assert.Equal(t, LoadResult{Added: 3, Records: 3}, res)
	s := ix.Snapshot()
	assert.True(t, s.Loaded())
	assert.Equal(t, []string{"/a/v1/model-catalog.json", "/b/v1/model-catalog.json", "/c/v1/model-catalog.json"}, s.URIs())
	assert.NotNil(t, s.Card("c__v1"))

	res, err = ix.Load(context.Background(), loadFrom(map[string]record.Record{
		"a__v1": rec("a", 1), "b__v1": rec("b2", 2), "d__v1": rec("d", 1),
	}))
	require.NoError(t, err)
	assert.Equal(t, LoadResult{Added: 1, Updated: 1, Removed: 1, Unchanged: 1, Records: 3}, res)
	assert.Same(t, s.DocumentByKey("a__v1"), ix.Snapshot().DocumentByKey("a__v1"), "an unchanged record is not rebuilt")
	assert.Nil(t, ix.Snapshot().Card("c__v1"))

	s = ix.Snapshot()
	res, err = ix.Load(context.Background(), loadFrom(map[string]record.Record{
		"a__v1": rec("a", 1), "b__v1": rec("b2", 2), "d__v1": rec("d", 1),
	}))
	require.NoError(t, err)
	assert.Equal(t, LoadResult{Unchanged: 3, Records: 3}, res)
	assert.Same(t, s, ix.Snapshot(), "a load that changes nothing publishes nothing")
}

func TestLoadSkipsInvalidRecords(t *testing.T) {
	ix, _ := newIndex(t, Options{})
	upsert(t, ix, "bad__v1", rec("held", 1))
	res, err := ix.Load(context.Background(), loadFrom(map[string]record.Record{
		"ok__v1":  rec("ok", 1),
		"bad__v1": {Body: []byte("not json"), LastUpdateTimeSinceEpoch: 2},
		"bad/key": rec("x", 1),
	}))
	require.NoError(t, err)
	require.Len(t, res.Invalid, 2)
	assert.Contains(t, errors.Join(res.Invalid...).Error(), `"bad__v1"`)
	assert.Equal(t, []string{"/ok/v1/model-catalog.json"}, ix.Snapshot().URIs(),
		"storage's current record of bad__v1 is unservable: the older one is not served either")
}

func TestFailedLoadChangesNothing(t *testing.T) {
	ix, _ := newIndex(t, Options{})
	upsert(t, ix, "a__v1", rec("a", 1))
	before := ix.Snapshot()
	_, err := ix.Load(context.Background(), func(_ context.Context, yield func(string, record.Record) error) error {
		// A stream that fails midway: what it yielded is not applied.
		if err := yield("b__v1", rec("b", 1)); err != nil {
			return err
		}
		return errors.New("connection refused")
	})
	require.Error(t, err)
	assert.Same(t, before, ix.Snapshot())
	assert.False(t, ix.Snapshot().Loaded())
	// Tracking of writes during the load ended with it.
	assert.Nil(t, ix.touched)
}

// Writes that arrive while the load is in flight keep the newer state.
func TestLoadMergesWritesThatArriveDuringIt(t *testing.T) {
	ix, _ := newIndex(t, Options{})
	upsert(t, ix, "gone__v1", rec("held before the load", 1))
	stored := map[string]record.Record{
		"fwdnewer__v1":   rec("stored", 100), // forward during the load is newer
		"fwdremoved__v1": rec("stored", 100), // removed by a forward during the load
		"storenewer__v1": rec("stored", 300), // storage is newer than the forward
		"untouched__v1":  rec("stored", 100),
		"same__v1":       rec("stored", 100), // forward with the same timestamp
	}
	res, err := ix.Load(context.Background(), func(ctx context.Context, yield func(string, record.Record) error) error {
		upsert(t, ix, "fwdnewer__v1", rec("forwarded", 200))
		upsert(t, ix, "fwdremoved__v1", rec("forwarded", 50))
		_, err := ix.Remove("fwdremoved__v1")
		require.NoError(t, err)
		upsert(t, ix, "storenewer__v1", rec("forwarded", 200))
		upsert(t, ix, "fwdonly__v1", rec("forwarded", 200)) // not in storage's answer
		upsert(t, ix, "same__v1", rec("forwarded", 100))
		return loadFrom(stored)(ctx, yield)
	})
	require.NoError(t, err)
	s := ix.Snapshot()
	body := func(key string) string {
		d := s.DocumentByKey(key)
		if d == nil {
			return "<absent>"
		}
		return string(d.Body)
	}
	assert.Contains(t, body("fwdnewer__v1"), "forwarded")
	assert.Equal(t, "<absent>", body("fwdremoved__v1"))
	assert.Contains(t, body("storenewer__v1"), "stored")
	assert.Contains(t, body("fwdonly__v1"), "forwarded")
	assert.Contains(t, body("untouched__v1"), "stored")
	assert.Contains(t, body("same__v1"), "forwarded")
	assert.Equal(t, "<absent>", body("gone__v1"), "held before the load, not in storage: removed")
	assert.Equal(t, []string{
		"/fwdnewer/v1/model-catalog.json", "/fwdonly/v1/model-catalog.json", "/same/v1/model-catalog.json",
		"/storenewer/v1/model-catalog.json", "/untouched/v1/model-catalog.json",
	}, s.URIs())
	assert.Equal(t, 4, res.Kept, "fwdnewer, fwdremoved, same (loaded not newer) and fwdonly (absent from storage)")

	// After the load, writes are no longer tracked: a later load wins.
	_, err = ix.Load(context.Background(), loadFrom(map[string]record.Record{"untouched__v1": rec("stored", 100)}))
	require.NoError(t, err)
	assert.Equal(t, []string{"/untouched/v1/model-catalog.json"}, ix.Snapshot().URIs())
}

func TestUpsertManyAnswersAsUpsertWouldInOneSnapshot(t *testing.T) {
	one, _ := newIndex(t, Options{})
	many, _ := newIndex(t, Options{})
	seed := []KeyedRecord{{"a__v1", rec("a", 10)}, {"b__v1", rec("b", 10)}}
	for _, kr := range seed {
		upsert(t, one, kr.Key, kr.Record)
	}
	_, errs := many.UpsertMany(seed)
	require.Equal(t, []error{nil, nil}, errs)

	batch := []KeyedRecord{
		{"a__v1", rec("a2", 20)},                           // updated
		{"b__v1", rec("old", 5)},                           // stale: ignored
		{"c__v1", rec("c", 1)},                             // created
		{"bad key", rec("x", 1)},                           // refused alone
		{"d__v1", record.Record{Body: []byte("not json")}}, // refused alone
		{"a__v1", rec("a2", 20)},                           // unchanged after the first
	}
	before := many.Snapshot()
	results, errs := many.UpsertMany(batch)
	after := many.Snapshot()
	for i, kr := range batch {
		res, err := one.Upsert(kr.Key, kr.Record)
		if err != nil {
			assert.Error(t, errs[i], kr.Key)
			continue
		}
		assert.NoError(t, errs[i], kr.Key)
		assert.Equal(t, res, results[i], kr.Key)
	}
	assert.Equal(t, one.Snapshot().URIs(), after.URIs())
	assert.Equal(t, []string{"/a/v1/model-catalog.json", "/b/v1/model-catalog.json"}, before.URIs(), "the snapshot before the batch never changes")
	assert.Contains(t, string(after.DocumentByKey("a__v1").Body), `"a2"`)
	assert.Contains(t, string(after.DocumentByKey("b__v1").Body), `"b"`)
}

// A batch of 500 updates with 10,000 records held: one snapshot per batch
// against one per record (BenchmarkUpsertUpdate).
func BenchmarkUpsertManyUpdate(b *testing.B) {
	const n, batch = 10000, 500
	ix := loadedIndex(b, n)
	recs := make([]KeyedRecord, batch)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for j := range recs {
			k := fmt.Sprintf("model-%05d__v1", (i*batch+j)%n)
			recs[j] = KeyedRecord{k, rec(fmt.Sprint(k, i), int64(i+2))}
		}
		if _, errs := ix.UpsertMany(recs); errs[0] != nil {
			b.Fatal(errs[0])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch)/1000, "µs/record")
}

// The index keeps the digest of what it lists as storage-rest does, so a
// periodic reload can tell it holds the same records without reading them.
func TestTheDigestIsStorageRestsOfTheRecordsListed(t *testing.T) {
	ix, clk := newIndex(t, Options{RemovedGrace: time.Minute})
	want := map[string]record.Record{}
	check := func(what string) {
		t.Helper()
		d := record.DigestOf(want)
		assert.Equal(t, d.String(), ix.Snapshot().Digest(), what)
	}
	check("empty")
	put := func(key string, r record.Record) {
		t.Helper()
		upsert(t, ix, key, r)
		r.LastUpdateTimeSinceEpoch = 0
		want[key] = r
	}
	put("a__v1", rec("a", 1))
	put("b__v1", withCard(rec("b", 1), "", "# b"))
	put("c__v1", withCard(rec("c", 1), "shared", "# c"))
	check("three records, with cards")
	put("a__v1", rec("a changed", 2))
	check("a body changed")
	r := rec("a changed", 3) // the same content, a new timestamp
	upsert(t, ix, "a__v1", r)
	check("a timestamp moved")
	put("b__v1", withCard(rec("b", 4), "", "# b changed"))
	check("a card changed")
	_, err := ix.Remove("c__v1")
	require.NoError(t, err)
	delete(want, "c__v1")
	check("removed, though still served for the grace period")
	clk.t = clk.t.Add(2 * time.Minute)
	_, err = ix.Remove("none__v1")
	require.NoError(t, err)
	check("after the grace period")
	_, err = ix.Load(context.Background(), loadFrom(map[string]record.Record{"z__v1": rec("z", 1)}))
	require.NoError(t, err)
	want = map[string]record.Record{"z__v1": rec("z", 0)}
	check("after a load")
}

// A reload of records the index holds as they are keeps nothing of them
// and publishes nothing new.
func TestALoadOfWhatIsHeldChangesNothing(t *testing.T) {
	ix, _ := newIndex(t, Options{})
	recs := map[string]record.Record{"a__v1": rec("a", 1), "b__v1": withCard(rec("b", 2), "", "# b")}
	_, err := ix.Load(context.Background(), loadFrom(recs))
	require.NoError(t, err)
	before := ix.Snapshot()
	res, err := ix.Load(context.Background(), loadFrom(recs))
	require.NoError(t, err)
	assert.Equal(t, LoadResult{Unchanged: 2, Records: 2}, res)
	assert.Same(t, before, ix.Snapshot())

	recs["b__v1"] = withCard(rec("b", 3), "", "# b") // a newer timestamp only
	res, err = ix.Load(context.Background(), loadFrom(recs))
	require.NoError(t, err)
	assert.Equal(t, LoadResult{Unchanged: 2, Records: 2}, res, "the same content, counted unchanged")
	assert.Equal(t, record.Epoch(3), ix.Snapshot().DocumentByKey("b__v1").updated, "and its timestamp kept")
}
