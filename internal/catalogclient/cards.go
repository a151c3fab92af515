package catalogclient

import (
	"context"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// DefaultCardTTL is how long a fetched card (or a 404) is reused. With the
// default 2m poll, an unchanged card costs one request every fifth sync.
const DefaultCardTTL = 10 * time.Minute

// CardOptions configure a CardFetcher.
type CardOptions struct {
	// TTL is how long an answer is reused; DefaultCardTTL when zero.
	TTL time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives refresh failures that were answered from the cache.
	Logger logr.Logger
}

// CardFetcher answers Model lookups from a cache keyed by (source, model
// name) so that a sync does not refetch every card every poll.
//
// Requests per sync: one per distinct (source, name) asked for whose cached
// answer is older than the TTL or absent; a 404 is cached like a card, so
// models without a card cost one request per TTL too. Within the TTL a sync
// costs nothing. When a refetched card carries the same
// lastUpdateTimeSinceEpoch as the cached one, the cached *Model is kept, so
// callers can tell "unchanged" by pointer or by that field.
//
// A failed refresh (timeout, 5xx, ...) of a key that has a cached answer
// returns the cached answer, logs the failure and retries on the next call;
// without a cached answer the error is returned. Entries nobody asked for
// during two TTLs are dropped. Safe for concurrent use.
type CardFetcher struct {
	client *Client
	ttl    time.Duration
	now    func() time.Time
	log    logr.Logger

	mu        sync.Mutex
	entries   map[cardKey]*cardEntry
	lastSweep time.Time
}

type cardKey struct{ source, name string }

type cardEntry struct {
	model   *Model // nil when the catalog answered 404
	fetched time.Time
	used    time.Time
}

// NewCardFetcher returns a fetcher reading through client.
func NewCardFetcher(client *Client, opts CardOptions) *CardFetcher {
	f := &CardFetcher{
		client:  client,
		ttl:     opts.TTL,
		now:     opts.Now,
		log:     opts.Logger,
		entries: map[cardKey]*cardEntry{},
	}
	if f.ttl <= 0 {
		f.ttl = DefaultCardTTL
	}
	if f.now == nil {
		f.now = time.Now
	}
	return f
}

// Card returns the catalog model sourceID/modelName (its Readme is the
// card), or a *NotFoundError when the catalog has none.
func (f *CardFetcher) Card(ctx context.Context, sourceID, modelName string) (*Model, error) {
	key := cardKey{sourceID, modelName}
	now := f.now()
	f.mu.Lock()
	f.sweepLocked(now)
	cached, ok := f.entries[key]
	var prev cardEntry
	if ok {
		cached.used = now
		prev = *cached
	}
	f.mu.Unlock()
	if ok && now.Sub(prev.fetched) < f.ttl {
		return prev.answer(f.client.URL(), key)
	}

	m, err := f.client.Model(ctx, sourceID, modelName)
	if err != nil && !IsNotFound(err) {
		if ok {
			f.log.Error(err, "refreshing a model card failed; using the copy fetched earlier, retrying on the next sync",
				"catalog", f.client.URL(), "source", sourceID, "model", modelName, "fetched", prev.fetched)
			return prev.answer(f.client.URL(), key)
		}
		return nil, err
	}
	if ok && m != nil && prev.model != nil && m.LastUpdateTimeSinceEpoch != "" &&
		m.LastUpdateTimeSinceEpoch == prev.model.LastUpdateTimeSinceEpoch {
		m = prev.model
	}
	f.mu.Lock()
	f.entries[key] = &cardEntry{model: m, fetched: now, used: now}
	f.mu.Unlock()
	if m == nil {
		return nil, err
	}
	return m, nil
}

// Len is the number of cached answers.
func (f *CardFetcher) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.entries)
}

func (e cardEntry) answer(catalogURL string, key cardKey) (*Model, error) {
	if e.model == nil {
		return nil, &NotFoundError{CatalogURL: catalogURL, SourceID: key.source, ModelName: key.name}
	}
	return e.model, nil
}

func (f *CardFetcher) sweepLocked(now time.Time) {
	if now.Sub(f.lastSweep) < f.ttl {
		return
	}
	f.lastSweep = now
	for k, e := range f.entries {
		if now.Sub(e.used) >= 2*f.ttl {
			delete(f.entries, k)
		}
	}
}
