package store_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/store"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

func doc(name string, pad int) string {
	return fmt.Sprintf(`{"models":[{"name":%q,"owner":"team","lifecycle":"production","description":%q}]}`, name, strings.Repeat("d", pad))
}

const eventually = 30 * time.Second

func TestCreatesThePrimaryConfigMapWhenMissing(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "store")
	startStore(t, ns)
	cm, err := kube(t).CoreV1().ConfigMaps(ns).Get(context.Background(), store.DefaultName, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Empty(t, cm.BinaryData)
	assert.Equal(t, store.DefaultName, cm.Labels[store.LabelStore])
	assert.Equal(t, store.PartOf, cm.Labels[store.LabelPartOf])
}

func TestRestartLosesNothing(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "store")
	first := startStore(t, ns)
	ctx := context.Background()
	want := map[string]record.Record{}
	for i := range 20 {
		key := fmt.Sprintf("model-%d__v1", i)
		r := rec(doc(key, 10), int64(1000+i))
		r.ReconcilerType = record.TypeKubeflow
		r.ModelCard = "# Card of " + key
		r.ModelCardKey = fmt.Sprintf("model-%d", i)
		r.LocationTarget = "/model-" + fmt.Sprint(i) + "/v1/" + record.FileJSON
		st, err := first.Upsert(ctx, key, r)
		require.NoError(t, err)
		require.Equal(t, record.UpsertCreated, st)
		want[key] = r
	}
	removed, err := first.Remove(ctx, "model-0__v1")
	require.NoError(t, err)
	require.True(t, removed)
	delete(want, "model-0__v1")
	wantDigest := record.DigestOf(want)
	assert.Equal(t, wantDigest.String(), digestOf(first), "the digest follows every write")
	first.stop()
	_, err = first.Upsert(ctx, "late", rec("{}", 1))
	assert.ErrorIs(t, err, store.ErrClosed, "a stopped store refuses writes")

	second := startStore(t, ns)
	assert.Len(t, second.Keys(), len(want))
	assert.Equal(t, wantDigest.String(), digestOf(second), "a store loaded from the ConfigMaps has the same digest")
	for key, w := range want {
		got, js, ok := second.Get(key)
		require.True(t, ok, key)
		assert.Equal(t, w, got, key)
		var fromJSON record.Record
		require.NoError(t, json.Unmarshal(js, &fromJSON))
		assert.Equal(t, w, fromJSON, key)
		if h, ok := second.changes.get(key); assert.True(t, ok, "the load announces %s", key) {
			assert.Equal(t, w.ModelCard, h.ModelCard)
		}
	}
	assert.Equal(t, want, serverRecords(t, ns))
}

func TestConcurrentUpsertsAllSurvive(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "store")
	s := startStore(t, ns)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for g := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("g%d", g)
			for v := 1; v <= 3; v++ {
				if _, err := s.Upsert(ctx, key, rec(doc(fmt.Sprintf("%s-v%d", key, v), 50), int64(v))); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got := serverRecords(t, ns)
	require.Len(t, got, 50)
	for g := range 50 {
		key := fmt.Sprintf("g%d", g)
		assert.JSONEq(t, doc(key+"-v3", 50), string(got[key].Body), key)
	}
	assert.Equal(t, 50, s.Len())
	calls := s.APICalls()
	assert.Less(t, calls.Patch, int64(150), "concurrent upserts are written in batches")
}

func TestTwoStoresOnTheSameConfigMapLoseNothing(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "store")
	a, b := startStore(t, ns), startStore(t, ns)
	stores := []*running{a, b}
	ctx := context.Background()
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range 4 {
				s := stores[(g+i)%2]
				key := fmt.Sprintf("g%d__k%d", g, i)
				if _, err := s.Upsert(ctx, key, rec(doc(key, 100), 1)); err != nil {
					errs <- fmt.Errorf("%s: %w", key, err)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Len(t, serverRecords(t, ns), 200)
	for _, s := range stores {
		require.Eventually(t, func() bool { return s.Len() == 200 }, eventually, 10*time.Millisecond,
			"each store sees the other's writes through its watch")
	}
	r, ok := a.changes.get("g1__k0") // written by b
	require.True(t, ok, "a hears about b's writes")
	assert.JSONEq(t, doc("g1__k0", 100), string(r.Body))
	// Each write is guarded per record, not by the ConfigMap's
	// resourceVersion: writers of different records conflict (and re-read)
	// at most while the ConfigMap gets its first entry, once per store.
	rereads := a.APICalls().Get + b.APICalls().Get
	assert.LessOrEqual(t, rereads, int64(4), "writers of different records do not conflict")
}

func TestStaleRecordIsRefused(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "store")
	s := startStore(t, ns)
	ctx := context.Background()
	_, err := s.Upsert(ctx, "m", rec(doc("v2", 1), 200))
	require.NoError(t, err)

	_, err = s.Upsert(ctx, "m", rec(doc("v1", 1), 199))
	require.ErrorIs(t, err, store.ErrStale)
	assert.Contains(t, err.Error(), "199")
	got, _, _ := s.Get("m")
	assert.JSONEq(t, doc("v2", 1), string(got.Body))
	assert.JSONEq(t, doc("v2", 1), string(serverRecords(t, ns)["m"].Body))

	st, err := s.Upsert(ctx, "m", rec(doc("v2", 1), 100))
	require.NoError(t, err)
	assert.Equal(t, record.UpsertUnchanged, st, "identical content is unchanged even with an older timestamp")

	st, err = s.Upsert(ctx, "m", rec(doc("v3", 1), 200))
	require.NoError(t, err)
	assert.Equal(t, record.UpsertUpdated, st, "an equal timestamp may overwrite")
	assert.JSONEq(t, doc("v3", 1), string(serverRecords(t, ns)["m"].Body))
}

func TestIdenticalUpsertMakesNoAPICalls(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "store")
	s := startStore(t, ns)
	ctx := context.Background()
	r := rec(doc("m", 10), 1)
	r.ModelCard = "# card"
	st, err := s.Upsert(ctx, "m", r)
	require.NoError(t, err)
	require.Equal(t, record.UpsertCreated, st)
	before := s.APICalls()
	for ts := int64(2); ts < 12; ts++ {
		r.LastUpdateTimeSinceEpoch = record.Epoch(ts)
		st, err = s.Upsert(ctx, "m", r)
		require.NoError(t, err)
		assert.Equal(t, record.UpsertUnchanged, st)
	}
	_, _, ok := s.Get("m")
	require.True(t, ok)
	_ = s.Keys()
	_ = s.Snapshot()
	assert.Equal(t, int64(0), s.APICalls().Sub(before).Requests(), "no GET, no PATCH")

	r.ModelCard = "# new card"
	st, err = s.Upsert(ctx, "m", r)
	require.NoError(t, err)
	assert.Equal(t, record.UpsertUpdated, st)
	d := s.APICalls().Sub(before)
	assert.Equal(t, int64(1), d.Patch)
	assert.Equal(t, int64(1), d.Requests(), "a changed record costs one PATCH")
}

func TestSpillPastOneMiBAndBack(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "store")
	s := startStore(t, ns, fillToTheLimit)
	ctx := context.Background()
	want := map[string]string{}
	for i := range 25 {
		key := fmt.Sprintf("big-%02d", i)
		want[key] = doc(key, 100_000)
		_, err := s.Upsert(ctx, key, rec(want[key], 1))
		require.NoError(t, err)
	}
	cms := serverConfigMaps(t, ns)
	require.GreaterOrEqual(t, len(cms), 3, "25 records of ~130 kB need at least three ConfigMaps")
	total := 0
	for name, cm := range cms {
		size := 0
		for k, v := range cm.BinaryData {
			size += len(k) + len(v)
		}
		total += size
		assert.LessOrEqual(t, size, store.MaxConfigMapBytes, name)
		assert.Equal(t, store.DefaultName, cm.Labels[store.LabelStore], name)
		assert.Equal(t, store.PartOf, cm.Labels[store.LabelPartOf], name)
	}
	assert.Greater(t, total, store.MaxConfigMapBytes)
	primary := cms[store.DefaultName]
	entry := len("big-00") + len(primary.BinaryData["big-00"])
	assert.Greater(t, primarySize(primary)+entry, store.MaxConfigMapBytes, "the primary is filled first")
	assert.Contains(t, cms, store.DefaultName+"-1")
	assert.Equal(t, s.Usage().ConfigMaps, sortedNames(cms))
	checkRecords(t, ns, want)

	// Back: keep four records; everything fits in the primary again and the
	// spills go away.
	keep := []string{"big-03", "big-10", "big-17", "big-24"}
	removed, err := s.RemoveExcept(ctx, keep)
	require.NoError(t, err)
	assert.Len(t, removed, 21)
	for k := range want {
		if !contains(keep, k) {
			delete(want, k)
		}
	}
	require.Eventually(t, func() bool { return len(serverConfigMaps(t, ns)) == 1 }, eventually, 20*time.Millisecond,
		"spill ConfigMaps are emptied and deleted")
	require.Eventually(t, func() bool { return len(s.Usage().ConfigMaps) == 1 }, eventually, 10*time.Millisecond)
	checkRecords(t, ns, want)
	assert.Equal(t, keep, s.Keys())

	removed, err = s.RemoveExcept(ctx, []string{})
	require.NoError(t, err)
	assert.Equal(t, keep, removed)
	assert.Empty(t, serverRecords(t, ns))
	assert.Equal(t, []string{store.DefaultName}, sortedNames(serverConfigMaps(t, ns)), "the primary stays")
}

func primarySize(cm *corev1.ConfigMap) int {
	n := 0
	for k, v := range cm.BinaryData {
		n += len(k) + len(v)
	}
	return n
}

func sortedNames(cms map[string]*corev1.ConfigMap) []string {
	var out []string
	for n := range cms {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) < len(out[j]) || len(out[i]) == len(out[j]) && out[i] < out[j] })
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func checkRecords(t *testing.T, ns string, want map[string]string) {
	t.Helper()
	got := serverRecords(t, ns)
	require.Len(t, got, len(want))
	for k, body := range want {
		assert.JSONEq(t, body, string(got[k].Body), k)
	}
}

func TestGrownRecordMovesWithoutLosingIt(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "store")
	s := startStore(t, ns, fillToTheLimit)
	ctx := context.Background()
	for i := range 7 {
		_, err := s.Upsert(ctx, fmt.Sprintf("r%d", i), rec(doc("x", 100_000), 1))
		require.NoError(t, err)
	}
	require.Equal(t, []string{store.DefaultName}, s.Usage().ConfigMaps)
	_, err := s.Upsert(ctx, "r3", rec(doc("grown", 300_000), 2))
	require.NoError(t, err)
	got := serverRecords(t, ns) // fails on a key stored twice
	assert.JSONEq(t, doc("grown", 300_000), string(got["r3"].Body))
	assert.Len(t, got, 7)
	cms := serverConfigMaps(t, ns)
	assert.Contains(t, cms[store.DefaultName+"-1"].BinaryData, "r3", "moved to a spill")
	assert.NotContains(t, cms[store.DefaultName].BinaryData, "r3", "and removed from the primary")
}

func TestTooLargeRecordIsRefused(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "store")
	s := startStore(t, ns)
	ctx := context.Background()
	before := s.APICalls()
	_, err := s.Upsert(ctx, "huge", rec(strings.Repeat("x", 800_000), 1))
	require.ErrorIs(t, err, store.ErrTooLarge)
	assert.Contains(t, err.Error(), "1048576")
	assert.Equal(t, int64(0), s.APICalls().Sub(before).Requests())
	assert.Empty(t, serverRecords(t, ns))

	// The limit is exact: a record that fills an empty ConfigMap to the byte
	// is accepted by the API server.
	r := rec("", 1)
	base, err := json.Marshal(r)
	require.NoError(t, err)
	room := store.MaxConfigMapBytes - len("exact") - len(base)
	r.Body = bytes.Repeat([]byte("y"), (room-100)/4*3) // base64 grows 3 bytes into 4
	r.ModelCard = strings.Repeat("z", room-base64.StdEncoding.EncodedLen(len(r.Body))-len(`,"modelCard":""`))
	enc, err := json.Marshal(r)
	require.NoError(t, err)
	require.Equal(t, store.MaxConfigMapBytes, len("exact")+len(enc))
	_, err = s.Upsert(ctx, "exact", r)
	require.NoError(t, err)
	assert.Equal(t, store.MaxConfigMapBytes, primarySize(serverConfigMaps(t, ns)[store.DefaultName]))
}

func TestDuplicateKeysResolveToTheNewestOnLoad(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "store")
	ctx := context.Background()
	k := kube(t).CoreV1().ConfigMaps(ns)
	enc := func(body string, ts int64) []byte {
		b, err := json.Marshal(rec(body, ts))
		require.NoError(t, err)
		return b
	}
	// A crash between "write the new place" and "delete the old copy".
	_, err := k.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: store.DefaultName},
		BinaryData: map[string][]byte{"moved": enc(doc("old", 1), 1), "same": enc(doc("same", 1), 5)},
		Data:       map[string]string{"note": "kept"},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = k.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: store.DefaultName + "-1", Labels: map[string]string{store.LabelStore: store.DefaultName}},
		BinaryData: map[string][]byte{"moved": enc(doc("new", 1), 2), "same": enc(doc("same", 1), 5)},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	s := startStore(t, ns)
	got, _, ok := s.Get("moved")
	require.True(t, ok)
	assert.JSONEq(t, doc("new", 1), string(got.Body), "the newest copy wins")

	// Upkeep deletes the superseded copies; the spill then fits in the
	// primary and goes away.
	require.Eventually(t, func() bool { return len(serverConfigMaps(t, ns)) == 1 }, eventually, 20*time.Millisecond)
	cms := serverConfigMaps(t, ns)
	assert.Equal(t, "kept", cms[store.DefaultName].Data["note"], "entries that are not ours are kept")
	recs := serverRecords(t, ns)
	assert.JSONEq(t, doc("new", 1), string(recs["moved"].Body))
	assert.JSONEq(t, doc("same", 1), string(recs["same"].Body))
}

func TestEntriesThatAreNotRecordsAreKept(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "store")
	ctx := context.Background()
	_, err := kube(t).CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: store.DefaultName},
		BinaryData: map[string][]byte{"-legacy": []byte("old"), "broken": []byte("not json")},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	s := startStore(t, ns)
	assert.Empty(t, s.Keys())
	_, err = s.Upsert(ctx, "fresh", rec("{}", 1))
	require.NoError(t, err)
	st, err := s.Upsert(ctx, "broken", rec(`{"models":[]}`, 1))
	require.NoError(t, err)
	assert.Equal(t, record.UpsertCreated, st)
	cm := serverConfigMaps(t, ns)[store.DefaultName]
	assert.Equal(t, []byte("old"), cm.BinaryData["-legacy"])
	assert.Len(t, cm.BinaryData, 3, "the undecodable value was overwritten in place")
	removed, err := s.RemoveExcept(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"broken", "fresh"}, removed)
	assert.Equal(t, map[string][]byte{"-legacy": []byte("old")}, serverConfigMaps(t, ns)[store.DefaultName].BinaryData)
}

func TestInvalidKeysAreRefused(t *testing.T) {
	s := startStore(t, testenv.NewNamespace(t, apiServer, "store"))
	ctx := context.Background()
	for _, key := range []string{"", "a/b", "..", "a b", "a..b", "-x", "x__", strings.Repeat("a", 254)} {
		_, err := s.Upsert(ctx, key, rec("{}", 1))
		assert.ErrorIs(t, err, record.ErrInvalidKey, "%q", key)
	}
	_, err := s.RemoveExcept(ctx, []string{"ok", "not ok"})
	assert.ErrorIs(t, err, record.ErrInvalidKey)
	assert.Empty(t, s.Keys())
}

func TestRemove(t *testing.T) {
	s := startStore(t, testenv.NewNamespace(t, apiServer, "store"))
	ctx := context.Background()
	_, err := s.Upsert(ctx, "a", rec("{}", 1))
	require.NoError(t, err)
	ok, err := s.Remove(ctx, "a")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = s.Remove(ctx, "a")
	require.NoError(t, err)
	assert.False(t, ok, "removing an absent key is not an error")
	_, _, found := s.Get("a")
	assert.False(t, found)
	if h, heard := s.changes.get("a"); assert.True(t, heard) {
		assert.Nil(t, h, "the removal is announced")
	}
}

const documentedFilter = `.binaryData | to_entries[] | "=== \(.key) ===\n" + (.value | @base64d | fromjson | .body | @base64d | fromjson | tostring)`

// TestDocumentedInspectionCommand applies the documented
// `oc get configmap bac-import-model -o json | jq -r ...` to the ConfigMap
// as the API server returns it: in Go, and with jq itself.
func TestDocumentedInspectionCommand(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "store")
	s := startStore(t, ns)
	ctx := context.Background()
	docs := map[string]string{
		"mnist__v1":  `{"modelServer":{"name":"mnist","owner":"o","lifecycle":"l","description":"d"},"models":[{"name":"mnist","owner":"o","lifecycle":"l","description":"digits"}]}`,
		"granite-8b": `{"models":[{"name":"granite-8b","owner":"o","lifecycle":"l","description":"ünïcode & <html>"}]}`,
	}
	for k, d := range docs {
		r := rec(d, 1)
		r.ModelCard = "# card"
		_, err := s.Upsert(ctx, k, r)
		require.NoError(t, err)
	}
	js, err := kube(t).CoreV1().RESTClient().Get().AbsPath("/api/v1/namespaces", ns, "configmaps", store.DefaultName).DoRaw(ctx)
	require.NoError(t, err)

	// What jq does, step by step.
	var cm struct {
		BinaryData map[string]string `json:"binaryData"`
	}
	require.NoError(t, json.Unmarshal(js, &cm))
	require.Len(t, cm.BinaryData, len(docs))
	for k, v := range cm.BinaryData {
		value, err := base64.StdEncoding.DecodeString(v) // @base64d
		require.NoError(t, err)
		var obj map[string]any // fromjson
		require.NoError(t, json.Unmarshal(value, &obj))
		body, ok := obj["body"].(string) // .body
		require.True(t, ok, "body is a string")
		d, err := base64.StdEncoding.DecodeString(body) // @base64d
		require.NoError(t, err)
		assert.JSONEq(t, docs[k], string(d), k) // fromjson
	}

	jq := testenv.RequireTool(t, "jq", "the documented ConfigMap command is run literally")
	cmd := exec.Command(jq, "-r", documentedFilter)
	cmd.Stdin = bytes.NewReader(js)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 2*len(docs), string(out))
	for i := 0; i < len(lines); i += 2 {
		key := strings.TrimSuffix(strings.TrimPrefix(lines[i], "=== "), " ===")
		require.Contains(t, docs, key, lines[i])
		assert.JSONEq(t, docs[key], lines[i+1], key)
	}
}

func digestOf(s *running) string {
	_, d := s.Digest()
	return d
}
