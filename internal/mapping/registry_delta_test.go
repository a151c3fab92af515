package mapping

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
)

// copySnapshot copies what cacheWorld changes in place.
func copySnapshot(r RegistrySnapshot) RegistrySnapshot {
	r.RegisteredModels = slices.Clone(r.RegisteredModels)
	r.ModelVersions = slices.Clone(r.ModelVersions)
	r.InferenceServices = slices.Clone(r.InferenceServices)
	r.ServingEnvironments = slices.Clone(r.ServingEnvironments)
	r.VersionArtifacts = maps.Clone(r.VersionArtifacts)
	return r
}

// changesBetween is what a registry client reports between two snapshots.
func changesBetween(prev, cur RegistrySnapshot) *RegistryChanges {
	c := &RegistryChanges{Since: prev.Version}
	rms := map[string]registrymodel.RegisteredModel{}
	for _, rm := range prev.RegisteredModels {
		rms[rm.ID] = rm
	}
	for _, rm := range cur.RegisteredModels {
		if old, ok := rms[rm.ID]; !ok || !reflect.DeepEqual(old, rm) {
			c.RegisteredModels = append(c.RegisteredModels, rm.ID)
		}
	}
	mvs := map[string]registrymodel.ModelVersion{}
	for _, v := range prev.ModelVersions {
		mvs[v.ID] = v
	}
	for _, v := range cur.ModelVersions {
		if old, ok := mvs[v.ID]; !ok || !reflect.DeepEqual(old, v) {
			c.ModelVersions = append(c.ModelVersions, v.ID)
		}
	}
	for id, arts := range cur.VersionArtifacts {
		if !reflect.DeepEqual(prev.VersionArtifacts[id], arts) {
			c.Artifacts = append(c.Artifacts, id)
		}
	}
	c.Others = !reflect.DeepEqual(prev.InferenceServices, cur.InferenceServices) || !reflect.DeepEqual(prev.ServingEnvironments, cur.ServingEnvironments)
	return c
}

// registryChange makes one random change to the registry alone (or, now
// and then, one of cacheWorld's, which also touch InferenceServices and
// cards), stamped.
func (w *cacheWorld) registryChange(r *rand.Rand) string {
	switch r.IntN(12) {
	case 0, 1, 2, 3:
		id := fmt.Sprint(100 + len(w.reg.RegisteredModels))
		w.reg.RegisteredModels = append(w.reg.RegisteredModels, registrymodel.RegisteredModel{ID: id, Name: "new " + id, LastUpdateTimeSinceEpoch: w.next()})
		w.addVersion(id, "v1", false)
		// Registered from a catalog model without a card: a new card
		// changes the cards, which is not the registry's change.
		delete(w.cards, "g/catalog-"+w.reg.ModelVersions[len(w.reg.ModelVersions)-1].ID)
		return "model " + id + " registered"
	case 4, 5:
		rm := &w.reg.RegisteredModels[r.IntN(len(w.reg.RegisteredModels))]
		// Now and then the name of another model: their records collide.
		rm.Name = fmt.Sprint("renamed ", w.stamp)
		if r.IntN(3) == 0 {
			rm.Name = w.reg.RegisteredModels[r.IntN(len(w.reg.RegisteredModels))].Name
		}
		rm.LastUpdateTimeSinceEpoch = w.next()
		return "model " + rm.ID + " renamed " + rm.Name
	case 6:
		v := w.reg.ModelVersions[r.IntN(len(w.reg.ModelVersions))]
		arts := w.reg.VersionArtifacts[v.ID]
		if len(arts) == 0 {
			return "nothing"
		}
		a := *arts[0]
		a.URI, a.LastUpdateTimeSinceEpoch = fmt.Sprint("s3://moved/", w.stamp), w.next()
		w.reg.VersionArtifacts[v.ID] = append([]*registrymodel.ModelArtifact{&a}, arts[1:]...)
		return "artifact of " + v.ID + " moved"
	case 7:
		v := &w.reg.ModelVersions[r.IntN(len(w.reg.ModelVersions))]
		v.Name, v.LastUpdateTimeSinceEpoch = fmt.Sprint("v", w.stamp), w.next()
		return "version " + v.ID + " renamed"
	default:
		return w.change(r)
	}
}

// RebuildRegistry, given what changed in a registry, gives what Build of
// everything gives, round after round of random changes (several at
// once); a change it cannot map alone is left to BuildIndexed.
func TestRebuildRegistryGivesWhatBuildGives(t *testing.T) {
	w := newCacheWorld(30)
	rng := rand.New(rand.NewPCG(3, 5))
	opts := Options{DashboardURL: func() string { return "https://dash.example.com" }}
	version := 0
	inputs := func() Inputs {
		in := w.inputs()
		in.Registries[0].Version = fmt.Sprint("v", version)
		return in
	}
	var ix *Index
	outs := map[string]Output{}
	full := func(in Inputs) {
		var all []Output
		all, _, ix = BuildIndexed(in, opts)
		outs = map[string]Output{}
		for _, o := range all {
			outs[o.Key] = o
		}
	}
	full(inputs())
	taken, refused := 0, 0
	for round := 1; round <= 200; round++ {
		prev := copySnapshot(w.reg)
		prev.Version = fmt.Sprint("v", version)
		rv, cards := w.rv, maps.Clone(w.cards)
		var what []string
		for n := 1 + rng.IntN(2); n > 0; n-- {
			what = append(what, w.registryChange(rng))
		}
		version++
		in := inputs()
		reg := &in.Registries[0]
		reg.Changes = changesBetween(prev, w.reg)
		if w.rv != rv || !maps.Equal(cards, w.cards) {
			full(in) // InferenceServices or cards changed: not a registry's change
			continue
		}
		d, ok := ix.RebuildRegistry(reg, in.ModelCard)
		if !ok {
			refused++
			full(in)
			continue
		}
		taken++
		for _, k := range d.Removed {
			delete(outs, k)
		}
		for _, o := range d.Outputs {
			outs[o.Key] = o
		}
		want, wantProblems := Build(in, opts)
		require.Equal(t, wantProblems, d.Problems, "round %d %v: problems", round, what)
		require.Equal(t, len(want), d.Desired, "round %d %v: desired", round, what)
		require.Len(t, outs, len(want), "round %d %v: outputs", round, what)
		for _, o := range want {
			got, ok := outs[o.Key]
			require.True(t, ok, "round %d %v: %s missing", round, what, o.Key)
			require.True(t, bytes.Equal(o.Body, got.Body), "round %d %v: body of %s:\n got %s\nwant %s", round, what, o.Key, got.Body, o.Body)
		}
	}
	t.Logf("%d changes mapped alone, %d left to BuildIndexed", taken, refused)
	assert.Greater(t, taken, 50, "registry changes are mapped alone")
	assert.Greater(t, refused, 5, "collisions, archiving and deployments are left to BuildIndexed")
}

func TestRebuildRegistryRefuses(t *testing.T) {
	w := newCacheWorld(6)
	w.reg.Version = "v1"
	_, _, ix := BuildIndexed(w.inputs(), Options{})
	cards := w.inputs().ModelCard
	next := copySnapshot(w.reg)
	next.Version = "v2"
	rebuild := func(c *RegistryChanges) bool {
		next.Changes = c
		_, ok := ix.RebuildRegistry(&next, cards)
		return ok
	}
	assert.False(t, rebuild(nil), "no changes reported: a whole read")
	assert.False(t, rebuild(&RegistryChanges{Since: "v0"}), "changes since a snapshot the Index does not follow")
	assert.False(t, rebuild(&RegistryChanges{Since: "v1", Others: true}), "inference services changed")
	deployed := w.reg.InferenceServices[0].ModelVersionID
	assert.False(t, rebuild(&RegistryChanges{Since: "v1", ModelVersions: []string{deployed}}), "a deployed version")
	assert.False(t, rebuild(&RegistryChanges{Since: "v1", ModelVersions: []string{"999999"}}), "a version the snapshot does not hold")
	other := copySnapshot(next)
	other.Name = "other"
	other.Changes = &RegistryChanges{Since: "v1"}
	_, ok := ix.RebuildRegistry(&other, cards)
	assert.False(t, ok, "a registry the Index does not hold")

	d, ok := ix.RebuildRegistry(&RegistrySnapshot{Name: next.Name, Version: "v2", RegisteredModels: next.RegisteredModels, ModelVersions: next.ModelVersions,
		VersionArtifacts: next.VersionArtifacts, Changes: &RegistryChanges{Since: "v1"}}, cards)
	require.True(t, ok, "nothing changed")
	assert.Empty(t, d.Outputs)
	assert.Empty(t, d.Removed)
	_, ok = ix.RebuildRegistry(&RegistrySnapshot{Name: next.Name, Version: "v3", Changes: &RegistryChanges{Since: "v1"}}, cards)
	assert.False(t, ok, "the Index now follows v2")
}
