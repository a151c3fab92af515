package pipeline

import (
	"crypto/sha256"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
)

// serverDelta is the policy "an InferenceService event maps only the
// InferenceServices that changed": when every other source answers what
// the last build read (its base key), the InferenceServices whose key
// changed are mapped alone (mapping.Index.Rebuild), unless the mapping
// says that could touch other records; then the sync maps everything.
// At 50,000 models a full mapping takes seconds; one server's, a
// millisecond.
type serverDelta struct {
	ix      *mapping.Index // nil: the next sync maps everything
	base    [sha256.Size]byte
	servers map[mapping.ServerRef][sha256.Size]byte
}

// reset keeps a full build's index with the keys of what it read.
func (d *serverDelta) reset(ix *mapping.Index, base [sha256.Size]byte, servers map[mapping.ServerRef][sha256.Size]byte) {
	*d = serverDelta{ix: ix, base: base, servers: servers}
}

func (d *serverDelta) forget() { *d = serverDelta{} }

// rebuild maps the InferenceServices of list whose key (servers) differs
// from the last build's, and the ones gone since; ok is false when that
// cannot be done alone (see mapping.Index.Rebuild), or when the other
// sources changed.
func (d *serverDelta) rebuild(base [sha256.Size]byte, list []mapping.Server, servers map[mapping.ServerRef][sha256.Size]byte) (mapping.Delta, bool) {
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
