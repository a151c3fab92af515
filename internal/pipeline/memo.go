package pipeline

import (
	"crypto/sha256"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/fieldhash"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
)

// buildMemo is the policy "a sync whose inputs did not change does no
// work": when every source answered what it answered last time (each
// gives a version of its answer), storage-rest holds what this normalizer
// last wrote, and that last sync stored and removed everything it planned,
// then the documents would come out the same and the plan empty, so the
// mapping and the plan are skipped. A source that cannot tell a version
// ("" from a test fake, an InferenceService without a resourceVersion)
// makes every sync a full one.
type buildMemo struct {
	key   [sha256.Size]byte
	valid bool
	// desired and problems are the last full sync's counts, reported by
	// the syncs it spares.
	desired, problems int
}

// skip reports whether a sync with inputs key may skip the mapping.
func (m *buildMemo) skip(key [sha256.Size]byte, keyed bool) bool {
	return keyed && m.valid && m.key == key
}

// remember records a full sync: clean when it stored and removed all it
// planned, so that the same inputs next time need nothing.
func (m *buildMemo) remember(key [sha256.Size]byte, keyed, clean bool, desired, problems int) {
	*m = buildMemo{key: key, valid: keyed && clean, desired: desired, problems: problems}
}

// forget makes the next sync a full one.
func (m *buildMemo) forget() { m.valid = false }

// inputsKey is a digest of everything mapping.Build reads: the key of
// every source but the InferenceServices (baseKey), and each
// InferenceService's key (serverKeys), in any order.
func inputsKey(base [sha256.Size]byte, servers map[mapping.ServerRef][sha256.Size]byte) [sha256.Size]byte {
	// The watch lists servers in no set order: XOR their keys.
	var all [sha256.Size]byte
	for _, one := range servers {
		for i := range all {
			all[i] ^= one[i]
		}
	}
	h := fieldhash.New()
	_, _ = h.Write(base[:])
	h.Uint(uint64(len(servers)))
	_, _ = h.Write(all[:])
	return h.Sum()
}

// baseKey is a digest of each registry's name and answer version, the
// model cards' version and the dashboard URL. keyed is false when a
// registry has no version.
func baseKey(in mapping.Inputs, cardsVersion uint64, dashboard string) (key [sha256.Size]byte, keyed bool) {
	h := fieldhash.New()
	h.String(dashboard)
	h.Uint(cardsVersion)
	h.Uint(uint64(len(in.Registries)))
	for i := range in.Registries {
		r := &in.Registries[i]
		if r.Version == "" {
			return key, false
		}
		h.String(r.Name)
		h.String(r.Version)
	}
	return h.Sum(), true
}

// frameKey is baseKey without the registries' answer versions: what must
// not change for a registry's changes to be mapped alone.
func frameKey(in mapping.Inputs, cardsVersion uint64, dashboard string) [sha256.Size]byte {
	h := fieldhash.New()
	h.String(dashboard)
	h.Uint(cardsVersion)
	h.Uint(uint64(len(in.Registries)))
	for i := range in.Registries {
		h.String(in.Registries[i].Name)
	}
	return h.Sum()
}

// serverKeys is a digest per InferenceService of its identity,
// resourceVersion and the facts resolved for it. keyed is false when one
// has no resourceVersion or is listed twice.
func serverKeys(servers []mapping.Server) (keys map[mapping.ServerRef][sha256.Size]byte, keyed bool) {
	keys = make(map[mapping.ServerRef][sha256.Size]byte, len(servers))
	keyed = true
	sh := fieldhash.New()
	for i := range servers {
		s := &servers[i]
		isvc := s.InferenceService
		if isvc == nil {
			keyed = false
			continue
		}
		if isvc.ResourceVersion == "" {
			keyed = false
		}
		sh.Reset()
		sh.String(string(isvc.UID))
		sh.String(isvc.Namespace)
		sh.String(isvc.Name)
		sh.String(isvc.ResourceVersion)
		sh.String(s.RouteURL)
		sh.String(s.ServiceURL)
		if s.AuthEnabled {
			sh.Uint(1)
		} else {
			sh.Uint(0)
		}
		one := sh.Sum()
		ref := mapping.RefOf(s)
		if _, twice := keys[ref]; twice {
			keyed = false
		}
		keys[ref] = one
	}
	return keys, keyed
}
