// Package registryclient reads a whole Kubeflow Model Registry
// (/api/model_registry/v1alpha3) into a Snapshot once per sync.
//
// Requests per Snapshot. The five top-level lists are read with
// pageSize=P, orderBy=ID, sortOrder=ASC and nextPageToken, never one request
// per model: ceil(n/P) requests each for registered_models, model_versions,
// model_artifacts, inference_services and serving_environments (at least one
// each, even when empty). A ModelArtifact in the top-level list does not say
// which ModelVersion it belongs to (the spec has no modelVersionId or parent
// field on it), so the link comes from the nested
// model_versions/{id}/artifacts?artifactType=model-artifact list, asked only
// for the versions the connector publishes: versions that are not ARCHIVED
// and whose registered model is listed and not ARCHIVED; and not at all when
// the top-level list holds no model artifact. With P=100, R registered
// models, V versions of which L are published, A artifacts, I inference
// services and S serving environments:
//
//	requests = ceil(R/P) + ceil(V/P) + ceil(A/P) + ceil(I/P) + ceil(S/P)
//	         + sum over the L published versions of ceil(a_v/P)   (a_v >= 1 page)
//
// so 1,000 models with one live version and one artifact each cost
// 10+10+10+1+1 + 1,000 requests. The nested lists run Concurrency at a time.
//
// A Snapshot is all or nothing: any failed request (HTTP error, malformed
// JSON, timeout, paging that does not advance) fails it with an error that
// names the registry URL and the endpoint, so the caller keeps its last good
// state. The lists are read one after the other, so a registry that changes
// during a sync can yield, for example, a version whose registered model is
// not in the snapshot; the next sync sees the registry settled.
package registryclient

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registryclient/httpjson"
)

// APIPath is the REST API prefix under a registry's base URL.
const APIPath = "/api/model_registry/v1alpha3"

// DefaultConcurrency is how many nested artifact lists run at once.
const DefaultConcurrency = 4

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
type Metrics = httpjson.Metrics

// PrometheusMetrics counts requests into vec, whose remaining labels are
// endpoint and outcome (see httpjson.NewRequestCounter).
func PrometheusMetrics(vec *prometheus.CounterVec) Metrics { return httpjson.CounterMetrics(vec) }

// Options configure a Client.
type Options struct {
	// Token is sent as a bearer token (KFMR_TOKEN, else the service account
	// token). It never appears in errors or logs.
	Token string
	// CAPEM is a PEM CA bundle trusted in addition to the system roots.
	CAPEM []byte
	// InsecureSkipTLSVerify turns TLS verification off; explicit only.
	InsecureSkipTLSVerify bool
	// Timeout bounds each request; 30s when zero.
	Timeout time.Duration
	// PageSize is the list page size; 100 when zero, capped at the spec's
	// maximum.
	PageSize int
	// Concurrency bounds the nested artifact lists in flight;
	// DefaultConcurrency when zero.
	Concurrency int
	// HTTPClient replaces the client built from CAPEM/InsecureSkipTLSVerify.
	HTTPClient *http.Client
	// Metrics counts requests by endpoint and outcome; nil for none.
	Metrics Metrics
	// Logger receives a summary line per snapshot (V(1)) and per request (V(1)).
	Logger logr.Logger
}

// Client reads one model registry.
type Client struct {
	api         *httpjson.Client
	pageSize    int
	concurrency int
	log         logr.Logger
}

// New returns a client for the registry at baseURL (for example
// https://modelregistry-public-rest.apps.example.com or
// http://127.0.0.1:8080). A bad URL or CA bundle is reported by Snapshot.
func New(baseURL string, opts Options) *Client {
	c := &Client{
		api: httpjson.New("model registry", baseURL, httpjson.Options{
			Token:                 opts.Token,
			CAPEM:                 opts.CAPEM,
			InsecureSkipTLSVerify: opts.InsecureSkipTLSVerify,
			Timeout:               opts.Timeout,
			HTTPClient:            opts.HTTPClient,
			Metrics:               opts.Metrics,
			Logger:                opts.Logger,
		}),
		pageSize:    httpjson.ClampPageSize(opts.PageSize),
		concurrency: opts.Concurrency,
		log:         opts.Logger,
	}
	if c.concurrency <= 0 {
		c.concurrency = DefaultConcurrency
	}
	return c
}

// URL is the registry's base URL.
func (c *Client) URL() string { return c.api.BaseURL() }

// Snapshot is everything a sync needs from one registry, in ID order.
type Snapshot struct {
	// URL is the registry's base URL.
	URL                 string
	RegisteredModels    []openapi.RegisteredModel
	ModelVersions       []openapi.ModelVersion
	ModelArtifacts      []openapi.ModelArtifact
	InferenceServices   []openapi.InferenceService
	ServingEnvironments []openapi.ServingEnvironment
	// VersionArtifacts maps a ModelVersion id to its model artifacts, for
	// every published version (not ARCHIVED, registered model listed and not
	// ARCHIVED). A published version without artifacts maps to an empty
	// slice; archived versions are absent.
	VersionArtifacts map[string][]openapi.ModelArtifact
	// Requests is how many HTTP requests the snapshot took.
	Requests int
}

// Snapshot reads the whole registry; see the package documentation for the
// request count. It returns either a complete snapshot or an error, never
// a partial snapshot.
func (c *Client) Snapshot(ctx context.Context) (*Snapshot, error) {
	start := time.Now()
	var requests atomic.Int64
	count := func() { requests.Add(1) }
	s := &Snapshot{URL: c.URL()}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		errMu    sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	run := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil {
				fail(err)
			}
		}()
	}
	run(func() (err error) {
		s.RegisteredModels, err = listTop(ctx, c, EndpointRegisteredModels, count, func(m *openapi.RegisteredModel) string { return m.GetId() })
		return err
	})
	run(func() (err error) {
		s.ModelVersions, err = listTop(ctx, c, EndpointModelVersions, count, func(m *openapi.ModelVersion) string { return m.GetId() })
		return err
	})
	run(func() (err error) {
		s.ModelArtifacts, err = listTop(ctx, c, EndpointModelArtifacts, count, func(m *openapi.ModelArtifact) string { return m.GetId() })
		return err
	})
	run(func() (err error) {
		s.InferenceServices, err = listTop(ctx, c, EndpointInferenceServices, count, func(m *openapi.InferenceService) string { return m.GetId() })
		return err
	})
	run(func() (err error) {
		s.ServingEnvironments, err = listTop(ctx, c, EndpointServingEnvironments, count, func(m *openapi.ServingEnvironment) string { return m.GetId() })
		return err
	})
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}

	published := PublishedVersions(s.RegisteredModels, s.ModelVersions)
	s.VersionArtifacts = make(map[string][]openapi.ModelArtifact, len(published))
	if len(s.ModelArtifacts) == 0 {
		for _, id := range published {
			s.VersionArtifacts[id] = []openapi.ModelArtifact{}
		}
	} else {
		var mu sync.Mutex
		sem := make(chan struct{}, c.concurrency)
		for _, id := range published {
			if ctx.Err() != nil {
				break
			}
			sem <- struct{}{}
			run(func() error {
				defer func() { <-sem }()
				arts, err := c.versionArtifacts(ctx, id, count)
				if err != nil {
					return err
				}
				mu.Lock()
				s.VersionArtifacts[id] = arts
				mu.Unlock()
				return nil
			})
		}
		wg.Wait()
		if firstErr != nil {
			return nil, firstErr
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	s.Requests = int(requests.Load())
	c.log.V(1).Info("model registry snapshot", "url", s.URL, "requests", s.Requests,
		"registeredModels", len(s.RegisteredModels), "modelVersions", len(s.ModelVersions),
		"modelArtifacts", len(s.ModelArtifacts), "inferenceServices", len(s.InferenceServices),
		"servingEnvironments", len(s.ServingEnvironments), "duration", time.Since(start))
	return s, nil
}

// PublishedVersions returns, in input order, the ids of the versions the
// connector publishes: not ARCHIVED, and whose registered model is in
// models and not ARCHIVED. A missing state is LIVE, the spec's default.
func PublishedVersions(models []openapi.RegisteredModel, versions []openapi.ModelVersion) []string {
	live := make(map[string]bool, len(models))
	for i := range models {
		if models[i].GetState() != openapi.REGISTEREDMODELSTATE_ARCHIVED {
			live[models[i].GetId()] = true
		}
	}
	var ids []string
	for i := range versions {
		v := &versions[i]
		if v.GetId() == "" || v.GetState() == openapi.MODELVERSIONSTATE_ARCHIVED || !live[v.GetRegisteredModelId()] {
			continue
		}
		ids = append(ids, v.GetId())
	}
	return ids
}

func listTop[T any](ctx context.Context, c *Client, endpoint string, count func(), id func(*T) string) ([]T, error) {
	items, err := httpjson.ListAll(ctx, c.api, httpjson.List{
		Endpoint:  endpoint,
		Path:      APIPath + "/" + endpoint,
		Query:     url.Values{"orderBy": {"ID"}, "sortOrder": {"ASC"}},
		PageSize:  c.pageSize,
		OnRequest: count,
	}, id)
	if items == nil && err == nil {
		items = []T{}
	}
	return items, err
}
