package pipeline

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/maphash"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registryclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// Discoverer finds the registries and the catalog (internal/discovery).
type Discoverer interface {
	Discover(ctx context.Context) (discovery.Result, error)
}

// ServerLister lists the KServe InferenceServices with their facts
// (internal/kserve). ErrServersNotReady means "no answer yet" (CRD not
// installed or cache not synced): the last good answer is kept.
type ServerLister interface {
	Servers(ctx context.Context) ([]mapping.Server, error)
}

// ErrServersNotReady is returned by a ServerLister that cannot answer yet.
var ErrServersNotReady = errors.New("InferenceService watch not ready")

// RegistryReader reads one model registry (internal/registryclient).
type RegistryReader interface {
	Snapshot(ctx context.Context) (*registryclient.Snapshot, error)
}

// CardReader returns the model card of a catalog model; ok false when the
// catalog has none.
type CardReader interface {
	Card(ctx context.Context, sourceID, name string) (readme string, ok bool, err error)
}

// Store is storage-rest (pkg/storageclient).
type Store interface {
	Records(ctx context.Context) (map[string]record.Record, error)
	// Digest summarizes what is stored (record.Digest), for a cheap check
	// that nobody else changed it.
	Digest(ctx context.Context) (string, error)
	Upsert(ctx context.Context, key, typ string, rec *record.Record) (*record.UpsertResult, error)
	// UpsertBatch stores several records with one request; a storage-rest
	// without it answers an error whose StatusCode() is 404.
	UpsertBatch(ctx context.Context, items []record.BatchItem) ([]record.BatchItemResult, error)
	// Remove deletes one record (an absent key is not an error).
	Remove(ctx context.Context, key string) error
	CurrentKeySet(ctx context.Context, keys []string) ([]string, error)
}

// Config wires a Pipeline.
type Config struct {
	Discoverer Discoverer
	// Servers is nil when the InferenceService watch is not set up.
	Servers ServerLister
	// NewRegistry returns the reader of the registry at an endpoint.
	NewRegistry func(discovery.Endpoint) RegistryReader
	// NewCatalog returns the card reader of the catalog at an endpoint.
	NewCatalog func(discovery.Endpoint) CardReader
	Store      Store
	Options    mapping.Options
	Log        logr.Logger
	Metrics    *Metrics
	// StoreResync is how often the stored state is re-read from
	// storage-rest even when its digest says nothing changed (default 10m).
	// Every sync compares the digest, so a hand edit or a record no source
	// produces is put right by the next sync.
	StoreResync time.Duration
	// Concurrency is how many single upserts are in flight at once, to a
	// storage-rest without the batch API (DefaultConcurrency).
	Concurrency int
	// EmptyConfirmations is how many consecutive syncs a registry that held
	// models must answer "no models" before that is believed (default 3).
	EmptyConfirmations int
	Now                func() time.Time
}

// Pipeline runs syncs; Sync is safe to call from one goroutine at a time
// (the Runner serializes them).
type Pipeline struct {
	cfg Config

	// pollMu serializes polls (discovery, registries, catalog). A poll's
	// HTTP reads run without mu, so that an InferenceService event is
	// published while a registry is being read; each answer is taken
	// under mu.
	pollMu sync.Mutex
	mu     sync.Mutex // guards everything below
	// registries by URL.
	registries map[string]*registry
	catalog    *catalog // nil when there is none
	servers    *servers // nil when the InferenceService watch is not set up
	stored     storedState
	// problems are the mapping problems of the last build, by a hash of
	// their text (reportProblems); the texts themselves were megabytes at
	// 10,000 models.
	problems    map[uint64]bool
	problemSeed maphash.Seed
	memo        buildMemo
	delta       partialMapping
	// documents remembers what each registry version's record came to, so
	// that a build encodes only the versions whose inputs changed.
	documents *mapping.Cache
	// discovered: the last discovery answered (removals wait otherwise).
	discovered bool
	// singleWrites: storage-rest has no batch API.
	singleWrites atomic.Bool
}

// Result is what one sync did.
type Result struct {
	Desired  int
	Upserted int
	Removed  int
	Failed   int
	// Refused counts records storage-rest answered 400 or 413 for: they
	// can never be stored as they are, so they do not hold readiness back.
	Refused  int
	Problems int
	Removals bool // whether removals were allowed
	// Rebuilt says the documents were built; false when the inputs and
	// storage-rest were as the last sync left them (buildMemo).
	Rebuilt bool
	// Partial says only what changed was mapped: InferenceServices, or
	// registry versions (partialMapping).
	Partial   bool
	Duration  time.Duration
	Requests  int // registry HTTP requests
	Unhealthy []string
}

// Complete reports whether the sync stored every record that can be
// stored: nothing failed but records storage-rest refused as invalid.
func (r Result) Complete() bool { return r.Failed == r.Refused }

// DefaultConcurrency is how many single upserts are in flight at once when
// storage-rest has no batch API. storage-rest folds the writes waiting for
// a ConfigMap into one update, which rewrites the whole ConfigMap (up to
// 1 MiB) in etcd: with 8 in flight a first sync of 10,000 models wrote
// 2.3 GiB into etcd, past its default 2 GiB quota; 64 makes each update
// carry up to 64 records (docs/benchmarks.md). Batches do far better.
const DefaultConcurrency = 64

// New returns a pipeline.
func New(cfg Config) *Pipeline {
	if cfg.StoreResync <= 0 {
		cfg.StoreResync = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.EmptyConfirmations <= 0 {
		cfg.EmptyConfirmations = 3
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	p := &Pipeline{
		cfg:         cfg,
		registries:  map[string]*registry{},
		problems:    map[uint64]bool{},
		problemSeed: maphash.MakeSeed(),
		documents:   mapping.NewCache(),
		stored:      storedState{store: cfg.Store, resync: cfg.StoreResync, now: cfg.Now, metrics: cfg.Metrics, log: cfg.Log},
	}
	if cfg.Servers != nil {
		p.servers = newServers(cfg.Servers)
	}
	return p
}

// Sync runs one full sync: discovery and every source. It returns an
// error only when nothing could be published (storage-rest unreachable);
// source failures are logged, counted and survived.
func (p *Pipeline) Sync(ctx context.Context) (Result, error) { return p.sync(ctx, true) }

// SyncServers runs a sync after an InferenceService event: it reads the
// InferenceService watch only and keeps every other source's last answer,
// so that a model server's change reaches RHDH without relisting the
// registries (which the next full sync does).
func (p *Pipeline) SyncServers(ctx context.Context) (Result, error) { return p.sync(ctx, false) }

func (p *Pipeline) sync(ctx context.Context, full bool) (Result, error) {
	start := p.cfg.Now()
	requests := 0
	if full {
		p.pollMu.Lock()
		defer p.pollMu.Unlock()
		requests = p.poll(ctx)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	res := Result{Requests: requests}
	log := p.cfg.Log

	discoveryOK := p.discovered
	p.readServers(ctx)

	in, opts := p.inputs(), p.cfg.Options
	opts.Cache = p.documents
	dashboard := ""
	if opts.DashboardURL != nil {
		dashboard = opts.DashboardURL() // once per sync, for the key and the mapping alike
		opts.DashboardURL = func() string { return dashboard }
	}
	var cardsVersion uint64
	if p.catalog != nil {
		cardsVersion = p.catalog.read.version
	}
	base, baseKeyed := baseKey(in, cardsVersion, dashboard)
	frame := frameKey(in, cardsVersion, dashboard)
	servers, serversKeyed := serverKeys(in.Servers)
	key, keyed := inputsKey(base, servers), baseKeyed && serversKeyed
	var outputs []mapping.Output
	publish := func(desired int, problems []mapping.Problem) {
		p.reportProblems(problems)
		p.cfg.Metrics.setSkipped(p.skippedCounts(problems))
		res.Desired, res.Problems, res.Rebuilt = desired, len(problems), true
		p.cfg.Metrics.published.Set(float64(desired))
	}
	build := func() {
		var problems []mapping.Problem
		var ix *mapping.Index
		outputs, problems, ix = mapping.BuildIndexed(in, opts)
		p.delta.forget()
		if keyed {
			p.delta.reset(ix, base, frame, servers)
		}
		publish(len(outputs), problems)
	}
	skip := p.memo.skip(key, keyed)
	var delta *mapping.Delta
	if !skip && keyed && p.memo.valid {
		// Only InferenceServices changed since a clean sync: map those
		// (a full sync too, when the registries answered the same).
		d, ok := p.delta.rebuild(base, in.Servers, servers)
		if !ok {
			// Or only registries changed, and their clients say what.
			d, ok = p.delta.rebuildRegistries(base, frame, in, servers)
		}
		if ok {
			delta = &d
			publish(d.Desired, d.Problems)
			res.Partial = true
		}
	}
	if !skip && delta == nil {
		build()
	}

	reread, err := p.stored.refresh(ctx)
	if err != nil {
		p.memo.forget()
		p.delta.forget()
		res.Duration = p.cfg.Now().Sub(start)
		p.cfg.Metrics.observeSync(res.Duration, "store_error")
		return res, err
	}
	res.Removals = removalsAllowed(discoveryOK, p.answered()...)
	res.Unhealthy = p.unhealthy()
	if (skip || delta != nil) && reread {
		// Someone else changed what storage-rest holds: put it right.
		skip, delta, res.Partial = false, nil, false
		build()
	}
	if skip {
		res.Desired, res.Problems = p.memo.desired, p.memo.problems
		return p.done(res, start), nil
	}
	if delta != nil {
		return p.publishDelta(ctx, res, *delta, key, start), nil
	}
	plan := MakePlan(outputs, p.stored.hashes)
	if len(plan.Stale) > 0 {
		// storage-rest does not hold what the last build made for some
		// records whose inputs did not change (a write that failed, or
		// someone else's): build them all again, with their bodies.
		log.V(1).Info("records built unchanged are not stored as built; building every record again", "stale", len(plan.Stale), "example", plan.Stale[0])
		p.documents.Forget()
		build()
		plan = MakePlan(outputs, p.stored.hashes)
	}

	res.Upserted, res.Failed, res.Refused = p.upsert(ctx, plan.Upserts)
	if len(plan.Removals) > 0 {
		if !res.Removals {
			log.Info("not removing records while a source has not answered yet or discovery failed; they stay published until it does",
				"pending", len(plan.Removals), "unhealthy", res.Unhealthy)
		} else if removed, err := p.cfg.Store.CurrentKeySet(ctx, plan.Keys); err != nil {
			res.Failed++
			p.cfg.Metrics.storeCalls.WithLabelValues("currentkeyset", "error").Inc()
			log.Error(err, "removing records from storage-rest failed; retrying on the next sync", "keys", plan.Removals)
			p.stored.invalidate()
		} else {
			p.cfg.Metrics.storeCalls.WithLabelValues("currentkeyset", "ok").Inc()
			// Everything outside plan.Keys is gone now: what we planned
			// to remove, and whatever else storage-rest held.
			for _, k := range append(plan.Removals, removed...) {
				p.stored.forget(k)
			}
			res.Removed = len(removed)
			log.Info("removed records that no longer exist in any source", "keys", removed)
		}
	}
	clean := res.Failed == 0 && (len(plan.Removals) == 0 || res.Removals)
	p.memo.remember(key, keyed, clean, res.Desired, res.Problems)
	return p.done(res, start), nil
}

// publishDelta stores what an InferenceService event changed (d) and
// removes the records it no longer builds.
func (p *Pipeline) publishDelta(ctx context.Context, res Result, d mapping.Delta, key [sha256.Size]byte, start time.Time) Result {
	var upserts []mapping.Output
	for i := range d.Outputs {
		if cur, ok := p.stored.hashes[d.Outputs[i].Key]; !ok || cur != d.Outputs[i].RecordHash() {
			upserts = append(upserts, d.Outputs[i])
		}
	}
	var removals []string
	for _, k := range d.Removed {
		if _, ok := p.stored.hashes[k]; ok {
			removals = append(removals, k)
		}
	}
	res.Upserted, res.Failed, res.Refused = p.upsert(ctx, upserts)
	switch {
	case len(removals) == 0:
	case !res.Removals:
		p.cfg.Log.Info("not removing records while a source has not answered yet or discovery failed; they stay published until it does",
			"pending", len(removals), "unhealthy", res.Unhealthy)
	default:
		var removed []string
		for _, k := range removals {
			if err := p.cfg.Store.Remove(ctx, k); err != nil {
				res.Failed++
				p.cfg.Metrics.storeCalls.WithLabelValues("remove", "error").Inc()
				p.cfg.Log.Error(err, "removing a record from storage-rest failed; retrying on the next sync", "key", k)
				p.stored.invalidate()
				continue
			}
			p.cfg.Metrics.storeCalls.WithLabelValues("remove", "ok").Inc()
			p.stored.forget(k)
			removed = append(removed, k)
		}
		res.Removed = len(removed)
		if len(removed) > 0 {
			p.cfg.Log.Info("removed records that no longer exist in any source", "keys", removed)
		}
	}
	clean := res.Failed == 0 && (len(removals) == 0 || res.Removals)
	p.memo.remember(key, true, clean, res.Desired, res.Problems)
	return p.done(res, start)
}

// done records the sync's duration and outcome and logs it.
func (p *Pipeline) done(res Result, start time.Time) Result {
	res.Duration = p.cfg.Now().Sub(start)
	outcome := "ok"
	if res.Failed > 0 {
		outcome = "store_error"
	} else if len(res.Unhealthy) > 0 {
		outcome = "degraded"
	}
	p.cfg.Metrics.observeSync(res.Duration, outcome)
	if res.Upserted > 0 || res.Removed > 0 || res.Failed > 0 {
		p.cfg.Log.Info("sync done", "desired", res.Desired, "upserted", res.Upserted, "removed", res.Removed,
			"failed", res.Failed, "refused", res.Refused, "partial", res.Partial, "durationMs", res.Duration.Milliseconds(), "registryRequests", res.Requests)
	} else {
		p.cfg.Log.V(1).Info("sync done, nothing changed", "desired", res.Desired, "rebuilt", res.Rebuilt, "durationMs", res.Duration.Milliseconds())
	}
	return res
}

// upsert sends the changed records (write) and mirrors what was stored.
// Refused records (400, 413: the record itself is the problem) are counted
// apart from failed ones (storage-rest or the API server unavailable),
// which a later sync will store.
func (p *Pipeline) upsert(ctx context.Context, outs []mapping.Output) (ok, failed, refused int) {
	now := record.Epoch(p.cfg.Now().UnixMilli())
	items := make([]record.BatchItem, len(outs))
	for i, o := range outs {
		items[i] = record.BatchItem{Key: o.Key, Type: o.Type, Record: o.Record()}
		items[i].Record.LastUpdateTimeSinceEpoch = now
	}
	for r := range p.write(ctx, items) {
		if r.err != nil {
			failed++
			if isRefusal(r.err) {
				refused++
			}
			p.cfg.Metrics.storeCalls.WithLabelValues("upsert", "error").Inc()
			p.cfg.Log.Error(r.err, "storing a record in storage-rest failed; retrying on the next sync", "key", r.item.Key)
			p.stored.invalidate()
			continue
		}
		p.cfg.Metrics.storeCalls.WithLabelValues("upsert", "ok").Inc()
		p.stored.remember(r.item.Key, &r.item.Record)
		ok++
	}
	return ok, failed, refused
}

// Batches of POST /upsertbatch: about a ConfigMap's worth of records each
// (a ConfigMap holds 1 MiB), two in flight, so that storage-rest plans
// whole ConfigMaps at once and a first publish writes each about once.
const (
	batchBytes       = 1 << 20
	batchRecords     = 1000
	batchesInFlight  = 2
	batchItemJSONPad = 256 // key, type, timestamps and JSON punctuation
)

type writeResult struct {
	item *record.BatchItem
	err  error
}

// write sends items to storage-rest, in batches while it takes them (a
// storage-rest older than POST /upsertbatch answers 404: then one by one,
// Config.Concurrency at a time), and yields each item's outcome.
func (p *Pipeline) write(ctx context.Context, items []record.BatchItem) <-chan writeResult {
	out := make(chan writeResult)
	batches := make(chan []record.BatchItem)
	go func() {
		defer close(batches)
		for start := 0; start < len(items); {
			end, size := start, 0
			for end < len(items) && end-start < batchRecords {
				n := base64Len(len(items[end].Record.Body)) + len(items[end].Record.ModelCard) + len(items[end].Key) + batchItemJSONPad
				if end > start && size+n > batchBytes {
					break
				}
				size += n
				end++
			}
			batches <- items[start:end]
			start = end
		}
	}()
	var wg sync.WaitGroup
	for range batchesInFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				p.writeBatch(ctx, b, out)
			}
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// writeBatch sends one batch, or its items one by one to a storage-rest
// without the batch API.
func (p *Pipeline) writeBatch(ctx context.Context, b []record.BatchItem, out chan<- writeResult) {
	if !p.singleWrites.Load() {
		res, err := p.cfg.Store.UpsertBatch(ctx, b)
		var se interface{ StatusCode() int }
		switch {
		case err == nil:
			for i := range b {
				var ierr error
				if res[i].Error != "" || res[i].Code != 0 {
					ierr = &itemError{code: res[i].Code, msg: res[i].Error}
				}
				out <- writeResult{item: &b[i], err: ierr}
			}
			return
		case errors.As(err, &se) && se.StatusCode() == http.StatusNotFound:
			p.cfg.Log.Info("storage-rest has no batch API (POST /upsertbatch); sending records one by one. Update the storage-rest sidecar to the normalizer's version")
			p.singleWrites.Store(true)
		default:
			for i := range b {
				out <- writeResult{item: &b[i], err: fmt.Errorf("batch of %d records: %w", len(b), err)}
			}
			return
		}
	}
	work := make(chan *record.BatchItem)
	var wg sync.WaitGroup
	for range min(p.cfg.Concurrency, len(b)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				_, err := p.cfg.Store.Upsert(ctx, it.Key, it.Type, &it.Record)
				out <- writeResult{item: it, err: err}
			}
		}()
	}
	for i := range b {
		work <- &b[i]
	}
	close(work)
	wg.Wait()
}

func base64Len(n int) int { return (n + 2) / 3 * 4 }

// itemError is storage-rest's answer for one item of a batch.
type itemError struct {
	code int
	msg  string
}

func (e *itemError) Error() string   { return fmt.Sprintf("HTTP %d: %s", e.code, e.msg) }
func (e *itemError) StatusCode() int { return e.code }

// isRefusal reports whether storage-rest refused the record itself, which
// retrying cannot fix.
func isRefusal(err error) bool {
	var se interface{ StatusCode() int }
	if !errors.As(err, &se) {
		return false
	}
	return se.StatusCode() == http.StatusBadRequest || se.StatusCode() == http.StatusRequestEntityTooLarge
}

// poll reads discovery, the registries and the catalog. Their HTTP reads
// run without p.mu; each answer is taken under it. It returns how many
// registry requests that took.
func (p *Pipeline) poll(ctx context.Context) int {
	found, err := p.cfg.Discoverer.Discover(ctx)
	p.mu.Lock()
	p.discovered = p.discover(found, err)
	regs := make([]*registry, 0, len(p.registries))
	for _, r := range p.registries {
		regs = append(regs, r)
	}
	p.mu.Unlock()

	for _, r := range regs {
		r.fetch(ctx)
	}

	p.mu.Lock()
	requests := p.readRegistries(ctx, regs)
	cat := p.catalog
	var refs map[mapping.CatalogModelRef]bool
	var old mapping.CatalogCards
	if cat != nil {
		refs, old = p.catalogRefs(), cat.read.cards
	}
	p.mu.Unlock()

	if cat != nil {
		cards, err := cat.read.fetch(ctx, refs, old)
		p.mu.Lock()
		p.readCards(cat, cards, err)
		p.mu.Unlock()
	}
	return requests
}

// discover takes discovery's answer (r, err): on failure the endpoints
// found before stay.
func (p *Pipeline) discover(r discovery.Result, err error) bool {
	if err != nil {
		p.cfg.Metrics.sourceFailures.WithLabelValues("discovery").Inc()
		p.cfg.Log.Error(err, "discovering model registries failed; keeping the registries found before")
		return false
	}
	seen := map[string]bool{}
	for _, ep := range r.Registries {
		seen[ep.URL] = true
		if _, ok := p.registries[ep.URL]; !ok {
			p.cfg.Log.Info("found model registry", "name", ep.Name, "namespace", ep.Namespace, "url", ep.URL)
			p.registries[ep.URL] = newRegistry(ep, p.cfg.NewRegistry(ep), p.cfg.EmptyConfirmations)
		}
	}
	for u, rs := range p.registries {
		if !seen[u] {
			p.cfg.Log.Info("model registry is gone; its models will be removed", "url", u, "name", rs.endpoint.Name)
			p.cfg.Metrics.forgetSource(rs.name)
			delete(p.registries, u)
		}
	}
	switch {
	case r.Catalog == nil && p.catalog != nil:
		p.cfg.Log.Info("model catalog is gone; model cards will be dropped", "url", p.catalog.endpoint.URL)
		p.cfg.Metrics.forgetSource(p.catalog.name)
		p.catalog = nil
	case r.Catalog != nil && (p.catalog == nil || p.catalog.endpoint.URL != r.Catalog.URL):
		p.cfg.Log.Info("found model catalog", "name", r.Catalog.Name, "url", r.Catalog.URL)
		p.catalog = &catalog{
			health:   health{name: "catalog " + r.Catalog.URL},
			endpoint: *r.Catalog,
			read:     &cardSource{reader: p.cfg.NewCatalog(*r.Catalog), refs: p.catalogRefs},
		}
	}
	return true
}

// readRegistries takes what each registry's fetch read, through its
// policies, and returns how many HTTP requests the fetches took.
func (p *Pipeline) readRegistries(ctx context.Context, regs []*registry) int {
	requests := 0
	for _, r := range regs {
		prev, _ := r.read.Last()
		next, err := r.read.Read(ctx) // answers what fetch read: no I/O
		requests += r.requests
		var held *EmptyNotConfirmedError
		switch {
		case errors.As(err, &held):
			p.cfg.Metrics.suspiciousEmpty.WithLabelValues(r.name).Inc()
			p.cfg.Log.Info("model registry answered with no models after holding some; keeping its models until the empty answer is confirmed",
				"source", r.name, "emptyAnswers", held.Seen, "confirmationsNeeded", held.Needed, "previousModels", len(prev.RegisteredModels))
		case err != nil && !r.read.Answered():
			p.fail(&r.health, err, "model registry cannot be read and has not answered since the normalizer started: none of its models is published until it answers",
				"url", r.endpoint.URL, "name", r.endpoint.Name, "reason", string(mapping.ReasonRegistryUnreachable))
		case err != nil:
			p.fail(&r.health, err, "reading the model registry failed; keeping its last good answer, nothing of it is removed",
				"url", r.endpoint.URL, "name", r.endpoint.Name)
		default:
			if noModels(next) && !noModels(prev) {
				p.cfg.Log.Info("model registry confirmed it holds no models; removing its models", "source", r.name,
					"emptyAnswers", p.cfg.EmptyConfirmations, "previousModels", len(prev.RegisteredModels))
			}
			p.succeed(&r.health)
		}
	}
	return requests
}

func (p *Pipeline) readServers(ctx context.Context) {
	if p.servers == nil {
		return
	}
	_, err := p.servers.read.Read(ctx)
	switch {
	case errors.Is(err, ErrServersNotReady):
		// No answer yet: nothing to report.
	case err != nil:
		p.fail(&p.servers.health, err, "listing InferenceServices failed; keeping the last good list")
	default:
		p.succeed(&p.servers.health)
	}
}

// readCards takes the model cards fetched from catalog cat (with the
// fetch's first error). A failing catalog keeps the cards it gave before.
func (p *Pipeline) readCards(cat *catalog, cards mapping.CatalogCards, err error) {
	cat.read.commit(cards)
	if err != nil {
		p.fail(&cat.health, err, "reading model cards from the model catalog failed; keeping the cards read before")
		return
	}
	p.succeed(&cat.health)
}

// catalogRefs are the catalog models the registries' artifacts were
// registered from.
func (p *Pipeline) catalogRefs() map[mapping.CatalogModelRef]bool {
	refs := map[mapping.CatalogModelRef]bool{}
	for _, r := range p.registries {
		snap, _ := r.read.Last()
		for _, arts := range snap.VersionArtifacts {
			for _, a := range arts {
				if ref, ok := mapping.CatalogRefOf(a); ok {
					refs[ref] = true
				}
			}
		}
	}
	return refs
}

// inputs is what the sources answered, for the mapping: the registries in
// URL order, so that the mapping sees them in the same order every sync.
func (p *Pipeline) inputs() mapping.Inputs {
	in := mapping.Inputs{}
	urls := make([]string, 0, len(p.registries))
	for u := range p.registries {
		urls = append(urls, u)
	}
	sort.Strings(urls)
	for _, u := range urls {
		if snap, ok := p.registries[u].read.Last(); ok {
			in.Registries = append(in.Registries, snap)
		}
	}
	if p.servers != nil {
		in.Servers, _ = p.servers.read.Last()
	}
	if p.catalog != nil && p.catalog.read.cards != nil {
		in.ModelCard = p.catalog.read.cards.Lookup
	}
	return in
}

// fail records a failed read of source s and logs msg (with kv) when the
// failure starts or its error changes.
func (p *Pipeline) fail(s *health, err error, msg string, kv ...any) {
	p.cfg.Metrics.sourceFailures.WithLabelValues(s.name).Inc()
	if !s.failing || s.lastError != err.Error() {
		p.cfg.Log.Error(err, msg, append([]any{"source", s.name}, kv...)...)
	}
	s.failing, s.lastError = true, err.Error()
}

func (p *Pipeline) succeed(s *health) {
	if s.failing {
		p.cfg.Log.Info("source answers again", "source", s.name)
	}
	s.failing, s.lastError = false, ""
	s.lastGood = p.cfg.Now()
	p.cfg.Metrics.setLastGood(s.name, s.lastGood)
}

// answered tells, for every source removals wait for, whether it has
// answered at least once (removalsAllowed). The catalog is not one of
// them: it only adds model cards.
func (p *Pipeline) answered() []bool {
	out := make([]bool, 0, len(p.registries)+1)
	for _, r := range p.registries {
		out = append(out, r.read.Answered())
	}
	if p.servers != nil {
		out = append(out, p.servers.read.Answered())
	}
	return out
}

func (p *Pipeline) unhealthy() []string {
	var out []string
	for _, r := range p.registries {
		if r.failing || !r.read.Answered() {
			out = append(out, r.name)
		}
	}
	if p.catalog != nil && p.catalog.failing {
		out = append(out, p.catalog.name)
	}
	if p.servers != nil && (p.servers.failing || !p.servers.read.Answered()) {
		out = append(out, p.servers.name)
	}
	sort.Strings(out)
	return out
}

// Log messages of reportProblems: an object skipped (with its reason), and
// an object published with adjustments.
const (
	msgNotPublished = "object not published"
	msgAdjusted     = "metadata not published as given"
)

// reportProblems logs each mapping problem once while it persists: a
// problem gone for one sync and back is logged again. Problems are told
// apart by a 64-bit hash of their text: two that collide would cost one
// log line, never a record.
func (p *Pipeline) reportProblems(problems []mapping.Problem) {
	now := make(map[uint64]bool, len(problems))
	for _, pr := range problems {
		s := maphash.String(p.problemSeed, pr.String())
		now[s] = true
		if p.problems[s] {
			continue
		}
		if pr.Rejected {
			p.cfg.Log.Info(msgNotPublished, "reason", string(pr.Reason), "object", pr.Object, "field", pr.Field, "problem", pr.Message)
			if pr.Reason.Invalid() {
				p.cfg.Metrics.rejected.Inc()
			}
		} else {
			p.cfg.Log.Info(msgAdjusted, "object", pr.Object, "field", pr.Field, "problem", pr.Message)
			p.cfg.Metrics.adjusted.Inc()
		}
	}
	p.problems = now
}

// skippedCounts counts the objects not published by reason: the mapping's
// "not published" problems, and the registries that cannot be read and
// never were (their models are unknown, so registries are counted).
func (p *Pipeline) skippedCounts(problems []mapping.Problem) map[mapping.Reason]int {
	count := map[mapping.Reason]int{}
	for _, pr := range problems {
		if pr.Rejected {
			count[pr.Reason]++
		}
	}
	for _, r := range p.registries {
		if r.failing && !r.read.Answered() {
			count[mapping.ReasonRegistryUnreachable]++
		}
	}
	return count
}
