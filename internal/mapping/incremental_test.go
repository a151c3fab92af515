package mapping

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// incrementalRun keeps what Rebuild answers applied to the outputs of the
// last full build, to compare with Build of the same inputs.
type incrementalRun struct {
	in   Inputs
	opts Options
	ix   *Index
	outs map[string]Output
	// taken counts the changes Rebuild took and the ones it left to Build.
	taken, refused int
}

func newIncrementalRun(t *testing.T, in Inputs, opts Options) *incrementalRun {
	r := &incrementalRun{in: in, opts: opts}
	r.full(t)
	return r
}

func (r *incrementalRun) full(t *testing.T) {
	outs, _, ix := BuildIndexed(r.in, r.opts)
	checkOutputs(t, r.in, r.opts, outs)
	r.ix, r.outs = ix, map[string]Output{}
	for _, o := range outs {
		r.outs[o.Key] = o
	}
}

// set replaces (or adds) the server ref with s, nil to delete it, and
// brings the outputs up to date, by Rebuild when it takes the change.
func (r *incrementalRun) set(t *testing.T, ref ServerRef, s *Server) bool {
	t.Helper()
	servers := r.in.Servers[:0:0]
	for _, x := range r.in.Servers {
		if RefOf(&x) != ref {
			servers = append(servers, x)
		}
	}
	var changed []Server
	var gone []ServerRef
	if s != nil {
		servers = append(servers, *s)
		changed = []Server{*s}
	} else {
		gone = []ServerRef{ref}
	}
	r.in.Servers = servers
	d, ok := r.ix.Rebuild(changed, gone)
	if !ok {
		r.refused++
		r.full(t)
		return false
	}
	r.taken++
	for _, k := range d.Removed {
		delete(r.outs, k)
	}
	for _, o := range d.Outputs {
		r.outs[o.Key] = o
	}
	want, wantProblems := Build(r.in, r.opts)
	require.Equal(t, len(want), d.Desired, "desired count after %v", ref)
	require.Equal(t, wantProblems, d.Problems, "problems after %v", ref)
	require.Len(t, r.outs, len(want), "outputs after %v", ref)
	for _, w := range want {
		got, ok := r.outs[w.Key]
		require.True(t, ok, "output %s missing after %v", w.Key, ref)
		require.True(t, bytes.Equal(w.Body, got.Body), "body of %s after %v:\n got %s\nwant %s", w.Key, ref, got.Body, w.Body)
		require.Equal(t, w.Type, got.Type)
	}
	return true
}

// A change of InferenceServices that no registry may claim is mapped
// alone, and gives exactly what mapping everything gives; a change that
// may touch other records is left to Build.
func TestRebuildGivesWhatBuildGives(t *testing.T) {
	in := largeInputs(20)
	r := newIncrementalRun(t, in, Options{DashboardURL: func() string { return "https://dash.example.com" }})

	ref := func(ns, name string) ServerRef { return ServerRef{ns, name} }
	srv := func(ns, name string, labels, ann map[string]string, ready bool) *Server {
		return &Server{InferenceService: isvc(ns, name, labels, ann, ready)}
	}

	assert.True(t, r.set(t, ref("new", "chat"), srv("new", "chat", nil, nil, true)), "a new KServe-only server")
	assert.True(t, r.set(t, ref("new", "chat"), srv("new", "chat", nil, map[string]string{"rhdh.io/owner": "group:y"}, true)), "its owner changed")
	assert.True(t, r.set(t, ref("new", "chat"), srv("new", "chat", nil, nil, false)), "it is no longer Ready")
	assert.True(t, r.set(t, ref("new", "chat"), srv("new", "chat", nil, nil, true)), "Ready again")
	gone := srv("new", "chat", nil, nil, true)
	now := metav1Now()
	gone.InferenceService.DeletionTimestamp = &now
	assert.True(t, r.set(t, ref("new", "chat"), gone), "being deleted")
	assert.True(t, r.set(t, ref("new", "chat"), nil), "deleted")
	assert.True(t, r.set(t, ref("other", "kserve-3"), nil), "an existing KServe-only server deleted")
	assert.True(t, r.set(t, ref("new", "multi"), srv("new", "multi", nil, map[string]string{"rhdh.io/model-a": "llama", "rhdh.io/model-b": "mistral"}, true)), "a server of two models")

	assert.False(t, r.set(t, ref("elsewhere", "kserve-5"), srv("elsewhere", "kserve-5", nil, nil, true)), "its server name is another's")
	assert.False(t, r.set(t, ref("x", "y"), srv("x", "y", nil, map[string]string{"rhdh.io/model-a": "model-1-v1"}, true)), "its model name is a registry model's")
	assert.False(t, r.set(t, ref("team", "model-2-v1"), srv("team", "model-2-v1", nil, map[string]string{"rhdh.io/owner": "group:z"}, true)), "a registry's model server")
	assert.False(t, r.set(t, ref("x", "labelled"), srv("x", "labelled", map[string]string{LabelRegisteredModelID: "2", LabelModelVersionID: "3"}, nil, true)), "registry labels")
	assert.False(t, r.set(t, ref("team", "model-7-v1"), nil), "a registry's model server deleted")
	assert.False(t, r.set(t, ref("team", "model-7-v1"), srv("team", "model-7-v1", nil, nil, true)), "back where a registry finds it by name")
	suffixed := withSuffix("kserve-5", shortHash("InferenceService other/kserve-5"))
	assert.False(t, r.set(t, ref("z", suffixed), srv("z", suffixed, nil, nil, true)), "named what a collision's loser was renamed to")
	// After the collisions are gone, the names are free again.
	assert.False(t, r.set(t, ref("elsewhere", "kserve-5"), nil), "the server that kept the name deleted")
	assert.True(t, r.set(t, ref("other", "kserve-5"), srv("other", "kserve-5", nil, map[string]string{"rhdh.io/owner": "group:w"}, true)), "the renamed one, alone again")
}

// Random changes, each checked against Build.
func TestRebuildGivesWhatBuildGivesForRandomChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	r := newIncrementalRun(t, largeInputs(10), Options{})
	namespaces := []string{"a", "b", "other", "team"}
	for step := range 300 {
		ns := namespaces[rng.IntN(len(namespaces))]
		name := fmt.Sprintf("kserve-%d", rng.IntN(14))
		if rng.IntN(4) == 0 {
			name = fmt.Sprintf("model-%d-v1", rng.IntN(12))
		}
		var ann, labels map[string]string
		switch rng.IntN(6) {
		case 0:
			ann = map[string]string{"rhdh.io/owner": fmt.Sprintf("group:g%d", rng.IntN(3))}
		case 1:
			ann = map[string]string{"rhdh.io/model-x": fmt.Sprintf("m%d", rng.IntN(5))}
		case 2:
			labels = map[string]string{LabelInferenceServiceID: fmt.Sprint(10*rng.IntN(12) + 5)}
		}
		ref := ServerRef{ns, name}
		if rng.IntN(3) == 0 {
			r.set(t, ref, nil)
		} else {
			r.set(t, ref, &Server{InferenceService: isvc(ns, name, labels, ann, rng.IntN(5) > 0)})
		}
		if t.Failed() {
			t.Fatalf("step %d", step)
		}
	}
	t.Logf("Rebuild took %d changes, left %d to Build", r.taken, r.refused)
	assert.Greater(t, r.taken, 50, "most changes are taken")
	assert.Greater(t, r.refused, 20, "collisions and registry servers are left to Build")
	keys := make([]string, 0, len(r.outs))
	for k := range r.outs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	assert.NotEmpty(t, keys)
}
