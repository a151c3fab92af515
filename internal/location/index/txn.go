package index

import (
	"bytes"
	"slices"
	"time"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// txn is one write: it edits copies of what it touches on top of base and
// publishes them as a new snapshot in commit. Only the writer path (Index.mu
// held) creates one.
type txn struct {
	ix      *Index
	base    *Snapshot
	loaded  bool
	now     time.Time
	changed bool

	docs     *pmapEdit[*Document]
	gone     *pmapEdit[removed]
	owners   *pmapEdit[[]string]
	cards    *pmapEdit[*Card]
	list     *listEdit
	digest   record.Digest
	cardKeys map[string]struct{} // card keys whose card must be re-resolved
	// rendered holds entities a load checked outside the writer lock, by
	// key, with the body they were checked from.
	rendered map[string]prerendered
}

type prerendered struct {
	body []byte
	ents *entities
}

// put stores rec under key (already validated). Unless force is set, a
// record older than the one held is ignored.
func (t *txn) put(key string, rec record.Record, force bool) UpsertResult {
	old, had := t.docs.get(key)
	if had {
		held := old.updated
		if !force && rec.LastUpdateTimeSinceEpoch < held {
			return UpsertResult{Outcome: Ignored, Held: held}
		}
		if old.sameContent(&rec) {
			if rec.LastUpdateTimeSinceEpoch != held {
				// Same document, new timestamp: keep the timestamp, which
				// orders later writes and picks between shared model cards.
				d := *old
				d.updated = rec.LastUpdateTimeSinceEpoch
				t.setDoc(&d)
				t.cardChange(key, old, &d)
			}
			return UpsertResult{Outcome: Unchanged, Held: held}
		}
	}
	f := t.ix.opts.Format
	d := &Document{
		Key:        key,
		updated:    rec.LastUpdateTimeSinceEpoch,
		card:       rec.ModelCard,
		cardKey:    optional(rec.ModelCardKey),
		reconciler: internType(rec.ReconcilerType),
	}
	if had && bytes.Equal(old.Body, rec.Body) {
		d.Representation, d.ents = old.Representation, old.ents
	} else {
		d.Representation = newRepresentation(rec.Body, formatType(f))
		if e, ok := t.rendered[key]; ok && bytes.Equal(e.body, rec.Body) {
			d.ents = e.ents
		} else {
			d.ents = newEntities(f, rec.Body)
		}
	}
	t.setDoc(d)
	t.gone.del(key)
	if had {
		t.digest.RemoveHash(old.contentHash())
	}
	t.digest.AddHash(d.contentHash())
	var o *Document
	if had {
		o = old
	} else {
		t.list.add(uriOf("", key, f.File()))
	}
	t.cardChange(key, o, d)
	if had {
		return UpsertResult{Outcome: Updated, Held: old.updated}
	}
	return UpsertResult{Outcome: Created}
}

func (t *txn) setDoc(d *Document) {
	t.docs.set(d.Key, d)
	t.changed = true
}

// del removes key; the document stays retrievable, unlisted, for the
// grace period.
func (t *txn) del(key string) bool {
	old, had := t.docs.get(key)
	if !had {
		return false
	}
	t.docs.del(key)
	t.digest.RemoveHash(old.contentHash())
	t.list.remove(uriOf("", key, t.ix.opts.Format.File()))
	if grace := t.ix.opts.RemovedGrace; grace > 0 {
		r := removed{doc: old, expires: t.now.Add(grace)}
		t.gone.set(key, r)
		t.ix.expiries = append(t.ix.expiries, expiry{key: key, at: r.expires})
	}
	t.cardChange(key, old, nil)
	t.changed = true
	return true
}

// cardChange records that the document of key went from old to cur (either
// may be nil) as far as model cards are concerned.
func (t *txn) cardChange(key string, old, cur *Document) {
	oldCK, curCK := cardKeyOf(key, old), cardKeyOf(key, cur)
	if oldCK != "" && oldCK != curCK {
		if oldCK != key {
			owners, _ := t.owners.get(oldCK)
			if i, ok := slices.BinarySearch(owners, key); ok {
				owners = slices.Delete(slices.Clone(owners), i, i+1)
				if len(owners) == 0 {
					t.owners.del(oldCK)
				} else {
					t.owners.set(oldCK, owners)
				}
			}
		}
		t.cardKeys[oldCK] = struct{}{}
	}
	if curCK != "" {
		if curCK != key {
			owners, _ := t.owners.get(curCK)
			if i, ok := slices.BinarySearch(owners, key); !ok {
				t.owners.set(curCK, slices.Insert(slices.Clone(owners), i, key))
			}
		}
		t.cardKeys[curCK] = struct{}{}
	}
}

// resolveCard serves, under ck, the card of the newest record that carries
// one for it (ties go to the greatest key, so the choice is stable).
func (t *txn) resolveCard(ck string) {
	var best *Document
	consider := func(d *Document) {
		if best == nil || d.updated > best.updated || (d.updated == best.updated && d.Key > best.Key) {
			best = d
		}
	}
	if d, ok := t.docs.get(ck); ok && cardKeyOf(ck, d) == ck {
		consider(d)
	}
	owners, _ := t.owners.get(ck)
	for _, k := range owners {
		d, _ := t.docs.get(k)
		consider(d)
	}
	cur, _ := t.cards.get(ck)
	switch {
	case best == nil:
		if cur != nil {
			t.cards.del(ck)
			t.changed = true
		}
	case cur == nil || string(cur.Body) != best.card:
		t.cards.set(ck, &Card{Key: ck, Representation: newRepresentation(stringBytes(best.card), &markdownType)})
		t.changed = true
	}
}

// expire drops removed documents whose grace period is over.
func (t *txn) expire() {
	q := t.ix.expiries
	for len(q) > 0 && !t.now.Before(q[0].at) {
		if r, ok := t.gone.get(q[0].key); ok && r.expires.Equal(q[0].at) {
			t.gone.del(q[0].key)
			t.changed = true
		}
		q = q[1:]
	}
	t.ix.expiries = q
}

// commit publishes the new snapshot, unless nothing changed, and returns
// the current one.
func (t *txn) commit() *Snapshot {
	for ck := range t.cardKeys {
		t.resolveCard(ck)
	}
	t.expire()
	if !t.changed && t.loaded == t.base.loaded {
		return t.base
	}
	s := &Snapshot{
		format: t.base.format,
		loaded: t.loaded,
		now:    t.base.now,
		docs:   t.docs.done(),
		gone:   t.gone.done(),
		owners: t.owners.done(),
		cards:  t.cards.done(),
		list:   t.list.done(),
		loc:    &location{},
		digest: t.digest,
	}
	s.setListLength()
	t.ix.cur.Store(s)
	return s
}
