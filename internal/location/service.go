// Package location is the service RHDH reads AI model metadata from: it
// serves /list, the model-catalog documents it names and the model cards,
// and, for any Backstage, each record's entities as catalog-info YAML and
// a root Location (/catalog-info.yaml) that targets them all,
// from an in-memory index loaded from storage-rest on start, kept current
// by the changes storage-rest forwards, and re-loaded periodically.
package location

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/location/index"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// Defaults for Config fields left zero, and for the binary's flags.
const (
	DefaultReloadInterval = 5 * time.Minute
	DefaultMaxBodyBytes   = 4 << 20
	// DefaultRemovedGrace covers one RHDH poll that listed a document just
	// before it was removed.
	DefaultRemovedGrace = 2 * time.Minute
	// The start-up load retries after DefaultRetryInitial, doubling up to
	// DefaultRetryMax, while storage-rest is not up.
	DefaultRetryInitial = 250 * time.Millisecond
	DefaultRetryMax     = 30 * time.Second
)

// Config configures a Service.
type Config struct {
	// Format is the document format (NORMALIZER_FORMAT); empty means
	// record.JSONArrayFormat.
	Format record.Format
	// Storage is where records are loaded from; StorageURL names it in
	// logs and errors.
	Storage    RecordSource
	StorageURL string
	// Token, when set, lets requests that carry it as a bearer token use
	// the write API from outside the pod; loopback is always accepted.
	Token string
	// ReloadInterval is the period of the healing reload; negative
	// disables it, zero means DefaultReloadInterval.
	ReloadInterval time.Duration
	// MaxBodyBytes caps an upsert body; zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// RemovedGrace: see index.Options; negative disables it, zero means
	// DefaultRemovedGrace.
	RemovedGrace time.Duration
	// Backoff paces start-up retries; zero fields take DefaultRetryInitial and DefaultRetryMax.
	Backoff  Backoff
	Log      logr.Logger
	Registry prometheus.Registerer
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
}

// Service is the location service: handlers, index and loader.
type Service struct {
	ix      *index.Index
	rd      *reader
	wr      *writer
	ld      *loader
	token   string
	maxBody int64
}

// New builds a Service; nothing runs until Run.
func New(cfg Config) (*Service, error) {
	if cfg.Storage == nil {
		return nil, errors.New("location: Config.Storage is required")
	}
	// Empty means JSONArrayFormat; any accepted spelling is made the
	// documented one, which File and MediaType compare against.
	var err error
	if cfg.Format, err = record.ParseFormat(string(cfg.Format)); err != nil {
		return nil, err
	}
	cfg.ReloadInterval = orDefault(cfg.ReloadInterval, DefaultReloadInterval)
	cfg.RemovedGrace = orDefault(cfg.RemovedGrace, DefaultRemovedGrace)
	cfg.Backoff.Initial = orDefault(cfg.Backoff.Initial, DefaultRetryInitial)
	cfg.Backoff.Max = max(orDefault(cfg.Backoff.Max, DefaultRetryMax), cfg.Backoff.Initial)
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	ix := index.New(index.Options{Format: cfg.Format, RemovedGrace: max(cfg.RemovedGrace, 0), Now: cfg.Now})
	m, err := newMetrics(cfg.Registry, ix)
	if err != nil {
		return nil, err
	}
	log := cfg.Log.WithName("location")
	return &Service{
		ix: ix,
		rd: &reader{ix: ix},
		wr: &writer{ix: ix, m: m, log: log, maxBody: cfg.MaxBodyBytes},
		ld: &loader{ix: ix, src: cfg.Storage, url: cfg.StorageURL, log: log, m: m,
			interval: cfg.ReloadInterval, backoff: cfg.Backoff},
		token:   cfg.Token,
		maxBody: cfg.MaxBodyBytes,
	}, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Mount adds location's routes to r (a router from httpserver.NewRouter).
// HEAD is served wherever GET is.
func (s *Service) Mount(r chi.Router) {
	get := func(pattern string, h http.HandlerFunc) {
		r.Get(pattern, h)
		r.Head(pattern, h)
	}
	get("/list", s.rd.list)
	get(index.LocationURI, s.rd.location)
	get("/modelcard", s.rd.modelCard)
	get("/models/*", s.rd.models)
	get("/*", s.rd.document)

	w := r.With(httpserver.LocalOrToken(s.token), httpserver.LimitBody(s.maxBody))
	w.Post("/upsert", s.wr.upsert)
	w.Post("/upsertbatch", s.wr.upsertBatch)
	w.Delete("/remove", s.wr.remove)
	w.Post("/remove", s.wr.remove)

	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		httpserver.WriteError(w, http.StatusNotFound, "no route for %s %s: see GET /list", r.Method, r.URL.Path)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		httpserver.WriteError(w, http.StatusMethodNotAllowed, "method %s is not allowed on %s", r.Method, r.URL.Path)
	})
}

// Ready is nil once the first load from storage-rest succeeded (/readyz).
func (s *Service) Ready() error { return s.ld.ready() }

// Run loads every record from storage-rest, retrying with backoff until it
// answers, then re-loads every ReloadInterval until ctx ends. Serve HTTP
// meanwhile: forwards that arrive during the load are merged with it.
func (s *Service) Run(ctx context.Context) {
	s.ld.run(ctx)
}
