package store

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

func raw(t *testing.T, body string, ts int64) []byte {
	t.Helper()
	b, err := encodeRecord(&record.Record{Body: []byte(body), LastUpdateTimeSinceEpoch: record.Epoch(ts)})
	require.NoError(t, err)
	return b
}

func cm(name string, rv int, entries map[string][]byte) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: strconv.Itoa(rv)},
		BinaryData: entries,
	}
}

type changes struct{ got []string }

func (c *changes) hear(key string, rec *record.Record) {
	if rec == nil {
		c.got = append(c.got, key+"=<removed>")
		return
	}
	c.got = append(c.got, key+"="+string(rec.Body))
}

func TestConfigMapIndex(t *testing.T) {
	for name, want := range map[string]int{"bac": 0, "bac-1": 1, "bac-42": 42} {
		got, ok := configMapIndex("bac", name)
		assert.True(t, ok, name)
		assert.Equal(t, want, got, name)
	}
	for _, name := range []string{"bac-0", "bac-01", "bac-", "bac-x", "other", "bac-1-2", "bac-999999999"} {
		_, ok := configMapIndex("bac", name)
		assert.False(t, ok, name)
	}
}

func TestValidateName(t *testing.T) {
	require.NoError(t, ValidateName(DefaultName))
	assert.Error(t, ValidateName("Bad_Name"))
	assert.Error(t, ValidateName(strings.Repeat("a", 64)), "longer than a label value")
}

func TestSizeCountsKeysAndValuesOfDataAndBinaryData(t *testing.T) {
	c := &corev1.ConfigMap{Data: map[string]string{"ab": "cde"}, BinaryData: map[string][]byte{"k": {1, 2}}}
	assert.Equal(t, 2+3+1+2, configMapSize(c))
	assert.Equal(t, 3+4, entrySize("abc", []byte("defg")))
}

func TestDecodeRecordAcceptsOtherSpellingsAndServesCanonical(t *testing.T) {
	rec, canon, err := decodeRecord([]byte(`{"body":"e30=","lastUpdateTimeSinceEpoch":12,"locationId":"x","locationIDValid":true}`))
	require.NoError(t, err)
	assert.Equal(t, record.Epoch(12), rec.LastUpdateTimeSinceEpoch)
	assert.JSONEq(t, `{"body":"e30=","lastUpdateTimeSinceEpoch":"12"}`, string(canon))

	r := raw(t, "{}", 3)
	_, canon, err = decodeRecord(r)
	require.NoError(t, err)
	assert.Equal(t, &r[0], &canon[0], "a canonical value is served as stored, without a copy")

	_, _, err = decodeRecord([]byte("not json"))
	assert.Error(t, err)
}

func TestStateResolvesDuplicatesToNewestThenLowestIndex(t *testing.T) {
	var ch changes
	st := newState("bac", logr.Discard(), ch.hear)
	st.apply(cm("bac", 10, map[string][]byte{"a": raw(t, "a-old", 1), "b": raw(t, "b-primary", 5)}))
	st.apply(cm("bac-1", 11, map[string][]byte{"a": raw(t, "a-new", 2), "b": raw(t, "b-spill", 5)}))

	assert.Equal(t, "a-new", string(st.view["a"].rec.Body))
	assert.Equal(t, "bac-1", st.view["a"].cm)
	assert.Equal(t, "b-primary", string(st.view["b"].rec.Body), "equal timestamps: the lower ConfigMap wins")
	assert.Contains(t, st.dups, "a", "the older copy of a may be deleted")
	assert.NotContains(t, st.dups, "b", "a same-age copy with other content is never deleted by upkeep")
	assert.ElementsMatch(t, []string{"a=a-old", "b=b-primary", "a=a-new"}, ch.got)
}

func TestStateIgnoresEventsOlderThanWhatItKnows(t *testing.T) {
	var ch changes
	st := newState("bac", logr.Discard(), ch.hear)
	st.apply(cm("bac", 20, map[string][]byte{"a": raw(t, "v2", 2)}))
	st.apply(cm("bac", 19, map[string][]byte{"a": raw(t, "v1", 1)}))
	assert.Equal(t, "v2", string(st.view["a"].rec.Body))

	st.apply(cm("bac-1", 30, map[string][]byte{"b": raw(t, "b", 1)}))
	st.forget("bac-1", 30)
	assert.NotContains(t, st.view, "b")
	st.apply(cm("bac-1", 29, map[string][]byte{"b": raw(t, "b", 1)}))
	assert.NotContains(t, st.view, "b", "a late event must not resurrect a deleted ConfigMap")
	st.apply(cm("bac-1", 31, map[string][]byte{"b": raw(t, "b2", 1)}))
	assert.Equal(t, "b2", string(st.view["b"].rec.Body), "a recreated ConfigMap is seen")
	assert.Equal(t, []string{"a=v2", "b=b", "b=<removed>", "b=b2"}, ch.got)
}

// The watch event of our own write carries the version apply already took
// from the write's answer: the copy then holds the informer's object and
// its bytes, so that the answer's copy is garbage, and nothing else moves.
func TestStateTakesTheInformersBytesForAVersionItHolds(t *testing.T) {
	var ch changes
	st := newState("bac", logr.Discard(), ch.hear)
	answer := cm("bac", 20, map[string][]byte{"a": raw(t, "v1", 1), "b": raw(t, "b1", 1)})
	st.apply(answer)
	before := st.cms["bac"]
	beforeA := before.entries["a"]
	watched := cm("bac", 20, map[string][]byte{"a": raw(t, "v1", 1), "b": raw(t, "b1", 1)})
	st.observe(watched)

	c := st.cms["bac"]
	assert.Same(t, watched, c.obj)
	assert.Equal(t, []*configMap{c}, st.order)
	for _, k := range []string{"a", "b"} {
		assert.True(t, sameBytes(watched.BinaryData[k], c.entries[k].raw), "entry %s holds the informer's bytes", k)
		assert.True(t, sameBytes(watched.BinaryData[k], c.entries[k].json), "entry %s serves the informer's bytes", k)
		assert.Same(t, c.entries[k], st.view[k])
	}
	assert.Equal(t, "v1", string(st.view["a"].rec.Body))
	assert.Equal(t, before.size, c.size)
	// The writer reads a configMap and its entries outside the lock: the
	// old ones are replaced, never changed.
	assert.Same(t, answer, before.obj)
	assert.Same(t, beforeA, before.entries["a"])
	assert.True(t, sameBytes(answer.BinaryData["a"], beforeA.raw))
	assert.ElementsMatch(t, []string{"a=v1", "b=b1"}, ch.got, "taking the same version is no change")

	// An older event is ignored as before, and so is a same version whose
	// bytes differ (not the API server's doing).
	st.observe(cm("bac", 19, map[string][]byte{"a": raw(t, "v0", 0)}))
	st.observe(cm("bac", 20, map[string][]byte{"a": raw(t, "other", 1)}))
	assert.Same(t, c, st.cms["bac"])
	assert.Equal(t, "v1", string(st.view["a"].rec.Body))
	assert.Len(t, ch.got, 2)
}

func TestStateKeepsForeignAndBrokenEntriesOutOfTheView(t *testing.T) {
	st := newState("bac", logr.Discard(), nil)
	c := cm("bac", 1, map[string][]byte{"-legacy": []byte("x"), "broken": []byte("not json"), "ok": raw(t, "{}", 1)})
	c.Data = map[string]string{"note": "hi"}
	st.apply(c)
	assert.Equal(t, []string{"ok"}, keysOf(st.view))
	assert.Equal(t, 2, st.cms["bac"].foreign)
	assert.True(t, st.cms["bac"].entries["broken"].broken)
	assert.Equal(t, configMapSize(c), st.bytes)
}

func keysOf(m map[string]*entry) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func upsertOp(t *testing.T, key, body string, ts int64) *op {
	o := newOp(t.Context(), opUpsert, key)
	o.rec = record.Record{Body: []byte(body), LastUpdateTimeSinceEpoch: record.Epoch(ts)}
	o.raw = raw(t, body, ts)
	return o
}

func TestPlanFillsThePrimaryFirstThenSpills(t *testing.T) {
	st := newState("bac", logr.Discard(), nil)
	st.apply(cm("bac", 1, map[string][]byte{}))
	one := upsertOp(t, "k1", strings.Repeat("x", 40), 1)
	limit := entrySize("k1", one.raw)*2 + 10
	p := newPlan(st, limit, limit)
	for i := 1; i <= 5; i++ {
		o := upsertOp(t, "k"+strconv.Itoa(i), strings.Repeat("x", 40), 1)
		_, done := p.upsert(o)
		require.False(t, done)
	}
	assert.Len(t, p.phase1["bac"].set, 2)
	assert.Len(t, p.phase1["bac-1"].set, 2)
	assert.Len(t, p.phase1["bac-2"].set, 1)
	assert.Nil(t, p.base["bac-1"], "a new spill is created")
	for name, n := range p.proj {
		assert.LessOrEqual(t, n, limit, name)
	}
}

func TestPlanRefusesRecordsThatFitNowhere(t *testing.T) {
	st := newState("bac", logr.Discard(), nil)
	o := upsertOp(t, "k", strings.Repeat("x", 100), 1)
	p := newPlan(st, entrySize("k", o.raw)-1, entrySize("k", o.raw)-1)
	r, done := p.upsert(o)
	require.True(t, done)
	assert.ErrorIs(t, r.err, ErrTooLarge)
	assert.True(t, p.empty())
}

func TestPlanMovesAGrownRecordNewPlaceFirst(t *testing.T) {
	st := newState("bac", logr.Discard(), nil)
	small := raw(t, "s", 1)
	st.apply(cm("bac", 1, map[string][]byte{"a": small, "b": small}))
	limit := st.bytes + 5
	p := newPlan(st, limit, limit)
	_, done := p.upsert(upsertOp(t, "a", strings.Repeat("g", 20), 2))
	require.False(t, done)
	assert.Contains(t, p.phase1["bac-1"].set, "a", "written to its new place in phase 1")
	assert.Contains(t, p.phase2["bac"].del, "a", "the old copy goes in phase 2")
	assert.NotContains(t, p.phase1, "bac")
	assert.Equal(t, 1, p.moves)
}

func TestPlanStaleAndUnchanged(t *testing.T) {
	st := newState("bac", logr.Discard(), nil)
	st.apply(cm("bac", 1, map[string][]byte{"a": raw(t, "v", 10)}))
	p := newPlan(st, MaxConfigMapBytes, MaxConfigMapBytes)
	r, done := p.upsert(upsertOp(t, "a", "w", 9))
	require.True(t, done)
	assert.ErrorIs(t, r.err, ErrStale)
	r, done = p.upsert(upsertOp(t, "a", "v", 9))
	require.True(t, done)
	assert.Equal(t, statusUnchanged, r.status, "same content is unchanged whatever the timestamp")
	_, done = p.upsert(upsertOp(t, "a", "w", 10))
	assert.False(t, done, "an equal timestamp may overwrite")
}

func TestPlanCompactsOnlyWholeSpills(t *testing.T) {
	st := newState("bac", logr.Discard(), nil)
	r1 := raw(t, "one", 1)
	st.apply(cm("bac", 1, map[string][]byte{"a": r1}))
	st.apply(cm("bac-1", 2, map[string][]byte{"b": r1, "c": r1}))
	st.apply(cm("bac-2", 3, map[string][]byte{}))

	// Room in the primary for one record only: nothing moves.
	p := newPlan(st, st.cms["bac"].size+entrySize("b", r1)+1, st.cms["bac"].size+entrySize("b", r1)+1)
	p.maintain(map[string]bool{})
	assert.Empty(t, p.phase1)
	assert.Contains(t, p.drop, "bac-2", "an empty spill is deleted")

	// Room for both: the whole spill moves down and is then deleted.
	p = newPlan(st, st.cms["bac"].size+2*entrySize("b", r1), st.cms["bac"].size+2*entrySize("b", r1))
	p.maintain(map[string]bool{"bac-2": true})
	assert.Len(t, p.phase1["bac"].set, 2)
	assert.Len(t, p.phase2["bac-1"].del, 2)
	assert.Contains(t, p.drop, "bac-1")
	assert.NotContains(t, p.drop, "bac-2", "a spill we may not delete is left alone")
}

func TestPlanDedupeKeepsTheWinner(t *testing.T) {
	st := newState("bac", logr.Discard(), nil)
	st.apply(cm("bac", 1, map[string][]byte{"a": raw(t, "old", 1), "b": raw(t, "same", 1)}))
	st.apply(cm("bac-1", 2, map[string][]byte{"a": raw(t, "new", 2), "b": raw(t, "same", 1)}))
	p := newPlan(st, MaxConfigMapBytes, MaxConfigMapBytes)
	p.maintain(nil)
	assert.Equal(t, map[string]struct{}{"a": {}}, p.phase1["bac"].del)
	assert.Equal(t, map[string]struct{}{"b": {}}, p.phase1["bac-1"].del)
	assert.Equal(t, 2, p.dedupes)
}

func TestRecordEncodingIsWhatTheDocumentedCommandReads(t *testing.T) {
	doc := `{"models":[{"name":"m"}]}`
	b, err := encodeRecord(&record.Record{Body: []byte(doc), LastUpdateTimeSinceEpoch: 5, ModelCard: "# card"})
	require.NoError(t, err)
	var v struct {
		Body []byte `json:"body"`
	}
	require.NoError(t, json.Unmarshal(b, &v))
	assert.JSONEq(t, doc, string(v.Body))
	assert.Contains(t, string(b), `"modelCard":"# card"`)
}

func TestConfigMapIndexOnlyPlainDecimalSuffixes(t *testing.T) {
	for name, want := range map[string]int{"bac-import-model": 0, "bac-import-model-1": 1, "bac-import-model-12": 12} {
		n, ok := configMapIndex("bac-import-model", name)
		assert.True(t, ok, name)
		assert.Equal(t, want, n, name)
	}
	for _, name := range []string{"bac-import-model-+1", "bac-import-model--1", "bac-import-model-01", "bac-import-model-", "bac-import-model-x", "other"} {
		_, ok := configMapIndex("bac-import-model", name)
		assert.False(t, ok, name)
	}
}

// A new key goes to the first ConfigMap, primary first, that it fits in,
// however the plan's ConfigMaps filled and shrank before it: the plan
// passes over those at the fill without trying them.
func TestPlanPlacesANewKeyInTheFirstConfigMapWithRoom(t *testing.T) {
	st := newState("bac", logr.Discard(), nil)
	seed := map[string][]byte{}
	for i := range 30 {
		seed["old-"+strconv.Itoa(i)] = raw(t, strings.Repeat("o", 10+i*7), 1)
	}
	st.apply(cm("bac", 1, seed))
	// The primary starts just over the fill; removals bring it under.
	limit := st.bytes * 2
	p := newPlan(st, limit, st.bytes-30)
	rng := rand.New(rand.NewPCG(5, 8))
	firstFit := func(key string, n int) string {
		for _, name := range p.names(nil) {
			if p.fits(name, key, n) {
				return name
			}
		}
		return "a new spill"
	}
	targetOf := func(key string) string {
		for name, ch := range p.phase1 {
			if _, ok := ch.set[key]; ok {
				return name
			}
		}
		return ""
	}
	var planned []string
	placed := 0
	for i := range 600 {
		switch r := rng.IntN(10); {
		case r < 7: // a new key
			key := "new-" + strconv.Itoa(i)
			o := upsertOp(t, key, strings.Repeat("n", 5+rng.IntN(120)), 2)
			want := firstFit(key, len(o.raw))
			_, done := p.upsert(o)
			require.False(t, done)
			got := targetOf(key)
			if want != "a new spill" {
				require.Equal(t, want, got, "op %d: %s", i, key)
			} else {
				require.Nil(t, p.base[got], "op %d: %s goes to a new spill", i, key)
			}
			planned = append(planned, key)
			placed++
		case r < 9 && len(planned) > 0: // a planned key changes size: ConfigMaps grow and shrink
			key := planned[rng.IntN(len(planned))]
			_, done := p.upsert(upsertOp(t, key, strings.Repeat("c", 1+rng.IntN(200)), 3+int64(i)))
			require.False(t, done)
		default: // an old key removed: its ConfigMap shrinks
			key := "old-" + strconv.Itoa(rng.IntN(30))
			p.remove(newOp(t.Context(), opRemove, key))
		}
	}
	assert.Greater(t, placed, 300, "new keys placed")
	for name, n := range p.proj {
		assert.LessOrEqual(t, n, limit, name)
	}
}

// copies stops at the count of ConfigMaps holding a key and answers the
// usual single copy from the view or the ConfigMap being taken: after
// every kind of change it must still give what looking in every ConfigMap
// gives, in the same order, and the view the winner among those.
func TestCopiesIsEveryEntryOfTheKeyPrimaryFirst(t *testing.T) {
	st := newState("bac", logr.Discard(), nil)
	rng := rand.New(rand.NewPCG(3, 14))
	names := []string{"bac", "bac-1", "bac-2", "bac-3"}
	keys := []string{"a", "b", "c", "d", "e", "f"}
	held := map[string]map[string][]byte{}
	rv := 0
	scan := func(key string) []*entry {
		var out []*entry
		for _, c := range st.order {
			if e := c.entries[key]; e != nil {
				out = append(out, e)
			}
		}
		return out
	}
	multi := 0
	for i := range 2000 {
		rv++
		name := names[rng.IntN(len(names))]
		switch r := rng.IntN(10); {
		case r < 1 && held[name] != nil:
			st.forget(name, uint64(rv))
			delete(held, name)
		case r < 2 && held[name] != nil:
			// The informer's copy of a version the state holds.
			st.observe(cm(name, int(st.cms[name].rv), cloneEntries(held[name])))
		default:
			entries := cloneEntries(held[name])
			for range 1 + rng.IntN(3) {
				key := keys[rng.IntN(len(keys))]
				switch rng.IntN(8) {
				case 0:
					delete(entries, key)
				case 1:
					entries[key] = []byte("not a record")
				default:
					entries[key] = raw(t, key+strconv.Itoa(rng.IntN(3)), int64(rng.IntN(3)))
				}
			}
			held[name] = entries
			st.apply(cm(name, rv, entries))
		}
		for _, key := range keys {
			want := scan(key)
			require.Equal(t, want, st.copies(key), "step %d, key %s", i, key)
			if len(want) > 1 {
				multi++
			}
			var win *entry
			for _, e := range want {
				if !e.broken && (win == nil || e.rec.LastUpdateTimeSinceEpoch > win.rec.LastUpdateTimeSinceEpoch) {
					win = e
				}
			}
			if win == nil {
				require.NotContains(t, st.view, key, "step %d", i)
			} else {
				require.Same(t, win, st.view[key], "step %d, key %s: the winner", i, key)
			}
		}
	}
	assert.Greater(t, multi, 1000, "keys held in several ConfigMaps at once")
}

func cloneEntries(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = append([]byte(nil), v...)
	}
	return out
}
