// Package index holds what location serves: every record's document, the
// sorted URI list and the model cards, as immutable snapshots. One writer
// path builds each new snapshot by copying only what a write touches and
// publishes it atomically; readers never lock.
package index

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// Outcome says what an upsert did.
type Outcome string

// Upsert outcomes; the first three are the record package's wire values.
const (
	Created   Outcome = record.UpsertCreated
	Updated   Outcome = record.UpsertUpdated
	Unchanged Outcome = record.UpsertUnchanged
	// Ignored: the record is older than the one held.
	Ignored Outcome = "ignored"
)

// UpsertResult is what Upsert did, and for Ignored the timestamp held.
type UpsertResult struct {
	Outcome Outcome
	Held    record.Epoch
}

// LoadResult counts what a load from storage-rest changed.
type LoadResult struct {
	Added, Updated, Removed, Unchanged int
	// Kept counts keys written or removed by a forward while the load was
	// in flight, where the forward was at least as new as the load.
	Kept int
	// Invalid lists records storage-rest holds that cannot be served.
	Invalid []error
	// Records is the number of records listed after the load.
	Records int
}

// Options configures an Index.
type Options struct {
	// Format is the document format (NORMALIZER_FORMAT): the file name
	// ending each URI and the media type documents are served as. Empty
	// means record.JSONArrayFormat.
	Format record.Format
	// RemovedGrace is how long a removed document stays retrievable (but
	// unlisted), so that a reader that listed it just before its removal
	// does not get a 404 that would fail its whole poll. Zero disables it.
	RemovedGrace time.Duration
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
}

// Index is the current snapshot plus the single writer path.
type Index struct {
	opts Options
	cur  atomic.Pointer[Snapshot]

	loadMu sync.Mutex // one load at a time

	mu sync.Mutex // the writer path; guards everything below
	// touched holds keys written or removed while a load is in flight (nil
	// otherwise), so that the load does not undo them with older state.
	touched map[string]struct{}
	// expiries lists removed documents in removal order, to drop them from
	// the snapshot once their grace period is over.
	expiries []expiry
}

type expiry struct {
	key string
	at  time.Time
}

// New returns an empty index, not loaded yet.
func New(o Options) *Index {
	if o.Format == "" {
		o.Format = record.JSONArrayFormat
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	seed := maphash.MakeSeed()
	s := &Snapshot{
		format: o.Format,
		now:    o.Now,
		docs:   newPmap[*Document](seed),
		gone:   newPmap[removed](seed),
		owners: newPmap[[]string](seed),
		cards:  newPmap[*Card](seed),
		list:   newURIList(nil),
		loc:    &location{},
	}
	s.setListLength()
	ix := &Index{opts: o}
	ix.cur.Store(s)
	return ix
}

// Snapshot returns the current state; it never changes.
func (ix *Index) Snapshot() *Snapshot { return ix.cur.Load() }

// Upsert stores rec under key unless the record held is newer. An invalid
// key or record is refused with an error wrapping record.ErrInvalidKey or
// ErrInvalidRecord, and nothing changes.
func (ix *Index) Upsert(key string, rec record.Record) (UpsertResult, error) {
	if err := Validate(ix.opts.Format, key, &rec); err != nil {
		return UpsertResult{}, err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.touch(key)
	t := ix.begin()
	res := t.put(key, rec, false)
	t.commit()
	return res, nil
}

// KeyedRecord is one record of UpsertMany.
type KeyedRecord struct {
	Key    string
	Record record.Record
}

// UpsertMany is Upsert for several records at once, in order, answered at
// their index: an invalid one is refused alone (its error), the others are
// applied. They are published in one snapshot, so readers see all of them
// or none, and the index is rebuilt once instead of once per record, which
// at 10,000 records held is 50 to 75 µs each.
func (ix *Index) UpsertMany(recs []KeyedRecord) ([]UpsertResult, []error) {
	results, errs := make([]UpsertResult, len(recs)), make([]error, len(recs))
	for i := range recs {
		errs[i] = Validate(ix.opts.Format, recs[i].Key, &recs[i].Record)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	t := ix.begin()
	for i := range recs {
		if errs[i] != nil {
			continue
		}
		ix.touch(recs[i].Key)
		results[i] = t.put(recs[i].Key, recs[i].Record, false)
	}
	t.commit()
	return results, errs
}

// Remove drops key; it reports whether the key was held.
func (ix *Index) Remove(key string) (bool, error) {
	if err := record.ValidateKey(key); err != nil {
		return false, err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.touch(key)
	t := ix.begin()
	removed := t.del(key)
	t.commit()
	return removed, nil
}

func (ix *Index) touch(key string) {
	if ix.touched != nil {
		ix.touched[key] = struct{}{}
	}
}

// Stream calls yield with every record storage-rest holds, as its answer
// arrives (storageclient.Client.EachRecord); an error yield returns stops
// it and is what it returns.
type Stream func(ctx context.Context, yield func(key string, rec record.Record) error) error

// Load replaces the index content with what stream yields (every record
// storage-rest holds), in one snapshot, and marks the index loaded. Writes
// that arrive while it streams are kept when they are at least as new as
// what it yielded for their key. Only differences are applied: a load that
// changes nothing publishes nothing new. A record the index already holds
// as it is, timestamp included, is let go as soon as it is read, so that a
// periodic reload of 90,000 records does not hold a second copy of them.
func (ix *Index) Load(ctx context.Context, stream Stream) (LoadResult, error) {
	ix.loadMu.Lock()
	defer ix.loadMu.Unlock()

	ix.mu.Lock()
	ix.touched = map[string]struct{}{}
	ix.mu.Unlock()

	var res LoadResult
	stored := map[string]struct{}{} // every key storage-rest holds
	invalid := map[string]struct{}{}
	changed := map[string]record.Record{}
	rendered := map[string]prerendered{}
	// Outside the writer lock: forwards go on meanwhile. New bodies have
	// their entities checked here too (a forward that changes a body
	// meanwhile has put check its own).
	cur := ix.Snapshot()
	err := stream(ctx, func(key string, rec record.Record) error {
		stored[key] = struct{}{}
		if err := Validate(ix.opts.Format, key, &rec); err != nil {
			res.Invalid = append(res.Invalid, fmt.Errorf("not serving a record storage-rest holds: %w", err))
			invalid[key] = struct{}{}
			return nil
		}
		held, ok := cur.docs.get(key)
		if ok && held.updated == rec.LastUpdateTimeSinceEpoch && held.sameContent(&rec) {
			res.Unchanged++
			return nil
		}
		changed[key] = rec
		if ix.opts.Format == record.JSONArrayFormat && (!ok || !bytes.Equal(held.Body, rec.Body)) {
			rendered[key] = prerendered{body: rec.Body, ents: newEntities(ix.opts.Format, rec.Body)}
		}
		return nil
	})

	ix.mu.Lock()
	defer ix.mu.Unlock()
	touched := ix.touched
	ix.touched = nil
	if err != nil {
		return LoadResult{}, err
	}

	t := ix.begin()
	t.rendered = rendered
	for key, rec := range changed {
		if _, ok := touched[key]; ok {
			held, had := t.docs.get(key)
			if !had || rec.LastUpdateTimeSinceEpoch <= held.updated {
				res.Kept++
				continue
			}
		}
		switch t.put(key, rec, true).Outcome {
		case Created:
			res.Added++
		case Updated:
			res.Updated++
		default:
			res.Unchanged++
		}
	}
	for key := range t.base.docs.all() {
		_, isStored := stored[key]
		_, bad := invalid[key]
		if isStored && !bad {
			continue
		}
		if _, ok := touched[key]; ok {
			res.Kept++
			continue
		}
		t.del(key)
		res.Removed++
	}
	t.loaded = true
	s := t.commit()
	res.Records = s.Len()
	return res, nil
}

// begin starts a write on top of the current snapshot; ix.mu must be held.
func (ix *Index) begin() *txn {
	base := ix.cur.Load()
	return &txn{
		ix:       ix,
		base:     base,
		loaded:   base.loaded,
		now:      ix.opts.Now(),
		docs:     base.docs.edit(),
		gone:     base.gone.edit(),
		owners:   base.owners.edit(),
		cards:    base.cards.edit(),
		list:     base.list.edit(),
		digest:   base.digest,
		cardKeys: map[string]struct{}{},
	}
}
