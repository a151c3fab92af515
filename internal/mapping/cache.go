package mapping

import (
	"crypto/sha256"
	"sync"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/fieldhash"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// Cache remembers, from one build to the next, what the record of each
// registry version came to, by a digest of everything it is built from:
// the options, its names once made unique, the registered model, version
// and artifacts by id and lastUpdateTimeSinceEpoch, its model server's
// InferenceService by uid and resourceVersion (with the URLs and
// authentication resolved for it) and its model card. A build given the
// Cache builds and encodes only the versions whose digest moved; the
// others come out as an Output without a Body, carrying the Hash of the
// record they made last time, which is all a plan needs to see that the
// stored record is still right. A registry that sends no timestamps, or an
// InferenceService without a resourceVersion, is built every time.
//
// The Cache holds hashes and the problems reported, never documents. A
// build keeps only the entries it used. It is safe for concurrent use, but
// builds sharing a Cache should not overlap: the last to finish wins.
type Cache struct {
	mu      sync.Mutex
	entries map[string]cacheEntry // by draft identity
}

// cacheEntry is what one version's record came to.
type cacheEntry struct {
	inputs [sha256.Size]byte
	// key and hash are the record's; key is "" when no record was made
	// (the document was invalid: problems say why).
	key      string
	hash     record.Hash
	problems []Problem
}

// NewCache returns an empty Cache.
func NewCache() *Cache { return &Cache{entries: map[string]cacheEntry{}} }

// Forget empties the Cache: the next build makes every record again, with
// its Body.
func (c *Cache) Forget() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.entries = map[string]cacheEntry{}
	c.mu.Unlock()
}

// Len is how many versions the Cache remembers.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// buildCache is a Cache as one build uses it: lookups in what the last
// build left, and what this one leaves.
type buildCache struct {
	c    *Cache
	prev map[string]cacheEntry
	next map[string]cacheEntry
	// salt is the digest of what every record depends on (the options).
	salt [sha256.Size]byte
	h    *fieldhash.Hash
}

func (b *builder) startCache(c *Cache) {
	if c == nil {
		return
	}
	c.mu.Lock()
	prev := c.entries
	c.mu.Unlock()
	bc := &buildCache{c: c, prev: prev, next: make(map[string]cacheEntry, len(prev)), h: fieldhash.New()}
	for _, s := range []string{b.owner, b.lifecycle, string(b.format), b.baseURL, b.dashboard} {
		bc.h.String(s)
	}
	bc.salt = bc.h.Sum()
	b.cache = bc
}

// finishCache leaves this build's entries in the Cache.
func (b *builder) finishCache() {
	if b.cache == nil {
		return
	}
	b.cache.c.mu.Lock()
	b.cache.c.entries = b.cache.next
	b.cache.c.mu.Unlock()
}

// versionInputs is the digest of what d's record is built from, given its
// model card; ok is false when some input has no stamp to tell a change by.
func (bc *buildCache) versionInputs(d *draft, card string) (sum [sha256.Size]byte, ok bool) {
	vd := d.version
	h := bc.h
	h.Reset()
	_, _ = h.Write(bc.salt[:])
	h.String(d.identity)
	for _, s := range d.segments {
		h.String(s)
	}
	h.String(vd.registry)
	h.String(vd.modelName)
	h.String(vd.serverName)
	h.String(vd.serverIdentity)
	if vd.rm.LastUpdateTimeSinceEpoch == 0 || vd.v.LastUpdateTimeSinceEpoch == 0 {
		return sum, false
	}
	h.String(vd.rm.ID)
	h.Uint(uint64(vd.rm.LastUpdateTimeSinceEpoch))
	h.String(vd.v.ID)
	h.Uint(uint64(vd.v.LastUpdateTimeSinceEpoch))
	h.Uint(uint64(len(vd.arts)))
	for _, a := range vd.arts {
		if a.LastUpdateTimeSinceEpoch == 0 {
			return sum, false
		}
		h.String(a.ID)
		h.Uint(uint64(a.LastUpdateTimeSinceEpoch))
	}
	if s := vd.srv; s != nil {
		isvc := s.InferenceService
		if isvc.ResourceVersion == "" {
			return sum, false
		}
		for _, x := range []string{string(isvc.UID), isvc.Namespace, isvc.Name, isvc.ResourceVersion, s.RouteURL, s.ServiceURL} {
			h.String(x)
		}
		if s.AuthEnabled {
			h.Uint(1)
		}
	}
	h.String(card)
	return h.Sum(), true
}

// lookup returns the record the last build made for d's inputs.
func (bc *buildCache) lookup(identity string, inputs [sha256.Size]byte) (cacheEntry, bool) {
	e, ok := bc.prev[identity]
	if !ok || e.inputs != inputs {
		return cacheEntry{}, false
	}
	bc.next[identity] = e
	return e, true
}

func (bc *buildCache) remember(identity string, e cacheEntry) {
	bc.next[identity] = e
}
