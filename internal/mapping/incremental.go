package mapping

import (
	"fmt"
	"hash/maphash"
	"sort"
	"strings"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// ServerRef names an InferenceService.
type ServerRef struct{ Namespace, Name string }

// RefOf names s's InferenceService.
func RefOf(s *Server) ServerRef {
	return ServerRef{s.InferenceService.Namespace, s.InferenceService.Name}
}

// Index is what a BuildIndexed call leaves behind so that Rebuild can map
// a change of InferenceServices alone, and RebuildRegistry a change of some
// registry versions: which InferenceServices a model
// registry claimed or may claim, which were mapped on their own, and every
// name claimed (as hashes: enough to tell that a name is free).
//
// Rebuild only takes the cases whose answer it can give exactly as Build
// would: InferenceServices that no registry claims or may claim, whose
// names collide with no other. Any other change says "not here", and the
// caller runs Build.
type Index struct {
	opts           Options
	haveRegistries bool
	// claimed are the InferenceServices registries claimed (model servers
	// of versions, and those reported for their registry labels).
	claimed map[nsName]bool
	// envNames are the serving environment and name of every registry
	// inference service: an InferenceService there may be claimed.
	envNames map[nsName]bool
	// standalone are the InferenceServices mapped on their own.
	standalone map[nsName]*standaloneServer
	seed       maphash.Seed
	// wanted counts the names drafts asked for, by kind; renamed counts
	// the names given instead to the drafts that lost a collision.
	wanted, renamed [nameKinds]map[uint64]int32
	outputs         int
	problems        []Problem
	// registries are what RebuildRegistry needs of each registry, by name.
	registries map[string]*registryIndex
}

// The kinds of names that must be unique across all outputs.
const (
	kindKey = iota
	kindServer
	kindModel
	nameKinds
)

// standaloneServer is an InferenceService mapped on its own.
type standaloneServer struct {
	// key is its record's key, "" when it has none (not Ready, invalid).
	key string
	// wanted are the names its draft asked for, by kind (a name it lost
	// to a collision is counted twice in Index.wanted).
	wanted [nameKinds][]string
}

// Delta is what Rebuild changed.
type Delta struct {
	// Outputs are the records of the changed InferenceServices.
	Outputs []Output
	// Removed are the keys of records that are no longer built.
	Removed []string
	// Problems are all problems, as Build would report them now.
	Problems []Problem
	// Desired is how many records Build would give now.
	Desired int
}

func newIndex(b *builder, registries []RegistrySnapshot, opts Options) *Index {
	ix := &Index{
		opts:           opts,
		haveRegistries: len(registries) > 0,
		claimed:        make(map[nsName]bool, len(b.claimed)),
		envNames:       map[nsName]bool{},
		standalone:     make(map[nsName]*standaloneServer, len(b.standalone)),
		seed:           maphash.MakeSeed(),
		registries:     b.registryIndexes,
	}
	for ref, c := range b.claimed {
		if c {
			ix.claimed[ref] = true
		}
	}
	for i := range registries {
		r := &registries[i]
		env := map[string]string{}
		for _, e := range r.ServingEnvironments {
			env[e.ID] = e.Name
		}
		for _, ris := range r.InferenceServices {
			if e := env[ris.ServingEnvironmentID]; e != "" && ris.Name != "" {
				ix.envNames[nsName{e, ris.Name}] = true
			}
		}
	}
	for k := range ix.wanted {
		ix.wanted[k], ix.renamed[k] = map[uint64]int32{}, map[uint64]int32{}
	}
	for ref, d := range b.standalone {
		s := &standaloneServer{}
		if d != nil {
			s.wanted = wantedNames(d)
		}
		ix.standalone[ref] = s
	}
	for _, d := range b.drafts {
		wanted := wantedNames(d)
		for k, names := range wanted {
			for _, n := range names {
				ix.wanted[k][ix.hash(n)]++
			}
		}
		if v := d.version; v != nil && v.entry != nil {
			v.entry.drafted = true
			v.entry.wanted = [2]uint64{ix.hash(wanted[kindKey][0]), ix.hash(v.modelName)}
		}
	}
	return ix
}

// finish records what the names became and the keys of the outputs, once
// b's names are assigned and its drafts encoded.
func (ix *Index) finish(b *builder, outputs []Output) {
	ix.outputs = len(outputs)
	ix.problems = append([]Problem(nil), b.problems...)
	encoded := make(map[string]bool, len(outputs))
	for i := range outputs {
		encoded[outputs[i].Key] = true
	}
	for ref, d := range b.standalone {
		if d == nil {
			continue
		}
		if key := wantedNames(d)[kindKey][0]; encoded[key] {
			ix.standalone[ref].key = key
		}
	}
}

// countRenamed counts the names given to drafts that lost a collision:
// after assignNames, before encodeAll lets the drafts go.
func (ix *Index) countRenamed(b *builder) {
	for _, d := range b.drafts {
		// wantedNames of a named draft are its final names.
		for k, names := range wantedNames(d) {
			for _, n := range names {
				if h := ix.hash(n); ix.wanted[k][h] == 0 {
					ix.renamed[k][h]++
				}
			}
		}
	}
}

// wantedNames are a draft's names by kind: its key, its model server's
// name, its models' names.
func wantedNames(d *draft) [nameKinds][]string {
	var out [nameKinds][]string
	out[kindKey] = []string{strings.Join(d.segments, record.SegmentSeparator)}
	if v := d.version; v != nil {
		if v.srv != nil {
			out[kindServer] = []string{v.serverName}
		}
		out[kindModel] = []string{v.modelName}
	}
	if d.server != nil {
		out[kindServer] = []string{d.server.ms.Name}
	}
	for _, m := range d.models {
		out[kindModel] = append(out[kindModel], m.m.Name)
	}
	return out
}

func (ix *Index) hash(name string) uint64 { return maphash.String(ix.seed, name) }

// Rebuild maps a change of InferenceServices: changed are their new
// states (added or updated), gone the ones deleted. ok is false when the
// change may touch more than these InferenceServices' own records (a
// registry claims or may claim one, or a name collides); the Index is then
// unchanged, and the caller runs BuildIndexed. Otherwise the Delta is what
// Build of the whole inputs would give for them, and the Index follows.
func (ix *Index) Rebuild(changed []Server, gone []ServerRef) (Delta, bool) {
	refs := map[nsName]bool{}
	var live []Server
	for i := range changed {
		s := &changed[i]
		if s.InferenceService == nil {
			return Delta{}, false
		}
		ref := nsName{s.InferenceService.Namespace, s.InferenceService.Name}
		refs[ref] = true
		if s.InferenceService.DeletionTimestamp != nil {
			continue // vanished: as if gone
		}
		if ix.envNames[ref] || (ix.haveRegistries && hasRegistryLabels(s)) {
			return Delta{}, false
		}
		live = append(live, *s)
	}
	for _, g := range gone {
		refs[nsName{g.Namespace, g.Name}] = true
	}

	// Their names before: each must have been theirs alone (a name that
	// collided is counted more than once).
	names := newRenaming()
	for ref := range refs {
		if ix.claimed[ref] {
			return Delta{}, false
		}
		old := ix.standalone[ref]
		if old == nil {
			continue
		}
		for k, ns := range old.wanted {
			for _, n := range ns {
				if !ix.release(names, k, ix.hash(n)) {
					return Delta{}, false
				}
			}
		}
	}

	b := newBuilder(Inputs{Servers: live}, ix.opts)
	b.problems = nil // the options' problems are in ix.problems already
	b.addKServeOnly()
	// Their names now: each must be free.
	for _, d := range b.drafts {
		for k, ns := range wantedNames(d) {
			for _, n := range ns {
				if !ix.claim(names, k, ix.hash(n)) {
					return Delta{}, false
				}
			}
		}
	}
	b.assignNames() // no name collides
	outs := b.encodeAll()

	// Commit.
	d := Delta{Outputs: outs}
	built := keysOf(outs)
	for ref := range refs {
		if old := ix.standalone[ref]; old != nil && old.key != "" {
			ix.outputs--
			if !built[old.key] {
				d.Removed = append(d.Removed, old.key)
			}
		}
		delete(ix.standalone, ref)
	}
	ix.rename(names)
	for ref, dr := range b.standalone {
		s := &standaloneServer{}
		if dr != nil {
			s.wanted = wantedNames(dr)
			if built[s.wanted[kindKey][0]] {
				s.key = s.wanted[kindKey][0]
			}
		}
		ix.standalone[ref] = s
	}
	ix.outputs += len(outs)

	var kept []Problem
	for _, p := range ix.problems {
		if !aboutServer(p.Object, refs) {
			kept = append(kept, p)
		}
	}
	kept = append(kept, b.problems...)
	sortProblems(kept)
	ix.problems = kept
	d.Problems, d.Desired = ix.problems, ix.outputs
	return d, true
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
	names := newRenaming()
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
				if !ix.release(names, k, old.wanted[i]) {
					return Delta{}, false
				}
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
			if !ix.claim(names, k, ch.to.wanted[i]) {
				return Delta{}, false
			}
		}
	}
	b.assignNames() // no name collides
	outs := b.encodeAll()

	// Commit.
	d := Delta{Outputs: outs}
	built := keysOf(outs)
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
	ix.rename(names)
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

// renaming is what a partial rebuild gives up (freed) and asks for
// (taken) of the names that must be unique, by kind, as hashes.
type renaming struct{ freed, taken [nameKinds]map[uint64]int32 }

func newRenaming() *renaming {
	r := &renaming{}
	for k := range nameKinds {
		r.freed[k], r.taken[k] = map[uint64]int32{}, map[uint64]int32{}
	}
	return r
}

// release gives up name h of kind k in r; false when it was not the
// asker's alone (it collided), and the rebuild must map everything.
func (ix *Index) release(r *renaming, k int, h uint64) bool {
	if ix.wanted[k][h] != 1 {
		return false
	}
	r.freed[k][h]++
	return true
}

// claim asks for name h of kind k in r; false when another record asks
// for it or was renamed to it.
func (ix *Index) claim(r *renaming, k int, h uint64) bool {
	if ix.wanted[k][h]-r.freed[k][h]+r.taken[k][h] != 0 || ix.renamed[k][h] != 0 {
		return false
	}
	r.taken[k][h]++
	return true
}

// rename commits r to the names the Index counts.
func (ix *Index) rename(r *renaming) {
	for k := range nameKinds {
		for h, n := range r.freed[k] {
			if ix.wanted[k][h] -= n; ix.wanted[k][h] == 0 {
				delete(ix.wanted[k], h)
			}
		}
		for h, n := range r.taken[k] {
			ix.wanted[k][h] += n
		}
	}
}

// keysOf is the set of outs' keys.
func keysOf(outs []Output) map[string]bool {
	keys := make(map[string]bool, len(outs))
	for i := range outs {
		keys[outs[i].Key] = true
	}
	return keys
}

// hasRegistryLabels reports whether s carries a label that lets a model
// registry claim it.
func hasRegistryLabels(s *Server) bool {
	l := s.InferenceService.Labels
	return l[LabelRegisteredModelID] != "" || l[LabelModelVersionID] != "" || l[LabelInferenceServiceID] != "" || l[LabelRegistryName] != ""
}

// aboutServer reports whether a problem's object is one of refs or a part
// of it ("InferenceService ns/name model x").
func aboutServer(object string, refs map[nsName]bool) bool {
	rest, ok := strings.CutPrefix(object, "InferenceService ")
	if !ok {
		return false
	}
	ns, name, ok := strings.Cut(rest, "/")
	if !ok {
		return false
	}
	if i := strings.IndexByte(name, ' '); i >= 0 {
		name = name[:i]
	}
	return refs[nsName{ns, name}]
}
