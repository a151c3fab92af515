package registryclient

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
)

func art(id string, stamp registrymodel.Epoch) *registrymodel.ModelArtifact {
	return &registrymodel.ModelArtifact{ID: id, LastUpdateTimeSinceEpoch: stamp}
}

func TestArtifactLinksNext(t *testing.T) {
	old := &artifactLinks{
		versions: map[string][]string{"v1": {"a1", "a2"}, "v2": {"a3", "gone"}, "archived": {"a4"}},
		stamps:   map[string]registrymodel.Epoch{"a1": 1, "a2": 1, "a3": 1, "a4": 1, "gone": 1, "orphan": 1},
		lastFull: time.Unix(100, 0),
	}
	arts := []*registrymodel.ModelArtifact{art("a1", 1), art("a2", 1), art("a3", 1), art("a4", 1), art("orphan", 1)}
	published := []string{"v1", "v2"}

	next, unplaced := old.next(published, arts, stampsOf(arts), nil)
	assert.Empty(t, unplaced, "unchanged orphans and artifacts of unpublished versions need no refresh")
	assert.Equal(t, map[string][]string{"v1": {"a1", "a2"}, "v2": {"a3"}}, next.versions,
		"unpublished versions and vanished artifacts are pruned")
	assert.Equal(t, map[string]registrymodel.Epoch{"a1": 1, "a2": 1, "a3": 1, "a4": 1, "orphan": 1}, next.stamps)
	assert.True(t, next.lastFull.IsZero(), "the caller sets lastFull")

	// a2 left v1, which was read again, without a stamp change: where it
	// went only a full refresh can say.
	_, unplaced = old.next(published, arts, stampsOf(arts), map[string][]string{"v1": {"a1"}})
	assert.Equal(t, []string{"a2"}, unplaced)

	// A changed orphan may have been attached to a published version.
	changed := []*registrymodel.ModelArtifact{art("a1", 1), art("a2", 1), art("a3", 1), art("a4", 1), art("orphan", 2), art("new", 1)}
	_, unplaced = old.next(published, changed, stampsOf(changed), nil)
	assert.Equal(t, []string{"orphan", "new"}, unplaced)

	// An id the nested list has but the top-level list does not yet is kept.
	next, _ = old.next(published, arts, stampsOf(arts), map[string][]string{"v2": {"a3", "late"}})
	assert.Equal(t, []string{"a3", "late"}, next.versions["v2"])
}

func TestArtifactLinksToRead(t *testing.T) {
	l := &artifactLinks{
		versions: map[string][]string{"v1": {"a1"}, "v2": {"a2"}},
		stamps:   map[string]registrymodel.Epoch{"a1": 1, "a2": 1},
		lastFull: time.Unix(1000, 0),
	}
	published := []string{"v1", "v2", "v3"}
	arts := []*registrymodel.ModelArtifact{art("a1", 1), art("a2", 2)}
	now := time.Unix(1000, 0).Add(time.Minute)
	assert.Equal(t, []string{"v2", "v3"}, l.toRead(published, stampsOf(arts), now, time.Hour), "changed and never read")
	assert.Equal(t, published, l.toRead(published, stampsOf(arts), now, time.Minute), "refresh due")
	assert.Equal(t, published, l.toRead(published, stampsOf(arts), now, -1), "negative refresh: always")
	assert.Equal(t, published, (&artifactLinks{}).toRead(published, stampsOf(arts), now, time.Hour), "never refreshed")
}

func TestArtifactLinksGroup(t *testing.T) {
	l := &artifactLinks{versions: map[string][]string{"v1": {"a3", "a1"}, "v2": {"a2", "late"}, "v3": {}}}
	arts := []*registrymodel.ModelArtifact{art("a1", 1), art("a2", 1), art("a3", 1), art("orphan", 1)}
	got := l.group([]string{"v1", "v2", "v3", "v4"}, arts)
	assert.Equal(t, map[string][]*registrymodel.ModelArtifact{
		"v1": {arts[0], arts[2]}, // the top-level list's order
		"v2": {arts[1]},          // an id not listed at the top level yet is left out
		"v3": {}, "v4": {},       // none: empty, not nil
	}, got)
	for _, v := range []string{"v3", "v4"} {
		assert.NotNil(t, got[v], v)
	}
	assert.Same(t, arts[0], got["v1"][0], "pointers into the list")
	got["v1"] = append(got["v1"], arts[3])
	assert.Equal(t, []*registrymodel.ModelArtifact{arts[1]}, got["v2"], "appending to one version's slice leaves the next alone")
}

// A poll that merged changes links its artifacts from the last links: it
// reads the lists of versions published since and of the holders of
// artifacts whose stamp moved, points the entries of the holders of an
// artifact changed in place at the new object, drops what is no longer
// published, and gives up when a new or moved artifact turns up nowhere.
func TestArtifactLinksFromChanges(t *testing.T) {
	a1, a2, a3 := art("1", 1), art("2", 1), art("3", 1)
	links := &artifactLinks{
		versions: map[string][]string{"10": {"1"}, "11": {"2"}, "12": {"3"}},
		stamps:   map[string]registrymodel.Epoch{"1": 1, "2": 1, "3": 1},
		lastFull: time.Unix(1000, 0),
	}
	prev := map[string][]*registrymodel.ModelArtifact{"10": {a1}, "11": {a2}, "12": {a3}}
	live := registrymodel.RegisteredModel{ID: "1"}
	s := &Snapshot{}
	s.RegisteredModels = []registrymodel.RegisteredModel{live}
	s.ModelVersions = []registrymodel.ModelVersion{
		{ID: "10", RegisteredModelID: "1"},
		{ID: "11", RegisteredModelID: "1", State: registrymodel.StateArchived},
		{ID: "12", RegisteredModelID: "1"},
		{ID: "13", RegisteredModelID: "1"},
	}
	a1again := art("1", 1) // changed in place, same stamp
	a1again.URI = "s3://elsewhere"
	a4 := art("4", 1)
	s.ModelArtifacts = []*registrymodel.ModelArtifact{a1again, a2, a3, a4}

	p, ok := links.planChanges(s, prev, s.RegisteredModels, nil, []string{"11", "13"}, []string{"1", "4"})
	require.True(t, ok)
	assert.Equal(t, map[string]bool{"11": false, "13": true}, p.published)
	assert.Equal(t, []string{"13"}, p.read, "published since")
	assert.Equal(t, []string{"10"}, p.regroup, "holds an artifact changed in place")
	assert.Equal(t, []string{"4"}, p.fresh)

	next, va, touched, ok := links.applyChanges(p, prev, s.ModelArtifacts, map[string][]string{"13": {"4"}})
	require.True(t, ok)
	assert.Equal(t, []string{"10", "13"}, touched)
	assert.Equal(t, map[string][]*registrymodel.ModelArtifact{"10": {a1again}, "12": {a3}, "13": {a4}}, va)
	assert.Same(t, a1again, va["10"][0], "the new object")
	assert.Same(t, a3, va["12"][0], "an untouched version keeps its entry")
	assert.Equal(t, map[string][]string{"10": {"1"}, "12": {"3"}, "13": {"4"}}, next.versions)
	assert.Equal(t, registrymodel.Epoch(1), next.stamps["4"])
	assert.Equal(t, links.lastFull, next.lastFull)
	assert.Equal(t, []*registrymodel.ModelArtifact{a2}, prev["11"], "the last snapshot's entries are left alone")

	_, _, _, ok = links.applyChanges(p, prev, s.ModelArtifacts, map[string][]string{"13": {}})
	assert.False(t, ok, "the new artifact is in no list read")

	moved := art("3", 2)
	s.ModelArtifacts = []*registrymodel.ModelArtifact{a1, a2, moved}
	p, ok = links.planChanges(s, prev, s.RegisteredModels, nil, nil, []string{"3"})
	require.True(t, ok)
	assert.Equal(t, []string{"12"}, p.read, "its stamp moved: where it is now, its holder's list says")
	_, _, _, ok = links.applyChanges(p, prev, s.ModelArtifacts, map[string][]string{"12": {}})
	assert.False(t, ok, "it left its version for one not read")

	_, ok = links.planChanges(s, nil, s.RegisteredModels, nil, nil, nil)
	assert.False(t, ok, "no last snapshot")

	// A version holding two changed artifacts, one moved and one changed in
	// place, is read once, which rebuilds its entry.
	two := &artifactLinks{versions: map[string][]string{"10": {"1", "2"}}, stamps: map[string]registrymodel.Epoch{"1": 1, "2": 1}}
	s.ModelArtifacts = []*registrymodel.ModelArtifact{a1again, art("2", 2)}
	p, ok = two.planChanges(s, map[string][]*registrymodel.ModelArtifact{"10": {a1, a2}}, s.RegisteredModels, nil, nil, []string{"1", "2"})
	require.True(t, ok)
	assert.Equal(t, []string{"10"}, p.read)
	assert.Empty(t, p.regroup)
}
