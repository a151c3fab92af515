package pipeline

import (
	"crypto/sha256"
	"maps"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
)

// partialMapping holds the policies "map only what changed":
//
//   - an InferenceService event: when every other source answers what the
//     last build read (its base key), the InferenceServices whose key
//     changed are mapped alone (mapping.Index.Rebuild);
//   - a registry poll: when the InferenceServices, the cards, the dashboard
//     and the set of registries are as the last build read them (frame),
//     each registry whose answer changed is mapped by what its client says
//     changed (mapping.Index.RebuildRegistry).
//
// Either gives way to a full mapping when the mapping says the change
// could touch other records. At 50,000 models a full mapping takes about
// a second; a changed version's or server's, a millisecond.
type partialMapping struct {
	ix      *mapping.Index // nil: the next sync maps everything
	base    [sha256.Size]byte
	frame   [sha256.Size]byte
	servers map[mapping.ServerRef][sha256.Size]byte
}

// reset keeps a full build's index with the keys of what it read.
func (d *partialMapping) reset(ix *mapping.Index, base, frame [sha256.Size]byte, servers map[mapping.ServerRef][sha256.Size]byte) {
	*d = partialMapping{ix: ix, base: base, frame: frame, servers: servers}
}

func (d *partialMapping) forget() { *d = partialMapping{} }

// rebuild maps the InferenceServices of list whose key (servers) differs
// from the last build's, and the ones gone since; ok is false when that
// cannot be done alone (see mapping.Index.Rebuild), or when the other
// sources changed.
func (d *partialMapping) rebuild(base [sha256.Size]byte, list []mapping.Server, servers map[mapping.ServerRef][sha256.Size]byte) (mapping.Delta, bool) {
	if d.ix == nil || d.base != base || len(servers) != len(list) {
		return mapping.Delta{}, false
	}
	var changed []mapping.Server
	for i := range list {
		ref := mapping.RefOf(&list[i])
		if old, ok := d.servers[ref]; !ok || old != servers[ref] {
			changed = append(changed, list[i])
		}
	}
	var gone []mapping.ServerRef
	for ref := range d.servers {
		if _, ok := servers[ref]; !ok {
			gone = append(gone, ref)
		}
	}
	delta, ok := d.ix.Rebuild(changed, gone)
	if ok {
		d.servers = servers
	}
	return delta, ok
}

// rebuildRegistries maps each registry of in whose answer is not the one
// the index follows, by its Changes; ok is false when one cannot be
// mapped alone, or when anything but the registries changed (frame,
// servers), and the index is then forgotten: the caller maps everything.
func (d *partialMapping) rebuildRegistries(base, frame [sha256.Size]byte, in mapping.Inputs, servers map[mapping.ServerRef][sha256.Size]byte) (mapping.Delta, bool) {
	if d.ix == nil || d.frame != frame || !maps.Equal(d.servers, servers) || d.ix.Registries() != len(in.Registries) {
		return mapping.Delta{}, false
	}
	var out mapping.Delta
	changed := false
	for i := range in.Registries {
		r := &in.Registries[i]
		if d.ix.Follows(r.Name, r.Version) {
			continue
		}
		delta, ok := d.ix.RebuildRegistry(r, in.ModelCard)
		if !ok {
			// An earlier registry of in may already be in the index.
			d.forget()
			return mapping.Delta{}, false
		}
		changed = true
		out.Outputs = append(out.Outputs, delta.Outputs...)
		out.Removed = append(out.Removed, delta.Removed...)
		out.Problems, out.Desired = delta.Problems, delta.Desired
	}
	if !changed {
		return mapping.Delta{}, false
	}
	d.base = base
	return out, true
}
