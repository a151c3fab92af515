// Package storagerest is storage-rest's HTTP API over the record store
// (internal/store), and the forwarding of every change to location.
//
// Paths (users script against them; pkg/storageclient is the Go client):
//
//	POST   /upsert?key=K&type=T   body: record.Record JSON  -> record.UpsertResult
//	POST   /currentkeyset         body: JSON array of the live keys (or the
//	                              legacy ?key=a,b,c with an empty body)
//	                              -> record.RemoveResult
//	DELETE /remove?key=K          -> record.RemoveResult ({"removed": [K]}, or
//	                              {"removed": []} when K was absent)
//	GET    /list                  -> record.KeyList
//	GET    /fetch?key=K           -> the record JSON (404 when absent)
//	GET    /records               -> record.RecordSet
//
// The API answers loopback callers (the pod's own containers) and, when a
// token is configured, callers with "Authorization: Bearer <token>".
// /healthz, /readyz and /metrics are open.
package storagerest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/store"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// DefaultMaxBodyBytes caps request bodies unless configured otherwise; a
// record cannot exceed a ConfigMap's 1 MiB anyway.
const DefaultMaxBodyBytes = 4 << 20

// DefaultStoreTimeout bounds each write to the store, below the server's
// 60 s WriteTimeout, so that a store call stuck on the API server still
// gets its 503 written.
const DefaultStoreTimeout = 45 * time.Second

// Store is what the handlers need of the record store (*store.Store).
type Store interface {
	Upsert(ctx context.Context, key string, rec record.Record) (string, error)
	UpsertMany(ctx context.Context, recs []store.KeyedRecord) []store.Outcome
	Remove(ctx context.Context, key string) (bool, error)
	RemoveExcept(ctx context.Context, keep []string) ([]string, error)
	Get(key string) (record.Record, []byte, bool)
	Keys() []string
	Snapshot() []store.Item
	// Digest summarizes the records by content (record.Digest).
	Digest() (records int, digest string)
	Ready() error
}

// Options configures NewHandler.
type Options struct {
	Store Store
	Log   logr.Logger
	// Registry receives the request and handler metrics and is served at
	// /metrics; a new one when nil.
	Registry *prometheus.Registry
	// Token lets non-loopback callers in with a bearer token; without it
	// only loopback callers are served.
	Token string
	// MaxBodyBytes caps request bodies; DefaultMaxBodyBytes when 0.
	MaxBodyBytes int64
	// DocumentFile is the file name that ends each record's URI, kept in
	// the record as locationTarget: the File of the NORMALIZER_FORMAT,
	// record.FileJSON (the default, record.JSONArrayFormat) or
	// record.FileYAML (record.CatalogInfoYAMLFormat).
	DocumentFile string
	// Now stamps records sent without a timestamp; time.Now when nil.
	Now func() time.Time
	// StoreTimeout bounds each store write; DefaultStoreTimeout when 0.
	// Keep it below the server's WriteTimeout.
	StoreTimeout time.Duration
}

// Handler serves the API.
type Handler struct {
	store        Store
	log          logr.Logger
	file         string
	now          func() time.Time
	storeTimeout time.Duration
	errors       *prometheus.CounterVec
}

// NewHandler returns the storage-rest HTTP handler, probes and metrics
// included.
func NewHandler(o Options) (http.Handler, error) {
	if o.Store == nil {
		return nil, errors.New("storagerest: a store is required")
	}
	switch o.DocumentFile {
	case "":
		o.DocumentFile = record.FileJSON
	case record.FileJSON, record.FileYAML:
	default:
		return nil, fmt.Errorf("storagerest: document file %q: use %s or %s", o.DocumentFile, record.FileJSON, record.FileYAML)
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.StoreTimeout <= 0 {
		o.StoreTimeout = DefaultStoreTimeout
	}
	h := &Handler{
		store: o.Store, log: o.Log, file: o.DocumentFile, now: o.Now, storeTimeout: o.StoreTimeout,
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "rhoai_connector", Subsystem: "storage_rest", Name: "errors_total",
			Help: "Requests that failed on storage-rest's side (HTTP 5xx), by operation.",
		}, []string{"op"}),
	}
	if err := o.Registry.Register(h.errors); err != nil {
		return nil, fmt.Errorf("storagerest: registering metrics: %w", err)
	}
	r := httpserver.NewRouter(httpserver.RouterOptions{Service: "storage_rest", Log: o.Log, Registry: o.Registry, Ready: o.Store.Ready})
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		httpserver.WriteError(w, http.StatusNotFound, "no endpoint %s: storage-rest serves POST /upsert, POST /upsertbatch, POST /currentkeyset, DELETE /remove, GET /list, GET /fetch, GET /records", r.URL.Path)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		httpserver.WriteError(w, http.StatusMethodNotAllowed, "method %s is not allowed on %s", r.Method, r.URL.Path)
	})
	r.Group(func(r chi.Router) {
		r.Use(httpserver.LocalOrToken(o.Token), httpserver.LimitBody(o.MaxBodyBytes))
		r.Post("/upsert", h.upsert)
		r.Post("/upsertbatch", h.upsertBatch)
		r.Post("/currentkeyset", h.currentKeySet)
		r.Delete("/remove", h.remove)
		r.Get("/list", h.list)
		r.Get("/fetch", h.fetch)
		r.Get("/records", h.records)
		r.Get("/digest", h.digest)
	})
	return r, nil
}

func (h *Handler) upsert(w http.ResponseWriter, r *http.Request) {
	key, ok := h.key(w, r)
	if !ok {
		return
	}
	typ := r.URL.Query().Get("type")
	switch {
	case typ == "":
		httpserver.WriteError(w, http.StatusBadRequest, "query parameter type is required: POST /upsert?key=%s&type=%s or type=%s", key, record.TypeKubeflow, record.TypeKServe)
		return
	case !validType(typ):
		httpserver.WriteError(w, http.StatusBadRequest, "unknown type %q: use type=%s or type=%s", typ, record.TypeKubeflow, record.TypeKServe)
		return
	}
	body, ok := h.body(w, r)
	if !ok {
		return
	}
	if len(body) == 0 {
		httpserver.WriteError(w, http.StatusBadRequest, "the request body is empty: send the record as JSON ({\"body\": <base64 document>, \"lastUpdateTimeSinceEpoch\": ...})")
		return
	}
	var rec record.Record
	if err := json.Unmarshal(body, &rec); err != nil {
		httpserver.WriteError(w, http.StatusBadRequest, "the request body is not a record: %v", err)
		return
	}
	if msg := h.check(key, typ, &rec); msg != "" {
		httpserver.WriteError(w, http.StatusBadRequest, "record %s: %s", key, msg)
		return
	}
	ctx, cancel := h.storeContext(r)
	defer cancel()
	status, err := h.store.Upsert(ctx, key, rec)
	if err != nil {
		h.fail(w, r, "upsert", err)
		return
	}
	httpserver.WriteJSON(w, http.StatusOK, record.UpsertResult{Key: key, Status: status})
}

// upsertBatch stores several records in one request (record.Batch). Each
// item is checked and stored as POST /upsert would store it alone, but
// their writes reach the store together, so that a first publish writes
// each ConfigMap about once instead of once per few records. It answers
// 200 with one result per item (record.BatchResult) unless the request
// itself is malformed.
func (h *Handler) upsertBatch(w http.ResponseWriter, r *http.Request) {
	body, ok := h.body(w, r)
	if !ok {
		return
	}
	var b record.Batch
	if len(body) == 0 {
		httpserver.WriteError(w, http.StatusBadRequest, `the request body is empty: send {"items": [{"key": ..., "type": ..., "record": {...}}]}`)
		return
	}
	if err := json.Unmarshal(body, &b); err != nil || b.Items == nil {
		httpserver.WriteError(w, http.StatusBadRequest, `the request body is not a batch {"items": [{"key": ..., "type": ..., "record": {...}}]}: %v`, err)
		return
	}
	results := make([]record.BatchItemResult, len(b.Items))
	failures := make([]*failure, len(b.Items))
	seen := make(map[string]bool, len(b.Items))
	recs := make([]store.KeyedRecord, 0, len(b.Items))
	at := make([]int, 0, len(b.Items)) // recs[j] is item at[j]
	for i := range b.Items {
		it := &b.Items[i]
		results[i].Key = it.Key
		if msg := h.checkItem(it, seen); msg != "" {
			results[i].Code, results[i].Error = http.StatusBadRequest, msg
			continue
		}
		recs = append(recs, store.KeyedRecord{Key: it.Key, Record: it.Record})
		at = append(at, i)
	}
	ctx, cancel := h.storeContext(r)
	defer cancel()
	for j, o := range h.store.UpsertMany(ctx, recs) {
		res := &results[at[j]]
		if o.Err != nil {
			f := h.failureOf(r, o.Err)
			failures[at[j]] = &f
			res.Code, res.Error = f.code, fmt.Sprintf("record %s: %s", res.Key, f.msg)
			continue
		}
		res.Status = o.Status
	}
	h.logBatchFailures(r, failures)
	httpserver.WriteJSON(w, http.StatusOK, record.BatchResult{Results: results})
}

// checkItem is the check of POST /upsert for one batch item; a key twice
// in one batch is refused, since which of its records wins is not said.
func (h *Handler) checkItem(it *record.BatchItem, seen map[string]bool) string {
	if err := record.ValidateKey(it.Key); err != nil {
		return err.Error()
	}
	if seen[it.Key] {
		return fmt.Sprintf("key %s appears more than once in the batch", it.Key)
	}
	seen[it.Key] = true
	if !validType(it.Type) {
		return fmt.Sprintf("record %s: unknown type %q: use %s or %s", it.Key, it.Type, record.TypeKubeflow, record.TypeKServe)
	}
	if msg := h.check(it.Key, it.Type, &it.Record); msg != "" {
		return fmt.Sprintf("record %s: %s", it.Key, msg)
	}
	return ""
}

// logBatchFailures logs the first failure a person may have to act on,
// once for the batch, with how many items failed; each failed item counts
// in errors_total.
func (h *Handler) logBatchFailures(r *http.Request, failures []*failure) {
	var first *failure
	n := 0
	for _, f := range failures {
		if f == nil || !f.counted {
			continue
		}
		h.errors.WithLabelValues("upsertbatch").Inc()
		if n++; first == nil {
			first = f
		}
	}
	if first != nil && first.logMsg != "" {
		httpserver.Logger(r.Context(), h.log).Error(errors.New(first.msg), first.logMsg, append([]any{"op", "upsertbatch", "failedItems", n}, first.logKV...)...)
	}
}

// check completes rec (type, timestamp, locationTarget) and returns what is
// wrong with it, "" when nothing.
func (h *Handler) check(key, typ string, rec *record.Record) string {
	if len(rec.Body) == 0 {
		return "body is empty: it must hold the base64 of the model-catalog document"
	}
	// The rule location serves by: what is stored is always served.
	if err := record.Validate(key, h.file, rec); err != nil {
		return err.Error()
	}
	rec.ReconcilerType = typ
	switch {
	case rec.LastUpdateTimeSinceEpoch < 0:
		return fmt.Sprintf("lastUpdateTimeSinceEpoch %d is negative", rec.LastUpdateTimeSinceEpoch)
	case rec.LastUpdateTimeSinceEpoch == 0:
		// A record without a timestamp is as new as its arrival.
		rec.LastUpdateTimeSinceEpoch = record.Epoch(h.now().UnixMilli())
	}
	uri, err := record.URI(key, h.file)
	if err != nil {
		return err.Error()
	}
	rec.LocationTarget = uri
	return ""
}

func (h *Handler) currentKeySet(w http.ResponseWriter, r *http.Request) {
	body, ok := h.body(w, r)
	if !ok {
		return
	}
	legacy, hasLegacy := r.URL.Query()["key"]
	var keys []string
	switch {
	case len(body) > 0 && hasLegacy:
		httpserver.WriteError(w, http.StatusBadRequest, "send the live keys either as a JSON array body or as ?key=a,b,c, not both")
		return
	case len(body) > 0:
		if err := json.Unmarshal(body, &keys); err != nil || keys == nil {
			httpserver.WriteError(w, http.StatusBadRequest, "the body must be a JSON array of the live keys ([] removes everything)")
			return
		}
	case hasLegacy:
		// The original clients' form; a bare ?key= is the empty set.
		keys = []string{}
		for _, v := range legacy {
			for _, k := range strings.Split(v, ",") {
				if k = strings.TrimSpace(k); k != "" {
					keys = append(keys, k)
				}
			}
		}
	default:
		httpserver.WriteError(w, http.StatusBadRequest, "send the complete set of live keys as a JSON array body ([] removes everything) or as ?key=a,b,c")
		return
	}
	for _, k := range keys {
		if err := record.ValidateKey(k); err != nil {
			httpserver.WriteError(w, http.StatusBadRequest, "nothing was removed: %v", err)
			return
		}
	}
	ctx, cancel := h.storeContext(r)
	defer cancel()
	removed, err := h.store.RemoveExcept(ctx, keys)
	if err != nil {
		h.fail(w, r, "currentkeyset", fmt.Errorf("removed %d keys, then: %w", len(removed), err))
		return
	}
	if removed == nil {
		removed = []string{}
	}
	if len(removed) > 0 {
		httpserver.Logger(r.Context(), h.log).Info("removed keys that are no longer live", "removed", removed)
	}
	httpserver.WriteJSON(w, http.StatusOK, record.RemoveResult{Removed: removed})
}

func (h *Handler) remove(w http.ResponseWriter, r *http.Request) {
	key, ok := h.key(w, r)
	if !ok {
		return
	}
	// A removal has no body; one sent anyway is read (and ignored) so that
	// the client, which may write it all before reading, gets the answer.
	if _, ok := h.body(w, r); !ok {
		return
	}
	ctx, cancel := h.storeContext(r)
	defer cancel()
	removed, err := h.store.Remove(ctx, key)
	if err != nil {
		h.fail(w, r, "remove", err)
		return
	}
	res := record.RemoveResult{Removed: []string{}}
	if removed {
		res.Removed = append(res.Removed, key)
	}
	httpserver.WriteJSON(w, http.StatusOK, res)
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	if !h.ready(w, r) {
		return
	}
	httpserver.WriteJSON(w, http.StatusOK, record.KeyList{Keys: h.store.Keys()})
}

// digest serves GET /digest: the normalizer asks it every sync and reads
// every record again only when it differs from what it wrote.
func (h *Handler) digest(w http.ResponseWriter, r *http.Request) {
	if !h.ready(w, r) {
		return
	}
	n, d := h.store.Digest()
	httpserver.WriteJSON(w, http.StatusOK, record.DigestAnswer{Records: n, Digest: d})
}

func (h *Handler) fetch(w http.ResponseWriter, r *http.Request) {
	key, ok := h.key(w, r)
	if !ok || !h.ready(w, r) {
		return
	}
	_, js, found := h.store.Get(key)
	if !found {
		httpserver.WriteError(w, http.StatusNotFound, "no record is stored under key %q", key)
		return
	}
	httpserver.WriteRawJSON(w, http.StatusOK, js)
}

// records writes the RecordSet from the stored encodings, without decoding
// and encoding every record again.
func (h *Handler) records(w http.ResponseWriter, r *http.Request) {
	if !h.ready(w, r) {
		return
	}
	items := h.store.Snapshot()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	_, _ = bw.WriteString(`{"records":{`)
	for i, it := range items {
		if i > 0 {
			_ = bw.WriteByte(',')
		}
		// Keys are letters, digits, '-', '_' and '.', which JSON does not escape.
		_ = bw.WriteByte('"')
		_, _ = bw.WriteString(it.Key)
		_, _ = bw.WriteString(`":`)
		_, _ = bw.Write(it.JSON)
	}
	_, _ = bw.WriteString("}}")
	if err := bw.Flush(); err != nil {
		httpserver.Logger(r.Context(), h.log).V(1).Info("client went away while reading /records", "error", err.Error())
	}
}

// key returns the one ?key= of a request, or answers 400.
func (h *Handler) key(w http.ResponseWriter, r *http.Request) (string, bool) {
	vals := r.URL.Query()["key"]
	if len(vals) != 1 || vals[0] == "" {
		httpserver.WriteError(w, http.StatusBadRequest, "exactly one non-empty ?key= is required")
		return "", false
	}
	if err := record.ValidateKey(vals[0]); err != nil {
		httpserver.WriteError(w, http.StatusBadRequest, "%v", err)
		return "", false
	}
	return vals[0], true
}

// body reads the request body (trimmed), or answers 400/413.
func (h *Handler) body(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		if httpserver.IsTooLarge(err) {
			httpserver.WriteTooLarge(w, r)
		} else {
			httpserver.WriteError(w, http.StatusBadRequest, "reading the request body: %v", err)
		}
		return nil, false
	}
	return bytes.TrimSpace(b), true
}

func (h *Handler) ready(w http.ResponseWriter, _ *http.Request) bool {
	if err := h.store.Ready(); err != nil {
		w.Header().Set("Retry-After", "1")
		httpserver.WriteError(w, http.StatusServiceUnavailable, "%v", err)
		return false
	}
	return true
}

// storeContext bounds a store write by the store timeout, so that the
// answer is written before the server's WriteTimeout.
func (h *Handler) storeContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), h.storeTimeout)
}

// fail answers a store error (failureOf).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, op string, err error) {
	f := h.failureOf(r, err)
	if f.logMsg != "" {
		httpserver.Logger(r.Context(), h.log).Error(err, f.logMsg, append([]any{"op", op}, f.logKV...)...)
	}
	if f.retryAfter != "" {
		w.Header().Set("Retry-After", f.retryAfter)
	}
	if f.counted {
		h.errors.WithLabelValues(op).Inc()
	}
	httpserver.WriteError(w, f.code, "%s", f.msg)
}

// failure is how storage-rest answers a store error.
type failure struct {
	code       int
	retryAfter string
	msg        string
	// logMsg is logged with the error when a person may have to act.
	logMsg string
	logKV  []any
	// counted: a failure on storage-rest's side (errors_total).
	counted bool
}

// failureOf maps a store error to its status. A write storage-rest could
// not store is a 503 with Retry-After: nothing was stored, the caller (the
// normalizer) retries, and the message says what to fix when a person
// must act.
func (h *Handler) failureOf(r *http.Request, err error) failure {
	unavailable := func(retryAfter, logMsg, format string, args ...any) failure {
		return failure{code: http.StatusServiceUnavailable, retryAfter: retryAfter, msg: fmt.Sprintf(format, args...), logMsg: logMsg, counted: true}
	}
	switch {
	case errors.Is(err, store.ErrStale):
		return failure{code: http.StatusConflict, msg: err.Error()}
	case errors.Is(err, store.ErrTooLarge):
		return failure{code: http.StatusRequestEntityTooLarge, msg: err.Error()}
	case errors.Is(err, record.ErrInvalidKey):
		return failure{code: http.StatusBadRequest, msg: err.Error()}
	case errors.Is(err, store.ErrNotReady), errors.Is(err, store.ErrClosed):
		return failure{code: http.StatusServiceUnavailable, retryAfter: "1", msg: err.Error()}
	case r.Context().Err() != nil:
		// The caller went away; the write may still have happened.
		return failure{code: http.StatusServiceUnavailable, msg: fmt.Sprintf("request cancelled: %v", err)}
	case errors.Is(err, context.DeadlineExceeded):
		f := unavailable("5", "storing failed: the Kubernetes API server did not answer in time; the caller retries",
			"storing did not finish within %s (the Kubernetes API server is slow or unreachable); it may or may not have been stored: retry later: %v", h.storeTimeout, err)
		f.logKV = []any{"timeout", h.storeTimeout.String()}
		return f
	case apierrors.IsForbidden(err):
		msg := forbiddenMessage(err)
		return unavailable("30", "storing failed: "+msg, "%s; nothing was stored, retry once the Role is fixed: %v", msg, err)
	case apiServerUnavailable(err):
		// Nothing was stored and a retry will do: the caller is not at
		// fault, and neither is storage-rest.
		return unavailable("5", "storing failed: the Kubernetes API server is unavailable; nothing was stored, the caller retries",
			"the Kubernetes API server is unavailable, nothing was stored; retry later: %v", err)
	default:
		return unavailable("10", "storing failed; the caller retries",
			"storing failed, nothing was stored; retry later, and if this persists see storage-rest's log (docs/troubleshooting.md): %v", err)
	}
}

// forbiddenRE picks the verb and resource out of the API server's
// Forbidden message: ... cannot update resource "configmaps" in API group ...
var forbiddenRE = regexp.MustCompile(`cannot (\w+) resource "([^"]+)"`)

// forbiddenMessage says which RBAC verb storage-rest's service account
// lacks, as far as the API server's answer tells.
func forbiddenMessage(err error) string {
	verb, resource := "", "configmaps"
	if m := forbiddenRE.FindStringSubmatch(err.Error()); m != nil {
		verb, resource = m[1], m[2]
	}
	if verb == "" {
		return "the Kubernetes API server refused the write (Forbidden): storage-rest's service account lacks an RBAC permission on " + resource +
			" in its namespace; the Role in deploy/ grants get, list, watch, create, update, patch and delete"
	}
	return fmt.Sprintf("the Kubernetes API server refused the write (Forbidden): storage-rest's service account may not %s %s: "+
		"add the verb %q on %s to its Role in the pod's namespace (the Role in deploy/ grants get, list, watch, create, update, patch and delete)",
		verb, resource, verb, resource)
}

func validType(t string) bool {
	return t == record.TypeKubeflow || t == record.TypeKServe
}

// apiServerUnavailable reports whether err means the API server could not
// be reached or asked to come back later, rather than refusing the write.
func apiServerUnavailable(err error) bool {
	if apierrors.IsServiceUnavailable(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) ||
		apierrors.IsTooManyRequests(err) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}
