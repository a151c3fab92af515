package location

import (
	"net/http"
	"strings"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/location/index"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// Header values every response shares; never modified.
var (
	noCache = []string{"no-cache"}
	nosniff = []string{"nosniff"}
)

// reader serves what RHDH reads. Each request answers from one snapshot
// and does no I/O and no encoding: bodies and headers were prepared when
// the snapshot was built.
type reader struct {
	ix *index.Index
}

// list serves GET /list. Until the first load from storage-rest it answers
// 404, which the 1.x entity provider reads as "connector not ready yet".
func (rd *reader) list(w http.ResponseWriter, r *http.Request) {
	snap := rd.ix.Snapshot()
	if !snap.Loaded() {
		httpserver.WriteError(w, http.StatusNotFound, "not ready: the records have not been loaded from storage-rest yet; retry shortly")
		return
	}
	h := w.Header()
	snap.SetListHeaders(h)
	h["X-Content-Type-Options"] = nosniff
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = snap.WriteList(w)
	}
}

// document serves GET /<segment>/.../<file>, the URIs /list names.
// In JSONArray, a record's directory plus /catalog-info.yaml serves its
// Backstage entities (in CatalogInfoYAML that is the document itself).
func (rd *reader) document(w http.ResponseWriter, r *http.Request) {
	snap := rd.ix.Snapshot()
	if d := snap.Document(r.URL.Path); d != nil {
		serve(w, r, &d.Representation)
		return
	}
	if rd.entities(w, r, snap) {
		return
	}
	rd.notFound(w, r.URL.Path, snap.Format())
}

// entities serves the catalog-info YAML of the record r's path names, and
// reports whether the path named one.
func (rd *reader) entities(w http.ResponseWriter, r *http.Request, snap *index.Snapshot) bool {
	d := snap.EntitiesDocument(r.URL.Path)
	if d == nil {
		return false
	}
	rep, err := d.Entities()
	if err != nil {
		httpserver.WriteError(w, http.StatusNotFound, "no catalog-info YAML at %q: record %q is served at %s, but %v", r.URL.Path, d.Key, d.URI(), err)
		return true
	}
	serve(w, r, rep)
	return true
}

// location serves GET /catalog-info.yaml: one Backstage Location entity
// whose targets are the catalog-info YAML of every listed record, so that
// one catalog.locations entry brings every model into any Backstage. Until
// the first load it answers 503: an empty Location would make Backstage
// delete every model entity it holds.
func (rd *reader) location(w http.ResponseWriter, r *http.Request) {
	snap := rd.ix.Snapshot()
	if !snap.Loaded() {
		w.Header().Set("Retry-After", "5")
		httpserver.WriteError(w, http.StatusServiceUnavailable, "not ready: the records have not been loaded from storage-rest yet; retry shortly")
		return
	}
	serve(w, r, snap.Location())
}

// models serves GET /models/{item}, where item is a key or a URI from
// /list, with or without its leading slash: the 1.x entity provider asks
// for /models//mnist/v1/model-catalog.json. The decoded path is used, not
// the router's pattern match, so %2F-encoded items and "//" both work.
// A listed URI that itself starts with /models/ (key models__x) is served
// first: the 0.7 provider fetches listed URIs as they are.
func (rd *reader) models(w http.ResponseWriter, r *http.Request) {
	snap := rd.ix.Snapshot()
	d := snap.Document(r.URL.Path)
	if d == nil && rd.entities(w, r, snap) {
		return // the catalog-info YAML of a record whose key starts with models__
	}
	item := strings.TrimPrefix(r.URL.Path, "/models/")
	if d == nil {
		if k := strings.TrimPrefix(item, "/"); !strings.Contains(k, "/") {
			d = snap.DocumentByKey(k)
		} else {
			d = snap.Document(item)
		}
	}
	if d == nil {
		rd.notFound(w, item, snap.Format())
		return
	}
	serve(w, r, &d.Representation)
}

// modelCard serves GET /modelcard?key=K, the TechDocs reader's URL.
func (rd *reader) modelCard(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("key")
	if key == "" {
		httpserver.WriteError(w, http.StatusBadRequest, "query parameter key is required: GET /modelcard?key=<key>")
		return
	}
	c := rd.ix.Snapshot().Card(key)
	if c == nil {
		httpserver.WriteError(w, http.StatusNotFound, "no model card for key %q", key)
		return
	}
	serve(w, r, &c.Representation)
}

func (rd *reader) notFound(w http.ResponseWriter, what string, f record.Format) {
	_, file, err := record.KeyFromURI(what)
	if err == nil && file == record.FileYAML {
		httpserver.WriteError(w, http.StatusNotFound, "no catalog-info YAML at %q: no such record; GET %s targets every record's", what, index.LocationURI)
		return
	}
	if err == nil && file != f.File() {
		httpserver.WriteError(w, http.StatusNotFound, "no document at %q: location serves NORMALIZER_FORMAT=%s, whose URIs end in /%s", what, f, f.File())
		return
	}
	httpserver.WriteError(w, http.StatusNotFound, "no document at %q: GET /list names the documents served", what)
}

// serve answers with rep, or 304 when the caller's If-None-Match matches.
// Caches must revalidate (no-cache), which the ETag makes cheap.
func serve(w http.ResponseWriter, r *http.Request, rep *index.Representation) {
	h := w.Header()
	h["Cache-Control"] = noCache
	if inm := r.Header.Get("If-None-Match"); inm != "" && noneMatch(inm, rep.ETag) {
		rep.SetETag(h)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	rep.SetHeaders(h)
	h["X-Content-Type-Options"] = nosniff
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(rep.Body)
	}
}
