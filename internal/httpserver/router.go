package httpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/version"
)

// RequestIDHeader carries the request id in and out.
const RequestIDHeader = "X-Request-Id"

// RouterOptions configures NewRouter.
type RouterOptions struct {
	// Service names the binary in metrics ("location", "storage_rest").
	Service string
	Log     logr.Logger
	// Registry receives the request metrics and is served at /metrics; the
	// caller registers its own metrics on it too.
	Registry *prometheus.Registry
	// Ready is consulted by /readyz; nil means always ready.
	Ready func() error
}

// NewRouter returns a chi router with request ids, access logs, request
// metrics, /healthz, /readyz and /metrics. Services add their routes to it.
func NewRouter(o RouterOptions) chi.Router {
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	m := newRequestMetrics(o.Service, o.Registry)
	r := chi.NewRouter()
	r.Use(requestID, accessLog(o.Log), m.middleware, recoverer(o.Log))
	healthz := func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, StatusOK)
	}
	readyz := func(w http.ResponseWriter, _ *http.Request) {
		if o.Ready != nil {
			if err := o.Ready(); err != nil {
				WriteError(w, http.StatusServiceUnavailable, "not ready: %v", err)
				return
			}
		}
		WriteJSON(w, http.StatusOK, StatusOK)
	}
	// HEAD too: some probes and load balancers use it.
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		r.MethodFunc(m, "/healthz", healthz)
		r.MethodFunc(m, "/readyz", readyz)
	}
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{Registry: o.Registry}))
	return r
}

// NewRegistry returns a Prometheus registry with the Go and process
// collectors and rhoai_connector_build_info, for one binary.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), version.Collector())
	return reg
}

type ctxKey int

const (
	logKey ctxKey = iota
	idKey
)

// Logger returns the request's logger (with its request id), or fallback.
func Logger(ctx context.Context, fallback logr.Logger) logr.Logger {
	if l, ok := ctx.Value(logKey).(logr.Logger); ok {
		return l
	}
	return fallback
}

// RequestID returns the request's id, "" outside a request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(idKey).(string)
	return id
}

func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if id == "" || len(id) > 128 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), idKey, id)))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (deadlines,
// full duplex, flushing).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusWriter) code() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}

func accessLog(log logr.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			l := log.WithValues("requestID", RequestID(r.Context()))
			sw := &statusWriter{ResponseWriter: w}
			start := time.Now()
			next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), logKey, l)))
			// Probes and scrapes every few seconds would drown the log.
			v := 1
			if sw.code() >= 400 {
				v = 0
			}
			if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
				v = 2
			}
			l.V(v).Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.code(),
				"bytes", sw.bytes, "durationMs", time.Since(start).Milliseconds(), "remote", r.RemoteAddr)
		})
	}
}

func recoverer(log logr.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
						panic(v)
					}
					Logger(r.Context(), log).Error(nil, "handler panicked; this is a bug, please report it", "panic", v, "path", r.URL.Path)
					WriteError(w, http.StatusInternalServerError, "internal error (request id %s)", RequestID(r.Context()))
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

type requestMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newRequestMetrics(service string, reg prometheus.Registerer) *requestMetrics {
	m := &requestMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "rhoai_connector", Subsystem: service, Name: "http_requests_total",
			Help: "HTTP requests served, by route, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "rhoai_connector", Subsystem: service, Name: "http_request_duration_seconds",
			Help:    "HTTP request latency, by route and method.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *requestMetrics) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw, ok := w.(*statusWriter)
		if !ok {
			sw = &statusWriter{ResponseWriter: w}
		}
		start := time.Now()
		next.ServeHTTP(sw, r)
		// The route pattern, not the path, keeps label cardinality bounded.
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.code())).Inc()
		m.duration.WithLabelValues(route, r.Method).Observe(time.Since(start).Seconds())
	})
}
