package mapping

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/backstage"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// The model server's URLs for each shape KServe deployments take on
// OpenShift AI, for a registry-linked server and a KServe-only one.
func TestServerEndpointsPerDeploymentMode(t *testing.T) {
	const svc8080 = "http://granite-v1-predictor.team-a.svc.cluster.local:8080"
	cases := []struct {
		name      string
		statusURL string // "" leaves status.url unset
		routeURL  string
		svcURL    string
		api       string
		external  string // "" means no external-route-url annotation
		internal  string
	}{
		{
			name:      "Serverless: Knative's external status.url, no Route",
			statusURL: "https://granite-v1-team-a.apps.example.com",
			svcURL:    svc8080,
			api:       "https://granite-v1-team-a.apps.example.com", external: "https://granite-v1-team-a.apps.example.com", internal: svc8080,
		},
		{
			name:      "RawDeployment exposed by a Route (https)",
			statusURL: "http://granite-v1-predictor.team-a.svc.cluster.local",
			routeURL:  "https://granite-v1-team-a.apps.example.com",
			svcURL:    svc8080,
			api:       "https://granite-v1-team-a.apps.example.com", external: "https://granite-v1-team-a.apps.example.com", internal: svc8080,
		},
		{
			name:      "a Route wins over an external status.url",
			statusURL: "https://granite-v1-team-a.apps.example.com",
			routeURL:  "https://granite.internal-router.example.com/v1",
			svcURL:    svc8080,
			api:       "https://granite.internal-router.example.com/v1", external: "https://granite.internal-router.example.com/v1", internal: svc8080,
		},
		{
			name:      "RawDeployment internal only: status.url under .svc.cluster.local",
			statusURL: "http://granite-v1-predictor.team-a.svc.cluster.local",
			svcURL:    svc8080,
			api:       svc8080, internal: svc8080,
		},
		{
			name:      "status.url under .svc",
			statusURL: "http://granite-v1-predictor.team-a.svc:8080/",
			svcURL:    svc8080,
			api:       svc8080, internal: svc8080,
		},
		{
			name:      "status.url a bare in-namespace name",
			statusURL: "http://granite-v1-predictor",
			svcURL:    svc8080,
			api:       svc8080, internal: svc8080,
		},
		{
			name:      "no status.url and no Service found: the conventional predictor URL",
			api:       "http://granite-v1-predictor.team-a.svc.cluster.local",
			internal:  "http://granite-v1-predictor.team-a.svc.cluster.local",
			statusURL: "",
		},
		{
			name:      "a Route URL that is not http(s) is ignored",
			statusURL: "http://granite-v1-predictor.team-a.svc.cluster.local",
			routeURL:  "ftp://granite.example.com",
			svcURL:    svc8080,
			api:       svc8080, internal: svc8080,
		},
		{
			name:      "trailing slash of status.url dropped",
			statusURL: "https://granite-v1-team-a.apps.example.com/",
			svcURL:    svc8080,
			api:       "https://granite-v1-team-a.apps.example.com", external: "https://granite-v1-team-a.apps.example.com", internal: svc8080,
		},
	}
	for _, c := range cases {
		check := func(t *testing.T, s *modelcatalog.ModelServer) {
			t.Helper()
			require.NotNil(t, s)
			assert.Equal(t, c.api, s.API.URL, "API.url")
			ext, ok := s.Annotations[modelcatalog.AnnotationExternalRouteURL]
			assert.Equal(t, c.external != "", ok, "external-route-url present")
			assert.Equal(t, c.external, ext)
			assert.Equal(t, c.internal, s.Annotations[modelcatalog.AnnotationInternalServiceURL])
			assert.Contains(t, s.API.Spec, `"url":"`+c.api+`"`, "the placeholder spec names the API URL")
		}
		setStatus := func(i *v1beta1.InferenceService) {
			i.Status.URL = nil
			if c.statusURL != "" {
				i.Status.URL = mustURL(c.statusURL)
			}
		}
		t.Run(c.name+" (registry)", func(t *testing.T) {
			f := newFixture()
			setStatus(f.isvc)
			in := f.inputs()
			in.Servers[0].RouteURL, in.Servers[0].ServiceURL = c.routeURL, c.svcURL
			out, _ := buildOne(t, in, Options{})
			check(t, out.Doc.ModelServer)
		})
		if c.statusURL == "" {
			continue // a KServe-only server needs a status.url to be published
		}
		t.Run(c.name+" (KServe-only)", func(t *testing.T) {
			i := isvc("team-a", "granite-v1", nil, nil, true)
			setStatus(i)
			out, _ := buildOne(t, kserveInputs(Server{InferenceService: i, RouteURL: c.routeURL, ServiceURL: c.svcURL}), Options{})
			check(t, out.Doc.ModelServer)
		})
	}
}

func TestClusterLocal(t *testing.T) {
	for host, want := range map[string]bool{
		"granite-predictor.ns.svc.cluster.local":      true,
		"granite-predictor.ns.svc.cluster.local:8080": true,
		"granite-predictor.ns.svc":                    true,
		"granite-predictor.ns.svc.":                   true,
		"GRANITE-PREDICTOR.NS.SVC.CLUSTER.LOCAL":      true,
		"granite-predictor":                           true,
		"granite-predictor:8080":                      true,
		"localhost":                                   true,
		"":                                            true,
		"granite-ns.apps.cluster.example.com":         false,
		"granite.example.com:443":                     false,
		"svc.example.com":                             false,
		"10.0.0.7":                                    false,
	} {
		assert.Equal(t, want, ClusterLocal(host), host)
	}
}

func TestDeploymentMode(t *testing.T) {
	mk := func(status, annotation string) *v1beta1.InferenceService {
		i := isvc("ns", "x", nil, nil, true)
		i.Status.DeploymentMode = status
		if annotation != "" {
			i.Annotations = map[string]string{AnnotationDeploymentMode: annotation}
		}
		return i
	}
	assert.Equal(t, TagServerless, DeploymentMode(mk("Serverless", "")))
	assert.Equal(t, TagServerless, DeploymentMode(mk("Knative", "")))
	assert.Equal(t, TagRaw, DeploymentMode(mk("RawDeployment", "")))
	assert.Equal(t, TagRaw, DeploymentMode(mk("Standard", "")))
	assert.Equal(t, TagModelMesh, DeploymentMode(mk("ModelMesh", "")))
	assert.Equal(t, TagRaw, DeploymentMode(mk("", "RawDeployment")), "the annotation when the status says nothing")
	assert.Equal(t, TagServerless, DeploymentMode(mk("Serverless", "RawDeployment")), "status (what KServe did) wins")
	assert.Equal(t, TagRaw, DeploymentMode(mk("Unheard-of", "Standard")), "an unknown status value falls through")
	assert.Empty(t, DeploymentMode(mk("", "")))
}

// Every model server, registry-linked or KServe-only, carries the
// annotations that make the Backstage Kubernetes plugin show its predictor
// pods, and tags for its model format, runtime and deployment mode.
func TestKubernetesAnnotationsAndFactTags(t *testing.T) {
	withFacts := func(i *v1beta1.InferenceService, format, runtime, mode string) {
		i.Spec.Predictor.Model.ModelFormat = v1beta1.ModelFormat{Name: format}
		if runtime != "" {
			i.Spec.Predictor.Model.Runtime = ptr(runtime)
		}
		i.Status.DeploymentMode = mode
	}
	t.Run("registry-linked", func(t *testing.T) {
		f := newFixture()
		withFacts(f.isvc, "vLLM", "vllm-cuda-runtime", "RawDeployment")
		out, probs := buildOne(t, f.inputs(), Options{})
		assert.Empty(t, probs)
		s := out.Doc.ModelServer
		assert.Equal(t, "serving.kserve.io/inferenceservice=granite-v1", s.Annotations[AnnotationKubernetesLabelSelector])
		assert.Equal(t, "team-a", s.Annotations[AnnotationKubernetesNamespace])
		assert.Equal(t, []string{"raw", "vllm", "vllm-cuda-runtime"}, s.Tags)
		assert.Empty(t, out.Doc.Models[0].Tags, "facts of the server are not the model's tags")
	})
	t.Run("KServe-only, merged with the annotation tags", func(t *testing.T) {
		i := isvc("team-b", "chat", nil, map[string]string{"modelcatalogbridge.rhdh.io/tags": "LLM, onnx"}, true)
		withFacts(i, "onnx", "OpenVINO Model Server (2025.1)", "Serverless")
		out, probs := buildOne(t, kserveInputs(Server{InferenceService: i}), Options{})
		assert.Empty(t, probs)
		s := out.Doc.ModelServer
		assert.Equal(t, "serving.kserve.io/inferenceservice=chat", s.Annotations[AnnotationKubernetesLabelSelector])
		assert.Equal(t, "team-b", s.Annotations[AnnotationKubernetesNamespace])
		assert.Equal(t, []string{"llm", "onnx", "openvino-model-server-2025-1", "serverless"}, s.Tags)
		assert.Equal(t, []string{"llm", "onnx"}, out.Doc.Models[0].Tags)
	})
	t.Run("values Backstage cannot take are reported and dropped", func(t *testing.T) {
		i := isvc("ns", "odd", nil, nil, true)
		withFacts(i, "日本", "a-very-long-runtime-name-that-goes-on-and-on-well-past-the-sixty-three-character-limit", "")
		out, probs := buildOne(t, kserveInputs(Server{InferenceService: i}), Options{})
		require.Len(t, out.Doc.ModelServer.Tags, 1)
		tag := out.Doc.ModelServer.Tags[0]
		assert.True(t, backstage.ValidTag(tag), tag)
		assert.LessOrEqual(t, len(tag), 63)
		assert.True(t, hasProblem(probs, "InferenceService ns/odd", `spec.predictor.model.modelFormat.name: tag "日本"`), "%v", probs)
	})
	t.Run("the runtime KServe chose, when the spec names none", func(t *testing.T) {
		i := isvc("ns", "auto", nil, nil, true)
		withFacts(i, "sklearn", "", "")
		i.Status.ClusterServingRuntimeName = "kserve-sklearnserver"
		out, _ := buildOne(t, kserveInputs(Server{InferenceService: i}), Options{})
		assert.Equal(t, []string{"kserve-sklearnserver", "sklearn"}, out.Doc.ModelServer.Tags)
		i.Status.ServingRuntimeName = "my-sklearn"
		out, _ = buildOne(t, kserveInputs(Server{InferenceService: i}), Options{})
		assert.Equal(t, []string{"my-sklearn", "sklearn"}, out.Doc.ModelServer.Tags, "a namespaced ServingRuntime first")
	})
	t.Run("the catalog-info YAML Component carries them", func(t *testing.T) {
		f := newFixture()
		withFacts(f.isvc, "onnx", "", "Serverless")
		out, _ := buildOne(t, f.inputs(), Options{Format: record.CatalogInfoYAMLFormat})
		assert.Contains(t, string(out.Body), "backstage.io/kubernetes-label-selector: serving.kserve.io/inferenceservice=granite-v1")
		assert.Contains(t, string(out.Body), "backstage.io/kubernetes-namespace: team-a")
	})
}
