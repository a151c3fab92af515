package fakeregistry

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
)

// catalogAPI serves the Model Catalog REST API from a catalog.
type catalogAPI struct {
	cat          *catalog
	faults       *faultSet
	paging       pagingDefaults
	modelsPaging pagingDefaults
}

func (a *catalogAPI) routes(r chi.Router) {
	const b = CatalogBasePath
	r.Get(b+"/sources", a.listSources)
	r.Get(b+"/models", a.listModels)
	// The spec's {model_name+}: the rest of the path, "/" included.
	r.Get(b+"/sources/{source_id}/models/*", a.getModel)
}

// pathParam returns a path parameter decoded: chi routes on the escaped path
// when the request has one (a model name sent with %2F), so it must be
// unescaped here.
func pathParam(r *http.Request, name string) string {
	v := chi.URLParam(r, name)
	if r.URL.RawPath == "" {
		return v
	}
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

func (a *catalogAPI) listSources(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lq, err := parseListQuery(q, a.paging)
	if err != nil {
		writeErr(w, err)
		return
	}
	assetType := q.Get("assetType")
	switch assetType {
	case "", "models", "mcp_servers":
	default:
		writeError(w, http.StatusBadRequest, "assetType "+assetType+" is not models or mcp_servers")
		return
	}
	name := strings.ToLower(q.Get("name"))
	mode, _ := a.faults.take(r.URL.Path, isEmptyList)
	keep := func(rw *row[CatalogSource]) bool {
		at := rw.obj.AssetType
		if at == "" {
			at = "models"
		}
		return (assetType == "" || at == assetType) && strings.Contains(strings.ToLower(rw.obj.Name), name)
	}

	a.cat.mu.Lock()
	var page []*row[CatalogSource]
	next := ""
	if mode != FaultEmptyList {
		page, next = pageRows(a.cat.sources.view(lq.spec), lq, keep)
	}
	items := make([]CatalogSource, len(page))
	for i, rw := range page {
		items[i] = rw.obj.served()
	}
	a.cat.mu.Unlock()
	writeJSON(w, http.StatusOK, newList(items, lq.size, next))
}

func (a *catalogAPI) getModel(w http.ResponseWriter, r *http.Request) {
	sourceID, name := pathParam(r, "source_id"), pathParam(r, "*")
	a.cat.mu.Lock()
	m, src, ok := a.cat.model(sourceID, name)
	var out CatalogModel
	if ok {
		ok = src.obj.enabled() && src.obj.includes(name)
		out = m.obj
	}
	a.cat.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "no CatalogModel "+name+" in CatalogSource "+sourceID+" (or the source is disabled or excludes it)")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// listModels serves GET /models: models of enabled sources, filtered by
// source, sourceLabel, q and filterQuery.
func (a *catalogAPI) listModels(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lq, f, err := parseFilteredList(q, a.modelsPaging)
	if err != nil {
		writeErr(w, err)
		return
	}
	sources := splitValues(q["source"])
	labels := splitValues(q["sourceLabel"])
	text := strings.ToLower(q.Get("q"))
	mode, _ := a.faults.take(r.URL.Path, isEmptyList)

	a.cat.mu.Lock()
	keep := func(rw *row[CatalogModel]) bool {
		src, ok := a.cat.sources.get(rw.parent)
		if !ok || !src.obj.enabled() || !src.obj.includes(rw.name) {
			return false
		}
		if len(sources) > 0 && !contains(sources, src.obj.ID) {
			return false
		}
		if len(labels) > 0 && !labelMatch(labels, src.obj.Labels) {
			return false
		}
		if text != "" && !modelMentions(rw.obj, text) {
			return false
		}
		return f == nil || f.match(toFilterObject(rw.obj))
	}
	var page []*row[CatalogModel]
	next := ""
	if mode != FaultEmptyList {
		page, next = pageRows(a.cat.models.view(lq.spec), lq, keep)
	}
	items := objects(page)
	a.cat.mu.Unlock()
	writeJSON(w, http.StatusOK, newList(items, lq.size, next))
}

// splitValues flattens repeated and comma-separated query values.
func splitValues(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func contains(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

// labelMatch implements sourceLabel: any label matches; "null" matches
// sources without labels.
func labelMatch(want, have []string) bool {
	for _, w := range want {
		if w == "null" && len(have) == 0 || contains(have, w) {
			return true
		}
	}
	return false
}

func modelMentions(m CatalogModel, text string) bool {
	for _, s := range append([]string{m.Name, m.Description, m.Provider, m.LibraryName}, m.Tasks...) {
		if strings.Contains(strings.ToLower(s), text) {
			return true
		}
	}
	return false
}
