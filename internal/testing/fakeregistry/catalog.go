package fakeregistry

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kubeflow/model-registry/pkg/openapi"
)

// CatalogSource is the catalog spec's CatalogSource. A disabled source
// (Enabled false) is listed but serves no models; IncludedModels and
// ExcludedModels are applied when serving.
type CatalogSource struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Enabled *bool    `json:"enabled,omitempty"` // nil means enabled
	Labels  []string `json:"labels"`
	// Status is served as "available" or "disabled" (from Enabled) when
	// empty.
	Status         string   `json:"status,omitempty"`
	Error          *string  `json:"error,omitempty"`
	IncludedModels []string `json:"includedModels,omitempty"`
	ExcludedModels []string `json:"excludedModels,omitempty"`
	AssetType      string   `json:"assetType,omitempty"`
}

// Catalog source statuses the spec defines.
const (
	CatalogSourceAvailable = "available"
	CatalogSourceDisabled  = "disabled"
)

// CatalogModel is the catalog spec's CatalogModel. Readme is the model card.
type CatalogModel struct {
	Name                     string                           `json:"name"`
	SourceID                 string                           `json:"source_id,omitempty"`
	Description              string                           `json:"description,omitempty"`
	Readme                   string                           `json:"readme,omitempty"`
	Maturity                 string                           `json:"maturity,omitempty"`
	Language                 []string                         `json:"language,omitempty"`
	Tasks                    []string                         `json:"tasks,omitempty"`
	Provider                 string                           `json:"provider,omitempty"`
	Logo                     string                           `json:"logo,omitempty"`
	License                  string                           `json:"license,omitempty"`
	LicenseLink              string                           `json:"licenseLink,omitempty"`
	LibraryName              string                           `json:"libraryName,omitempty"`
	CustomProperties         map[string]openapi.MetadataValue `json:"customProperties,omitempty"`
	ExternalID               string                           `json:"externalId,omitempty"`
	ID                       string                           `json:"id,omitempty"`
	CreateTimeSinceEpoch     string                           `json:"createTimeSinceEpoch,omitempty"`
	LastUpdateTimeSinceEpoch string                           `json:"lastUpdateTimeSinceEpoch,omitempty"`
}

// catalog is the in-memory Model Catalog, guarded by mu.
type catalog struct {
	mu      sync.Mutex
	clock   func() time.Time
	lastID  int64
	sources *table[CatalogSource] // sid: source id
	byID    map[string]*row[CatalogSource]
	models  *table[CatalogModel] // parent: source row id; name unique per source
}

func newCatalog(clock func() time.Time) *catalog {
	return &catalog{
		clock:   clock,
		sources: newTable[CatalogSource]("CatalogSource", "", false),
		byID:    map[string]*row[CatalogSource]{},
		models:  newTable[CatalogModel]("CatalogModel", "CatalogSource", true),
	}
}

func (c *catalog) nextID() int64 {
	c.lastID++
	return c.lastID
}

func (c *catalog) source(id string) (*row[CatalogSource], bool) {
	r, ok := c.byID[id]
	return r, ok
}

func (c *catalog) addSource(s CatalogSource) (*row[CatalogSource], error) {
	if err := checkSource(&s); err != nil {
		return nil, err
	}
	if _, ok := c.source(s.ID); ok {
		return nil, conflictf("CatalogSource %q already exists: source ids must be unique", s.ID)
	}
	r := &row[CatalogSource]{meta: meta{name: s.Name, sid: s.ID}, id: c.nextID(), obj: s}
	if err := c.sources.insert(r); err != nil {
		return nil, err
	}
	c.byID[s.ID] = r
	return r, nil
}

func (c *catalog) updateSource(id string, change func(*CatalogSource) error) (*row[CatalogSource], error) {
	r, ok := c.source(id)
	if !ok {
		return nil, notFoundf("CatalogSource %q does not exist", id)
	}
	s := deepCopy(r.obj)
	if err := change(&s); err != nil {
		return nil, err
	}
	if s.ID != id {
		return nil, invalidf("CatalogSource %q: id cannot be changed", id)
	}
	if err := checkSource(&s); err != nil {
		return nil, err
	}
	return r, c.sources.replace(r, s, meta{name: s.Name, sid: s.ID}, 0)
}

func checkSource(s *CatalogSource) error {
	if s.ID == "" || s.Name == "" {
		return invalidf("CatalogSource %q: id and name are required", s.ID)
	}
	if s.Labels == nil {
		s.Labels = []string{}
	}
	for _, p := range slices.Concat(s.IncludedModels, s.ExcludedModels) {
		if strings.TrimSpace(p) == "" {
			return invalidf("CatalogSource %q: includedModels and excludedModels patterns must not be empty", s.ID)
		}
	}
	return nil
}

// served is the source as the API shows it: a status is always present.
func (s CatalogSource) served() CatalogSource {
	if s.Status == "" {
		s.Status = CatalogSourceAvailable
		if !s.enabled() {
			s.Status = CatalogSourceDisabled
		}
	}
	if s.Labels == nil {
		s.Labels = []string{}
	}
	return s
}

func (s CatalogSource) enabled() bool { return s.Enabled == nil || *s.Enabled }

// includes applies the source's includedModels/excludedModels globs:
// case-insensitive, anchored, "*" the only wildcard.
func (s CatalogSource) includes(model string) bool {
	m := strings.ToLower(model)
	match := func(patterns []string) bool {
		for _, p := range patterns {
			if globMatch(strings.ToLower(p), m) {
				return true
			}
		}
		return false
	}
	if len(s.IncludedModels) > 0 && !match(s.IncludedModels) {
		return false
	}
	return !match(s.ExcludedModels)
}

// globMatch matches with "*" as the only wildcard ("*" may span "/").
func globMatch(pattern, s string) bool {
	// Unlike path.Match, "*" here also spans "/" ("ibm-granite/*").
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

func (c *catalog) addModel(sourceID string, m CatalogModel) (*row[CatalogModel], error) {
	src, ok := c.source(sourceID)
	if !ok {
		return nil, notFoundf("CatalogSource %q does not exist: add the source first", sourceID)
	}
	if m.ID != "" {
		return nil, invalidf("CatalogModel %q: id is assigned by the server, leave it empty", m.Name)
	}
	if err := checkCatalogModel(&m); err != nil {
		return nil, err
	}
	created, err := parseTime("CatalogModel "+m.Name, "createTimeSinceEpoch", m.CreateTimeSinceEpoch)
	if err != nil {
		return nil, err
	}
	updated, err := parseTime("CatalogModel "+m.Name, "lastUpdateTimeSinceEpoch", m.LastUpdateTimeSinceEpoch)
	if err != nil {
		return nil, err
	}
	if created == 0 {
		created = c.clock().UnixMilli()
	}
	updated = max(updated, created)
	id := c.nextID()
	m.SourceID = sourceID
	m.ID = strconv.FormatInt(id, 10)
	m.CreateTimeSinceEpoch = strconv.FormatInt(created, 10)
	m.LastUpdateTimeSinceEpoch = strconv.FormatInt(updated, 10)
	r := &row[CatalogModel]{meta: meta{parent: src.id, name: m.Name, ext: m.ExternalID}, id: id, created: created, updated: updated, obj: m}
	if err := c.models.insert(r); err != nil {
		c.lastID--
		return nil, err
	}
	return r, nil
}

func (c *catalog) model(sourceID, name string) (*row[CatalogModel], *row[CatalogSource], bool) {
	src, ok := c.source(sourceID)
	if !ok {
		return nil, nil, false
	}
	m, ok := c.models.byName(src.id, name)
	return m, src, ok
}

func (c *catalog) updateModel(sourceID, name string, change func(*CatalogModel) error) (*row[CatalogModel], error) {
	r, _, ok := c.model(sourceID, name)
	if !ok {
		return nil, notFoundf("CatalogModel %q does not exist in CatalogSource %q", name, sourceID)
	}
	m := deepCopy(r.obj)
	if err := change(&m); err != nil {
		return nil, err
	}
	if m.Name != r.obj.Name || m.ID != r.obj.ID || m.SourceID != r.obj.SourceID || m.CreateTimeSinceEpoch != r.obj.CreateTimeSinceEpoch {
		return nil, invalidf("CatalogModel %q: name, id, source_id and createTimeSinceEpoch cannot be changed", name)
	}
	if err := checkCatalogModel(&m); err != nil {
		return nil, err
	}
	updated := max(c.clock().UnixMilli(), r.updated+1)
	m.LastUpdateTimeSinceEpoch = strconv.FormatInt(updated, 10)
	return r, c.models.replace(r, m, meta{parent: r.parent, name: m.Name, ext: m.ExternalID}, updated)
}

func checkCatalogModel(m *CatalogModel) error {
	if m.Name == "" {
		return invalidf("CatalogModel: name is required (e.g. ibm-granite/granite-3.1-8b-instruct)")
	}
	props := &m.CustomProperties
	if m.CustomProperties == nil {
		props = nil
	}
	return checkCustomProperties("CatalogModel "+strconv.Quote(m.Name), props)
}
