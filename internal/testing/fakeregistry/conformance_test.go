package fakeregistry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/go-chi/chi/v5"
	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// specServer is the host the specs' servers list names; requests are
// matched against the spec's routes as if sent there.
const specServer = "localhost:8080"

type spec struct {
	doc    *openapi3.T
	router routers.Router
}

// Quirks of the upstream specs and how this test handles them, without
// loosening what a response must satisfy:
//
//   - The pageSize parameter's example is the number 100 while its schema
//     is a string, so document validation runs without example validation
//     (specValidationOptions).
//   - The catalog's getModel path is /sources/{source_id}/models/{model_name+}:
//     "+" marks a greedy parameter that gorilla/mux cannot express, so names
//     with "/" are escaped (%2F) before the route is looked up
//     (routeRequest); the server accepts both forms.
//   - The servers list names localhost:8080, so routes are looked up as if
//     requests were sent there.
//   - createInferenceService declares only 200 for success: the server
//     answers 200 to POST /inference_services (and 201 to the nested create,
//     which declares 201).
//   - The registry's OrderByField has no NAME; the server accepts it as an
//     extension (as the catalog spec does), so requests here use only the
//     values the registry spec lists.
//   - getRegisteredModels, getModelVersions, getServingEnvironments, the
//     nested lists, findRegisteredModel and findServingEnvironment declare no
//     400: the server still answers 400 to malformed paging parameters
//     (not exercised here, see TestListRejectsBadPagingParameters), and 404
//     to a find without name or externalId on the two find endpoints.
//   - createRegisteredModelVersion and upsertModelVersionArtifact take the
//     full ModelVersion/Artifact schemas, read-only fields included: the
//     server ignores id and times sent there (an artifact id selects the
//     artifact to attach).

// loadSpec loads and validates an OpenAPI document and builds its router.
func loadSpec(t *testing.T, file string) spec {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(file)
	require.NoError(t, err, "loading %s", file)
	require.NoError(t, doc.Validate(loader.Context, specValidationOptions...), "validating %s", file)
	router, err := gorillamux.NewRouter(doc)
	require.NoError(t, err, "routing %s", file)
	return spec{doc: doc, router: router}
}

// specValidationOptions are the document-validation options the upstream
// specs need: examples are not validated (see the quirks above).
var specValidationOptions = []openapi3.ValidationOption{
	openapi3.DisableExamplesValidation(),
}

// exchange is one request to the server and the status it must get.
type exchange struct {
	method string
	path   string // with query
	body   any
	status int
	// badRequest marks a request that breaks the spec on purpose: only the
	// response is validated.
	badRequest bool
}

type conformance struct {
	t        *testing.T
	c        *client
	registry spec
	catalog  spec
	s        *Server
}

// routeRequest is req as the spec's router must see it: on the specs'
// server, and with a catalog model name's "/" escaped, because the router
// cannot express the spec's greedy {model_name+} parameter.
func routeRequest(req *http.Request) *http.Request {
	r := req.Clone(req.Context())
	u := *req.URL
	u.Scheme, u.Host = "http", specServer
	prefix := CatalogBasePath + "/sources/"
	if rest, ok := strings.CutPrefix(u.Path, prefix); ok {
		if src, name, ok := strings.Cut(rest, "/models/"); ok && strings.Contains(name, "/") {
			u.Path = prefix + src + "/models/" + name
			u.RawPath = prefix + url.PathEscape(src) + "/models/" + url.PathEscape(name)
		}
	}
	r.URL, r.Host = &u, specServer
	return r
}

func bearerAuth(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
		return fmt.Errorf("no bearer token")
	}
	return nil
}

// run sends ex, with the token unless noToken, and validates the request
// (unless ex.badRequest or noToken) and the response against the spec.
func (cf *conformance) run(ex exchange, noToken bool) {
	t := cf.t
	t.Helper()
	var body []byte
	switch b := ex.body.(type) {
	case nil:
	case string:
		body = []byte(b)
	default:
		var err error
		body, err = json.Marshal(b)
		require.NoError(t, err)
	}
	req, err := http.NewRequest(ex.method, cf.c.base+ex.path, bytes.NewReader(body))
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if !noToken {
		req.Header.Set("Authorization", "Bearer "+cf.c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	respBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.NoError(t, err)

	want := ex.status
	if noToken {
		want = http.StatusUnauthorized
	}
	what := fmt.Sprintf("%s %s (token: %v)", ex.method, ex.path, !noToken)
	if !assert.Equal(t, want, resp.StatusCode, "%s: %s", what, respBody) {
		return
	}
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), what)

	sp := cf.catalog
	if strings.HasPrefix(ex.path, RegistryBasePath) {
		sp = cf.registry
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	rr := routeRequest(req)
	route, params, err := sp.router.FindRoute(rr)
	if !assert.NoError(t, err, "%s: no route in the spec", what) {
		return
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    rr,
		PathParams: params,
		Route:      route,
		Options:    &openapi3filter.Options{AuthenticationFunc: bearerAuth, MultiError: true},
	}
	if !ex.badRequest && !noToken {
		assert.NoError(t, openapi3filter.ValidateRequest(context.Background(), in), "%s: the test's request breaks the spec", what)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(respBody)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	assert.NoError(t, openapi3filter.ValidateResponse(context.Background(), out), "%s: response breaks the spec: %s", what, respBody)
}

func allMetadataTypes() *map[string]openapi.MetadataValue {
	return &map[string]openapi.MetadataValue{
		"Owner":    str("team-a"),
		"epochs":   openapi.MetadataIntValueAsMetadataValue(&openapi.MetadataIntValue{IntValue: "-12"}),
		"accuracy": openapi.MetadataDoubleValueAsMetadataValue(&openapi.MetadataDoubleValue{DoubleValue: 0.5}),
		"ok":       openapi.MetadataBoolValueAsMetadataValue(&openapi.MetadataBoolValue{BoolValue: true}),
		"struct":   openapi.MetadataStructValueAsMetadataValue(&openapi.MetadataStructValue{StructValue: "eyJhIjoxfQ=="}),
		"proto":    openapi.MetadataProtoValueAsMetadataValue(&openapi.MetadataProtoValue{Type: "type.googleapis.com/x", ProtoValue: "AAE="}),
	}
}

// specVersions are the upstream spec versions the server is checked
// against: Kubeflow Model Registry and Catalog v0.3.2 (what OpenShift AI
// 2.25 ships, in shared/specs) and v0.3.8 (the newest release, in
// shared/specs/v0.3.8). The catalog sample data is shared/specs' own.
func specVersions(t *testing.T) [][2]string {
	dir := testenv.SpecsDir(t, upstreamSpecs...)
	newest := filepath.Join(dir, "v0.3.8")
	for _, f := range []string{"model-registry.openapi.yaml", "model-catalog.openapi.yaml"} {
		_, err := os.Stat(filepath.Join(newest, f))
		require.NoError(t, err, "the v0.3.8 specs must be in %s", newest)
	}
	return [][2]string{{"v0.3.2", dir}, {"v0.3.8", newest}}
}

func TestResponsesConformToTheSpecs(t *testing.T) {
	samples := testenv.SpecsDir(t, upstreamSpecs...)
	for _, v := range specVersions(t) {
		t.Run(v[0], func(t *testing.T) { conformsTo(t, v[1], samples) })
	}
}

// conformsTo checks every route of a fresh server against the specs in
// dir, with the catalog sample data of samples.
func conformsTo(t *testing.T, dir, samples string) {
	s, c := newTestServer(t, Options{Token: "tok"})
	cf := &conformance{
		t: t, c: c, s: s,
		registry: loadSpec(t, filepath.Join(dir, "model-registry.openapi.yaml")),
		catalog:  loadSpec(t, filepath.Join(dir, "model-catalog.openapi.yaml")),
	}
	require.NoError(t, s.LoadCatalogYAML(samples))
	require.NoError(t, s.LoadCatalogYAML(filepath.Join("testdata", "catalog")))

	// The license as newer catalogs and registries report it: a display
	// name, and the link beside it.
	m, err := s.AddRegisteredModel(openapi.RegisteredModel{Name: "granite", Owner: ptr("me"), Description: ptr("d"),
		CustomProperties: allMetadataTypes(), Language: []string{"en"}, Readme: ptr("# r"),
		License: ptr("Apache 2.0"), LicenseLink: ptr("https://www.apache.org/licenses/LICENSE-2.0")})
	require.NoError(t, err)
	mustModel(t, s, "second")
	mustModel(t, s, "third")
	v, err := s.AddModelVersion(openapi.ModelVersion{Name: "v1", RegisteredModelId: m.GetId(), Author: ptr("me"), CustomProperties: allMetadataTypes()})
	require.NoError(t, err)
	a, err := s.AddModelArtifact(v.GetId(), openapi.ModelArtifact{Name: ptr("weights"), Uri: ptr("oci://r/x:1"),
		ModelSourceKind: ptr("catalog"), ModelSourceClass: ptr("test_models"), ModelSourceGroup: ptr("ibm-granite"),
		ModelSourceName: ptr("granite-3.1-8b-instruct"), ModelFormatName: ptr("vLLM"), CustomProperties: allMetadataTypes()})
	require.NoError(t, err)
	e, err := s.AddServingEnvironment(openapi.ServingEnvironment{Name: "ns1", CustomProperties: allMetadataTypes()})
	require.NoError(t, err)
	is, err := s.AddInferenceService(openapi.InferenceService{Name: ptr("isvc"), RegisteredModelId: m.GetId(),
		ServingEnvironmentId: e.GetId(), ModelVersionId: ptr(v.GetId()), Runtime: ptr("vllm"), CustomProperties: allMetadataTypes()})
	require.NoError(t, err)
	noVersions := mustModel(t, s, "no-versions")
	bare, err := s.AddInferenceService(openapi.InferenceService{RegisteredModelId: noVersions.GetId(), ServingEnvironmentId: e.GetId()})
	require.NoError(t, err)

	const R, C = RegistryBasePath, CatalogBasePath
	prop := map[string]any{"Owner": map[string]any{"metadataType": "MetadataStringValue", "string_value": "x"}}
	q := url.QueryEscape
	exchanges := []exchange{
		// lists
		{method: "GET", path: R + "/registered_models?pageSize=2&orderBy=CREATE_TIME&sortOrder=DESC", status: 200},
		{method: "GET", path: R + "/registered_models?filterQuery=" + q("name = 'granite'"), status: 200},
		{method: "GET", path: R + "/model_versions?pageSize=1", status: 200},
		{method: "GET", path: R + "/model_artifacts?orderBy=LAST_UPDATE_TIME", status: 200},
		{method: "GET", path: R + "/artifacts?artifactType=model-artifact", status: 200},
		{method: "GET", path: R + "/serving_environments", status: 200},
		{method: "GET", path: R + "/inference_services?sortOrder=ASC", status: 200},
		{method: "GET", path: R + "/registered_models/" + m.GetId() + "/versions?name=v1", status: 200},
		{method: "GET", path: R + "/registered_models/999999/versions", status: 404},
		{method: "GET", path: R + "/model_versions/" + v.GetId() + "/artifacts?pageSize=5", status: 200},
		{method: "GET", path: R + "/model_versions/999999/artifacts", status: 404},
		{method: "GET", path: R + "/serving_environments/" + e.GetId() + "/inference_services", status: 200},
		{method: "GET", path: R + "/serving_environments/999999/inference_services", status: 404},
		// get by id
		{method: "GET", path: R + "/registered_models/" + m.GetId(), status: 200},
		{method: "GET", path: R + "/registered_models/999999", status: 404},
		{method: "GET", path: R + "/model_versions/" + v.GetId(), status: 200},
		{method: "GET", path: R + "/model_versions/999999", status: 404},
		{method: "GET", path: R + "/model_artifacts/" + a.GetId(), status: 200},
		{method: "GET", path: R + "/model_artifacts/999999", status: 404},
		{method: "GET", path: R + "/artifacts/" + a.GetId(), status: 200},
		{method: "GET", path: R + "/artifacts/999999", status: 404},
		{method: "GET", path: R + "/serving_environments/" + e.GetId(), status: 200},
		{method: "GET", path: R + "/serving_environments/999999", status: 404},
		{method: "GET", path: R + "/inference_services/" + is.GetId(), status: 200},
		{method: "GET", path: R + "/inference_services/999999", status: 404},
		{method: "GET", path: R + "/inference_services/" + is.GetId() + "/model", status: 200},
		{method: "GET", path: R + "/inference_services/999999/model", status: 404},
		{method: "GET", path: R + "/inference_services/" + is.GetId() + "/version", status: 200},
		{method: "GET", path: R + "/inference_services/" + bare.GetId() + "/version", status: 404},
		// find
		{method: "GET", path: R + "/registered_model?name=granite", status: 200},
		{method: "GET", path: R + "/registered_model?name=nope", status: 404},
		{method: "GET", path: R + "/model_version?name=v1&parentResourceId=" + m.GetId(), status: 200},
		{method: "GET", path: R + "/model_version?name=v9&parentResourceId=" + m.GetId(), status: 404},
		{method: "GET", path: R + "/model_version", status: 400},
		{method: "GET", path: R + "/model_artifact?name=weights&parentResourceId=" + v.GetId(), status: 200},
		{method: "GET", path: R + "/model_artifact?name=nope", status: 404},
		{method: "GET", path: R + "/serving_environment?name=ns1", status: 200},
		{method: "GET", path: R + "/serving_environment?name=nope", status: 404},
		{method: "GET", path: R + "/inference_service?name=isvc&parentResourceId=" + e.GetId(), status: 200},
		{method: "GET", path: R + "/inference_service?externalId=nope", status: 404},
		// create
		{method: "POST", path: R + "/registered_models", body: map[string]any{"name": "new", "owner": "me", "customProperties": prop}, status: 201},
		{method: "POST", path: R + "/registered_models", body: map[string]any{"name": "new"}, status: 409},
		{method: "POST", path: R + "/registered_models", body: map[string]any{"description": "no name"}, status: 400, badRequest: true},
		{method: "POST", path: R + "/model_versions", body: map[string]any{"name": "v2", "registeredModelId": m.GetId(), "customProperties": prop}, status: 201},
		{method: "POST", path: R + "/model_versions", body: map[string]any{"name": "v2", "registeredModelId": m.GetId()}, status: 409},
		{method: "POST", path: R + "/model_versions", body: map[string]any{"name": "v3"}, status: 400, badRequest: true},
		{method: "POST", path: R + "/registered_models/" + m.GetId() + "/versions", body: map[string]any{"name": "v4", "registeredModelId": m.GetId()}, status: 201},
		{method: "POST", path: R + "/registered_models/999999/versions", body: map[string]any{"name": "v4", "registeredModelId": "999999"}, status: 404},
		{method: "POST", path: R + "/model_artifacts", body: map[string]any{"artifactType": "model-artifact", "name": "loose", "uri": "s3://x"}, status: 201},
		{method: "POST", path: R + "/model_artifacts", body: map[string]any{"bogus": true}, status: 400, badRequest: true},
		{method: "POST", path: R + "/model_versions/" + v.GetId() + "/artifacts", body: map[string]any{"artifactType": "model-artifact", "name": "more", "uri": "s3://y"}, status: 201},
		{method: "POST", path: R + "/model_versions/" + v.GetId() + "/artifacts", body: map[string]any{"artifactType": "model-artifact", "id": a.GetId(), "uri": "s3://z"}, status: 200},
		{method: "POST", path: R + "/model_versions/999999/artifacts", body: map[string]any{"artifactType": "model-artifact", "uri": "s3://y"}, status: 404},
		{method: "POST", path: R + "/serving_environments", body: map[string]any{"name": "ns2", "customProperties": prop}, status: 201},
		{method: "POST", path: R + "/serving_environments", body: map[string]any{"name": "ns2"}, status: 409},
		{method: "POST", path: R + "/serving_environments", body: map[string]any{}, status: 400, badRequest: true},
		{method: "POST", path: R + "/inference_services", body: map[string]any{"registeredModelId": m.GetId(), "servingEnvironmentId": e.GetId(), "desiredState": "UNDEPLOYED"}, status: 200},
		{method: "POST", path: R + "/inference_services", body: map[string]any{"registeredModelId": m.GetId()}, status: 400, badRequest: true},
		{method: "POST", path: R + "/serving_environments/" + e.GetId() + "/inference_services", body: map[string]any{"name": "isvc2", "registeredModelId": m.GetId(), "servingEnvironmentId": e.GetId()}, status: 201},
		{method: "POST", path: R + "/serving_environments/999999/inference_services", body: map[string]any{"registeredModelId": m.GetId(), "servingEnvironmentId": "999999"}, status: 404},
		// update
		{method: "PATCH", path: R + "/registered_models/" + m.GetId(), body: map[string]any{"description": "new", "state": "ARCHIVED", "customProperties": prop}, status: 200},
		{method: "PATCH", path: R + "/registered_models/999999", body: map[string]any{"description": "x"}, status: 404},
		{method: "PATCH", path: R + "/registered_models/" + m.GetId(), body: map[string]any{"name": "renamed"}, status: 400, badRequest: true},
		{method: "PATCH", path: R + "/model_versions/" + v.GetId(), body: map[string]any{"state": "ARCHIVED", "author": "you"}, status: 200},
		{method: "PATCH", path: R + "/model_versions/999999", body: map[string]any{"author": "x"}, status: 404},
		{method: "PATCH", path: R + "/model_artifacts/" + a.GetId(), body: map[string]any{"artifactType": "model-artifact", "uri": "s3://new", "state": "LIVE"}, status: 200},
		{method: "PATCH", path: R + "/model_artifacts/999999", body: map[string]any{"uri": "x"}, status: 404},
		{method: "PATCH", path: R + "/serving_environments/" + e.GetId(), body: map[string]any{"description": "x"}, status: 200},
		{method: "PATCH", path: R + "/serving_environments/999999", body: map[string]any{"description": "x"}, status: 404},
		{method: "PATCH", path: R + "/inference_services/" + is.GetId(), body: map[string]any{"desiredState": "UNDEPLOYED"}, status: 200},
		{method: "PATCH", path: R + "/inference_services/999999", body: map[string]any{"runtime": "x"}, status: 404},
		// catalog
		{method: "GET", path: C + "/sources?pageSize=2&orderBy=NAME", status: 200},
		{method: "GET", path: C + "/sources?assetType=models&name=models", status: 200},
		{method: "GET", path: C + "/models?source=validated_ai_models&pageSize=2", status: 200},
		{method: "GET", path: C + "/models?source=test_models&source=community_custom_models&q=model&orderBy=CREATE_TIME&sortOrder=DESC", status: 200},
		{method: "GET", path: C + "/sources/validated_ai_models/models/certified/production-llm-8b", status: 200},
		{method: "GET", path: C + "/sources/test_models/models/" + url.PathEscape("ibm-granite/granite-3.1-8b-instruct"), status: 200},
		{method: "GET", path: C + "/sources/test_models/models/standalone-model", status: 200},
		{method: "GET", path: C + "/sources/test_models/models/ibm-granite/nope", status: 404},
		{method: "GET", path: C + "/sources/nope/models/x", status: 404},
	}
	for _, ex := range exchanges {
		cf.run(ex, false)
		cf.run(ex, true)
	}

	// injected faults answer in the spec's shapes too
	s.InjectFault(Fault{Mode: FaultInternalError, Requests: 2})
	cf.run(exchange{method: "GET", path: R + "/registered_models", status: 500}, false)
	cf.run(exchange{method: "GET", path: C + "/sources", status: 500}, false)
	s.InjectFault(Fault{Mode: FaultEmptyList, Requests: 2})
	cf.run(exchange{method: "GET", path: R + "/model_versions", status: 200}, false)
	cf.run(exchange{method: "GET", path: C + "/models", status: 200}, false)

	// every route the server has was exercised
	counts := s.RequestCounts()
	require.NoError(t, chi.Walk(s.handler.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		assert.GreaterOrEqual(t, counts[method+" "+route], int64(2), "route %s %s is not covered by the conformance test", method, route)
		return nil
	}))
}
