package location

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/backstage/entity"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/httpcheck"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// servedDoc is a document as the normalizer writes it for a deployed
// registered model version, with the dashboard links.
func servedDoc() modelcatalog.Document {
	return modelcatalog.Document{
		ModelServer: &modelcatalog.ModelServer{
			Name: "granite-v1", Owner: "team-a", Lifecycle: "production", Description: "vLLM server of granite v1",
			Tags: []string{"vllm"}, HomepageURL: "https://granite.apps.example.com",
			Annotations: map[string]string{
				modelcatalog.AnnotationDashboardURL:     "https://rhods-dashboard.apps.example.com/projects/team-a/metrics/model/granite-v1",
				modelcatalog.AnnotationExternalRouteURL: "https://granite.apps.example.com",
			},
			API: &modelcatalog.API{URL: "https://granite.apps.example.com/v1", Type: "openapi", Spec: `{"openapi":"3.0.0"}`},
		},
		Models: []modelcatalog.Model{{
			Name: "granite-v1", Owner: "team-a", Lifecycle: "production", Description: "Granite 8B",
			Tags: []string{"granite"}, ArtifactLocationURL: "https://huggingface.co/ibm-granite/granite-8b",
			Annotations: map[string]string{
				modelcatalog.AnnotationTechDocs:      "http://localhost:9090/modelcard?key=granite__v1",
				modelcatalog.AnnotationTechDocsLower: "/modelcard?key=granite__v1",
				modelcatalog.AnnotationDashboardURL:  "https://rhods-dashboard.apps.example.com/modelRegistry/r/registeredModels/1/versions/2/details",
			},
		}},
	}
}

func jsonRecord(t testing.TB, doc modelcatalog.Document, ts int64) record.Record {
	t.Helper()
	body, err := json.Marshal(doc)
	require.NoError(t, err)
	return record.Record{Body: body, LastUpdateTimeSinceEpoch: record.Epoch(ts)}
}

// entitiesOf parses catalog-info YAML and checks every entity with
// Backstage's rules.
func entitiesOf(t testing.TB, body string) []entity.Entity {
	t.Helper()
	var ents []entity.Entity
	for _, part := range strings.Split(body, "---\n") {
		var e entity.Entity
		require.NoError(t, yaml.UnmarshalStrict([]byte(part), &e), part)
		ents = append(ents, e)
	}
	require.NoError(t, entity.ValidateAll(ents))
	return ents
}

func rootLocation(t testing.TB, ts *testService) (entity.Entity, string) {
	t.Helper()
	w := ts.do(http.MethodGet, "/catalog-info.yaml", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "application/yaml", w.Header().Get("Content-Type"))
	assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	var l entity.Entity
	require.NoError(t, yaml.UnmarshalStrict(w.Body.Bytes(), &l), w.Body.String())
	require.NoError(t, entity.Validate(&l))
	assert.Equal(t, entity.KindLocation, l.Kind)
	assert.Equal(t, "rhoai-model-catalog", l.Metadata.Name)
	assert.Equal(t, "url", l.Spec.Type)
	require.NotNil(t, l.Spec.Targets, "targets is always there, [] when empty")
	return l, w.Header().Get("ETag")
}

type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

func targetsFor(uris []string) []string {
	var out []string
	for _, u := range uris {
		out = append(out, "."+strings.TrimSuffix(u, record.FileJSON)+record.FileYAML)
	}
	slices.Sort(out)
	return out
}

func TestRecordEntitiesInJSONFormat(t *testing.T) {
	sd := servedDoc()
	st := newFakeStorage(map[string]record.Record{"granite__v1": jsonRecord(t, sd, 1), "mnist__v1": doc("mnist", 1)})
	ts := newTestService(t, st, nil)
	ts.load(t)
	assert.Equal(t, []string{"/granite/v1/model-catalog.json", "/mnist/v1/model-catalog.json"}, ts.list(t), "/list is unchanged")

	w := ts.do(http.MethodGet, "/granite/v1/catalog-info.yaml", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "application/yaml", w.Header().Get("Content-Type"), "as YAML documents are served")
	assert.Equal(t, "no-cache", w.Header().Get("Cache-Control"))
	assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	want, err := entity.YAML(sd)
	require.NoError(t, err)
	assert.Equal(t, string(want), w.Body.String(), "the shared renderer's output")
	ents := entitiesOf(t, w.Body.String())
	var refs []string
	for _, e := range ents {
		refs = append(refs, e.Ref())
	}
	assert.Equal(t, []string{"component:granite-v1", "api:granite-v1", "resource:granite-v1"}, refs)
	assert.Contains(t, ents[0].Metadata.Links, entity.Link{URL: sd.ModelServer.Annotations[modelcatalog.AnnotationDashboardURL], Title: "OpenShift AI dashboard"})
	assert.Contains(t, ents[2].Metadata.Links, entity.Link{URL: sd.Models[0].Annotations[modelcatalog.AnnotationDashboardURL], Title: "OpenShift AI dashboard"})
	assert.Equal(t, "url:http://localhost:9090/modelcard?key=granite__v1", ents[2].Metadata.Annotations[entity.AnnotationTechDocsRef])

	etag := w.Header().Get("ETag")
	assert.Regexp(t, `^"[0-9a-f]{32}"$`, etag)
	w = ts.do(http.MethodGet, "/granite/v1/catalog-info.yaml", nil, header("If-None-Match", etag))
	assert.Equal(t, http.StatusNotModified, w.Code)
	assert.Empty(t, w.Body.String())
	assert.Equal(t, etag, w.Header().Get("ETag"))
	w = ts.do(http.MethodHead, "/granite/v1/catalog-info.yaml", nil)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Empty(t, w.Body.String())
	assert.Equal(t, etag, w.Header().Get("ETag"))
	assert.Equal(t, len(want), mustAtoi(t, w.Header().Get("Content-Length")))

	// A registered model that is not deployed: one Resource.
	w = ts.do(http.MethodGet, "/mnist/v1/catalog-info.yaml", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	ents = entitiesOf(t, w.Body.String())
	require.Len(t, ents, 1)
	assert.Equal(t, "resource:mnist", ents[0].Ref())

	// A new body, a new rendering and a new ETag.
	sd.Models[0].Description = "Granite 8B, v2"
	require.Equal(t, http.StatusOK, ts.upsert(t, "granite__v1", jsonRecord(t, sd, 2)).Code)
	w = ts.do(http.MethodGet, "/granite/v1/catalog-info.yaml", nil, header("If-None-Match", etag))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "Granite 8B, v2")
	assert.NotEqual(t, etag, w.Header().Get("ETag"))

	// The documents themselves are served as before.
	w = ts.do(http.MethodGet, "/granite/v1/model-catalog.json", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
}

func TestRecordEntitiesInYAMLFormatAreTheStoredDocuments(t *testing.T) {
	doc := servedDoc()
	body, err := entity.YAML(doc) // what the normalizer writes in record.CatalogInfoYAMLFormat
	require.NoError(t, err)
	ts := newTestService(t, newFakeStorage(map[string]record.Record{
		"granite__v1": {Body: body, LastUpdateTimeSinceEpoch: 1},
	}), func(c *Config) { c.Format = record.CatalogInfoYAMLFormat })
	ts.load(t)
	assert.Equal(t, []string{"/granite/v1/catalog-info.yaml"}, ts.list(t))
	w := ts.do(http.MethodGet, "/granite/v1/catalog-info.yaml", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, string(body), w.Body.String())
	assert.Equal(t, "application/yaml", w.Header().Get("Content-Type"))
	entitiesOf(t, w.Body.String())
	w = ts.do(http.MethodGet, "/granite/v1/catalog-info.yaml", nil, header("If-None-Match", w.Header().Get("ETag")))
	assert.Equal(t, http.StatusNotModified, w.Code)

	l, _ := rootLocation(t, ts)
	assert.Equal(t, []string{"./granite/v1/catalog-info.yaml"}, *l.Spec.Targets)
}

func TestRootLocationTargetsExactlyTheListedRecords(t *testing.T) {
	st := newFakeStorage(map[string]record.Record{
		"granite__v1":      jsonRecord(t, servedDoc(), 1),
		"mnist__v1":        doc("mnist", 1),
		"mnist__v10":       doc("mnist-10", 1),
		"kserve__ns__chat": doc("chat", 1),
		"models__x":        doc("x", 1),
	})
	c := &testClock{t: time.Unix(1_700_000_000, 0)}
	ts := newTestService(t, st, func(cfg *Config) { cfg.Now = c.now; cfg.RemovedGrace = time.Minute })

	w := ts.do(http.MethodGet, "/catalog-info.yaml", nil)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code, "an empty Location before the load would delete every model in Backstage")
	assert.Contains(t, httpcheck.ErrorMessage(t, w), "not ready")

	ts.load(t)
	l, etag := rootLocation(t, ts)
	listed := ts.list(t)
	require.Len(t, listed, 5)
	assert.Equal(t, targetsFor(listed), *l.Spec.Targets)
	assert.Equal(t, []string{
		"./granite/v1/catalog-info.yaml", "./kserve/ns/chat/catalog-info.yaml", "./mnist/v1/catalog-info.yaml",
		"./mnist/v10/catalog-info.yaml", "./models/x/catalog-info.yaml",
	}, *l.Spec.Targets)

	// Backstage resolves each target against the Location's own URL (new
	// URL(target, base)); each must then serve valid entities, also under
	// a path prefix (a reverse proxy).
	for _, prefix := range []string{"", "/connector"} {
		srv := httptest.NewServer(http.StripPrefix(prefix, ts.h))
		base, err := url.Parse(srv.URL + prefix + "/catalog-info.yaml")
		require.NoError(t, err)
		for _, target := range *l.Spec.Targets {
			ref, err := url.Parse(target)
			require.NoError(t, err)
			u := base.ResolveReference(ref).String()
			assert.True(t, strings.HasPrefix(u, srv.URL+prefix+"/"), u)
			resp, err := http.Get(u)
			require.NoError(t, err)
			var b strings.Builder
			_, _ = io.Copy(&b, resp.Body)
			_ = resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", u, b.String())
			entitiesOf(t, b.String())
		}
		srv.Close()
	}

	w = ts.do(http.MethodGet, "/catalog-info.yaml", nil, header("If-None-Match", etag))
	assert.Equal(t, http.StatusNotModified, w.Code)
	assert.Equal(t, http.StatusOK, ts.do(http.MethodHead, "/catalog-info.yaml", nil).Code)

	// A removal drops the target at once; the record's YAML stays
	// fetchable for the grace period, like its document.
	require.Equal(t, http.StatusOK, ts.do(http.MethodDelete, "/remove?key=mnist__v1", nil).Code)
	w = ts.do(http.MethodGet, "/catalog-info.yaml", nil, header("If-None-Match", etag))
	require.Equal(t, http.StatusOK, w.Code, "changed")
	l, etag2 := rootLocation(t, ts)
	assert.NotEqual(t, etag, etag2)
	assert.NotContains(t, *l.Spec.Targets, "./mnist/v1/catalog-info.yaml")
	assert.Equal(t, targetsFor(ts.list(t)), *l.Spec.Targets)
	assert.Equal(t, http.StatusOK, ts.do(http.MethodGet, "/mnist/v1/catalog-info.yaml", nil).Code, "within the grace period")
	c.t = c.t.Add(2 * time.Minute)
	require.Equal(t, http.StatusOK, ts.upsert(t, "new__v1", doc("new", 1)).Code) // a write expires the removed
	w = ts.do(http.MethodGet, "/mnist/v1/catalog-info.yaml", nil)
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Contains(t, httpcheck.ErrorMessage(t, w), "no such record")
	l, _ = rootLocation(t, ts)
	assert.Contains(t, *l.Spec.Targets, "./new/v1/catalog-info.yaml", "an addition is a target at once")
	assert.Equal(t, targetsFor(ts.list(t)), *l.Spec.Targets)

	// Removing everything leaves an empty list of targets.
	for _, u := range ts.list(t) {
		key, _, err := record.KeyFromURI(u)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, ts.do(http.MethodDelete, "/remove?key="+key, nil).Code)
	}
	l, _ = rootLocation(t, ts)
	assert.Empty(t, *l.Spec.Targets)
}

func TestRecordsWithoutValidEntitiesAreNoTargets(t *testing.T) {
	bad := servedDoc()
	bad.ModelServer.API.Spec = "" // an API without a definition: Backstage rejects it
	st := newFakeStorage(map[string]record.Record{
		"good__v1":   doc("good", 1),
		"nodoc__v1":  {Body: []byte(`{"models":"not a list"}`), LastUpdateTimeSinceEpoch: 1},
		"empty__v1":  {Body: []byte(`{"models":[]}`), LastUpdateTimeSinceEpoch: 1},
		"noname__v1": {Body: []byte(`{"models":[{"owner":"o","lifecycle":"l","description":"d"}]}`), LastUpdateTimeSinceEpoch: 1},
		"bad__v1":    jsonRecord(t, bad, 1),
	})
	ts := newTestService(t, st, nil)
	ts.load(t)
	assert.Len(t, ts.list(t), 5, "/list serves every record, as before")
	l, _ := rootLocation(t, ts)
	assert.Equal(t, []string{"./good/v1/catalog-info.yaml"}, *l.Spec.Targets)
	for path, why := range map[string]string{
		"/nodoc/v1/catalog-info.yaml":       "not a model-catalog document",
		"/empty/v1/catalog-info.yaml":       "no model",
		"/noname/v1/catalog-info.yaml":      "not a valid entity name",
		"/bad/v1/catalog-info.yaml":         "spec.definition",
		"/unknown/v1/catalog-info.yaml":     "no such record",
		"/models/unknown/catalog-info.yaml": "",
	} {
		w := ts.do(http.MethodGet, path, nil)
		assert.Equal(t, http.StatusNotFound, w.Code, path)
		assert.Contains(t, httpcheck.ErrorMessage(t, w), why, path)
	}
	// Fixed, it becomes a target.
	require.Equal(t, http.StatusOK, ts.upsert(t, "bad__v1", jsonRecord(t, servedDoc(), 2)).Code)
	l, _ = rootLocation(t, ts)
	assert.Equal(t, []string{"./bad/v1/catalog-info.yaml", "./good/v1/catalog-info.yaml"}, *l.Spec.Targets)
}

// The upstream example documents (tags Backstage rejects are left out).
func TestSampleDocumentsRenderValidEntities(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testenv.SpecsDir(t, "model-catalog-example-003-multiple-models.json"), "model-catalog-example-*.json"))
	require.NotEmpty(t, files, "the upstream example documents in ../shared/specs")
	recs := map[string]record.Record{}
	for i, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		recs[strings.TrimSuffix(filepath.Base(f), ".json")+"__v"+string(rune('0'+i))] = record.Record{Body: b, LastUpdateTimeSinceEpoch: 1}
	}
	ts := newTestService(t, newFakeStorage(recs), nil)
	ts.load(t)
	l, _ := rootLocation(t, ts)
	assert.Equal(t, targetsFor(ts.list(t)), *l.Spec.Targets)
	for _, target := range *l.Spec.Targets {
		w := ts.do(http.MethodGet, strings.TrimPrefix(target, "."), nil)
		require.Equal(t, http.StatusOK, w.Code, "%s: %s", target, w.Body.String())
		entitiesOf(t, w.Body.String())
	}
}
