package store

import (
	"bytes"
	"maps"
	"sort"
	"strings"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// entry is one binaryData entry whose key is a valid record key. Entries are
// never modified once built, so readers may keep pointers to them.
type entry struct {
	key   string
	cm    string
	index int
	raw   []byte
	rec   record.Record
	// json is the canonical encoding, served to readers.
	json []byte
	// broken marks a value that does not decode as a record: it is kept
	// (it may come from a newer version) but never served.
	broken bool
}

// configMap is what the state knows about one of our ConfigMaps.
type configMap struct {
	obj     *corev1.ConfigMap
	index   int
	rv      uint64
	size    int
	entries map[string]*entry
	// foreign counts entries that are not ours (data entries, keys that are
	// not record keys); they are preserved and count against the size.
	foreign int
}

func (c *configMap) empty() bool {
	return len(c.obj.Data) == 0 && len(c.obj.BinaryData) == 0
}

// state is the in-memory copy of the store: every ConfigMap as last seen,
// and the resolved record of every key. It is not safe for concurrent use;
// memCopy (cache.go) guards it.
type state struct {
	primary string
	log     logr.Logger
	cms     map[string]*configMap
	// order holds cms by index, primary first: placement and tie-breaking
	// both follow it.
	order []*configMap
	// tombstones hold the last resourceVersion of ConfigMaps we deleted, so
	// that a late watch event does not bring them back.
	tombstones map[string]uint64
	// view is the winning copy of every key.
	view map[string]*entry
	// held counts the ConfigMaps holding an entry of each key, broken ones
	// included, so copies can stop looking once it has found them all: a
	// key is almost always in one ConfigMap, and looking for every key
	// written in each of a few hundred made a first publish quadratic.
	held map[string]int32
	// digest summarizes view by content (record.Digest).
	digest record.Digest
	// dups are keys with a copy that maintenance may delete: one older than
	// the winner, or identical to it.
	dups map[string]struct{}
	// ties are keys with two copies we cannot order (logged once).
	ties  map[string]struct{}
	bytes int
	// dirty says maintenance (dedupe, compaction, empty spills) should look.
	dirty bool
	// onChange hears every change of a key's resolved record (nil: removed).
	onChange func(key string, rec *record.Record)
	warned   map[string]string
}

func newState(primary string, log logr.Logger, onChange func(string, *record.Record)) *state {
	if onChange == nil {
		onChange = func(string, *record.Record) {}
	}
	return &state{
		primary:    primary,
		log:        log,
		cms:        map[string]*configMap{},
		tombstones: map[string]uint64{},
		view:       map[string]*entry{},
		held:       map[string]int32{},
		dups:       map[string]struct{}{},
		ties:       map[string]struct{}{},
		onChange:   onChange,
		warned:     map[string]string{},
	}
}

// apply records obj as the current state of its ConfigMap unless we already
// know a newer version.
func (st *state) apply(obj *corev1.ConfigMap) { st.take(obj, false) }

// observe is apply for the informers' objects. The informer keeps each
// ConfigMap it hands over for as long as it exists, so when one of them is
// the version the copy already holds (the watch event of our own write,
// whose answer apply took first), the copy takes the informer's bytes and
// lets its own go (adopt): without that, storage-rest held every
// ConfigMap twice.
func (st *state) observe(obj *corev1.ConfigMap) { st.take(obj, true) }

func (st *state) take(obj *corev1.ConfigMap, informers bool) {
	idx, ok := configMapIndex(st.primary, obj.Name)
	if !ok {
		return
	}
	rv := parseRV(obj.ResourceVersion)
	old := st.cms[obj.Name]
	if old != nil && rv != 0 && old.rv != 0 && rv <= old.rv {
		if informers && rv == old.rv && obj != old.obj {
			st.adopt(old, obj)
		}
		return
	}
	if old == nil {
		if t, ok := st.tombstones[obj.Name]; ok && rv != 0 && rv <= t {
			return
		}
	}
	delete(st.tombstones, obj.Name)
	c := &configMap{obj: obj, index: idx, rv: rv, size: configMapSize(obj), entries: make(map[string]*entry, len(obj.BinaryData))}
	var broken, foreign []string
	for k, v := range obj.BinaryData {
		if record.ValidateKey(k) != nil {
			c.foreign++
			foreign = append(foreign, k)
			continue
		}
		if old != nil {
			if e := old.entries[k]; e != nil && bytes.Equal(e.raw, v) {
				c.entries[k] = e
				continue
			}
		}
		e := &entry{key: k, cm: obj.Name, index: idx, raw: v}
		rec, canon, err := decodeRecord(v)
		if err != nil {
			e.broken = true
			broken = append(broken, k)
		} else {
			e.rec, e.json = rec, canon
		}
		c.entries[k] = e
	}
	c.foreign += len(obj.Data)
	st.warnForeign(obj, foreign, broken)
	st.replace(obj.Name, old, c)
}

// adopt replaces old with obj, the same version of the ConfigMap with the
// same content, held by the informer: entries are copied onto obj's bytes
// (a configMap and its entries are never changed once made: the writer
// reads them outside the lock) and every key keeps its winner, so nothing
// is resolved again. Content that differs is not the API server's doing:
// old is kept. A newer version the informer delivers before the write's
// answer keeps the unchanged entries on the older bytes until the next
// write of that ConfigMap; the answer usually comes first.
func (st *state) adopt(old *configMap, obj *corev1.ConfigMap) {
	if !maps.Equal(obj.Data, old.obj.Data) || !maps.EqualFunc(obj.BinaryData, old.obj.BinaryData, bytes.Equal) {
		return
	}
	c := &configMap{obj: obj, index: old.index, rv: old.rv, size: old.size, foreign: old.foreign,
		entries: make(map[string]*entry, len(old.entries))}
	for k, e := range old.entries {
		ne := *e
		v := obj.BinaryData[k]
		if sameBytes(ne.json, ne.raw) {
			ne.json = v
		}
		ne.raw = v
		c.entries[k] = &ne
		if st.view[k] == e {
			st.view[k] = &ne
		}
	}
	st.cms[obj.Name] = c
	for i, cm := range st.order {
		if cm == old {
			st.order[i] = c
		}
	}
}

// sameBytes reports whether a and b are the same memory, not only equal.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// forget drops a ConfigMap that was deleted at or after resourceVersion rv.
func (st *state) forget(name string, rv uint64) {
	old := st.cms[name]
	if old == nil {
		return
	}
	if rv != 0 && old.rv != 0 && rv < old.rv {
		// We already know a newer incarnation (we recreated it).
		return
	}
	if old.rv > rv {
		rv = old.rv
	}
	st.tombstones[name] = rv
	st.replace(name, old, nil)
}

func (st *state) replace(name string, old, c *configMap) {
	if old != nil {
		st.bytes -= old.size
	}
	if c == nil {
		delete(st.cms, name)
	} else {
		st.cms[name] = c
		st.bytes += c.size
	}
	if old == nil || c == nil {
		st.order = st.order[:0]
		for _, cm := range st.cms {
			st.order = append(st.order, cm)
		}
		sort.Slice(st.order, func(i, j int) bool { return st.order[i].index < st.order[j].index })
	} else {
		for i, cm := range st.order {
			if cm == old {
				st.order[i] = c
			}
		}
	}
	st.dirty = true
	if old != nil {
		for k, e := range old.entries {
			if c == nil || c.entries[k] == nil {
				st.unhold(k)
			}
			if c == nil || c.entries[k] != e {
				st.resolve(k, c)
			}
		}
	}
	if c != nil {
		// Changed entries were resolved above; here only the new keys.
		for k := range c.entries {
			if old == nil || old.entries[k] == nil {
				st.held[k]++
				st.resolve(k, c)
			}
		}
	}
}

func (st *state) unhold(key string) {
	if n := st.held[key]; n > 1 {
		st.held[key] = n - 1
	} else {
		delete(st.held, key)
	}
}

// copies returns every entry of key, primary first.
func (st *state) copies(key string) []*entry { return st.copiesIn(key, nil) }

// copiesIn is copies, told a ConfigMap that may hold key (nil: none).
func (st *state) copiesIn(key string, in *configMap) []*entry {
	n := int(st.held[key])
	if n == 0 {
		return nil
	}
	// The usual case, one copy: the winner, still in the ConfigMap it was
	// resolved from (replace resolves a key whose entry changed), or a new
	// key's entry in the ConfigMap that brought it.
	if n == 1 {
		if w := st.view[key]; w != nil {
			if c := st.cms[w.cm]; c != nil && c.entries[key] == w {
				return []*entry{w}
			}
		}
		if in != nil {
			if e := in.entries[key]; e != nil {
				return []*entry{e}
			}
		}
	}
	out := make([]*entry, 0, n)
	for _, c := range st.order {
		if e := c.entries[key]; e != nil {
			out = append(out, e)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// resolve recomputes the winner of key: the newest copy, the lowest index
// on equal timestamps (so every replica picks the same one).
func (st *state) resolve(key string, in *configMap) {
	cps := st.copiesIn(key, in)
	var win *entry
	for _, e := range cps {
		if e.broken {
			continue
		}
		if win == nil || e.rec.LastUpdateTimeSinceEpoch > win.rec.LastUpdateTimeSinceEpoch {
			win = e
		}
	}
	delete(st.dups, key)
	tie := ""
	for _, e := range cps {
		if e == win || e.broken || win == nil {
			continue
		}
		if deletableCopy(e, win) {
			st.dups[key] = struct{}{}
		} else {
			tie = e.cm
		}
	}
	if tie == "" {
		delete(st.ties, key)
	} else if _, logged := st.ties[key]; !logged {
		st.ties[key] = struct{}{}
		st.log.Info("record is stored twice with the same lastUpdateTimeSinceEpoch and different content; serving the copy in the lower ConfigMap until the key is written again",
			"key", key, "served", win.cm, "other", tie)
	}
	prev := st.view[key]
	switch {
	case win == nil && prev != nil:
		delete(st.view, key)
		st.digest.Remove(key, &prev.rec)
		st.onChange(key, nil)
	case win == nil:
	case prev == nil || !bytes.Equal(prev.raw, win.raw):
		st.view[key] = win
		if prev != nil {
			st.digest.Remove(key, &prev.rec)
		}
		st.digest.Add(key, &win.rec)
		rec := win.rec
		st.onChange(key, &rec)
	default:
		st.view[key] = win
	}
}

// deletableCopy reports whether copy e of a key may be deleted in favour of
// the winner w without anyone's write being lost: it is older, or it is the
// same bytes. A same-age copy with other content may be another writer's
// move in progress, so it is left for the next write of the key.
func deletableCopy(e, w *entry) bool {
	return e.rec.LastUpdateTimeSinceEpoch < w.rec.LastUpdateTimeSinceEpoch || bytes.Equal(e.raw, w.raw)
}

// warnForeign logs entries we keep but cannot serve, once for each set of
// them, so a platform engineer learns why a key does not show.
func (st *state) warnForeign(obj *corev1.ConfigMap, foreign, broken []string) {
	if len(foreign) == 0 && len(broken) == 0 {
		delete(st.warned, obj.Name)
		return
	}
	sort.Strings(foreign)
	sort.Strings(broken)
	id := strings.Join(foreign, ",") + "|" + strings.Join(broken, ",")
	if st.warned[obj.Name] == id {
		return
	}
	st.warned[obj.Name] = id
	st.log.Info("ConfigMap holds binaryData entries that are not connector records; they are kept untouched and not served",
		"configMap", obj.Name, "invalidKeys", foreign, "undecodableRecords", broken,
		"hint", "remove them with `oc edit configmap "+obj.Name+"` if they are leftovers")
}

// records is the number of served keys.
func (st *state) records() int { return len(st.view) }
