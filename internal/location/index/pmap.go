package index

import (
	"hash/maphash"
	"iter"
	"maps"
)

// shardCount splits a pmap so that a write copies one shard (about n/256
// entries) and the shard table (256 pointers) instead of the whole map: with
// 10,000 records a write copies about 40 entries, not 10,000.
const shardCount = 256

// pmap is an immutable string-keyed map shared between snapshots. It is
// never changed after construction; edit returns a builder that copies what
// it touches.
type pmap[V any] struct {
	seed   maphash.Seed
	shards *[shardCount]map[string]V
	n      int
}

func newPmap[V any](seed maphash.Seed) pmap[V] {
	return pmap[V]{seed: seed, shards: new([shardCount]map[string]V)}
}

func (m pmap[V]) shard(k string) int {
	return int(maphash.String(m.seed, k) & (shardCount - 1))
}

func (m pmap[V]) get(k string) (V, bool) {
	v, ok := m.shards[m.shard(k)][k]
	return v, ok
}

// getBytes is get for a key spelled in b, without making it a string.
func (m pmap[V]) getBytes(b []byte) (V, bool) {
	v, ok := m.shards[maphash.Bytes(m.seed, b)&(shardCount-1)][string(b)]
	return v, ok
}

func (m pmap[V]) len() int { return m.n }

func (m pmap[V]) all() iter.Seq2[string, V] {
	return func(yield func(string, V) bool) {
		for _, sh := range m.shards {
			for k, v := range sh {
				if !yield(k, v) {
					return
				}
			}
		}
	}
}

// edit starts a batch of changes on top of m; m itself is left untouched.
func (m pmap[V]) edit() *pmapEdit[V] {
	return &pmapEdit[V]{m: m}
}

// pmapEdit accumulates changes: the shard table and every shard are copied
// at most once per batch, however many keys the batch changes, so that one
// batch of n writes costs O(n) and not O(n * shard size).
type pmapEdit[V any] struct {
	m         pmap[V]
	ownTable  bool
	ownShards [shardCount]bool
}

func (e *pmapEdit[V]) get(k string) (V, bool) { return e.m.get(k) }

func (e *pmapEdit[V]) own(i int) map[string]V {
	if !e.ownTable {
		t := *e.m.shards
		e.m.shards = &t
		e.ownTable = true
	}
	if !e.ownShards[i] {
		e.m.shards[i] = maps.Clone(e.m.shards[i])
		if e.m.shards[i] == nil {
			e.m.shards[i] = make(map[string]V)
		}
		e.ownShards[i] = true
	}
	return e.m.shards[i]
}

func (e *pmapEdit[V]) set(k string, v V) {
	sh := e.own(e.m.shard(k))
	if _, ok := sh[k]; !ok {
		e.m.n++
	}
	sh[k] = v
}

func (e *pmapEdit[V]) del(k string) {
	i := e.m.shard(k)
	if _, ok := e.m.shards[i][k]; !ok {
		return
	}
	delete(e.own(i), k)
	e.m.n--
}

// done returns the edited map. The builder must not be used afterwards: its
// shards now belong to the returned, immutable map.
func (e *pmapEdit[V]) done() pmap[V] {
	m := e.m
	*e = pmapEdit[V]{}
	return m
}
