package pipeline

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
)

// A sync whose sources answered as before, with storage-rest as the last
// sync left it, builds nothing; anything else builds everything.
func TestASyncWithUnchangedInputsSkipsTheMapping(t *testing.T) {
	reg := &fakeRegistry{models: []string{"mnist", "granite"}, version: "v1"}
	f := newFixture(map[string]*fakeRegistry{"http://a": reg})

	res := f.sync(t)
	assert.True(t, res.Rebuilt, "first sync")
	assert.Equal(t, 2, res.Upserted)

	calls := f.store.total()
	res = f.sync(t)
	assert.False(t, res.Rebuilt, "same answer versions, storage-rest unchanged")
	assert.Equal(t, 2, res.Desired, "the counts of the last full sync")
	assert.Equal(t, calls+1, f.store.total(), "one GET /digest, nothing else")

	reg.models, reg.version = append(reg.models, "phi"), "v2"
	res = f.sync(t)
	assert.True(t, res.Rebuilt, "a new answer version")
	assert.Equal(t, 1, res.Upserted)

	// A hand edit in storage-rest: the digest differs, the sync rebuilds
	// and puts it right.
	f.store.mu.Lock()
	r := f.store.recs["mnist__v1"]
	r.Body = []byte(`{"edited":true}`)
	f.store.recs["mnist__v1"] = r
	f.store.mu.Unlock()
	res = f.sync(t)
	assert.True(t, res.Rebuilt, "storage-rest changed under us")
	assert.Equal(t, 1, res.Upserted)
	assert.False(t, f.sync(t).Rebuilt)

	// A failed write: the next sync builds again to retry it, even with
	// the same inputs.
	reg.models, reg.version = append(reg.models, "llama"), "v3"
	f.store.fail = map[string]error{"llama__v1": statusErr(http.StatusServiceUnavailable)}
	res = f.sync(t)
	assert.Equal(t, 1, res.Failed)
	delete(f.store.fail, "llama__v1")
	res = f.sync(t)
	assert.True(t, res.Rebuilt, "the last sync did not store everything")
	assert.Equal(t, 1, res.Upserted)
	assert.False(t, f.sync(t).Rebuilt)

	// A source that cannot tell a version: every sync is a full one.
	reg.version = ""
	assert.True(t, f.sync(t).Rebuilt)
	assert.True(t, f.sync(t).Rebuilt)
	assert.Equal(t, []string{"granite__v1", "llama__v1", "mnist__v1", "phi__v1"}, f.store.keys())
}

// Removals that had to wait make the next syncs full ones until they are
// sent.
func TestHeldRemovalsAreNotSkipped(t *testing.T) {
	reg := &fakeRegistry{models: []string{"mnist", "granite"}, version: "v1"}
	f := newFixture(map[string]*fakeRegistry{"http://a": reg})
	f.sync(t)
	reg.models, reg.version = []string{"mnist"}, "v2"
	f.disc.err = assert.AnError // discovery fails: removals wait
	res := f.sync(t)
	assert.False(t, res.Removals)
	assert.Equal(t, []string{"granite__v1", "mnist__v1"}, f.store.keys())
	res = f.sync(t)
	assert.True(t, res.Rebuilt, "removals are pending")
	f.disc.err = nil
	res = f.sync(t)
	assert.True(t, res.Rebuilt)
	assert.Equal(t, 1, res.Removed)
	assert.Equal(t, []string{"mnist__v1"}, f.store.keys())
	assert.False(t, f.sync(t).Rebuilt)
}

func TestInputsKey(t *testing.T) {
	isvc := func(name, rv string) *v1beta1.InferenceService {
		return &v1beta1.InferenceService{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("uid-" + name), ResourceVersion: rv}}
	}
	in := func(servers ...mapping.Server) mapping.Inputs {
		return mapping.Inputs{Registries: []mapping.RegistrySnapshot{{Name: "a", Version: "1"}}, Servers: servers}
	}
	inputsKey := func(in mapping.Inputs, cards uint64, dashboard string) ([32]byte, bool) {
		base, ok1 := baseKey(in, cards, dashboard)
		servers, ok2 := serverKeys(in.Servers)
		return inputsKey(base, servers), ok1 && ok2
	}
	a, b := mapping.Server{InferenceService: isvc("a", "7")}, mapping.Server{InferenceService: isvc("b", "9"), RouteURL: "https://b"}
	k1, ok := inputsKey(in(a, b), 0, "")
	require.True(t, ok)
	k2, _ := inputsKey(in(b, a), 0, "")
	assert.Equal(t, k1, k2, "the watch's order does not matter")

	for name, other := range map[string]mapping.Inputs{
		"a server changed":      in(a, mapping.Server{InferenceService: isvc("b", "10"), RouteURL: "https://b"}),
		"its route changed":     in(a, mapping.Server{InferenceService: isvc("b", "9"), RouteURL: "https://b2"}),
		"a server gone":         in(a),
		"a registry's answer":   {Registries: []mapping.RegistrySnapshot{{Name: "a", Version: "2"}}, Servers: []mapping.Server{a, b}},
		"another registry name": {Registries: []mapping.RegistrySnapshot{{Name: "b", Version: "1"}}, Servers: []mapping.Server{a, b}},
	} {
		k, ok := inputsKey(other, 0, "")
		require.True(t, ok, name)
		assert.NotEqual(t, k1, k, name)
	}
	k, _ := inputsKey(in(a, b), 1, "")
	assert.NotEqual(t, k1, k, "the cards changed")
	k, _ = inputsKey(in(a, b), 0, "https://dashboard")
	assert.NotEqual(t, k1, k, "the dashboard URL changed")

	_, ok = inputsKey(mapping.Inputs{Registries: []mapping.RegistrySnapshot{{Name: "a"}}}, 0, "")
	assert.False(t, ok, "a registry answer without a version")
	_, ok = inputsKey(in(mapping.Server{InferenceService: isvc("c", "")}), 0, "")
	assert.False(t, ok, "an InferenceService without a resourceVersion")
	_, ok = inputsKey(in(a, a), 0, "")
	assert.False(t, ok, "an InferenceService listed twice")
}
