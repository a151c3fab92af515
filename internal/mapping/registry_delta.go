package mapping

import (
	"sort"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
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

// searchID finds the object of id in xs, sorted by registrymodel.LessID.
func searchID[T any](xs []T, id string, idOf func(*T) string) *T {
	i := sort.Search(len(xs), func(i int) bool { return !registrymodel.LessID(idOf(&xs[i]), id) })
	if i < len(xs) && idOf(&xs[i]) == id {
		return &xs[i]
	}
	return nil
}
