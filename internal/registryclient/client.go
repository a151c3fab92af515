// Package registryclient reads a whole Kubeflow Model Registry
// (/api/model_registry/v1alpha3) into a Snapshot once per sync.
//
// Requests per Snapshot. The five top-level lists (registered_models,
// model_versions, model_artifacts, inference_services and
// serving_environments) are read with pageSize=P, orderBy=ID,
// sortOrder=ASC and nextPageToken, never one request per model:
//
//   - whole, ceil(n/P) requests each (at least one), on the first snapshot,
//     every LinkOptions.ListRefresh (10m by default), and on every poll of
//     a registry that does not filter (below);
//   - otherwise only what changed: the same request with filterQuery
//     "lastUpdateTimeSinceEpoch >= T", where T is 30 s before the newest
//     lastUpdateTimeSinceEpoch the list held, and the object of the
//     highest id (below), so two requests per list while the registry is
//     quiet. The registry stamps every change (its
//     API has no delete), so the answer holds every object created or
//     changed since, plus those changed within the 30 s, which are found
//     unchanged; the 30 s absorb a write committed after a later-stamped
//     one, or stamped by a replica whose clock is behind. The changed
//     objects replace or join the last snapshot's list, which is never
//     modified, and are what Snapshot.Changes names, so that a sync
//     need not compare the rest; the whole read every ListRefresh notices
//     anything else.
//     The object of the highest id, asked for with sortOrder=DESC and
//     pageSize=1, shows a registry emptied or restored from an older
//     backup, which is then read whole at once.
//
// A registry older than filterQuery (v0.3) refuses it (HTTP 400) or
// ignores it, which shows as objects older than asked for; the Client
// then reads that registry whole on every poll, as before, and logs it
// once.
//
// Snapshot.VersionArtifacts holds the connector's
// published versions (not ARCHIVED, registered model listed and not
// ARCHIVED) with their model artifacts. A ModelArtifact in the top-level
// list does not say which ModelVersion it belongs to (the spec has no
// modelVersionId or parent field on it); only the nested
// model_versions/{id}/artifacts?artifactType=model-artifact list does. The
// Client therefore remembers, across snapshots, which artifact ids each
// published version holds, and reads a version's nested list (ceil(a_v/P)
// requests, at least one) only:
//
//   - for a published version it has not read before (new, or published
//     again after being archived);
//   - for a version holding an artifact whose lastUpdateTimeSinceEpoch
//     moved, since the upsert that attaches an artifact elsewhere updates it;
//   - for every published version (a full refresh) on the first snapshot,
//     every LinkOptions.ArtifactRefresh (10m by default), and whenever the
//     top-level list holds an artifact the reads above cannot place: a new
//     artifact of an already-read version, or one that left a version. An
//     artifact a full refresh finds in no published version (attached to
//     nothing, or to an archived version) is remembered as such until it
//     changes;
//   - never when the top-level list holds no model artifact.
//
// Artifact contents (uri, modelSource*, state) always come
// from this snapshot's top-level list; the nested lists only link them. With
// P=100, R registered models, V versions of which L are published, A
// artifacts, I inference services and S serving environments, a snapshot
// that reads the lists whole costs
//
//	requests = ceil(R/P) + ceil(V/P) + ceil(A/P) + ceil(I/P) + ceil(S/P)
//	         + sum over the versions read of ceil(a_v/P)
//
// and one that asks for changes costs two requests per list (and one
// more per further page of changes), plus the same nested lists. The versions read are none in a
// steady state, the new or changed ones after an ordinary change, and all
// L on a full refresh. So 1,000 models with one live version and one
// artifact each cost 10+10+10+1+1 = 32 requests per whole read, 10 per
// poll between them, and 1,032 on the first snapshot and every artifact
// refresh. The nested lists run LinkOptions.Concurrency at a time.
//
// Whole reads are cheap for the normalizer too: each top-level list keeps
// its pages from the last whole read by the SHA-256 of their bytes
// (jsonclient.PageMemo), and a page the registry sends again byte for
// byte is taken from there instead of being decoded; only the pages that
// changed cost JSON decoding.
//
// A Snapshot is all or nothing: any failed request (HTTP error, malformed
// JSON, timeout, paging that does not advance) fails it with an error that
// names the registry URL and the endpoint, so the caller keeps its last good
// state, and the remembered links stay as the last good snapshot left them.
// The lists are not all read at one instant, so a registry that changes
// during a sync can yield, for example, a version whose registered model is
// not in the snapshot, or an artifact that shows under its version only
// from the next sync; the next sync sees the registry settled. An artifact
// attached elsewhere without a change to its lastUpdateTimeSinceEpoch is
// seen at the next full refresh.
package registryclient

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/fieldhash"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/jsonclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/jsonclient/prommetrics"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
)

// APIPath is the REST API prefix under a registry's base URL.
const APIPath = "/api/model_registry/v1alpha3"

// DefaultConcurrency is how many nested artifact lists run at once.
const DefaultConcurrency = 4

// DefaultArtifactRefresh is how often a Client reads every published
// version's artifact list again, whatever it remembers.
const DefaultArtifactRefresh = 10 * time.Minute

// Metric endpoint names, one per endpoint a Snapshot reads.
const (
	EndpointRegisteredModels    = "registered_models"
	EndpointModelVersions       = "model_versions"
	EndpointModelArtifacts      = "model_artifacts"
	EndpointInferenceServices   = "inference_services"
	EndpointServingEnvironments = "serving_environments"
	EndpointVersionArtifacts    = "model_versions/{id}/artifacts"
)

// Metrics receives one observation per request (endpoint, outcome).
type Metrics = jsonclient.Metrics

// PrometheusMetrics counts requests into vec, whose remaining labels are
// endpoint and outcome (see prommetrics.NewRequestCounter).
func PrometheusMetrics(vec *prometheus.CounterVec) Metrics { return prommetrics.Counter(vec) }

// Options configure how a Client reaches the registry, what it counts and
// its page size; they mean what catalogclient.Options mean. The Logger
// also receives a summary line per snapshot (V(1)).
type Options = jsonclient.APIOptions

// LinkOptions tune how a Client reads the nested artifact lists that link
// artifacts to versions; the zero value holds the defaults.
type LinkOptions struct {
	// Concurrency bounds the nested artifact lists in flight;
	// DefaultConcurrency when zero.
	Concurrency int
	// ArtifactRefresh is the longest a Client trusts the version-artifact
	// links it remembers before it reads every published version's list
	// again; DefaultArtifactRefresh when zero, every snapshot when negative.
	ArtifactRefresh time.Duration
	// ListRefresh is the longest a Client goes on asking only for what
	// changed before it reads the top-level lists whole again, which is
	// what notices an object that left the registry without a trace;
	// DefaultListRefresh when zero, every snapshot when negative.
	ListRefresh time.Duration
}

// Client reads one model registry. It is safe for concurrent use;
// concurrent Snapshots do not share their work, and the last to finish
// leaves the links the next one starts from.
type Client struct {
	api         *jsonclient.Client
	pageSize    int
	concurrency int
	refresh     time.Duration
	now         func() time.Time
	log         logr.Logger

	listRefresh time.Duration

	mu     sync.Mutex
	links  *artifactLinks // from the last good snapshot
	filter filterSupport  // what the registry's filterQuery does
	last   lastSnapshot   // what the last good snapshot came to
	// commits counts the good snapshots. Each leaves its lists, links and
	// last at once, under mu, so a snapshot that finds it unchanged at its
	// end read all of them as the last one left them, and can say what
	// changed since (Snapshot.Changes).
	commits uint64

	// lists keep each top-level list of the last good snapshot, so that a
	// poll asks only for what changed since (or, without filterQuery,
	// decodes only the pages that changed).
	lists topLists
}

// lastSnapshot is what a snapshot whose five lists are the last one's
// would come to again: the last one's artifacts by version and Version.
type lastSnapshot struct {
	lists            [5][sha256.Size]byte
	versionArtifacts map[string][]*registrymodel.ModelArtifact
	version          string
}

// topLists are the five top-level lists.
type topLists struct {
	registeredModels    topList[registrymodel.RegisteredModel]
	modelVersions       topList[registrymodel.ModelVersion]
	modelArtifacts      topList[*registrymodel.ModelArtifact]
	inferenceServices   topList[registrymodel.InferenceService]
	servingEnvironments topList[registrymodel.ServingEnvironment]
}

func newTopLists() topLists {
	return topLists{
		registeredModels: topList[registrymodel.RegisteredModel]{endpoint: EndpointRegisteredModels,
			id:      func(x *registrymodel.RegisteredModel) string { return x.ID },
			updated: func(x *registrymodel.RegisteredModel) registrymodel.Epoch { return x.LastUpdateTimeSinceEpoch }},
		modelVersions: topList[registrymodel.ModelVersion]{endpoint: EndpointModelVersions,
			id:      func(x *registrymodel.ModelVersion) string { return x.ID },
			updated: func(x *registrymodel.ModelVersion) registrymodel.Epoch { return x.LastUpdateTimeSinceEpoch }},
		// Artifacts are kept by pointer: an artifact unchanged from one
		// poll to the next is the same object, so the VersionArtifacts of
		// versions a poll did not touch can be kept as they are.
		modelArtifacts: topList[*registrymodel.ModelArtifact]{endpoint: EndpointModelArtifacts,
			id: func(x **registrymodel.ModelArtifact) string {
				if *x == nil {
					return "" // a null item, dropped (withoutNil)
				}
				return (*x).ID
			},
			updated: func(x **registrymodel.ModelArtifact) registrymodel.Epoch {
				if *x == nil {
					return 0
				}
				return (*x).LastUpdateTimeSinceEpoch
			}},
		inferenceServices: topList[registrymodel.InferenceService]{endpoint: EndpointInferenceServices,
			id:      func(x *registrymodel.InferenceService) string { return x.ID },
			updated: func(x *registrymodel.InferenceService) registrymodel.Epoch { return x.LastUpdateTimeSinceEpoch }},
		servingEnvironments: topList[registrymodel.ServingEnvironment]{endpoint: EndpointServingEnvironments,
			id:      func(x *registrymodel.ServingEnvironment) string { return x.ID },
			updated: func(x *registrymodel.ServingEnvironment) registrymodel.Epoch { return x.LastUpdateTimeSinceEpoch }},
	}
}

// New returns a client for the registry at baseURL (for example
// https://modelregistry-public-rest.apps.example.com or
// http://127.0.0.1:8080) with the default LinkOptions. A bad URL or CA
// bundle is reported by Snapshot.
func New(baseURL string, opts Options) *Client {
	return NewWithLinks(baseURL, opts, LinkOptions{})
}

// NewWithLinks is New with the nested artifact lists tuned by links.
func NewWithLinks(baseURL string, opts Options, links LinkOptions) *Client {
	api, pageSize := jsonclient.NewAPI("model registry", baseURL, opts)
	c := &Client{
		api:         api,
		pageSize:    pageSize,
		concurrency: links.Concurrency,
		refresh:     links.ArtifactRefresh,
		now:         time.Now,
		listRefresh: links.ListRefresh,
		log:         opts.Logger,
		links:       &artifactLinks{},
		lists:       newTopLists(),
	}
	if c.concurrency <= 0 {
		c.concurrency = DefaultConcurrency
	}
	if c.refresh == 0 {
		c.refresh = DefaultArtifactRefresh
	}
	if c.listRefresh == 0 {
		c.listRefresh = DefaultListRefresh
	}
	return c
}

// URL is the registry's base URL.
func (c *Client) URL() string { return c.api.BaseURL() }

// Snapshot is everything a sync needs from one registry, in ID order: the
// mapping's input (mapping.RegistrySnapshot, its Name left to the caller,
// who knows what discovery called the registry) and what it took to read.
//
// mapping.RegistrySnapshot.VersionArtifacts maps a ModelVersion id to its
// model artifacts, for every published version (not ARCHIVED, registered
// model listed and not ARCHIVED), in ID order. A published version without
// artifacts maps to an empty slice; archived versions are absent. The
// artifacts point into ModelArtifacts, which the client's page memo also
// holds: read them, never change them.
//
// mapping.RegistrySnapshot.Changes is set when the five lists were merged
// from changes into those of the last good snapshot of the same Client
// (its Version is Changes.Since) and the artifacts were linked without
// reading every published version's list: the merges then know which
// objects they replaced or added, and a version's artifacts can differ
// only if its list was read or it holds a changed artifact, so a sync can
// map only those. Changes is nil otherwise (the first snapshot, a whole
// read, a full artifact refresh, or another snapshot of the Client
// finishing meanwhile): only comparing everything finds what left the
// registry or moved unstamped. When the lists did not change at all,
// Changes names nothing and Since is this snapshot's own Version.
type Snapshot struct {
	mapping.RegistrySnapshot
	// URL is the registry's base URL.
	URL string
	// ModelArtifacts is every model artifact of the registry, as listed;
	// the client links them to their versions (VersionArtifacts).
	ModelArtifacts []*registrymodel.ModelArtifact
	// Requests is how many HTTP requests the snapshot took.
	Requests int
	// VersionLists is how many versions' nested artifact lists were read.
	VersionLists int
	// PagesReused is how many top-level list pages came back byte for
	// byte as in the last snapshot and were not decoded again.
	PagesReused int
	// ChangesOnly says the registry was asked only for the objects changed
	// since the last snapshot, which it merged into.
	ChangesOnly bool
}

// Snapshot reads the whole registry; see the package documentation for the
// request count. It returns either a complete snapshot or an error, never
// a partial snapshot.
func (c *Client) Snapshot(ctx context.Context) (*Snapshot, error) {
	start := time.Now()
	var requests atomic.Int64
	count := func() { requests.Add(1) }
	s := &Snapshot{URL: c.URL()}

	l := &c.lists
	c.mu.Lock()
	filter, commits := c.filter, c.commits
	prevModels := l.registeredModels.current().items
	c.mu.Unlock()
	now := c.now()
	var (
		rms  listRead[registrymodel.RegisteredModel]
		mvs  listRead[registrymodel.ModelVersion]
		arts listRead[*registrymodel.ModelArtifact]
		iss  listRead[registrymodel.InferenceService]
		envs listRead[registrymodel.ServingEnvironment]
	)
	t, tctx := newTasks(ctx)
	t.run(l.registeredModels.read(tctx, c, filter, now, count, &rms))
	t.run(l.modelVersions.read(tctx, c, filter, now, count, &mvs))
	t.run(l.modelArtifacts.read(tctx, c, filter, now, count, &arts))
	t.run(l.inferenceServices.read(tctx, c, filter, now, count, &iss))
	t.run(l.servingEnvironments.read(tctx, c, filter, now, count, &envs))
	if err := t.wait(); err != nil {
		return nil, err
	}
	arts.state.items = withoutNil(arts.state.items)
	s.RegisteredModels, s.ModelVersions, s.ModelArtifacts = rms.state.items, mvs.state.items, arts.state.items
	s.InferenceServices, s.ServingEnvironments = iss.state.items, envs.state.items
	s.PagesReused = rms.reused + mvs.reused + arts.reused + iss.reused + envs.reused
	for _, f := range []filterSupport{rms.filter, mvs.filter, arts.filter, iss.filter, envs.filter} {
		filter = learned(filter, f)
	}
	s.ChangesOnly = !rms.whole && !mvs.whole && !arts.whole && !iss.whole && !envs.whole

	lists := [5][sha256.Size]byte{rms.state.digest, mvs.state.digest, arts.state.digest, iss.state.digest, envs.state.digest}
	c.mu.Lock()
	last, links, alone := c.last, c.links, c.commits == commits
	c.mu.Unlock()
	reuse := last.version != "" && last.lists == lists && !links.refreshDue(now, c.refresh)
	var linked linkedArtifacts
	relinked := false
	if !reuse && s.ChangesOnly && alone && last.version != "" && !links.refreshDue(now, c.refresh) {
		var err error
		if linked, relinked, err = c.linkChanges(ctx, s, last, links, prevModels, rms.changed, mvs.changed, arts.changed, count); err != nil {
			return nil, err
		}
	}
	switch {
	case reuse:
		// The registry answered no change: linking 100,000 versions to
		// their artifacts again would come to the same.
		s.VersionArtifacts, s.Version = last.versionArtifacts, last.version
	case relinked:
		s.Version = changedVersion(lists[:], last.version, linked.touched, s.VersionArtifacts)
	default:
		published := PublishedVersions(s.RegisteredModels, s.ModelVersions)
		var err error
		if linked, err = c.linkArtifacts(ctx, s, published, links, arts.changed, count); err != nil {
			return nil, err
		}
		if len(s.ModelArtifacts) == 0 && s.ChangesOnly && last.version != "" {
			// No list was read: a version published since shows only
			// as a new, empty entry.
			linked.touched = newEntries(published, last.versionArtifacts)
		}
		s.Version = snapshotVersion(lists[:], published, s.VersionArtifacts)
	}
	if s.ChangesOnly && last.version != "" && !linked.full {
		s.Changes = &mapping.RegistryChanges{
			Since:            last.version,
			RegisteredModels: rms.changed,
			ModelVersions:    mvs.changed,
			Artifacts:        linked.touched,
			Others:           len(iss.changed) > 0 || len(envs.changed) > 0,
		}
	}
	s.Requests = int(requests.Load())
	c.mu.Lock()
	if c.commits != commits {
		// Another snapshot left its lists or links while this one read:
		// these may have been merged into either.
		s.Changes = nil
	}
	c.commits++
	l.registeredModels.commit(&rms)
	l.modelVersions.commit(&mvs)
	l.modelArtifacts.commit(&arts)
	l.inferenceServices.commit(&iss)
	l.servingEnvironments.commit(&envs)
	if linked.links != nil {
		c.links = linked.links
	}
	if c.filter != filter && filter == filterMissing {
		c.log.Info("the model registry does not filter lists by lastUpdateTimeSinceEpoch (filterQuery, model registry v0.3 and later); every poll reads its lists whole",
			"url", s.URL)
	}
	c.filter = filter
	c.last = lastSnapshot{lists: lists, versionArtifacts: s.VersionArtifacts, version: s.Version}
	c.mu.Unlock()
	c.log.V(1).Info("model registry snapshot", "url", s.URL, "requests", s.Requests,
		"registeredModels", len(s.RegisteredModels), "modelVersions", len(s.ModelVersions),
		"modelArtifacts", len(s.ModelArtifacts), "inferenceServices", len(s.InferenceServices),
		"servingEnvironments", len(s.ServingEnvironments), "versionLists", s.VersionLists, "pagesReused", s.PagesReused,
		"changesOnly", s.ChangesOnly,
		"fullArtifactRefresh", linked.full, "changes", s.Changes != nil, "duration", time.Since(start))
	return s, nil
}

// linkedArtifacts is what linkArtifacts came to.
type linkedArtifacts struct {
	// links replace the Client's once the snapshot succeeds.
	links *artifactLinks
	// full says every published version's list was read.
	full bool
	// touched, unless full, holds the published versions whose artifacts
	// may differ from the last snapshot's (artifactLinks.touched).
	touched []string
}

// linkArtifacts fills s.VersionArtifacts and s.VersionLists, reading the
// nested lists of the published versions that links, the last good
// snapshot's, do not cover (see the package documentation). changed are
// the artifacts the top-level list's merge replaced or added.
func (c *Client) linkArtifacts(ctx context.Context, s *Snapshot, published []string, links *artifactLinks, changed []string, count func()) (linkedArtifacts, error) {
	now := c.now()
	read := map[string][]string{}
	top := stampsOf(s.ModelArtifacts)
	if len(s.ModelArtifacts) > 0 {
		if err := c.readVersionLists(ctx, links.toRead(published, top, now, c.refresh), read, count); err != nil {
			return linkedArtifacts{}, err
		}
	}
	next, unplaced := links.next(published, s.ModelArtifacts, top, read)
	if len(unplaced) > 0 && len(read) < len(published) {
		c.log.V(1).Info("model registry artifacts not placed by the remembered links; reading every published version's artifact list",
			"url", s.URL, "artifacts", len(unplaced), "example", unplaced[0])
		var rest []string
		for _, v := range published {
			if _, ok := read[v]; !ok {
				rest = append(rest, v)
			}
		}
		if err := c.readVersionLists(ctx, rest, read, count); err != nil {
			return linkedArtifacts{}, err
		}
		next, _ = links.next(published, s.ModelArtifacts, top, read)
	}
	full := len(read) == len(published) && len(s.ModelArtifacts) > 0
	next.lastFull = links.lastFull
	if full {
		next.lastFull = now
	}
	s.VersionArtifacts = next.group(published, s.ModelArtifacts)
	s.VersionLists = len(read)
	linked := linkedArtifacts{links: next, full: full}
	if !full {
		linked.touched = links.touched(next, read, changed, top)
	}
	return linked, nil
}

// linkChanges links the artifacts of a snapshot that merged the objects
// rms, mvs and arts (ids) into the last one's lists, from the last links
// and VersionArtifacts, reading only the nested lists the changes call for
// (artifactLinks.planChanges). ok is false when it cannot, and
// linkArtifacts must link everything.
func (c *Client) linkChanges(ctx context.Context, s *Snapshot, last lastSnapshot, links *artifactLinks, prevModels []registrymodel.RegisteredModel, rms, mvs, arts []string, count func()) (linkedArtifacts, bool, error) {
	plan, ok := links.planChanges(s, last.versionArtifacts, prevModels, rms, mvs, arts)
	if !ok {
		return linkedArtifacts{}, false, nil
	}
	read := map[string][]string{}
	if err := c.readVersionLists(ctx, plan.read, read, count); err != nil {
		return linkedArtifacts{}, false, err
	}
	next, va, touched, ok := links.applyChanges(plan, last.versionArtifacts, s.ModelArtifacts, read)
	if !ok {
		return linkedArtifacts{}, false, nil
	}
	s.VersionArtifacts, s.VersionLists = va, len(read)
	return linkedArtifacts{links: next, touched: touched}, true, nil
}

// changedVersion is the Version of a snapshot linked from the last one's
// (since): a hash of the lists' digests, since, and the entries it
// rebuilt. The same content reached another way has another Version,
// which only costs a rebuild.
func changedVersion(lists [][fieldhash.Size]byte, since string, touched []string, versionArtifacts map[string][]*registrymodel.ModelArtifact) string {
	h := fieldhash.New()
	for _, d := range lists {
		_, _ = h.Write(d[:])
	}
	h.String(since)
	for _, v := range touched {
		h.String(v)
		arts := versionArtifacts[v]
		h.Uint(uint64(len(arts)))
		for _, a := range arts {
			h.String(a.ID)
		}
	}
	sum := h.Sum()
	return hex.EncodeToString(sum[:])
}

// withoutNil returns arts without the nil items a list of "items":[null]
// decodes to: as they are when there is none.
func withoutNil(arts []*registrymodel.ModelArtifact) []*registrymodel.ModelArtifact {
	if !slices.Contains(arts, nil) {
		return arts
	}
	out := make([]*registrymodel.ModelArtifact, 0, len(arts))
	for _, a := range arts {
		if a != nil {
			out = append(out, a)
		}
	}
	return out
}

// newEntries returns the versions of published (in its order) that prev,
// the last snapshot's VersionArtifacts, has no entry for.
func newEntries(published []string, prev map[string][]*registrymodel.ModelArtifact) []string {
	var out []string
	for _, v := range published {
		if _, ok := prev[v]; !ok {
			out = append(out, v)
		}
	}
	return out
}

// readVersionLists reads the nested artifact list of each of versions,
// Concurrency at a time, into read (version id -> model artifact ids).
func (c *Client) readVersionLists(ctx context.Context, versions []string, read map[string][]string, count func()) error {
	t, tctx := newTasks(ctx)
	var mu sync.Mutex
	sem := make(chan struct{}, c.concurrency)
	for _, id := range versions {
		select {
		case sem <- struct{}{}:
		case <-tctx.Done():
		}
		if tctx.Err() != nil {
			break
		}
		t.run(func() error {
			defer func() { <-sem }()
			ids, err := c.versionArtifactIDs(tctx, id, count)
			if err != nil {
				return err
			}
			mu.Lock()
			read[id] = ids
			mu.Unlock()
			return nil
		})
	}
	if err := t.wait(); err != nil {
		return err
	}
	// A cancelled caller can stop the loop before any list fails.
	return ctx.Err()
}

func (c *Client) versionArtifactIDs(ctx context.Context, versionID string, count func()) ([]string, error) {
	items, err := jsonclient.ListAll(ctx, c.api, jsonclient.List{
		Endpoint: EndpointVersionArtifacts,
		Path:     APIPath + "/model_versions/" + url.PathEscape(versionID) + "/artifacts",
		Query: url.Values{
			"artifactType": {modelArtifactType},
			"orderBy":      {"ID"},
			"sortOrder":    {"ASC"},
		},
		PageSize:  c.pageSize,
		OnRequest: count,
	}, func(a *artifactItem) string { return a.id })
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(items))
	for _, it := range items {
		if it.isModel && it.id != "" {
			ids = append(ids, it.id)
		}
	}
	return ids, nil
}

// PublishedVersions returns, in input order, the ids of the versions the
// connector publishes: not ARCHIVED, and whose registered model is in
// models and not ARCHIVED. A missing state is LIVE, the spec's default.
func PublishedVersions(models []registrymodel.RegisteredModel, versions []registrymodel.ModelVersion) []string {
	live := make(map[string]bool, len(models))
	for i := range models {
		if models[i].State != registrymodel.StateArchived {
			live[models[i].ID] = true
		}
	}
	var ids []string
	for i := range versions {
		v := &versions[i]
		if v.ID == "" || v.State == registrymodel.StateArchived || !live[v.RegisteredModelID] {
			continue
		}
		ids = append(ids, v.ID)
	}
	return ids
}

// snapshotVersion is the Version of a snapshot: a hash of the pages of
// the five top-level lists as the registry sent them and of which
// artifacts belong to which published version (in the order of
// published, the versions' list order), which is all a snapshot is made
// of. Equal bytes make equal snapshots; a registry that sends the same
// content differently only costs a rebuild.
func snapshotVersion(lists [][fieldhash.Size]byte, published []string, versionArtifacts map[string][]*registrymodel.ModelArtifact) string {
	h := fieldhash.New()
	for _, d := range lists {
		_, _ = h.Write(d[:])
	}
	for _, v := range published {
		h.String(v)
		arts := versionArtifacts[v]
		h.Uint(uint64(len(arts)))
		for i := range arts {
			h.String(arts[i].ID)
		}
	}
	sum := h.Sum()
	return hex.EncodeToString(sum[:])
}
