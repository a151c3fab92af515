package store

import (
	"bytes"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
)

// change is what one ConfigMap write sets and deletes.
type change struct {
	set map[string][]byte
	del map[string]struct{}
}

// plan is the ConfigMap writes that bring the state where a batch of
// operations wants it. Writes happen in phases so that a crash between two
// of them loses nothing: phase 1 writes records to their (new) places and
// deletes removed keys, phase 2 deletes the old copies of records that
// moved, phase 3 deletes spill ConfigMaps left empty. Every entry a write
// changes is tested against its value in the state the plan was computed
// from (patch.go); a failed test makes the Store re-read and plan again.
type plan struct {
	st *state
	// limit is what a ConfigMap may hold; fill (at most limit: New clamps
	// it) is how full the plan makes one (a ConfigMap written with a larger
	// fill only shrinks).
	limit, fill int
	// base is the ConfigMap each write starts from; nil for one to create.
	base  map[string]*corev1.ConfigMap
	index map[string]int
	// proj is each ConfigMap's size once phase 1 is written.
	proj           map[string]int
	phase1, phase2 map[string]*change
	// drop are spills that may be empty once phases 1 and 2 are written.
	drop  map[string]struct{}
	moves int
	// dedupes counts copies of records that are deleted as superseded.
	dedupes int
	// order is names(nil), kept until a ConfigMap is added; order[:open]
	// are at or over the fill, where no new key goes (fits): a first
	// publish places 100,000 new keys, and trying every ConfigMap for
	// each was most of storage-rest's time. open goes back to 0 whenever
	// a ConfigMap shrinks.
	order []string
	open  int
	// planned are the keys set in phase 1.
	planned map[string]struct{}
}

func newPlan(st *state, limit, fill int) *plan {
	p := &plan{
		st: st, limit: limit, fill: fill,
		base:   map[string]*corev1.ConfigMap{},
		index:  map[string]int{},
		proj:   map[string]int{},
		phase1: map[string]*change{},
		phase2: map[string]*change{},
		drop:   map[string]struct{}{},

		planned: map[string]struct{}{},
	}
	for _, c := range st.order {
		p.base[c.obj.Name] = c.obj
		p.index[c.obj.Name] = c.index
		p.proj[c.obj.Name] = c.size
	}
	if _, ok := st.cms[st.primary]; !ok {
		p.base[st.primary] = nil
		p.index[st.primary] = 0
		p.proj[st.primary] = 0
	}
	return p
}

// empty reports whether the plan writes nothing.
func (p *plan) empty() bool {
	return len(p.phase1) == 0 && len(p.phase2) == 0 && len(p.drop) == 0
}

// names returns the ConfigMaps of a phase (all known ones for nil), primary
// first.
func (p *plan) names(phase map[string]*change) []string {
	var out []string
	if phase == nil {
		for n := range p.index {
			out = append(out, n)
		}
	} else {
		for n := range phase {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return p.index[out[i]] < p.index[out[j]] })
	return out
}

func (p *plan) changeOf(phase map[string]*change, name string) *change {
	ch := phase[name]
	if ch == nil {
		ch = &change{set: map[string][]byte{}, del: map[string]struct{}{}}
		phase[name] = ch
	}
	return ch
}

// valueLen is the length of key's value in name once phase 1 is written.
func (p *plan) valueLen(name, key string) (int, bool) {
	if ch := p.phase1[name]; ch != nil {
		if v, ok := ch.set[key]; ok {
			return len(v), true
		}
		if _, ok := ch.del[key]; ok {
			return 0, false
		}
	}
	if b := p.base[name]; b != nil {
		if v, ok := b.BinaryData[key]; ok {
			return len(v), true
		}
	}
	return 0, false
}

func (p *plan) delta(name, key string, n int) int {
	if cur, ok := p.valueLen(name, key); ok {
		return n - cur
	}
	return len(key) + n
}

// fits reports whether key's new value of n bytes may go to name: name
// stays within the fill; or the value does not grow a ConfigMap that
// another fill left fuller; or name is empty, and a record larger than the
// fill goes there alone.
func (p *plan) fits(name, key string, n int) bool {
	return p.fitsGrowth(name, p.delta(name, key, n))
}

// fitsGrowth is fits for a change that grows name by d bytes.
func (p *plan) fitsGrowth(name string, d int) bool {
	proj := p.proj[name]
	if proj+d > p.limit {
		return false
	}
	return proj+d <= p.fill || d <= 0 || proj == 0
}

func (p *plan) set(name, key string, raw []byte) {
	d := p.delta(name, key, len(raw))
	if d < 0 {
		p.open = 0
	}
	p.proj[name] += d
	p.planned[key] = struct{}{}
	ch := p.changeOf(p.phase1, name)
	delete(ch.del, key)
	ch.set[key] = raw
}

// del1 deletes key from name in phase 1: a removal, or a copy whose
// replacement is already stored.
func (p *plan) del1(name, key string) {
	cur, ok := p.valueLen(name, key)
	if !ok {
		return
	}
	p.proj[name] -= len(key) + cur
	p.open = 0
	ch := p.changeOf(p.phase1, name)
	delete(ch.set, key)
	ch.del[key] = struct{}{}
	p.maybeDrop(name)
}

// del2 deletes key from name once phase 1 has stored its new place.
func (p *plan) del2(name, key string) {
	p.changeOf(p.phase2, name).del[key] = struct{}{}
	p.maybeDrop(name)
}

func (p *plan) maybeDrop(name string) {
	if p.index[name] > 0 {
		p.drop[name] = struct{}{}
	}
}

// place picks where a new value of key goes: the first ConfigMap, primary
// first, with room, else a new spill with the lowest free number. fresh
// says key has no value in any ConfigMap of the plan: the ConfigMaps at
// or over the fill cannot take it, and are passed over.
func (p *plan) place(key string, n int, skip string, fresh bool) string {
	if p.order == nil {
		p.order, p.open = p.names(nil), 0
	}
	if fresh {
		for p.open < len(p.order) && p.proj[p.order[p.open]] >= p.fill && p.proj[p.order[p.open]] > 0 {
			p.open++
		}
		// No ConfigMap holds a value of key, so it grows any of them by
		// the whole entry (delta) without looking for one: a batch of new
		// records passed over every ConfigMap filled to just under the
		// fill, looking in each for each record.
		d := len(key) + n
		for _, name := range p.order[p.open:] {
			if name != skip && p.fitsGrowth(name, d) {
				return name
			}
		}
	} else {
		for _, name := range p.order {
			if name != skip && p.fits(name, key, n) {
				return name
			}
		}
	}
	for i := 1; ; i++ {
		name := spillName(p.st.primary, i)
		if _, used := p.index[name]; used {
			continue
		}
		p.base[name] = nil
		p.index[name] = i
		p.proj[name] = 0
		p.order = nil
		return name
	}
}

// upsert plans o, or returns its outcome when no write is needed.
func (p *plan) upsert(o *op) (result, bool) {
	copies := p.st.copies(o.key)
	win := p.st.view[o.key]
	if !o.seen {
		o.seen, o.existed = true, win != nil
	}
	if n := entrySize(o.key, o.raw); n > p.limit {
		return result{err: tooLarge(o.key, n, p.limit)}, true
	}
	if win != nil && win.rec.SameContent(&o.rec) {
		if o.wrote {
			return result{status: o.status()}, true
		}
		return result{status: statusUnchanged}, true
	}
	if win != nil && o.rec.LastUpdateTimeSinceEpoch < win.rec.LastUpdateTimeSinceEpoch {
		return result{err: stale(o.key, int64(o.rec.LastUpdateTimeSinceEpoch), int64(win.rec.LastUpdateTimeSinceEpoch), win.cm)}, true
	}
	for _, c := range copies {
		if bytes.Equal(c.raw, o.raw) {
			// Our value is stored, but a copy with the same timestamp in a
			// lower ConfigMap wins the tie: delete the others.
			for _, other := range copies {
				if other != c {
					p.del1(other.cm, o.key)
				}
			}
			return result{}, false
		}
	}
	target := ""
	switch {
	case win != nil && p.fits(win.cm, o.key, len(o.raw)):
		target = win.cm
	case win == nil && len(copies) > 0 && p.fits(copies[0].cm, o.key, len(o.raw)):
		// Only undecodable copies: overwrite the first in place.
		target = copies[0].cm
	default:
		skip := ""
		if win != nil {
			skip = win.cm
		}
		_, planned := p.planned[o.key]
		target = p.place(o.key, len(o.raw), skip, len(copies) == 0 && !planned)
	}
	p.set(target, o.key, o.raw)
	for _, c := range copies {
		if c.cm != target {
			p.del2(c.cm, o.key)
			if win != nil && c == win {
				p.moves++
			}
		}
	}
	return result{}, false
}

// remove plans the deletion of every copy of o's key.
func (p *plan) remove(o *op) (result, bool) {
	copies := p.st.copies(o.key)
	if !o.seen {
		o.seen, o.existed = true, p.st.view[o.key] != nil
	}
	if len(copies) == 0 {
		return result{removed: o.existed}, true
	}
	for _, c := range copies {
		p.del1(c.cm, o.key)
	}
	return result{}, false
}

// maintain plans the store's own upkeep: delete superseded copies of
// records; else empty the last spill into lower ConfigMaps when all of it
// fits there; and delete empty spills.
func (p *plan) maintain(undeletable map[string]bool) {
	if len(p.st.dups) > 0 {
		for key := range p.st.dups {
			win := p.st.view[key]
			if win == nil {
				continue
			}
			for _, c := range p.st.copies(key) {
				if c != win && !c.broken && deletableCopy(c, win) {
					p.del1(c.cm, key)
					p.dedupes++
				}
			}
		}
		return
	}
	for _, c := range p.st.order {
		if c.index > 0 && c.empty() && !undeletable[c.obj.Name] {
			p.drop[c.obj.Name] = struct{}{}
		}
	}
	p.compact()
}

// compact moves every record of the highest spill that can be emptied into
// lower ConfigMaps, so that spills disappear once the records fit again.
// Only whole spills move: moving part of one would only churn.
func (p *plan) compact() {
	for i := len(p.st.order) - 1; i >= 1; i-- {
		c := p.st.order[i]
		if c.index == 0 || c.foreign > 0 || len(c.entries) == 0 {
			continue
		}
		free := 0
		for _, lower := range p.st.order[:i] {
			free += max(0, p.fill-p.proj[lower.obj.Name])
		}
		if c.size > free {
			continue
		}
		keys := make([]string, 0, len(c.entries))
		for k, e := range c.entries {
			if e.broken {
				keys = nil
				break
			}
			keys = append(keys, k)
		}
		if keys == nil {
			continue
		}
		sort.Strings(keys)
		trial := map[string]int{}
		assign := map[string]string{}
		for _, k := range keys {
			n := entrySize(k, c.entries[k].raw)
			for _, lower := range p.st.order[:i] {
				name := lower.obj.Name
				if _, has := p.valueLen(name, k); has {
					break
				}
				if p.proj[name]+trial[name]+n <= p.fill {
					trial[name] += n
					assign[k] = name
					break
				}
			}
			if assign[k] == "" {
				break
			}
		}
		if len(assign) != len(keys) {
			continue
		}
		for _, k := range keys {
			p.set(assign[k], k, c.entries[k].raw)
			p.del2(c.obj.Name, k)
			p.moves++
		}
		return
	}
}

// String summarizes the plan for debug logs.
func (p *plan) String() string {
	n1, n2 := 0, 0
	for _, ch := range p.phase1 {
		n1 += len(ch.set) + len(ch.del)
	}
	for _, ch := range p.phase2 {
		n2 += len(ch.del)
	}
	return fmt.Sprintf("%d changes in %d ConfigMaps, then %d deletions of moved copies in %d, %d spills to check for removal",
		n1, len(p.phase1), n2, len(p.phase2), len(p.drop))
}
