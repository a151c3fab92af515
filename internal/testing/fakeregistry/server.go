package fakeregistry

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-logr/logr"
	"github.com/kubeflow/model-registry/pkg/openapi"
)

// Base paths of the two APIs.
const (
	RegistryBasePath = "/api/model_registry/v1alpha3"
	CatalogBasePath  = "/api/model_catalog/v1alpha1"
)

// DefaultPageSize is the page size of list requests without pageSize.
const DefaultPageSize = 20

// Options configure a Server. The zero value is a working, open server.
type Options struct {
	// Token, when set, is required as "Authorization: Bearer <Token>" on
	// every request; others get 401.
	Token string
	// Clock sets createTimeSinceEpoch and lastUpdateTimeSinceEpoch;
	// time.Now when nil.
	Clock func() time.Time
	// DefaultPageSize applies when a list request has no pageSize;
	// DefaultPageSize when 0.
	DefaultPageSize int
	// MaxPageSize caps pageSize (the response's pageSize says what was
	// used); 0 means no cap.
	MaxPageSize int
	// Logger receives a line per injected fault; discarded when unset.
	Logger logr.Logger
}

// Server is an in-memory Model Registry and Model Catalog. It is an
// http.Handler; all methods are safe for concurrent use.
type Server struct {
	opts    Options
	log     logr.Logger
	reg     *registry
	cat     *catalog
	faults  *faultSet
	counts  requestCounter
	handler http.Handler
}

// New returns an empty server.
func New(opts Options) *Server {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.DefaultPageSize <= 0 {
		opts.DefaultPageSize = DefaultPageSize
	}
	log := opts.Logger
	if log.GetSink() == nil {
		log = logr.Discard()
	}
	s := &Server{
		opts:   opts,
		log:    log,
		reg:    newRegistry(opts.Clock),
		cat:    newCatalog(opts.Clock),
		faults: newFaultSet(),
	}
	paging := pagingDefaults{pageSize: opts.DefaultPageSize, maxPageSize: opts.MaxPageSize, orderBy: OrderByID}
	reg := &registryAPI{reg: s.reg, faults: s.faults, paging: paging}
	modelsPaging := paging
	modelsPaging.orderBy = OrderByName // the catalog spec's default for /models
	cat := &catalogAPI{cat: s.cat, faults: s.faults, paging: paging, modelsPaging: modelsPaging}

	r := chi.NewRouter()
	r.NotFound(s.unmatched(http.StatusNotFound))
	r.MethodNotAllowed(s.unmatched(http.StatusMethodNotAllowed))
	r.Group(func(r chi.Router) {
		r.Use(s.guard)
		reg.routes(r)
		cat.routes(r)
	})
	s.handler = r
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// guard runs after routing, so the route pattern is known: it counts the
// request, checks the token and applies injected faults.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.counts.inc(r.Method + " " + chi.RouteContext(r.Context()).RoutePattern())
		if !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="model-registry"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token: send Authorization: Bearer <token> with the token this registry accepts")
			return
		}
		mode, release := s.faults.take(r.URL.Path, func(m FaultMode) bool { return m != FaultEmptyList })
		if mode != 0 {
			s.log.V(1).Info("injecting fault", "mode", mode.String(), "method", r.Method, "path", r.URL.Path)
		}
		switch mode {
		case FaultInternalError:
			writeError(w, http.StatusInternalServerError, "injected fault: internal server error")
			return
		case FaultMalformedJSON:
			w.Header().Set("Content-Type", contentTypeJSON)
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"items": [{"id": "1", "name": "trunc`))
			return
		case FaultHang:
			select {
			case <-r.Context().Done():
				return
			case <-release:
				// ClearFaults: answer normally, as a slow server would.
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) unmatched(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.counts.inc(r.Method + " (no route)")
		msg := fmt.Sprintf("no endpoint %s %s: this server implements %s and %s (see the fakeregistry package doc for the subset)", r.Method, r.URL.Path, RegistryBasePath, CatalogBasePath)
		writeError(w, status, msg)
	}
}

func (s *Server) authorized(r *http.Request) bool {
	if s.opts.Token == "" {
		return true
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") &&
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.opts.Token)) == 1
}

// InjectFault makes matching requests misbehave (see Fault). Faults are
// checked in the order they were injected.
func (s *Server) InjectFault(f Fault) { s.faults.add(f) }

// ClearFaults removes all faults and lets hanging requests proceed.
func (s *Server) ClearFaults() { s.faults.clear() }

// RequestCount is the number of requests received since New or the last
// ResetRequestCounts.
func (s *Server) RequestCount() int64 { return s.counts.total.Load() }

// RequestCounts is the number of requests per route, keyed
// "METHOD /route/{pattern}" ("METHOD (no route)" for unknown paths).
func (s *Server) RequestCounts() map[string]int64 { return s.counts.snapshot() }

// ResetRequestCounts sets all request counters to zero.
func (s *Server) ResetRequestCounts() { s.counts.reset() }

// AddRegisteredModel stores m and returns it with id and times set. Preset
// createTimeSinceEpoch/lastUpdateTimeSinceEpoch are kept; id must be empty.
func (s *Server) AddRegisteredModel(m openapi.RegisteredModel) (openapi.RegisteredModel, error) {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	return result(s.reg.addModel(deepCopy(m)))
}

// UpdateRegisteredModel applies change to registered model id.
func (s *Server) UpdateRegisteredModel(id string, change func(*openapi.RegisteredModel)) (openapi.RegisteredModel, error) {
	n, err := parsePathID("RegisteredModel", id)
	if err != nil {
		return openapi.RegisteredModel{}, err
	}
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	return result(s.reg.updateModel(n, noError(change)))
}

// RegisteredModel returns registered model id.
func (s *Server) RegisteredModel(id string) (openapi.RegisteredModel, bool) {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	return lookup(s.reg.models, id)
}

// AddModelVersion stores v, a version of registered model
// v.RegisteredModelId.
func (s *Server) AddModelVersion(v openapi.ModelVersion) (openapi.ModelVersion, error) {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	return result(s.reg.addVersion(deepCopy(v)))
}

// RegisterModel adds what a user registering a model makes: a registered
// model called name, its version "v1" and that version's model artifact
// at uri.
func (s *Server) RegisterModel(name, uri string) (openapi.RegisteredModel, openapi.ModelVersion, openapi.ModelArtifact, error) {
	rm, err := s.AddRegisteredModel(openapi.RegisteredModel{Name: name})
	if err != nil {
		return rm, openapi.ModelVersion{}, openapi.ModelArtifact{}, err
	}
	mv, err := s.AddModelVersion(openapi.ModelVersion{Name: "v1", RegisteredModelId: *rm.Id})
	if err != nil {
		return rm, mv, openapi.ModelArtifact{}, err
	}
	art, err := s.AddModelArtifact(*mv.Id, openapi.ModelArtifact{Name: &name, Uri: &uri})
	return rm, mv, art, err
}

// UpdateModelVersion applies change to model version id.
func (s *Server) UpdateModelVersion(id string, change func(*openapi.ModelVersion)) (openapi.ModelVersion, error) {
	n, err := parsePathID("ModelVersion", id)
	if err != nil {
		return openapi.ModelVersion{}, err
	}
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	return result(s.reg.updateVersion(n, noError(change)))
}

// ModelVersion returns model version id.
func (s *Server) ModelVersion(id string) (openapi.ModelVersion, bool) {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	return lookup(s.reg.versions, id)
}

// AddModelArtifact stores a, attached to model version versionID unless
// versionID is "".
func (s *Server) AddModelArtifact(versionID string, a openapi.ModelArtifact) (openapi.ModelArtifact, error) {
	var vid int64
	if versionID != "" {
		n, err := parsePathID("ModelVersion", versionID)
		if err != nil {
			return openapi.ModelArtifact{}, err
		}
		vid = n
	}
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	return result(s.reg.addArtifact(deepCopy(a), vid))
}

// UpdateModelArtifact applies change to model artifact id.
func (s *Server) UpdateModelArtifact(id string, change func(*openapi.ModelArtifact)) (openapi.ModelArtifact, error) {
	n, err := parsePathID("ModelArtifact", id)
	if err != nil {
		return openapi.ModelArtifact{}, err
	}
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	return result(s.reg.updateArtifact(n, -1, noError(change)))
}

// ModelArtifact returns model artifact id.
func (s *Server) ModelArtifact(id string) (openapi.ModelArtifact, bool) {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	return lookup(s.reg.artifacts, id)
}

// AddServingEnvironment stores e; its name is the namespace models are
// served in.
func (s *Server) AddServingEnvironment(e openapi.ServingEnvironment) (openapi.ServingEnvironment, error) {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	return result(s.reg.addEnv(deepCopy(e)))
}

// UpdateServingEnvironment applies change to serving environment id.
func (s *Server) UpdateServingEnvironment(id string, change func(*openapi.ServingEnvironment)) (openapi.ServingEnvironment, error) {
	n, err := parsePathID("ServingEnvironment", id)
	if err != nil {
		return openapi.ServingEnvironment{}, err
	}
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	return result(s.reg.updateEnv(n, noError(change)))
}

// ServingEnvironment returns serving environment id.
func (s *Server) ServingEnvironment(id string) (openapi.ServingEnvironment, bool) {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	return lookup(s.reg.envs, id)
}

// AddInferenceService stores is; its registered model, serving environment
// and (if set) model version must exist.
func (s *Server) AddInferenceService(is openapi.InferenceService) (openapi.InferenceService, error) {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	return result(s.reg.addService(deepCopy(is)))
}

// UpdateInferenceService applies change to inference service id.
func (s *Server) UpdateInferenceService(id string, change func(*openapi.InferenceService)) (openapi.InferenceService, error) {
	n, err := parsePathID("InferenceService", id)
	if err != nil {
		return openapi.InferenceService{}, err
	}
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	return result(s.reg.updateService(n, noError(change)))
}

// InferenceService returns inference service id.
func (s *Server) InferenceService(id string) (openapi.InferenceService, bool) {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	return lookup(s.reg.services, id)
}

// AddCatalogSource stores a catalog source; its id must be new.
func (s *Server) AddCatalogSource(src CatalogSource) (CatalogSource, error) {
	s.cat.mu.Lock()
	defer s.cat.mu.Unlock()
	r, err := s.cat.addSource(deepCopy(src))
	if err != nil {
		return CatalogSource{}, err
	}
	return deepCopy(r.obj.served()), nil
}

// UpdateCatalogSource applies change to catalog source id (for example to
// disable it).
func (s *Server) UpdateCatalogSource(id string, change func(*CatalogSource)) (CatalogSource, error) {
	s.cat.mu.Lock()
	defer s.cat.mu.Unlock()
	r, err := s.cat.updateSource(id, noError(change))
	if err != nil {
		return CatalogSource{}, err
	}
	return deepCopy(r.obj.served()), nil
}

// AddCatalogModel stores m in catalog source sourceID; m.Name (e.g.
// "ibm-granite/granite-3.1-8b-instruct") must be new in that source.
func (s *Server) AddCatalogModel(sourceID string, m CatalogModel) (CatalogModel, error) {
	s.cat.mu.Lock()
	defer s.cat.mu.Unlock()
	r, err := s.cat.addModel(sourceID, deepCopy(m))
	if err != nil {
		return CatalogModel{}, err
	}
	return deepCopy(r.obj), nil
}

// UpdateCatalogModel applies change to catalog model name of source
// sourceID.
func (s *Server) UpdateCatalogModel(sourceID, name string, change func(*CatalogModel)) (CatalogModel, error) {
	s.cat.mu.Lock()
	defer s.cat.mu.Unlock()
	r, err := s.cat.updateModel(sourceID, name, noError(change))
	if err != nil {
		return CatalogModel{}, err
	}
	return deepCopy(r.obj), nil
}

// CatalogModel returns catalog model name of source sourceID.
func (s *Server) CatalogModel(sourceID, name string) (CatalogModel, bool) {
	s.cat.mu.Lock()
	defer s.cat.mu.Unlock()
	r, _, ok := s.cat.model(sourceID, name)
	if !ok {
		return CatalogModel{}, false
	}
	return deepCopy(r.obj), true
}

// LoadCatalogYAML loads catalog data in the upstream YAML format from dir:
// every YAML file there with a top-level "catalogs:" list is a sources
// file, and each source's properties.yamlCatalogPath names its models file
// (relative to dir; a renamed copy "<prefix>-<name>" such as the
// catalog-sample-* files in shared/specs is found too). Nothing is loaded
// when any file is invalid or any source id already exists.
func (s *Server) LoadCatalogYAML(dir string) error {
	loaded, err := readCatalogDir(dir)
	if err != nil {
		return err
	}
	s.cat.mu.Lock()
	defer s.cat.mu.Unlock()
	for _, l := range loaded {
		if _, ok := s.cat.source(l.source.ID); ok {
			return fmt.Errorf("loading catalog from %s: %w", dir, conflictf("CatalogSource %q already exists", l.source.ID))
		}
	}
	for _, l := range loaded {
		if _, err := s.cat.addSource(l.source); err != nil {
			return fmt.Errorf("loading catalog source %q from %s: %w", l.source.ID, l.file, err)
		}
		for _, m := range l.models {
			if _, err := s.cat.addModel(l.source.ID, m); err != nil {
				return fmt.Errorf("loading catalog model %q from %s: %w", m.Name, l.modelsFile, err)
			}
		}
	}
	return nil
}

func result[T any](r *row[T], err error) (T, error) {
	if err != nil {
		var zero T
		return zero, err
	}
	return deepCopy(r.obj), nil
}

func lookup[T any](t *table[T], id string) (T, bool) {
	var zero T
	n, err := parsePathID(t.kind, id)
	if err != nil {
		return zero, false
	}
	r, ok := t.get(n)
	if !ok {
		return zero, false
	}
	return deepCopy(r.obj), true
}

func noError[T any](f func(*T)) func(*T) error {
	return func(v *T) error {
		f(v)
		return nil
	}
}
