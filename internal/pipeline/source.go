package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registryclient"
)

// Source is one origin of the mapping's inputs (mapping.Inputs): a model
// registry answers a mapping.RegistrySnapshot, the InferenceService watch
// the []mapping.Server, the catalog the mapping.CatalogCards. Read answers
// what exists now, or an error; the policies (policy.go) wrap it.
type Source[T any] interface {
	Read(ctx context.Context) (T, error)
}

// SourceFunc is a function that is a Source.
type SourceFunc[T any] func(ctx context.Context) (T, error)

// Read calls f.
func (f SourceFunc[T]) Read(ctx context.Context) (T, error) { return f(ctx) }

// health is what Sync knows of a source between syncs, for its log lines,
// metrics and readiness: whether it fails now and since when it is good.
type health struct {
	name      string
	failing   bool
	lastError string
	lastGood  time.Time
}

// registry is one model registry found by discovery: its snapshots, with
// an empty one confirmed and the last good one kept.
type registry struct {
	health
	endpoint discovery.Endpoint
	reader   RegistryReader
	read     *KeepLastGood[mapping.RegistrySnapshot]
	// fetched is the answer fetch got, which read's policies take on
	// commit: the HTTP reads run without the pipeline's lock, so that an
	// InferenceService event is not held up by a registry poll.
	fetched fetchedSnapshot
	// requests is how many HTTP requests the last fetch took.
	requests int
}

type fetchedSnapshot struct {
	snap *registryclient.Snapshot
	err  error
}

func newRegistry(ep discovery.Endpoint, reader RegistryReader, emptyConfirmations int) *registry {
	r := &registry{health: health{name: "registry " + ep.URL}, endpoint: ep, reader: reader}
	snapshots := SourceFunc[mapping.RegistrySnapshot](func(context.Context) (mapping.RegistrySnapshot, error) {
		f := r.fetched
		r.fetched = fetchedSnapshot{}
		if f.err != nil {
			return mapping.RegistrySnapshot{}, f.err
		}
		if f.snap == nil {
			return mapping.RegistrySnapshot{}, errors.New("registry not fetched")
		}
		in := f.snap.RegistrySnapshot
		in.Name = ep.Name
		return in, nil
	})
	r.read = NewKeepLastGood[mapping.RegistrySnapshot](NewConfirmEmpty(snapshots, noModels, emptyConfirmations))
	return r
}

// fetch reads the registry over HTTP; it touches nothing the pipeline's
// lock guards but r.fetched and r.requests, which only the poll uses.
func (r *registry) fetch(ctx context.Context) {
	snap, err := r.reader.Snapshot(ctx)
	r.fetched = fetchedSnapshot{snap: snap, err: err}
	r.requests = 0
	if snap != nil {
		r.requests = snap.Requests
	}
}

func noModels(s mapping.RegistrySnapshot) bool { return len(s.RegisteredModels) == 0 }

// servers is the InferenceService watch, its last good list kept.
type servers struct {
	health
	read *KeepLastGood[[]mapping.Server]
}

func newServers(lister ServerLister) *servers {
	return &servers{health: health{name: "kserve"}, read: NewKeepLastGood[[]mapping.Server](SourceFunc[[]mapping.Server](lister.Servers))}
}

// catalog is the model catalog found by discovery.
type catalog struct {
	health
	endpoint discovery.Endpoint
	read     *cardSource
}

// cardSource reads the model card of every catalog model the registries
// reference (refs). It is its own keep-last-good policy, model by model: a
// card it cannot read now stays as read before, so one failing model does
// not hold back the new cards of the others. Read answers every card it has
// and the first error.
type cardSource struct {
	reader CardReader
	refs   func() map[mapping.CatalogModelRef]bool
	cards  mapping.CatalogCards
	// version counts the reads whose cards differed from the read before.
	version uint64
}

// Read reads the cards; see cardSource.
func (c *cardSource) Read(ctx context.Context) (mapping.CatalogCards, error) {
	cards, err := c.fetch(ctx, c.refs(), c.cards)
	c.commit(cards)
	return cards, err
}

// fetch reads the card of each of refs, keeping old's card of a model that
// cannot be read now. It changes nothing, so it runs without the
// pipeline's lock.
func (c *cardSource) fetch(ctx context.Context, refs map[mapping.CatalogModelRef]bool, old mapping.CatalogCards) (mapping.CatalogCards, error) {
	cards := mapping.CatalogCards{}
	var firstErr error
	for ref := range refs {
		readme, ok, err := c.reader.Card(ctx, ref.SourceID, ref.Name)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("model %s/%s: %w", ref.SourceID, ref.Name, err)
			}
			if card, had := old[ref]; had {
				cards[ref] = card
			}
			continue
		}
		if ok {
			cards[ref] = readme
		}
	}
	return cards, firstErr
}

// commit takes a fetch's cards as the current ones.
func (c *cardSource) commit(cards mapping.CatalogCards) {
	if !sameCards(c.cards, cards) {
		c.version++
	}
	c.cards = cards
}

func sameCards(a, b mapping.CatalogCards) bool {
	if len(a) != len(b) {
		return false
	}
	for ref, card := range b {
		if old, ok := a[ref]; !ok || old != card {
			return false
		}
	}
	return true
}
