package location

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/httpcheck"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

func TestListIs404UntilLoadedThenSortedAndNeverNull(t *testing.T) {
	ts := newTestService(t, newFakeStorage(nil), nil)
	w := ts.do(http.MethodGet, "/list", nil)
	assert.Equal(t, http.StatusNotFound, w.Code, "the 1.x provider reads 404 as not ready")
	assert.Contains(t, httpcheck.ErrorMessage(t, w), "not ready")
	assert.Equal(t, http.StatusServiceUnavailable, ts.do(http.MethodGet, "/readyz", nil).Code)

	ts.load(t)
	w = ts.do(http.MethodGet, "/list", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.Equal(t, `{"uris":[]}`, w.Body.String(), "an empty array, never null")
	assert.Equal(t, "11", w.Header().Get("Content-Length"))
	assert.Equal(t, http.StatusOK, ts.do(http.MethodGet, "/readyz", nil).Code)

	for _, k := range []string{"zeta__v1", "alpha__v2", "alpha__v10", "mid-model_x.y__1.0"} {
		require.Equal(t, http.StatusOK, ts.upsert(t, k, doc(k, 1)).Code)
	}
	assert.Equal(t, []string{
		"/alpha/v10/model-catalog.json", "/alpha/v2/model-catalog.json",
		"/mid-model_x.y/1.0/model-catalog.json", "/zeta/v1/model-catalog.json",
	}, ts.list(t))
}

func TestDocumentsAreServedAsStoredWithValidators(t *testing.T) {
	st := newFakeStorage(map[string]record.Record{"mnist__v1": doc("mnist", 1)})
	ts := newTestService(t, st, nil)
	ts.load(t)

	w := ts.do(http.MethodGet, "/mnist/v1/model-catalog.json", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, string(doc("mnist", 1).Body), w.Body.String())
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.Equal(t, "no-cache", w.Header().Get("Cache-Control"))
	assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	assert.Equal(t, len(doc("mnist", 1).Body), mustAtoi(t, w.Header().Get("Content-Length")))
	etag := w.Header().Get("ETag")
	assert.Regexp(t, `^"[0-9a-f]{32}"$`, etag)

	for _, inm := range []string{etag, "W/" + etag, `"nope", ` + etag, "*", `"a,b", ` + etag} {
		w = ts.do(http.MethodGet, "/mnist/v1/model-catalog.json", nil, header("If-None-Match", inm))
		assert.Equal(t, http.StatusNotModified, w.Code, inm)
		assert.Empty(t, w.Body.String(), inm)
		assert.Equal(t, etag, w.Header().Get("ETag"), inm)
	}
	for _, inm := range []string{`"nope"`, "garbage", `W/"x"`, `"` + strings.Trim(etag, `"`) + `0"`} {
		w = ts.do(http.MethodGet, "/mnist/v1/model-catalog.json", nil, header("If-None-Match", inm))
		assert.Equal(t, http.StatusOK, w.Code, inm)
	}

	w = ts.do(http.MethodGet, "/mnist/v2/model-catalog.json", nil)
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Contains(t, httpcheck.ErrorMessage(t, w), "GET /list")
	w = ts.do(http.MethodGet, "/mnist/v1/other.yaml", nil)
	assert.Equal(t, http.StatusNotFound, w.Code)
	httpcheck.ErrorMessage(t, w)
	w = ts.do(http.MethodGet, "/nothing/here", nil)
	assert.Equal(t, http.StatusNotFound, w.Code)
	httpcheck.ErrorMessage(t, w)
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	require.NoError(t, json.Unmarshal([]byte(s), &n), s)
	return n
}

func TestHeadWorksWhereGetDoes(t *testing.T) {
	st := newFakeStorage(map[string]record.Record{"m__v1": withCard(doc("m", 1), "", "# M")})
	ts := newTestService(t, st, nil)
	ts.load(t)
	for _, path := range []string{"/list", "/m/v1/model-catalog.json", "/models/m__v1", "/models//m/v1/model-catalog.json", "/modelcard?key=m__v1"} {
		get := ts.do(http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, get.Code, path)
		head := ts.do(http.MethodHead, path, nil)
		assert.Equal(t, http.StatusOK, head.Code, path)
		assert.Empty(t, head.Body.String(), path)
		assert.Equal(t, get.Header().Get("Content-Type"), head.Header().Get("Content-Type"), path)
		assert.Equal(t, get.Header().Get("Content-Length"), head.Header().Get("Content-Length"), path)
		assert.Equal(t, get.Body.Len(), mustAtoi(t, head.Header().Get("Content-Length")), path)
	}
}

func withCard(r record.Record, cardKey, card string) record.Record {
	r.ModelCardKey, r.ModelCard = cardKey, card
	return r
}

// Every form of /models/{item}: the storage key, a URI from /list with or
// without its leading slash (the 1.x provider's literal
// /models//mnist/v1/model-catalog.json), percent-encoded, and names with
// '_', '-' and '.' in their segments. Sent over a real connection so that
// nothing between the client and the handler cleans the path.
func TestModelsByKeyOrURIInEveryForm(t *testing.T) {
	keys := []string{"mnist__v1", "granite-3.1-8b__v1.0_rc-2", "a_b__c-d__e.f"}
	recs := map[string]record.Record{}
	for _, k := range keys {
		recs[k] = doc(k, 1)
	}
	ts := newTestService(t, newFakeStorage(recs), nil)
	ts.load(t)
	srv := httptest.NewServer(ts.h)
	defer srv.Close()

	for _, k := range keys {
		uri, err := record.URI(k, record.FileJSON)
		require.NoError(t, err)
		require.Contains(t, ts.list(t), uri)
		for _, path := range []string{
			"/models/" + k,
			"/models//" + k,
			"/models/" + uri, // "//" after models
			"/models" + uri,
			"/models/" + strings.ReplaceAll(uri, "/", "%2F"),
			"/models/" + strings.ReplaceAll(strings.TrimPrefix(uri, "/"), "/", "%2F"),
			uri,
		} {
			resp, err := http.Get(srv.URL + path)
			require.NoError(t, err, path)
			body, err := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, body)
			assert.Equal(t, string(recs[k].Body), string(body), path)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), path)
		}
	}
	for _, path := range []string{"/models/nope__v1", "/models//nope/v1/model-catalog.json", "/models/", "/models/mnist/v1", "/models/mnist__v1/extra"} {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), path)
	}
}

// Keys whose first segment is a route name ("models", "list", ...) have
// URIs under those routes; every listed URI must still be served, and the
// 1.x form /models/{uri} must still reach the other documents.
func TestKeysNamedLikeRoutes(t *testing.T) {
	recs := map[string]record.Record{}
	for _, k := range []string{"models__v1", "models", "v1", "list__v1", "modelcard__x", "metrics__m", "healthz__h", "upsert__u"} {
		recs[k] = doc(k, 1)
	}
	ts := newTestService(t, newFakeStorage(recs), nil)
	ts.load(t)
	uris := ts.list(t)
	require.Len(t, uris, len(recs))
	for _, uri := range uris {
		key, _, err := record.KeyFromURI(uri)
		require.NoError(t, err)
		for _, path := range []string{uri, "/models/" + uri, "/models/" + key} {
			w := ts.do(http.MethodGet, path, nil)
			require.Equal(t, http.StatusOK, w.Code, "%s: %s", path, w.Body.String())
			assert.Equal(t, string(recs[key].Body), w.Body.String(), path)
		}
	}
}

func TestYAMLFormat(t *testing.T) {
	yaml := record.Record{Body: []byte("apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: mnist-v1\n"), LastUpdateTimeSinceEpoch: 1}
	ts := newTestService(t, newFakeStorage(map[string]record.Record{"mnist__v1": yaml}), func(c *Config) {
		c.Format = record.CatalogInfoYAMLFormat
	})
	ts.load(t)
	assert.Equal(t, []string{"/mnist/v1/catalog-info.yaml"}, ts.list(t))
	for _, path := range []string{"/mnist/v1/catalog-info.yaml", "/models//mnist/v1/catalog-info.yaml", "/models/mnist__v1"} {
		w := ts.do(http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, w.Code, path)
		assert.Equal(t, "application/yaml", w.Header().Get("Content-Type"), path)
		assert.Equal(t, string(yaml.Body), w.Body.String(), path)
	}
	w := ts.do(http.MethodGet, "/mnist/v1/model-catalog.json", nil)
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Contains(t, httpcheck.ErrorMessage(t, w), string(record.CatalogInfoYAMLFormat))
	assert.Equal(t, "application/json", ts.do(http.MethodGet, "/list", nil).Header().Get("Content-Type"))
}

func TestModelCard(t *testing.T) {
	ts := newTestService(t, newFakeStorage(map[string]record.Record{
		"granite__v1": withCard(doc("granite", 1), "ibm-granite__granite-8b", "# Granite\n\nA model."),
	}), nil)
	ts.load(t)

	w := ts.do(http.MethodGet, "/modelcard?key=ibm-granite__granite-8b", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "# Granite\n\nA model.", w.Body.String())
	assert.Equal(t, "text/markdown; charset=utf-8", w.Header().Get("Content-Type"))
	etag := w.Header().Get("ETag")
	require.NotEmpty(t, etag)

	w = ts.do(http.MethodGet, "/modelcard?key=ibm-granite__granite-8b", nil, header("If-None-Match", etag))
	assert.Equal(t, http.StatusNotModified, w.Code)
	assert.Empty(t, w.Body.String())
	w = ts.do(http.MethodGet, "/modelcard?key=ibm-granite__granite-8b", nil, header("If-None-Match", `"other", `+etag))
	assert.Equal(t, http.StatusNotModified, w.Code)
	w = ts.do(http.MethodGet, "/modelcard?key=ibm-granite__granite-8b", nil, header("If-None-Match", "*"))
	assert.Equal(t, http.StatusNotModified, w.Code)

	require.Equal(t, http.StatusOK, ts.upsert(t, "granite__v1", withCard(doc("granite", 2), "ibm-granite__granite-8b", "# Granite\n\nBetter.")).Code)
	w = ts.do(http.MethodGet, "/modelcard?key=ibm-granite__granite-8b", nil, header("If-None-Match", etag))
	require.Equal(t, http.StatusOK, w.Code, "the card changed: the old ETag no longer matches")
	assert.Equal(t, "# Granite\n\nBetter.", w.Body.String())
	assert.NotEqual(t, etag, w.Header().Get("ETag"))

	// A card key must be a record key: storage-rest would never store
	// another, so location does not serve one either.
	assert.Equal(t, http.StatusBadRequest, ts.upsert(t, "granite__v1", withCard(doc("granite", 3), "ibm-granite/granite-8b", "# Granite")).Code)

	w = ts.do(http.MethodGet, "/modelcard?key=unknown", nil)
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Contains(t, httpcheck.ErrorMessage(t, w), "unknown")
	w = ts.do(http.MethodGet, "/modelcard?key=granite__v1", nil)
	assert.Equal(t, http.StatusNotFound, w.Code, "the card is under its modelCardKey only")
	w = ts.do(http.MethodGet, "/modelcard", nil)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, httpcheck.ErrorMessage(t, w), "key")
}

func TestUnknownRoutesAndMethodsAnswerJSON(t *testing.T) {
	ts := newTestService(t, newFakeStorage(nil), nil)
	ts.load(t)
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{http.MethodPut, "/list", http.StatusMethodNotAllowed},
		{http.MethodPost, "/list", http.StatusMethodNotAllowed},
		{http.MethodPut, "/upsert?key=a", http.StatusMethodNotAllowed},
		{http.MethodGet, "/upsert?key=a", http.StatusNotFound},
		{http.MethodGet, "/", http.StatusNotFound},
	} {
		w := ts.do(tc.method, tc.path, nil)
		assert.Equal(t, tc.code, w.Code, "%s %s", tc.method, tc.path)
		httpcheck.ErrorMessage(t, w)
	}
}

func TestNoneMatch(t *testing.T) {
	const etag = `"abc"`
	for h, want := range map[string]bool{
		`"abc"`: true, `W/"abc"`: true, `*`: true, ` "x" , "abc"`: true, `"x",W/"abc"`: true, //nolint:gocritic // mapKey: the spaces are the input under test
		`"x"`: false, `abc`: false, `"abc`: false, `W/`: false, `,`: false, `"ab"`: false, `"abcd"`: false,
	} {
		assert.Equal(t, want, noneMatch(h, etag), h)
	}
}
