// Package catalogclient reads the RHOAI Model Catalog
// (/api/model_catalog/v1alpha1): its sources and single models, whose
// readme is the model card the connector publishes as TechDocs. No Go
// module exists for this API, so the types here follow
// shared/specs/model-catalog.openapi.yaml.
//
// Requests: Sources costs ceil(sources/pageSize) requests (at least one);
// Model costs one. CardFetcher caches Model answers (found or 404) for a
// TTL, so a sync costs one request per distinct (source, model) whose
// cached answer is older than the TTL, and none otherwise; see CardFetcher.
package catalogclient

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/jsonclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/jsonclient/prommetrics"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
)

// APIPath is the REST API prefix under the catalog's base URL.
const APIPath = "/api/model_catalog/v1alpha1"

// Metric endpoint names.
const (
	EndpointSources = "sources"
	EndpointModel   = "sources/{source_id}/models/{model_name}"
)

// Metrics receives one observation per request (endpoint, outcome).
type Metrics = jsonclient.Metrics

// PrometheusMetrics counts requests into vec, whose remaining labels are
// endpoint and outcome (see prommetrics.NewRequestCounter).
func PrometheusMetrics(vec *prometheus.CounterVec) Metrics { return prommetrics.Counter(vec) }

// Options configure a Client; they mean what registryclient.Options mean.
type Options = jsonclient.APIOptions

// Client reads one model catalog.
type Client struct {
	api      *jsonclient.Client
	pageSize int
}

// New returns a client for the catalog at baseURL. A bad URL or CA bundle
// is reported by every call.
func New(baseURL string, opts Options) *Client {
	api, pageSize := jsonclient.NewAPI("model catalog", baseURL, opts)
	return &Client{api: api, pageSize: pageSize}
}

// URL is the catalog's base URL.
func (c *Client) URL() string { return c.api.BaseURL() }

// Source is the spec's CatalogSource.
type Source struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Enabled *bool  `json:"enabled,omitempty"`
	// Labels categorise the source ("Organization AI", ...).
	Labels []string `json:"labels"`
	// Status is available, partially-available, error or disabled.
	Status         string   `json:"status,omitempty"`
	Error          *string  `json:"error,omitempty"`
	IncludedModels []string `json:"includedModels,omitempty"`
	ExcludedModels []string `json:"excludedModels,omitempty"`
	// AssetType is models (the default) or mcp_servers.
	AssetType string `json:"assetType,omitempty"`
}

// Model is the spec's CatalogModel. Readme is the model card (Markdown).
type Model struct {
	// Name is unique within a source, often "group/name"
	// (ibm-granite/granite-3.1-8b-instruct).
	Name     string `json:"name"`
	SourceID string `json:"source_id,omitempty"`

	Description string   `json:"description,omitempty"`
	Readme      string   `json:"readme,omitempty"`
	Maturity    string   `json:"maturity,omitempty"`
	Language    []string `json:"language,omitempty"`
	Tasks       []string `json:"tasks,omitempty"`
	Provider    string   `json:"provider,omitempty"`
	// Logo is a URL, often a data: URL.
	Logo        string `json:"logo,omitempty"`
	License     string `json:"license,omitempty"`
	LicenseLink string `json:"licenseLink,omitempty"`
	LibraryName string `json:"libraryName,omitempty"`

	CustomProperties registrymodel.Properties `json:"customProperties,omitempty"`

	ID         string `json:"id,omitempty"`
	ExternalID string `json:"externalId,omitempty"`
	// CreateTimeSinceEpoch and LastUpdateTimeSinceEpoch are milliseconds
	// since the epoch, as decimal strings.
	CreateTimeSinceEpoch     string `json:"createTimeSinceEpoch,omitempty"`
	LastUpdateTimeSinceEpoch string `json:"lastUpdateTimeSinceEpoch,omitempty"`
}

// NotFoundError is the catalog's 404 for one model. A missing model card is
// normal: only models registered from a RHOAI 2.25 catalog have one.
type NotFoundError struct {
	CatalogURL string
	SourceID   string
	ModelName  string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("model catalog %s: source %q has no model %q", e.CatalogURL, e.SourceID, e.ModelName)
}

// IsNotFound says err is (or wraps) a *NotFoundError.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}

// Sources lists every catalog source, following the pages.
func (c *Client) Sources(ctx context.Context) ([]Source, error) {
	srcs, err := jsonclient.ListAll(ctx, c.api, jsonclient.List{
		Endpoint: EndpointSources,
		Path:     APIPath + "/sources",
		Query:    url.Values{"orderBy": {"ID"}, "sortOrder": {"ASC"}},
		PageSize: c.pageSize,
	}, func(s *Source) string { return s.ID })
	if err != nil {
		return nil, err
	}
	if srcs == nil {
		srcs = []Source{}
	}
	return srcs, nil
}

// Model fetches one model. modelName may contain "/" (the spec's
// {model_name+}); each segment is escaped and the slashes are kept. A 404
// is a *NotFoundError (IsNotFound).
func (c *Client) Model(ctx context.Context, sourceID, modelName string) (*Model, error) {
	p, err := ModelPath(sourceID, modelName)
	if err != nil {
		return nil, fmt.Errorf("model catalog %s: %w", c.URL(), err)
	}
	var m Model
	if err := c.api.Get(ctx, EndpointModel, p, nil, &m); err != nil {
		var he *jsonclient.Error
		if errors.As(err, &he) && he.NotFound() {
			return nil, &NotFoundError{CatalogURL: c.URL(), SourceID: sourceID, ModelName: modelName}
		}
		return nil, err
	}
	if m.Name == "" {
		return nil, c.api.DecodeError(EndpointModel, p, "the answer has no model name")
	}
	return &m, nil
}

// ModelPath is the request path of one model. Empty, "." and ".."
// segments are refused: a proxy would normalise them into another path.
func ModelPath(sourceID, modelName string) (string, error) {
	if sourceID == "" {
		return "", errors.New("empty catalog source id")
	}
	segs := strings.Split(modelName, "/")
	for i, s := range segs {
		if s == "" || s == "." || s == ".." {
			return "", fmt.Errorf("catalog model name %q is not a valid name (empty, \".\" or \"..\" segment)", modelName)
		}
		segs[i] = url.PathEscape(s)
	}
	return APIPath + "/sources/" + url.PathEscape(sourceID) + "/models/" + strings.Join(segs, "/"), nil
}
