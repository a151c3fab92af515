package mapping

import (
	"fmt"
	"sort"
	"strings"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// registryIndex is what an Index keeps of one registry's last mapping, so
// that RebuildRegistry can map a change of some of its versions alone.
type registryIndex struct {
	// version is the Version of the snapshot the Index follows.
	version string
	// versions holds what the mapping made of each version of a live or
	// unlisted registered model, by version id.
	versions map[string]*versionEntry
	// archivedModels are the archived registered models: their problem
	// counts their versions, so a change there maps everything.
	archivedModels map[string]bool
	// deployed are the versions a registry inference service names, and
	// unversioned the registered models one serves without naming a
	// version (their latest): a change there may move an InferenceService
	// from one record to another, so it maps everything.
	deployed, unversioned map[string]bool
}

// versionEntry is what the mapping made of one registry version.
type versionEntry struct {
	// identity is the object its problems name.
	identity string
	// key is its record's key; "" when it made none.
	key string
	// drafted says it asked for names; wanted holds their hashes, by kind
	// (its record key and its model's name: it has no model server).
	drafted bool
	wanted  [2]uint64
}

// deltaKinds are the kinds of names a version without a model server
// asks for, in versionEntry.wanted's order.
var deltaKinds = [2]int{kindKey, kindModel}

func newRegistryIndex(version string, rms []registrymodel.RegisteredModel, versions int, deployments map[string][]nsName, unversioned map[string]bool) *registryIndex {
	ri := &registryIndex{
		version:        version,
		versions:       make(map[string]*versionEntry, versions),
		archivedModels: map[string]bool{},
		deployed:       make(map[string]bool, len(deployments)),
		unversioned:    unversioned,
	}
	for id := range deployments {
		ri.deployed[id] = true
	}
	for i := range rms {
		if archived(&rms[i]) {
			ri.archivedModels[rms[i].ID] = true
		}
	}
	return ri
}

// add keeps a version's identity; nil ri (a build without an Index)
// keeps nothing.
func (ri *registryIndex) add(versionID, identity string) *versionEntry {
	if ri == nil {
		return nil
	}
	e := &versionEntry{identity: identity}
	ri.versions[versionID] = e
	return e
}

// Registries is how many registries the Index holds.
func (ix *Index) Registries() int { return len(ix.registries) }

// Follows says whether the Index holds registry name as its snapshot of
// Version version mapped.
func (ix *Index) Follows(name, version string) bool {
	ri := ix.registries[name]
	return ri != nil && ri.version == version
}

// RebuildRegistry maps the change of registry r that r.Changes describes
// (what differs from the snapshot the Index follows): only the versions it
// names, and the versions of the registered models it names. cards is
// Inputs.ModelCard. ok is false when that may touch other records (an
// inference service deploys one of them, a registered model is or was
// archived, a name collides, an object is unknown) or when the Index does
// not follow r.Changes.Since; the Index is then unchanged, and the caller
// runs BuildIndexed. Otherwise the Delta is what Build of the whole inputs
// would give for those versions, and the Index follows r. At 100,000
// versions a full mapping takes a second; a changed version's, well under
// a millisecond.
func (ix *Index) RebuildRegistry(r *RegistrySnapshot, cards func(sourceID, name string) (string, bool)) (Delta, bool) {
	ri, c := ix.registries[r.Name], r.Changes
	if ri == nil || c == nil || c.Since != ri.version || c.Others {
		return Delta{}, false
	}
	rmID := func(x *registrymodel.RegisteredModel) string { return x.ID }
	mvID := func(x *registrymodel.ModelVersion) string { return x.ID }
	// Sorted and unique, the lists are what Build maps as they are, and
	// can be searched.
	if !sortedUnique(r.RegisteredModels, rmID) || !sortedUnique(r.ModelVersions, mvID) {
		return Delta{}, false
	}
	affected := map[string]bool{}
	for _, id := range c.ModelVersions {
		affected[id] = true
	}
	for _, id := range c.Artifacts {
		affected[id] = true
	}
	if len(c.RegisteredModels) > 0 {
		models := make(map[string]bool, len(c.RegisteredModels))
		for _, id := range c.RegisteredModels {
			rm := searchID(r.RegisteredModels, id, rmID)
			if rm == nil || archived(rm) || ri.archivedModels[id] {
				return Delta{}, false
			}
			models[id] = true
		}
		for i := range r.ModelVersions {
			if models[r.ModelVersions[i].RegisteredModelID] {
				affected[r.ModelVersions[i].ID] = true
			}
		}
	}

	type change struct {
		id      string
		old, to *versionEntry
	}
	changes := make([]change, 0, len(affected))
	var freed, taken [nameKinds]map[uint64]int32
	for _, k := range deltaKinds {
		freed[k], taken[k] = map[uint64]int32{}, map[uint64]int32{}
	}
	obj := fmt.Sprintf("registry %q", r.Name)
	b := newBuilder(Inputs{ModelCard: cards}, ix.opts)
	b.problems = nil // the options' problems are in ix.problems already
	for id := range affected {
		v := searchID(r.ModelVersions, id, mvID)
		if v == nil {
			return Delta{}, false
		}
		rm := searchID(r.RegisteredModels, v.RegisteredModelID, rmID)
		if rm == nil || archived(rm) || ri.archivedModels[rm.ID] || ri.deployed[id] || ri.unversioned[rm.ID] {
			return Delta{}, false
		}
		old := ri.versions[id]
		if old != nil && old.drafted {
			// Its names must have been its own alone.
			for i, k := range deltaKinds {
				h := old.wanted[i]
				if ix.wanted[k][h] != 1 {
					return Delta{}, false
				}
				freed[k][h]++
			}
		}
		identity := string(versionIdentity(nil, obj, rm, v))
		to := &versionEntry{identity: identity}
		changes = append(changes, change{id: id, old: old, to: to})
		if v.State == registrymodel.StateArchived {
			b.skipArchivedVersion(identity)
			continue
		}
		arts := uniqueByID(b, identity, "model artifact", r.VersionArtifacts[id], func(x **registrymodel.ModelArtifact) string { return (*x).ID })
		if d := b.registryDraft(identity, r.Name, rm, v, arts, nil); d != nil {
			d.version.entry = to
			to.drafted = true
			to.wanted = [2]uint64{ix.hash(strings.Join(d.segments, record.SegmentSeparator)), ix.hash(d.version.modelName)}
			b.drafts = append(b.drafts, d)
		}
	}
	// Their names now: each must be free.
	for _, ch := range changes {
		if !ch.to.drafted {
			continue
		}
		for i, k := range deltaKinds {
			h := ch.to.wanted[i]
			if ix.wanted[k][h]-freed[k][h]+taken[k][h] != 0 || ix.renamed[k][h] != 0 {
				return Delta{}, false
			}
			taken[k][h]++
		}
	}
	b.assignNames() // no name collides
	outs := b.encodeAll()

	// Commit.
	d := Delta{Outputs: outs}
	built := make(map[string]bool, len(outs))
	for i := range outs {
		built[outs[i].Key] = true
	}
	objects := make(map[string]bool, 2*len(changes)) // whose problems are replaced
	for _, ch := range changes {
		if ch.old != nil {
			if ch.old.key != "" {
				ix.outputs--
				if !built[ch.old.key] {
					d.Removed = append(d.Removed, ch.old.key)
				}
			}
			objects[ch.old.identity] = true
		}
		objects[ch.to.identity] = true
		ri.versions[ch.id] = ch.to
	}
	sort.Strings(d.Removed)
	ix.outputs += len(outs)
	for _, k := range deltaKinds {
		for h, n := range freed[k] {
			if ix.wanted[k][h] -= n; ix.wanted[k][h] == 0 {
				delete(ix.wanted[k], h)
			}
		}
		for h, n := range taken[k] {
			ix.wanted[k][h] += n
		}
	}
	kept := make([]Problem, 0, len(ix.problems)+len(b.problems))
	for _, p := range ix.problems {
		if !objects[p.Object] {
			kept = append(kept, p)
		}
	}
	kept = append(kept, b.problems...)
	sortProblems(kept)
	ix.problems = kept
	ri.version = r.Version
	d.Problems, d.Desired = ix.problems, ix.outputs
	return d, true
}

// searchID finds the object of id in xs, sorted by registrymodel.LessID.
func searchID[T any](xs []T, id string, idOf func(*T) string) *T {
	i := sort.Search(len(xs), func(i int) bool { return !registrymodel.LessID(idOf(&xs[i]), id) })
	if i < len(xs) && idOf(&xs[i]) == id {
		return &xs[i]
	}
	return nil
}
