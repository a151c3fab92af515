package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
)

// registry is a registry test server listening on loopback.
type registry struct {
	*fakeregistry.Server
	url string
	srv *http.Server
	ln  net.Listener
}

func startRegistry(t testing.TB) *registry {
	t.Helper()
	return startRegistryAt(t, "127.0.0.1:0", fakeregistry.New(fakeregistry.Options{}))
}

func startRegistryAt(t testing.TB, addr string, s *fakeregistry.Server) *registry {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	r := &registry{Server: s, url: "http://" + ln.Addr().String(), srv: &http.Server{Handler: s}, ln: ln}
	go func() { _ = r.srv.Serve(ln) }()
	t.Cleanup(func() { _ = r.srv.Close() })
	return r
}

func strp(s string) *string { return &s }

func props(kv ...string) *map[string]openapi.MetadataValue {
	m := map[string]openapi.MetadataValue{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = openapi.MetadataValue{MetadataStringValue: openapi.NewMetadataStringValue(kv[i+1], "MetadataStringValue")}
	}
	return &m
}

// model registers a model with one version, v1, and artifact; it returns
// the registered model id and the version id.
func (r *registry) model(t testing.TB, name string, versionProps *map[string]openapi.MetadataValue, art openapi.ModelArtifact) (string, string) {
	t.Helper()
	const version = "v1"
	rm, err := r.AddRegisteredModel(openapi.RegisteredModel{Name: name})
	require.NoError(t, err)
	mv, err := r.AddModelVersion(openapi.ModelVersion{Name: version, RegisteredModelId: *rm.Id, CustomProperties: versionProps})
	require.NoError(t, err)
	if art.Name == nil {
		art.Name = strp(name + "-" + version)
	}
	_, err = r.AddModelArtifact(*mv.Id, art)
	require.NoError(t, err)
	return *rm.Id, *mv.Id
}

func readyISVC(t testing.TB, ns, name string, labels, annotations map[string]string) *v1beta1.InferenceService {
	t.Helper()
	return readyISVCWith(t, cluster.Client, ns, name, labels, annotations)
}

// readyISVCWith creates a Ready InferenceService and its predictor Service.
func readyISVCWith(t testing.TB, c client.Client, ns, name string, labels, annotations map[string]string) *v1beta1.InferenceService {
	t.Helper()
	ctx := context.Background()
	isvc, err := testenv.CreateInferenceService(ctx, c, ns, name, labels, annotations)
	require.NoError(t, err)
	require.NoError(t, testenv.MarkReady(ctx, c, isvc))
	return isvc
}

func (dp *dataPlane) doc(t testing.TB, uri string) (modelcatalog.Document, bool) {
	t.Helper()
	var d modelcatalog.Document
	code := getJSON(t, dp.locationURL+uri, &d)
	return d, code == http.StatusOK
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 60*time.Second, 100*time.Millisecond, what)
}

func hasURI(uris []string, uri string) bool {
	for _, u := range uris {
		if u == uri {
			return true
		}
	}
	return false
}

var e2eRun atomic.Int64

// TestRegistryAndKServeEndToEnd walks a model through its life: published
// with its server, updated, given a model card, undeployed, archived; a
// KServe-only server with several models; a registry outage that removes
// nothing; and deletion.
func TestRegistryAndKServeEndToEnd(t *testing.T) {
	ctx := context.Background()
	// Namespaces of their own per run, so that -count=N passes on the
	// package's one API server.
	run := e2eRun.Add(1)
	ns := fmt.Sprintf("it-models-%d", run)
	namespace(t, ns)
	dp := startDataPlane(t, fmt.Sprintf("it-rhdh-%d", run))
	reg := startRegistry(t)

	// A catalog with one model card, and a model registered from it.
	_, err := reg.AddCatalogSource(fakeregistry.CatalogSource{ID: "validated", Name: "Validated models", Labels: []string{}})
	require.NoError(t, err)
	_, err = reg.AddCatalogModel("validated", fakeregistry.CatalogModel{Name: "ibm-granite/granite-8b", Readme: "# Granite 8B\n\nA model card."})
	require.NoError(t, err)
	graniteRM, _ := reg.model(t, "granite", nil, openapi.ModelArtifact{
		Uri: strp("oci://quay.io/granite:1"), ModelSourceKind: strp("catalog"), ModelSourceClass: strp("validated"),
		ModelSourceGroup: strp("ibm-granite"), ModelSourceName: strp("granite-8b"),
	})
	// Registered from a newer catalog: the license is a display name, the
	// link a URL.
	_, err = reg.UpdateRegisteredModel(graniteRM, func(m *openapi.RegisteredModel) {
		m.License, m.LicenseLink = strp("Apache 2.0"), strp("https://www.apache.org/licenses/LICENSE-2.0")
	})
	require.NoError(t, err)

	// A model deployed by an InferenceService linked through the registry.
	env, err := reg.AddServingEnvironment(openapi.ServingEnvironment{Name: ns})
	require.NoError(t, err)
	rmID, mvID := reg.model(t, "mnist", props("Owner", "alice", "API Type", "openapi", "License", "apache-2.0"),
		openapi.ModelArtifact{Uri: strp("s3://models/mnist/1")})
	deployed := openapi.INFERENCESERVICESTATE_DEPLOYED
	ris, err := reg.AddInferenceService(openapi.InferenceService{Name: strp("mnist-server"), RegisteredModelId: rmID,
		ModelVersionId: &mvID, ServingEnvironmentId: *env.Id, DesiredState: &deployed})
	require.NoError(t, err)
	mnistServer := readyISVC(t, ns, "mnist-server", map[string]string{
		"modelregistry.opendatahub.io/registered-model-id":  rmID,
		"modelregistry.opendatahub.io/model-version-id":     mvID,
		"modelregistry.opendatahub.io/inference-service-id": *ris.Id,
	}, nil)
	// Its labels name ids that a later run's registry reuses.
	t.Cleanup(func() { _ = cluster.Client.Delete(context.Background(), mnistServer) })

	// A KServe-only server with two models, described by annotations.
	readyISVC(t, ns, "chat", nil, map[string]string{
		"rhdh.io/owner": "team-chat", "rhdh.io/lifecycle": "production",
		"modelcatalogbridge.rhdh.io/description": "Chat models",
		"rhdh.io/model-llama":                    "llama-3-8b", "rhdh.io/model-mistral": "mistral-7b",
	})

	n := startNormalizer(t, dp, runOptions{registries: []string{reg.url}, catalog: reg.url})
	want := []string{"/granite/v1/model-catalog.json", "/kserve/" + ns + "/chat/model-catalog.json", "/mnist/v1/model-catalog.json"}
	eventually(t, "all three records listed", func() bool {
		u := dp.uris(t)
		return hasURI(u, want[0]) && hasURI(u, want[1]) && hasURI(u, want[2])
	})
	assert.Len(t, dp.uris(t), 3)

	t.Run("registry-backed model with its server", func(t *testing.T) {
		d, ok := dp.doc(t, "/mnist/v1/model-catalog.json")
		require.True(t, ok)
		require.Len(t, d.Models, 1)
		m := d.Models[0]
		assert.Equal(t, "alice", m.Owner)
		assert.Equal(t, "development", m.Lifecycle)
		assert.Empty(t, m.License, "models[].license is a link; a license name is not one")
		assert.Equal(t, "apache-2.0", m.Annotations[mapping.AnnotationLicense])
		assert.Equal(t, "s3://models/mnist/1", m.ArtifactLocationURL)
		assert.Equal(t, "mnist-v1", m.Annotations[modelcatalog.AnnotationModelName])
		require.NotNil(t, d.ModelServer)
		assert.Equal(t, "mnist-server", d.ModelServer.Name)
		assert.Equal(t, "http://mnist-server-predictor."+ns+".svc.cluster.local:8080", d.ModelServer.Annotations[modelcatalog.AnnotationInternalServiceURL])
		require.NotNil(t, d.ModelServer.API)
		assert.Equal(t, "openapi", d.ModelServer.API.Type)
		assert.NotEmpty(t, d.ModelServer.API.URL)
		// The 1.x plugin fetches /models/{uri}, leading slash included.
		var viaModels modelcatalog.Document
		assert.Equal(t, http.StatusOK, getJSON(t, dp.locationURL+"/models//mnist/v1/model-catalog.json", &viaModels))
		assert.Equal(t, d, viaModels)
	})

	t.Run("model card end to end", func(t *testing.T) {
		d, ok := dp.doc(t, "/granite/v1/model-catalog.json")
		require.True(t, ok)
		ann := d.Models[0].Annotations
		assert.Equal(t, "http://localhost:9090/modelcard?key=granite__v1", ann[modelcatalog.AnnotationTechDocs])
		assert.Equal(t, "/modelcard?key=granite__v1", ann[modelcatalog.AnnotationTechDocsLower])
		assert.Equal(t, "https://www.apache.org/licenses/LICENSE-2.0", d.Models[0].License, "the license link")
		assert.Equal(t, "Apache 2.0", ann[mapping.AnnotationLicense], "the license name")
		resp, err := http.Get(dp.locationURL + ann[modelcatalog.AnnotationTechDocsLower])
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "# Granite 8B\n\nA model card.", string(body))
		etag := resp.Header.Get("ETag")
		require.NotEmpty(t, etag)
		req, _ := http.NewRequest(http.MethodGet, dp.locationURL+"/modelcard?key=granite__v1", nil)
		req.Header.Set("If-None-Match", etag)
		resp, err = http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	})

	t.Run("KServe-only server with several models", func(t *testing.T) {
		d, ok := dp.doc(t, "/kserve/"+ns+"/chat/model-catalog.json")
		require.True(t, ok)
		require.NotNil(t, d.ModelServer)
		assert.Equal(t, "team-chat", d.ModelServer.Owner)
		assert.Equal(t, "production", d.ModelServer.Lifecycle)
		assert.Equal(t, "Chat models", d.ModelServer.Description)
		var names []string
		for _, m := range d.Models {
			names = append(names, m.Annotations[modelcatalog.AnnotationModelName])
		}
		assert.ElementsMatch(t, []string{"llama-3-8b", "mistral-7b"}, names)
	})

	t.Run("an unchanged world writes nothing", func(t *testing.T) {
		before := n.counter(t, "rhoai_connector_normalizer_storage_requests_total", map[string]string{"op": "upsert"})
		time.Sleep(2 * time.Second) // several polls
		after := n.counter(t, "rhoai_connector_normalizer_storage_requests_total", map[string]string{"op": "upsert"})
		assert.Equal(t, before, after)
	})

	t.Run("update: a version property changes", func(t *testing.T) {
		_, err := reg.UpdateModelVersion(mvID, func(v *openapi.ModelVersion) {
			v.CustomProperties = props("Owner", "bob", "API Type", "openapi", "License", "apache-2.0")
		})
		require.NoError(t, err)
		eventually(t, "owner becomes bob", func() bool {
			d, ok := dp.doc(t, "/mnist/v1/model-catalog.json")
			return ok && d.Models[0].Owner == "bob"
		})
	})

	t.Run("registry outage removes nothing", func(t *testing.T) {
		for _, mode := range []fakeregistry.FaultMode{fakeregistry.FaultInternalError, fakeregistry.FaultMalformedJSON, fakeregistry.FaultHang} {
			failuresBefore := n.counter(t, "rhoai_connector_normalizer_source_failures_total", nil)
			reg.InjectFault(fakeregistry.Fault{Mode: mode})
			eventually(t, "failures counted", func() bool {
				return n.counter(t, "rhoai_connector_normalizer_source_failures_total", nil) >= failuresBefore+3
			})
			assert.Len(t, dp.uris(t), 3, "nothing removed while the registry fails (%v)", mode)
			reg.ClearFaults()
		}
		assert.Positive(t, n.counter(t, "rhoai_connector_normalizer_registry_requests_total", map[string]string{"outcome": "http_error"}))
		assert.Positive(t, n.counter(t, "rhoai_connector_normalizer_registry_requests_total", map[string]string{"outcome": "decode_error"}))
		assert.Positive(t, n.counter(t, "rhoai_connector_normalizer_registry_requests_total", map[string]string{"outcome": "timeout"}))
	})

	t.Run("undeploy leaves the model without a server", func(t *testing.T) {
		undeployed := openapi.INFERENCESERVICESTATE_UNDEPLOYED
		_, err := reg.UpdateInferenceService(*ris.Id, func(is *openapi.InferenceService) { is.DesiredState = &undeployed })
		require.NoError(t, err)
		eventually(t, "modelServer gone", func() bool {
			d, ok := dp.doc(t, "/mnist/v1/model-catalog.json")
			return ok && d.ModelServer == nil
		})
	})

	t.Run("archive removes the version", func(t *testing.T) {
		archived := openapi.MODELVERSIONSTATE_ARCHIVED
		_, err := reg.UpdateModelVersion(mvID, func(v *openapi.ModelVersion) { v.State = &archived })
		require.NoError(t, err)
		eventually(t, "mnist gone", func() bool { return !hasURI(dp.uris(t), "/mnist/v1/model-catalog.json") })
		_, ok := dp.doc(t, "/granite/v1/model-catalog.json")
		assert.True(t, ok, "other models stay")
	})

	t.Run("deleting the KServe-only server removes it", func(t *testing.T) {
		require.NoError(t, cluster.Client.Delete(ctx, &v1beta1.InferenceService{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "chat"}}))
		eventually(t, "chat gone", func() bool { return !hasURI(dp.uris(t), "/kserve/"+ns+"/chat/model-catalog.json") })
		assert.Equal(t, []string{"/granite/v1/model-catalog.json"}, dp.uris(t))
	})
}

// TestRegistryAppearingLater starts the normalizer while one of its two
// registries is not up: the other registry's models are published, the
// records of the missing one (from an earlier run) are not removed, and
// its models appear once it answers.
func TestRegistryAppearingLater(t *testing.T) {
	dp := startDataPlane(t, "it-later")
	early := startRegistry(t)
	early.model(t, "early", nil, openapi.ModelArtifact{Uri: strp("s3://early")})
	lateAddr := freeAddr(t)

	// A record the late registry published in an earlier run.
	req, _ := http.NewRequest(http.MethodPost, dp.storageURL+"/upsert?key=late__v0&type=kubeflow",
		strings.NewReader(`{"body":"eyJtb2RlbHMiOltdfQ==","lastUpdateTimeSinceEpoch":"1"}`))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	n := startNormalizer(t, dp, runOptions{registries: []string{early.url, "http://" + lateAddr}})
	eventually(t, "early model listed", func() bool { return hasURI(dp.uris(t), "/early/v1/model-catalog.json") })
	eventually(t, "late registry failures counted", func() bool {
		return n.counter(t, "rhoai_connector_normalizer_source_failures_total", map[string]string{"source": "registry http://" + lateAddr}) >= 3
	})
	assert.True(t, hasURI(dp.uris(t), "/late/v0/model-catalog.json"), "nothing is removed before every registry answered once")

	late := startRegistryAt(t, lateAddr, fakeregistry.New(fakeregistry.Options{}))
	late.model(t, "late", nil, openapi.ModelArtifact{Uri: strp("s3://late")})
	eventually(t, "late model listed and the stale record removed", func() bool {
		u := dp.uris(t)
		return hasURI(u, "/late/v1/model-catalog.json") && !hasURI(u, "/late/v0/model-catalog.json")
	})
	var l struct {
		Keys []string `json:"keys"`
	}
	require.Equal(t, http.StatusOK, getJSON(t, dp.storageURL+"/list", &l))
	assert.Equal(t, []string{"early__v1", "late__v1"}, l.Keys)
	b, _ := json.Marshal(l)
	t.Logf("storage-rest keys: %s", b)
}

// TestWaitsForTheKServeCRD starts the normalizer on a cluster without the
// InferenceService CRD: it publishes the registry's models, keeps running,
// and starts watching InferenceServices once the CRD is installed.
func TestWaitsForTheKServeCRD(t *testing.T) {
	bare := testenv.Start(t) // a second control plane, without the CRD
	dp := startDataPlane(t, "it-crd")
	reg := startRegistry(t)
	reg.model(t, "solo", nil, openapi.ModelArtifact{Uri: strp("s3://solo")})

	n := startNormalizerOn(t, bare, dp, runOptions{registries: []string{reg.url}})
	eventually(t, "registry model published without the CRD", func() bool {
		return hasURI(dp.uris(t), "/solo/v1/model-catalog.json")
	})
	select {
	case err := <-n.done:
		t.Fatalf("the normalizer stopped while the CRD is missing: %v", err)
	default:
	}

	crd, err := testenv.KServeCRD()
	require.NoError(t, err)
	_, err = envtest.InstallCRDs(bare, envtest.CRDInstallOptions{Paths: []string{crd}})
	require.NoError(t, err)
	c, err := client.New(bare, client.Options{Scheme: cluster.Client.Scheme()})
	require.NoError(t, err)
	require.NoError(t, c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "late-ns"}}))
	readyISVCWith(t, c, "late-ns", "late-server", nil, map[string]string{"rhdh.io/owner": "ops"})
	eventually(t, "InferenceService picked up after the CRD appeared", func() bool {
		return hasURI(dp.uris(t), "/kserve/late-ns/late-server/model-catalog.json")
	})
}
