package registryclient_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"

	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/jsonclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/jsonclient/prommetrics"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registryclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakemetrics"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
)

const token = "s3cr3t-token-value"

// seed fills srv with n registered models, each with one version and, when
// withArtifacts, one model artifact; plus one serving environment and an
// inference service for the first model. It returns the version ids.
func seed(t testing.TB, srv *fakeregistry.Server, n int, withArtifacts bool) []string {
	t.Helper()
	env, err := srv.AddServingEnvironment(openapi.ServingEnvironment{Name: "team-a"})
	require.NoError(t, err)
	var versions []string
	for i := range n {
		rm, err := srv.AddRegisteredModel(openapi.RegisteredModel{Name: fmt.Sprintf("model-%04d", i)})
		require.NoError(t, err)
		mv, err := srv.AddModelVersion(openapi.ModelVersion{Name: "v1", RegisteredModelId: rm.GetId()})
		require.NoError(t, err)
		versions = append(versions, mv.GetId())
		if withArtifacts {
			uri := fmt.Sprintf("s3://bucket/model-%04d", i)
			_, err = srv.AddModelArtifact(mv.GetId(), openapi.ModelArtifact{Name: openapi.PtrString(fmt.Sprintf("artifact-%04d", i)), Uri: &uri})
			require.NoError(t, err)
		}
		if i == 0 {
			_, err = srv.AddInferenceService(openapi.InferenceService{
				Name: openapi.PtrString("isvc-0"), RegisteredModelId: rm.GetId(),
				ServingEnvironmentId: env.GetId(), ModelVersionId: openapi.PtrString(mv.GetId()),
			})
			require.NoError(t, err)
		}
	}
	return versions
}

func newServer(t testing.TB, opts fakeregistry.Options) (*fakeregistry.Server, *httptest.Server) {
	t.Helper()
	srv := fakeregistry.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts
}

func TestSnapshotPagesWithFewRequests(t *testing.T) {
	srv, ts := newServer(t, fakeregistry.Options{Token: token})
	versions := seed(t, srv, 1000, true)
	srv.ResetRequestCounts()
	metrics := &fakemetrics.Requests{}

	c := registryclient.New(ts.URL, registryclient.Options{Token: token, PageSize: 100, Metrics: metrics})
	s, err := c.Snapshot(context.Background())
	require.NoError(t, err)

	assert.Len(t, s.RegisteredModels, 1000)
	assert.Len(t, s.ModelVersions, 1000)
	assert.Len(t, s.ModelArtifacts, 1000)
	assert.Len(t, s.ServingEnvironments, 1)
	assert.Len(t, s.InferenceServices, 1)
	// 10 pages each for models, versions and artifacts, one page each for
	// environments and services, one nested artifact page per version.
	want := 10 + 10 + 10 + 1 + 1 + 1000
	assert.Equal(t, want, s.Requests)
	assert.Equal(t, int64(want), srv.RequestCount(), "the server saw a different number of requests")
	assert.Equal(t, 10, metrics.Count("registered_models", jsonclient.OutcomeOK))
	assert.Equal(t, 1000, metrics.Count("model_versions/{id}/artifacts", jsonclient.OutcomeOK))

	// ID order, and every version linked to its own artifact.
	for i := 1; i < len(s.RegisteredModels); i++ {
		assert.Less(t, idNum(t, s.RegisteredModels[i-1].ID), idNum(t, s.RegisteredModels[i].ID))
	}
	require.Len(t, s.VersionArtifacts, 1000)
	byVersion := map[string]string{}
	for _, v := range s.ModelVersions {
		byVersion[v.ID] = v.RegisteredModelID
	}
	names := map[string]string{}
	for _, m := range s.RegisteredModels {
		names[m.ID] = m.Name
	}
	for _, vid := range versions {
		arts := s.VersionArtifacts[vid]
		require.Len(t, arts, 1, "version %s", vid)
		model := names[byVersion[vid]]
		assert.Equal(t, "s3://bucket/"+model, arts[0].URI)
	}
}

func idNum(t *testing.T, id string) int {
	t.Helper()
	var n int
	_, err := fmt.Sscan(id, &n)
	require.NoError(t, err)
	return n
}

func TestSnapshotAsksNestedArtifactsOnlyForPublishedVersions(t *testing.T) {
	srv, ts := newServer(t, fakeregistry.Options{})
	versions := seed(t, srv, 4, true)
	// Archive the second version and the third version's model.
	_, err := srv.UpdateModelVersion(versions[1], func(v *openapi.ModelVersion) {
		v.SetState(openapi.MODELVERSIONSTATE_ARCHIVED)
	})
	require.NoError(t, err)
	mv, ok := srv.ModelVersion(versions[2])
	require.True(t, ok)
	_, err = srv.UpdateRegisteredModel(mv.GetRegisteredModelId(), func(m *openapi.RegisteredModel) {
		m.SetState(openapi.REGISTEREDMODELSTATE_ARCHIVED)
	})
	require.NoError(t, err)
	srv.ResetRequestCounts()

	s, err := registryclient.New(ts.URL, registryclient.Options{}).Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 5+2, s.Requests)
	assert.Len(t, s.ModelVersions, 4, "archived entities are still in the snapshot")
	assert.ElementsMatch(t, []string{versions[0], versions[3]}, keys(s.VersionArtifacts))
	assert.Equal(t, int64(2), srv.RequestCounts()["GET "+fakeregistry.RegistryBasePath+"/model_versions/{modelversionId}/artifacts"])
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSnapshotWithoutArtifactsSkipsNestedLists(t *testing.T) {
	srv, ts := newServer(t, fakeregistry.Options{})
	versions := seed(t, srv, 250, false)
	srv.ResetRequestCounts()

	s, err := registryclient.New(ts.URL, registryclient.Options{PageSize: 100}).Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 3+3+1+1+1, s.Requests)
	require.Len(t, s.VersionArtifacts, 250)
	assert.NotNil(t, s.VersionArtifacts[versions[0]])
	assert.Empty(t, s.VersionArtifacts[versions[0]])
}

func TestSnapshotOfEmptyRegistry(t *testing.T) {
	_, ts := newServer(t, fakeregistry.Options{})
	s, err := registryclient.New(ts.URL+"/", registryclient.Options{}).Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 5, s.Requests)
	assert.NotNil(t, s.RegisteredModels)
	assert.Empty(t, s.RegisteredModels)
	assert.Equal(t, ts.URL, s.URL, "the trailing slash is trimmed")
}

func TestSnapshotSendsBearerTokenAndRejectionNamesTheFix(t *testing.T) {
	srv, ts := newServer(t, fakeregistry.Options{Token: token})
	seed(t, srv, 3, true)

	_, err := registryclient.New(ts.URL, registryclient.Options{Token: token}).Snapshot(context.Background())
	require.NoError(t, err)

	s, err := registryclient.New(ts.URL, registryclient.Options{Token: "wrong-" + token}).Snapshot(context.Background())
	require.Error(t, err)
	assert.Nil(t, s)
	assert.Contains(t, err.Error(), "HTTP 401")
	assert.Contains(t, err.Error(), ts.URL)
	assert.Contains(t, err.Error(), "token")
	assert.NotContains(t, err.Error(), token)
}

// The server echoes the Authorization header in its answer, as a
// misbehaving proxy might; the error must still not carry the token.
func TestErrorsNeverContainTheToken(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusOK} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, "Bearer "+token, r.Header.Get("Authorization"))
				w.WriteHeader(status)
				_, _ = fmt.Fprintf(w, `{"code":"x","message":"got header %s"`, r.Header.Get("Authorization"))
			}))
			defer ts.Close()
			s, err := registryclient.New(ts.URL, registryclient.Options{Token: token}).Snapshot(context.Background())
			require.Error(t, err)
			assert.Nil(t, s)
			assert.NotContains(t, err.Error(), token)
			assert.NotContains(t, fmt.Sprintf("%+v %#v", err, err), token)
		})
	}
}

func selfSignedCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "unrelated CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestSnapshotOverTLSWithCustomCA(t *testing.T) {
	srv := fakeregistry.New(fakeregistry.Options{})
	seed(t, srv, 2, true)
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes are expected
	ts.StartTLS()
	defer ts.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})

	s, err := registryclient.New(ts.URL, registryclient.Options{CAPEM: ca}).Snapshot(context.Background())
	require.NoError(t, err)
	assert.Len(t, s.RegisteredModels, 2)

	_, err = registryclient.New(ts.URL, registryclient.Options{CAPEM: selfSignedCA(t)}).Snapshot(context.Background())
	require.Error(t, err, "a CA that did not sign the server certificate must fail")
	assert.Contains(t, err.Error(), "certificate")
	assert.Contains(t, err.Error(), "CA")

	_, err = registryclient.New(ts.URL, registryclient.Options{}).Snapshot(context.Background())
	require.Error(t, err, "without the CA the system roots do not trust the test server")

	_, err = registryclient.New(ts.URL, registryclient.Options{CAPEM: []byte("not a pem")}).Snapshot(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CA bundle")

	_, err = registryclient.New(ts.URL, registryclient.Options{InsecureSkipTLSVerify: true}).Snapshot(context.Background())
	require.NoError(t, err, "explicitly skipping verification works")
}

func TestSnapshotTimeout(t *testing.T) {
	srv, ts := newServer(t, fakeregistry.Options{})
	seed(t, srv, 2, true)
	// Every registry request hangs, so whichever list times out first
	// fails the snapshot.
	srv.InjectFault(fakeregistry.Fault{Mode: fakeregistry.FaultHang, PathPrefix: fakeregistry.RegistryBasePath})
	defer srv.ClearFaults()
	metrics := &fakemetrics.Requests{}

	c := registryclient.New(ts.URL, registryclient.Options{Timeout: 50 * time.Millisecond, Metrics: metrics})
	s, err := c.Snapshot(context.Background())
	require.Error(t, err)
	assert.Nil(t, s)
	var he *jsonclient.Error
	require.ErrorAs(t, err, &he)
	assert.Equal(t, jsonclient.OutcomeTimeout, he.Outcome)
	assert.Contains(t, err.Error(), ts.URL+": GET "+fakeregistry.RegistryBasePath+"/"+he.Endpoint)
	assert.Contains(t, err.Error(), "no complete answer within 50ms")
	assert.GreaterOrEqual(t, metrics.Count(he.Endpoint, jsonclient.OutcomeTimeout), 1)
}

func TestSnapshotFailsWholeOnAnyBadPage(t *testing.T) {
	cases := map[string]struct {
		fault   fakeregistry.FaultMode
		outcome jsonclient.Outcome
		text    string
	}{
		"internal error": {fakeregistry.FaultInternalError, jsonclient.OutcomeHTTPError, "HTTP 500"},
		"malformed json": {fakeregistry.FaultMalformedJSON, jsonclient.OutcomeDecodeError, "not the expected JSON"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv, ts := newServer(t, fakeregistry.Options{})
			seed(t, srv, 30, true)
			// The top-level lists succeed; the nested artifact lists fail.
			srv.InjectFault(fakeregistry.Fault{Mode: tc.fault, PathPrefix: fakeregistry.RegistryBasePath + "/model_versions/"})
			s, err := registryclient.New(ts.URL, registryclient.Options{PageSize: 10}).Snapshot(context.Background())
			require.Error(t, err)
			assert.Nil(t, s, "no partial snapshot")
			var he *jsonclient.Error
			require.ErrorAs(t, err, &he)
			assert.Equal(t, tc.outcome, he.Outcome)
			assert.Contains(t, err.Error(), ts.URL)
			assert.Contains(t, err.Error(), "/model_versions/")
			assert.Contains(t, err.Error(), tc.text)
		})
	}
}

// listServer answers every request with the JSON page returns and counts
// the requests.
func listServer(t *testing.T, page func(r *http.Request) string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(page(r)))
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

func TestSnapshotStopsOnRepeatedNextPageToken(t *testing.T) {
	ts, n := listServer(t, func(r *http.Request) string {
		if strings.HasSuffix(r.URL.Path, "/registered_models") {
			id := 1
			if tok := r.URL.Query().Get("nextPageToken"); tok != "" {
				id = 2
			}
			return fmt.Sprintf(`{"items":[{"id":"%d","name":"m%d"}],"nextPageToken":"same","pageSize":1,"size":1}`, id, id)
		}
		return `{"items":[],"nextPageToken":"","pageSize":1,"size":0}`
	})
	s, err := registryclient.New(ts.URL, registryclient.Options{PageSize: 1}).Snapshot(context.Background())
	require.Error(t, err)
	assert.Nil(t, s)
	assert.Contains(t, err.Error(), "nextPageToken was already used")
	assert.Contains(t, err.Error(), "registered_models (page 2)")
	assert.LessOrEqual(t, n.Load(), int64(6))
}

func TestSnapshotStopsWhenPagesRepeatItems(t *testing.T) {
	ts, _ := listServer(t, func(r *http.Request) string {
		if strings.HasSuffix(r.URL.Path, "/model_versions") {
			// A server that ignores the token: fresh tokens, same page.
			return fmt.Sprintf(`{"items":[{"id":"7","name":"v","registeredModelId":"1"}],"nextPageToken":"t%s","pageSize":1,"size":1}`, r.URL.Query().Get("nextPageToken"))
		}
		return `{"items":null,"nextPageToken":"","pageSize":1,"size":0}`
	})
	_, err := registryclient.New(ts.URL, registryclient.Options{}).Snapshot(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "id 7 was already on an earlier page")
}

func TestEmptyPageEndsTheListEvenWithAToken(t *testing.T) {
	ts, n := listServer(t, func(r *http.Request) string {
		if strings.HasSuffix(r.URL.Path, "/registered_models") && r.URL.Query().Get("nextPageToken") == "" {
			return `{"items":[{"id":"1","name":"m"}],"nextPageToken":"more","pageSize":1,"size":1}`
		}
		return `{"items":[],"nextPageToken":"more","pageSize":1,"size":0}`
	})
	s, err := registryclient.New(ts.URL, registryclient.Options{PageSize: 1}).Snapshot(context.Background())
	require.NoError(t, err)
	assert.Len(t, s.RegisteredModels, 1)
	assert.Equal(t, 6, s.Requests)
	assert.Equal(t, int64(6), n.Load())
}

func TestSnapshotRejectsAnswersThatAreNotLists(t *testing.T) {
	ts, _ := listServer(t, func(*http.Request) string { return `{"status":"ok"}` })
	_, err := registryclient.New(ts.URL, registryclient.Options{}).Snapshot(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no "items" field`)
	assert.Contains(t, err.Error(), "check that the URL points at the model registry REST API")
}

func TestSnapshotSendsPagingParameters(t *testing.T) {
	var mu sync.Mutex
	var queries []string
	ts, _ := listServer(t, func(r *http.Request) string {
		mu.Lock()
		queries = append(queries, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		return `{"items":[],"nextPageToken":"","pageSize":1,"size":0}`
	})
	_, err := registryclient.New(ts.URL, registryclient.Options{PageSize: 2_000_000_000}).Snapshot(context.Background())
	require.NoError(t, err)
	require.Len(t, queries, 5)
	for _, q := range queries {
		assert.Contains(t, q, "orderBy=ID")
		assert.Contains(t, q, "sortOrder=ASC")
		assert.Contains(t, q, "pageSize=999999999", "page size is capped at the spec's maximum")
	}
}

func TestSnapshotReportsBadURL(t *testing.T) {
	for _, u := range []string{"127.0.0.1:8080", "ftp://x", "http://"} {
		_, err := registryclient.New(u, registryclient.Options{}).Snapshot(context.Background())
		require.Error(t, err, u)
		assert.Contains(t, err.Error(), "model registry URL")
	}
}

func TestPrometheusMetrics(t *testing.T) {
	srv, ts := newServer(t, fakeregistry.Options{})
	seed(t, srv, 3, true)
	vec := prommetrics.NewRequestCounter("test_registry_requests_total", "test")
	_, err := registryclient.New(ts.URL, registryclient.Options{Metrics: registryclient.PrometheusMetrics(vec)}).Snapshot(context.Background())
	require.NoError(t, err)
	assert.InDelta(t, 1, testutil.ToFloat64(vec.WithLabelValues("registered_models", "ok")), 0)
	assert.InDelta(t, 3, testutil.ToFloat64(vec.WithLabelValues("model_versions/{id}/artifacts", "ok")), 0)

	srv.InjectFault(fakeregistry.Fault{Mode: fakeregistry.FaultInternalError, PathPrefix: fakeregistry.RegistryBasePath + "/registered_models", Requests: 1})
	_, err = registryclient.New(ts.URL, registryclient.Options{Metrics: registryclient.PrometheusMetrics(vec)}).Snapshot(context.Background())
	require.Error(t, err)
	assert.InDelta(t, 1, testutil.ToFloat64(vec.WithLabelValues("registered_models", "http_error")), 0)
}

// The nested list only says which artifacts a version holds: the contents
// come from the top-level list, and other artifact types are left out.
func TestSnapshotTakesArtifactContentsFromTopLevelList(t *testing.T) {
	ts, n := listServer(t, func(r *http.Request) string {
		switch {
		case strings.HasSuffix(r.URL.Path, "/registered_models"):
			return `{"items":[{"id":"1","name":"m"}],"nextPageToken":"","pageSize":100,"size":1}`
		case strings.HasSuffix(r.URL.Path, "/model_versions"):
			return `{"items":[{"id":"2","name":"v1","registeredModelId":"1"}],"nextPageToken":"","pageSize":100,"size":1}`
		case strings.HasSuffix(r.URL.Path, "/model_artifacts"):
			return `{"items":[{"id":"3","artifactType":"model-artifact","uri":"s3://x","modelSourceClass":"validated_ai_models","modelSourceGroup":"ibm-granite","modelSourceName":"granite"}],"nextPageToken":"","pageSize":100,"size":1}`
		case strings.HasSuffix(r.URL.Path, "/model_versions/2/artifacts"):
			assert.Equal(t, "model-artifact", r.URL.Query().Get("artifactType"))
			return `{"items":[{"id":"3","artifactType":"model-artifact","uri":"s3://older-copy"},
				{"id":"4","artifactType":"doc-artifact","uri":"https://docs"}],"nextPageToken":"","pageSize":100,"size":2}`
		}
		return `{"items":[],"nextPageToken":"","pageSize":100,"size":0}`
	})
	c := registryclient.NewWithLinks(ts.URL, registryclient.Options{}, registryclient.LinkOptions{ListRefresh: wholeLists})
	s, err := c.Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 6, s.Requests)
	require.Len(t, s.VersionArtifacts["2"], 1)
	a := s.VersionArtifacts["2"][0]
	assert.Equal(t, "3", a.ID)
	assert.Equal(t, "s3://x", a.URI)
	assert.Equal(t, "validated_ai_models", a.ModelSourceClass)
	assert.Equal(t, "ibm-granite", a.ModelSourceGroup)

	again, err := c.Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 5, again.Requests, "the link is remembered")
	assert.Equal(t, s.VersionArtifacts, again.VersionArtifacts)
	assert.Equal(t, int64(11), n.Load())
}

func TestSnapshotHonoursCallerCancellation(t *testing.T) {
	srv, ts := newServer(t, fakeregistry.Options{})
	seed(t, srv, 2, true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := registryclient.New(ts.URL, registryclient.Options{}).Snapshot(ctx)
	require.Error(t, err)
	assert.Nil(t, s)
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
}

// Every metadata value type the API defines decodes, from a server that
// speaks the spec, to the lean form the mapping reads.
func TestSnapshotDecodesCustomProperties(t *testing.T) {
	srv, ts := newServer(t, fakeregistry.Options{})
	props := map[string]openapi.MetadataValue{
		"Owner":     {MetadataStringValue: openapi.NewMetadataStringValue("team-x", "MetadataStringValue")},
		"a-label":   {MetadataStringValue: openapi.NewMetadataStringValue("", "MetadataStringValue")},
		"epochs":    {MetadataIntValue: openapi.NewMetadataIntValue("42", "MetadataIntValue")},
		"accuracy":  {MetadataDoubleValue: openapi.NewMetadataDoubleValue(0.125, "MetadataDoubleValue")},
		"validated": {MetadataBoolValue: openapi.NewMetadataBoolValue(true, "MetadataBoolValue")},
		"blob":      {MetadataStructValue: openapi.NewMetadataStructValue("e30=", "MetadataStructValue")},
		"proto":     {MetadataProtoValue: openapi.NewMetadataProtoValue("t", "AA==", "MetadataProtoValue")},
	}
	rm, err := srv.AddRegisteredModel(openapi.RegisteredModel{Name: "m", CustomProperties: &props, Owner: openapi.PtrString("alice"),
		Description: openapi.PtrString("d"), License: openapi.PtrString("mit"), LicenseLink: openapi.PtrString("https://l"),
		State: openapi.REGISTEREDMODELSTATE_ARCHIVED.Ptr()})
	require.NoError(t, err)
	s, err := registryclient.New(ts.URL, registryclient.Options{}).Snapshot(context.Background())
	require.NoError(t, err)
	require.Len(t, s.RegisteredModels, 1)
	updated, err := strconv.ParseInt(rm.GetLastUpdateTimeSinceEpoch(), 10, 64)
	require.NoError(t, err)
	assert.Equal(t, registrymodel.RegisteredModel{
		ID: rm.GetId(), Name: "m", Description: "d", Owner: "alice", State: registrymodel.StateArchived,
		License: "mit", LicenseLink: "https://l", LastUpdateTimeSinceEpoch: registrymodel.Epoch(updated),
		Properties: registrymodel.Properties{
			{Key: "Owner", Value: "team-x", Type: registrymodel.StringProperty},
			{Key: "a-label", Value: "", Type: registrymodel.StringProperty},
			{Key: "accuracy", Value: "0.125", Type: registrymodel.DoubleProperty},
			{Key: "blob", Type: registrymodel.StructProperty},
			{Key: "epochs", Value: "42", Type: registrymodel.IntProperty},
			{Key: "proto", Type: registrymodel.ProtoProperty},
			{Key: "validated", Value: "true", Type: registrymodel.BoolProperty},
		},
	}, s.RegisteredModels[0])
}

// BenchmarkSnapshot1000 reads a registry of 1,000 models (one version and
// artifact each) over loopback HTTP with a fresh client each time: 1,032
// requests per snapshot.
func BenchmarkSnapshot1000(b *testing.B) {
	srv, ts := newServer(b, fakeregistry.Options{})
	seed(b, srv, 1000, true)
	b.ResetTimer()
	for b.Loop() {
		s, err := registryclient.New(ts.URL, registryclient.Options{}).Snapshot(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(s.Requests), "requests/op")
	}
}

// BenchmarkSnapshot1000Steady is BenchmarkSnapshot1000 with one client
// that remembers the artifact links: 32 requests per snapshot.
func BenchmarkSnapshot1000Steady(b *testing.B) {
	srv, ts := newServer(b, fakeregistry.Options{})
	seed(b, srv, 1000, true)
	c := registryclient.New(ts.URL, registryclient.Options{})
	if _, err := c.Snapshot(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		s, err := c.Snapshot(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(s.Requests), "requests/op")
	}
}

// Whole reads (every ListRefresh, or every poll of a registry that does
// not filter) decode only the pages that changed.
func TestASnapshotDecodesOnlyThePagesThatChanged(t *testing.T) {
	srv, ts := newServer(t, fakeregistry.Options{})
	versions := seed(t, srv, 250, true)
	c := registryclient.NewWithLinks(ts.URL, registryclient.Options{PageSize: 100}, registryclient.LinkOptions{ListRefresh: -1})
	ctx := context.Background()

	first, err := c.Snapshot(ctx)
	require.NoError(t, err)
	assert.Zero(t, first.PagesReused, "nothing to reuse on the first snapshot")

	again, err := c.Snapshot(ctx)
	require.NoError(t, err)
	// 3 pages each of registered models, versions and artifacts, one each
	// of inference services and serving environments.
	assert.Equal(t, 11, again.PagesReused, "an unchanged registry is not decoded again")
	assert.Equal(t, first.RegisteredModels, again.RegisteredModels)
	assert.Equal(t, first.ModelVersions, again.ModelVersions)
	assert.Equal(t, first.VersionArtifacts, again.VersionArtifacts)
	assert.Equal(t, first.Version, again.Version)

	desc := "changed"
	_, err = srv.UpdateModelVersion(versions[120], func(v *openapi.ModelVersion) { v.Description = &desc })
	require.NoError(t, err)
	changed, err := c.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, 10, changed.PagesReused, "only the page holding the changed version is decoded")
	assert.NotEqual(t, first.Version, changed.Version)
	for _, v := range changed.ModelVersions {
		if v.ID == versions[120] {
			assert.Equal(t, "changed", v.Description)
		} else {
			assert.Empty(t, v.Description, v.ID)
		}
	}
}
