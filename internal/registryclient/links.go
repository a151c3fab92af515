package registryclient

import (
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
)

// artifactLinks is what a Client remembers between snapshots about which
// model version holds which model artifact, the one thing the top-level
// model_artifacts list does not say. A value is never changed once built:
// each snapshot builds the next one, so a failed snapshot leaves the last
// good value in place.
type artifactLinks struct {
	// versions maps a published version id to the ids of its model
	// artifacts, in the order of its nested list, as last read or since
	// pruned of artifacts that left the top-level list.
	versions map[string][]string
	// stamps holds every top-level artifact's lastUpdateTimeSinceEpoch at
	// the snapshot that last confirmed where it is: in a version of
	// versions, or (when in none) in no published version. An artifact
	// whose stamp moved may have been attached elsewhere, so its place is
	// confirmed again.
	stamps map[string]registrymodel.Epoch
	// lastFull is when every published version's list was last read.
	lastFull time.Time
}

// toRead returns the published versions whose nested lists must be read
// before the links can be trusted: all of them when a full refresh is due
// (never done, refresh elapsed, or refresh < 0), otherwise those never
// read and those holding an artifact whose stamp moved.
// top holds the stamps of the top-level list (stampsOf).
func (l *artifactLinks) toRead(published []string, top map[string]registrymodel.Epoch, now time.Time, refresh time.Duration) []string {
	if l.refreshDue(now, refresh) {
		return published
	}
	var read []string
	for _, v := range published {
		ids, ok := l.versions[v]
		if !ok || l.moved(ids, top) {
			read = append(read, v)
		}
	}
	return read
}

// refreshDue says whether every published version's list must be read
// again: never done, refresh elapsed, or refresh < 0.
func (l *artifactLinks) refreshDue(now time.Time, refresh time.Duration) bool {
	return refresh < 0 || l.lastFull.IsZero() || now.Sub(l.lastFull) >= refresh
}

func (l *artifactLinks) moved(ids []string, top map[string]registrymodel.Epoch) bool {
	for _, id := range ids {
		stamp, listed := top[id]
		if !listed {
			continue
		}
		if old, ok := l.stamps[id]; !ok || old != stamp {
			return true
		}
	}
	return false
}

// next returns the links after this snapshot's reads (read holds the ids
// each read version listed) and the top-level artifact ids they cannot
// place: new or changed artifacts in no version read or remembered, and
// artifacts that left a version whose list was read again. Only a full
// refresh can say where those are; after one, whatever is still unplaced
// is attached to no published version and is remembered as such.
// top holds the stamps of arts (stampsOf).
func (l *artifactLinks) next(published []string, arts []*registrymodel.ModelArtifact, top map[string]registrymodel.Epoch, read map[string][]string) (*artifactLinks, []string) {
	n := &artifactLinks{versions: make(map[string][]string, len(published)), stamps: top}
	placed := make(map[string]bool, len(arts))
	left := map[string]bool{}
	for _, v := range published {
		ids, fresh := read[v]
		if fresh {
			// An id the nested list has but the top-level list lacks is kept:
			// the two lists are read at different moments.
			now := make(map[string]bool, len(ids))
			for _, id := range ids {
				now[id] = true
			}
			for _, id := range l.versions[v] {
				if !now[id] {
					left[id] = true
				}
			}
		} else {
			old, ok := l.versions[v]
			if !ok {
				continue
			}
			ids = stillListed(old, top)
		}
		n.versions[v] = ids
		for _, id := range ids {
			placed[id] = true
		}
	}
	var unplaced []string
	for i := range arts {
		id := arts[i].ID
		if placed[id] {
			continue
		}
		old, known := l.stamps[id]
		if !known || old != top[id] || left[id] {
			unplaced = append(unplaced, id)
		}
	}
	return n, unplaced
}

// stillListed returns ids without those top does not hold: ids itself
// (never changed) when it holds them all, as between most snapshots.
func stillListed(ids []string, top map[string]registrymodel.Epoch) []string {
	for i, id := range ids {
		if _, listed := top[id]; listed {
			continue
		}
		kept := slices.Clone(ids[:i])
		for _, id := range ids[i+1:] {
			if _, listed := top[id]; listed {
				kept = append(kept, id)
			}
		}
		return kept
	}
	return ids
}

// group returns every published version's artifacts, taken from the
// top-level list in its order (ID order, as the nested lists are), with an
// empty slice for a version that has none. The slices share one array.
func (l *artifactLinks) group(published []string, arts []*registrymodel.ModelArtifact) map[string][]*registrymodel.ModelArtifact {
	// A list fails on a repeated id (jsonclient.ListAll): an id is at one
	// index of arts, and once in a version's list.
	at := make(map[string]int32, len(arts))
	for i := range arts {
		at[arts[i].ID] = int32(i)
	}
	n := 0
	for _, v := range published {
		n += len(l.versions[v])
	}
	all := make([]*registrymodel.ModelArtifact, 0, n)
	out := make(map[string][]*registrymodel.ModelArtifact, len(published))
	var idx []int32
	for _, v := range published {
		idx = idx[:0]
		for _, id := range l.versions[v] {
			if i, ok := at[id]; ok {
				idx = append(idx, i)
			}
		}
		slices.Sort(idx)
		start := len(all)
		for _, i := range idx {
			all = append(all, arts[i])
		}
		out[v] = all[start:len(all):len(all)]
	}
	return out
}

// touched returns, in ID order, the published versions whose artifacts
// may differ from the last snapshot's when not every list was read: next
// is what this snapshot linked, read the versions it read, and changed
// the artifacts the top-level list's merge replaced or added (top their
// stamps). A read version may hold other artifacts (a new version is always
// read); one not read holds the artifacts l had confirmed, each with the
// stamp l confirmed (toRead reads any other: see moved), so only a changed
// artifact whose stamp did not move, which the registry's own writes never
// leave, can sit in it. Only for such artifacts are the links searched.
func (l *artifactLinks) touched(next *artifactLinks, read map[string][]string, changed []string, top map[string]registrymodel.Epoch) []string {
	out := make([]string, 0, len(read))
	for v := range read {
		out = append(out, v)
	}
	var unstamped map[string]bool
	for _, id := range changed {
		if old, ok := l.stamps[id]; ok && old == top[id] {
			if unstamped == nil {
				unstamped = map[string]bool{}
			}
			unstamped[id] = true
		}
	}
	if unstamped != nil {
		for v, ids := range next.versions {
			if _, ok := read[v]; ok {
				continue
			}
			for _, id := range ids {
				if unstamped[id] {
					out = append(out, v)
					break
				}
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.Slice(out, func(i, j int) bool { return registrymodel.LessID(out[i], out[j]) })
	return out
}

func stampsOf(arts []*registrymodel.ModelArtifact) map[string]registrymodel.Epoch {
	m := make(map[string]registrymodel.Epoch, len(arts))
	for i := range arts {
		m[arts[i].ID] = arts[i].LastUpdateTimeSinceEpoch
	}
	return m
}

// changePlan is how a poll that merged changes into the last snapshot's
// lists links its artifacts from the last snapshot's links and
// VersionArtifacts, in time that grows with the changes, not the registry.
type changePlan struct {
	// published holds the versions whose publication the changes decide
	// (changed versions, versions of registered models whose state
	// changed or that are new): true when published.
	published map[string]bool
	// read are the versions whose nested lists must be read: published
	// since, or holding an artifact whose stamp moved.
	read []string
	// regroup are the versions holding an artifact that changed without
	// its stamp moving: their entries must point at the new object.
	regroup []string
	// fresh are the artifacts the links never saw; moved those whose
	// stamp moved. Both must turn up in a list read.
	fresh, moved []string
}

// planChanges plans the linking of snapshot s, whose lists are the last
// snapshot's (prev its VersionArtifacts, prevModels its registered
// models) with the objects of rms, mvs and arts (ids) replaced or added.
// ok is false when only linking everything can tell.
func (l *artifactLinks) planChanges(s *Snapshot, prev map[string][]*registrymodel.ModelArtifact, prevModels []registrymodel.RegisteredModel, rms, mvs, arts []string) (changePlan, bool) {
	if prev == nil || l.stamps == nil || len(s.ModelArtifacts) == 0 {
		return changePlan{}, false
	}
	p := changePlan{published: map[string]bool{}}
	rmID := func(x *registrymodel.RegisteredModel) string { return x.ID }
	decide := func(v *registrymodel.ModelVersion) {
		rm := searchID(s.RegisteredModels, v.RegisteredModelID, rmID)
		p.published[v.ID] = v.ID != "" && v.State != registrymodel.StateArchived && rm != nil && rm.State != registrymodel.StateArchived
	}
	for _, id := range mvs {
		v := searchID(s.ModelVersions, id, func(x *registrymodel.ModelVersion) string { return x.ID })
		if v == nil {
			return changePlan{}, false
		}
		decide(v)
	}
	var flipped map[string]bool // registered models whose versions' publication may change
	for _, id := range rms {
		rm, old := searchID(s.RegisteredModels, id, rmID), searchID(prevModels, id, rmID)
		if rm == nil {
			return changePlan{}, false
		}
		if old != nil && (old.State == registrymodel.StateArchived) == (rm.State == registrymodel.StateArchived) {
			continue
		}
		if flipped == nil {
			flipped = map[string]bool{}
		}
		flipped[id] = true
	}
	if flipped != nil {
		for i := range s.ModelVersions {
			if v := &s.ModelVersions[i]; flipped[v.RegisteredModelID] {
				decide(v)
			}
		}
	}
	for id, published := range p.published {
		if _, known := l.versions[id]; published && !known {
			p.read = append(p.read, id)
		}
	}
	placedBefore := map[string]bool{} // changed artifacts the links placed: true when the stamp moved
	for _, id := range arts {
		a := searchID(s.ModelArtifacts, id, func(x **registrymodel.ModelArtifact) string { return (*x).ID })
		if a == nil {
			return changePlan{}, false
		}
		switch old, known := l.stamps[id]; {
		case !known:
			p.fresh = append(p.fresh, id)
		case old != (*a).LastUpdateTimeSinceEpoch:
			p.moved = append(p.moved, id)
			placedBefore[id] = true
		default:
			placedBefore[id] = false
		}
	}
	if len(placedBefore) > 0 {
		// Where they are, only the links can say: one pass over them, for
		// the rarer change of an artifact that already had a place.
		for v, ids := range l.versions {
			if published, decided := p.published[v]; decided && !published {
				continue
			}
			holds, moved := false, false
			for _, id := range ids {
				if m, ok := placedBefore[id]; ok {
					holds, moved = true, moved || m
				}
			}
			switch {
			case moved:
				p.read = append(p.read, v) // its entry is rebuilt too
			case holds:
				p.regroup = append(p.regroup, v)
			}
		}
	}
	return p, true
}

// applyChanges returns the links and VersionArtifacts after plan p, read
// holding the ids each read version listed, and the published versions
// whose entry it rebuilt. ok is false when an artifact that is new, moved
// or left a list read again turned up in no list read: only reading every
// list can say where it is.
func (l *artifactLinks) applyChanges(p changePlan, prev map[string][]*registrymodel.ModelArtifact, arts []*registrymodel.ModelArtifact, read map[string][]string) (*artifactLinks, map[string][]*registrymodel.ModelArtifact, []string, bool) {
	placed := map[string]bool{}
	for _, ids := range read {
		for _, id := range ids {
			placed[id] = true
		}
	}
	for v := range read {
		for _, id := range l.versions[v] {
			if !placed[id] {
				return nil, nil, nil, false // it left its list, for where?
			}
		}
	}
	for _, list := range [][]string{p.fresh, p.moved} {
		for _, id := range list {
			if !placed[id] {
				return nil, nil, nil, false
			}
		}
	}
	n := &artifactLinks{versions: maps.Clone(l.versions), stamps: maps.Clone(l.stamps), lastFull: l.lastFull}
	va := maps.Clone(prev)
	for id, published := range p.published {
		if !published {
			delete(n.versions, id)
			delete(va, id)
		}
	}
	artID := func(x **registrymodel.ModelArtifact) string { return (*x).ID }
	for _, list := range [][]string{p.fresh, p.moved} {
		for _, id := range list {
			n.stamps[id] = (*searchID(arts, id, artID)).LastUpdateTimeSinceEpoch
		}
	}
	touched := make([]string, 0, len(read)+len(p.regroup))
	for v, ids := range read {
		n.versions[v] = ids
		touched = append(touched, v)
	}
	touched = append(touched, p.regroup...) // published: planChanges left the others out
	if len(touched) == 0 {
		touched = nil
	}
	slices.SortFunc(touched, compareIDs)
	touched = slices.Compact(touched)
	var idx []int
	for _, v := range touched {
		idx = idx[:0]
		for _, id := range n.versions[v] {
			if i, ok := searchIndex(arts, id, artID); ok {
				idx = append(idx, i)
			}
		}
		slices.Sort(idx) // the top-level list's order, as group
		entry := make([]*registrymodel.ModelArtifact, 0, len(idx))
		for _, i := range idx {
			entry = append(entry, arts[i])
		}
		va[v] = entry
	}
	return n, va, touched, true
}

func compareIDs(a, b string) int {
	switch {
	case registrymodel.LessID(a, b):
		return -1
	case registrymodel.LessID(b, a):
		return 1
	}
	return 0
}

// searchIndex finds id in xs, sorted by registrymodel.LessID.
func searchIndex[T any](xs []T, id string, idOf func(*T) string) (int, bool) {
	i := sort.Search(len(xs), func(i int) bool { return !registrymodel.LessID(idOf(&xs[i]), id) })
	return i, i < len(xs) && idOf(&xs[i]) == id
}

// searchID finds the object of id in xs, sorted by registrymodel.LessID.
func searchID[T any](xs []T, id string, idOf func(*T) string) *T {
	if i, ok := searchIndex(xs, id, idOf); ok {
		return &xs[i]
	}
	return nil
}
