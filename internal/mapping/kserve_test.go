package mapping

import (
	"testing"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

func kserveInputs(servers ...Server) Inputs { return Inputs{Servers: servers} }

func TestKServeOnlyDefaults(t *testing.T) {
	i := isvc("team-b", "llama", nil, nil, true)
	out, probs := buildOne(t, kserveInputs(Server{InferenceService: i, ServiceURL: PredictorServiceURL("llama", "team-b", 80)}), Options{})
	assert.Empty(t, probs)
	assert.Equal(t, "kserve__team-b__llama", out.Key)
	assert.Equal(t, record.TypeKServe, out.Type)
	s := requireDefaultServer(t, out.Doc, "llama", "Model server team-b/llama (KServe InferenceService).")
	assert.Equal(t, "https://llama-team-b.apps.example.com", s.API.URL, "status.url is external (Serverless)")
	assert.Equal(t, "http://llama-predictor.team-b.svc.cluster.local", s.Annotations[modelcatalog.AnnotationInternalServiceURL])
	assert.Equal(t, "serving.kserve.io/inferenceservice=llama", s.Annotations[AnnotationKubernetesLabelSelector])
	assert.Equal(t, "team-b", s.Annotations[AnnotationKubernetesNamespace])
	require.Len(t, out.Doc.Models, 1)
	m := out.Doc.Models[0]
	assert.Equal(t, "team-b-llama", m.Name)
	assert.Equal(t, "llama", m.Annotations[modelcatalog.AnnotationModelName])
	assert.Equal(t, "oci://quay.io/models/llama:1", m.ArtifactLocationURL)
	assert.Equal(t, s.Description, m.Description)
}

func TestKServeOnlyReadiness(t *testing.T) {
	notReady := isvc("ns", "a", nil, nil, true)
	notReady.Status.Conditions[1].Status = corev1.ConditionFalse // PredictorReady
	noURL := isvc("ns", "b", nil, nil, true)
	noURL.Status.URL = nil
	noIngress := isvc("ns", "c", nil, nil, true)
	noIngress.Status.Conditions = noIngress.Status.Conditions[:2]
	never := isvc("ns", "d", nil, nil, false)
	outs, probs := build(t, kserveInputs(Server{InferenceService: notReady}, Server{InferenceService: noURL},
		Server{InferenceService: noIngress}, Server{InferenceService: never}), Options{})
	assert.Empty(t, outs)
	require.Len(t, probs, 4, "one not-ready problem each: %v", probs)
	for _, p := range probs {
		assert.Equal(t, ReasonNotReady, p.Reason, "%v", p)
	}
	assert.True(t, Ready(isvc("ns", "e", nil, nil, true)))
	assert.False(t, Ready(nil))
}

func TestKServeOnlyBridgeAnnotations(t *testing.T) {
	i := isvc("team-b", "llama", nil, map[string]string{
		"modelcatalogbridge.rhdh.io/apiSpec":     `{"openapi":"3.0.0"}`,
		"modelcatalogbridge.rhdh.io/apiType":     "grpc",
		"modelcatalogbridge.rhdh.io/owner":       "group:bridge",
		"modelcatalogbridge.rhdh.io/lifecycle":   "experimental",
		"modelcatalogbridge.rhdh.io/techdocs":    "https://github.com/org/llama-docs",
		"modelcatalogbridge.rhdh.io/description": "Llama for team B",
		"modelcatalogbridge.rhdh.io/homepageURL": "https://llama.example.com",
		"modelcatalogbridge.rhdh.io/howtouse":    "https://llama.example.com/how",
		"modelcatalogbridge.rhdh.io/license":     "llama3",
		"modelcatalogbridge.rhdh.io/ethics":      "ethics text",
		"modelcatalogbridge.rhdh.io/support":     "support text",
		"modelcatalogbridge.rhdh.io/training":    "training text",
		"modelcatalogbridge.rhdh.io/usage":       "usage text",
		"modelcatalogbridge.rhdh.io/tags":        "LLM, Meta  gpu,,日本",
		"rhdh.modelcatalog.io/model-name":        "meta-llama/Llama-3-8B",
	}, true)
	out, probs := buildOne(t, kserveInputs(Server{InferenceService: i, RouteURL: "https://llama.apps.example.com"}), Options{})
	s := out.Doc.ModelServer
	assert.Equal(t, `{"openapi":"3.0.0"}`, s.API.Spec)
	assert.Equal(t, "grpc", s.API.Type)
	assert.Equal(t, "https://llama.apps.example.com", s.API.URL)
	assert.Equal(t, "group:bridge", s.Owner)
	assert.Equal(t, "experimental", s.Lifecycle)
	assert.Equal(t, "Llama for team B", s.Description)
	assert.Equal(t, "https://llama.example.com", s.HomepageURL)
	assert.Equal(t, "usage text", s.Usage)
	assert.Equal(t, []string{"gpu", "llm", "meta"}, s.Tags)
	m := out.Doc.Models[0]
	assert.Equal(t, "group:bridge", m.Owner)
	assert.Equal(t, "experimental", m.Lifecycle)
	assert.Equal(t, "Llama for team B", m.Description)
	assert.Equal(t, "https://llama.example.com/how", m.HowToUseURL)
	assert.Empty(t, m.License, "a license name is no link")
	assert.Equal(t, "ethics text", m.Ethics)
	assert.Equal(t, "support text", m.Support)
	assert.Equal(t, "training text", m.Training)
	assert.Equal(t, "usage text", m.Usage)
	assert.Equal(t, []string{"gpu", "llm", "meta"}, m.Tags)
	assert.Equal(t, map[string]string{
		modelcatalog.AnnotationModelName:     "meta-llama/Llama-3-8B",
		modelcatalog.AnnotationTechDocs:      "https://github.com/org/llama-docs",
		modelcatalog.AnnotationTechDocsLower: "https://github.com/org/llama-docs",
		AnnotationLicense:                    "llama3",
	}, m.Annotations)
	assert.True(t, hasProblem(probs, "InferenceService team-b/llama", `tag "日本"`), "%v", probs)
}

func TestKServeOnlySuccessorAnnotations(t *testing.T) {
	i := isvc("team-b", "llama", nil, map[string]string{
		"rhdh.io/owner":                        "group:successor",
		"rhdh.io/lifecycle":                    "production",
		"rhdh.io/system":                       "ai",
		"rhdh.io/serverType":                   "openai-v1",
		"rhdh.io/default":                      "granite",
		"rhdh.io/api-entity-ref":               "api:ai/llama",
		"modelcatalogbridge.rhdh.io/owner":     "group:bridge",
		"modelcatalogbridge.rhdh.io/lifecycle": "experimental",
		"rhdh.io/model-granite":                "ibm-granite-8b",
		"rhdh.io/model-llama":                  "meta-llama-3",
		"rhdh.io/model-again":                  "meta-llama-3",
		"rhdh.io/model-empty":                  " ",
		"rhdh.io/model-bad":                    "日本",
		"openshift.io/description":             "from the console",
	}, true)
	out, probs := buildOne(t, kserveInputs(Server{InferenceService: i}), Options{})
	s := out.Doc.ModelServer
	assert.Equal(t, "group:successor", s.Owner, "rhdh.io/owner wins over the bridge family")
	assert.Equal(t, "production", s.Lifecycle)
	assert.Equal(t, "from the console", s.Description)
	for k, v := range map[string]string{"rhdh.io/system": "ai", "rhdh.io/serverType": "openai-v1", "rhdh.io/default": "granite",
		"rhdh.io/api-entity-ref": "api:ai/llama", "rhdh.io/owner": "group:successor", "rhdh.io/lifecycle": "production"} {
		assert.Equal(t, v, s.Annotations[k], k)
	}
	require.Len(t, out.Doc.Models, 2)
	assert.Equal(t, "ibm-granite-8b", out.Doc.Models[0].Name)
	assert.Equal(t, "ibm-granite-8b", out.Doc.Models[0].Annotations[modelcatalog.AnnotationModelName])
	assert.Equal(t, "meta-llama-3", out.Doc.Models[1].Name)
	for _, m := range out.Doc.Models {
		assert.Equal(t, "group:successor", m.Owner)
		assert.Equal(t, "production", m.Lifecycle)
	}
	assert.True(t, hasProblem(probs, "team-b/llama", `"rhdh.io/model-bad": model name "日本"`), "%v", probs)
	assert.True(t, hasProblem(probs, "team-b/llama", `"rhdh.io/model-empty": is empty`), "%v", probs)
	assert.True(t, hasProblem(probs, "team-b/llama", `names model "meta-llama-3" again`), "%v", probs)
}

func TestKServeOnlyAllModelAnnotationsInvalid(t *testing.T) {
	i := isvc("ns", "x", nil, map[string]string{"rhdh.io/model-a": "日本"}, true)
	outs, probs := build(t, kserveInputs(Server{InferenceService: i}), Options{})
	assert.Empty(t, outs)
	var rejected bool
	for _, p := range probs {
		rejected = rejected || p.Rejected
	}
	assert.True(t, rejected, "%v", probs)
}

func TestKServeOnlyWithRegistryLabels(t *testing.T) {
	labelled := isvc("ns", "x", map[string]string{LabelInferenceServiceID: "1"}, nil, true)
	t.Run("no registry read", func(t *testing.T) {
		outs, _ := build(t, kserveInputs(Server{InferenceService: labelled}), Options{})
		require.Len(t, outs, 1)
		assert.Equal(t, "kserve__ns__x", outs[0].Key)
	})
	t.Run("its registry is not read", func(t *testing.T) {
		other := isvc("ns", "y", map[string]string{LabelInferenceServiceID: "1", LabelRegistryName: "elsewhere"}, nil, true)
		in := newFixture().inputs()
		in.Servers = append(in.Servers, Server{InferenceService: other})
		outs, _ := build(t, in, Options{})
		require.Len(t, outs, 2)
		assert.Equal(t, "kserve__ns__y", outs[1].Key)
	})
	t.Run("a registry is read", func(t *testing.T) {
		in := newFixture().inputs()
		in.Servers = append(in.Servers, Server{InferenceService: labelled})
		outs, probs := build(t, in, Options{})
		require.Len(t, outs, 1)
		assert.Equal(t, "granite__v1", outs[0].Key)
		assert.True(t, hasProblem(probs, "InferenceService ns/x", "carries model registry labels"), "%v", probs)
	})
}

func TestPredictorServiceURL(t *testing.T) {
	assert.Equal(t, "http://m-predictor.ns.svc.cluster.local", PredictorServiceURL("m", "ns", 80))
	assert.Equal(t, "http://m-predictor.ns.svc.cluster.local", PredictorServiceURL("m", "ns", 0))
	assert.Equal(t, "http://m-predictor.ns.svc.cluster.local:8080", PredictorServiceURL("m", "ns", 8080))
}

func TestKServeOnlyInvalidOwnerFallsThrough(t *testing.T) {
	i := isvc("ns", "x", nil, map[string]string{
		"rhdh.io/owner": "user:", "modelcatalogbridge.rhdh.io/owner": "group:bridge",
		"rhdh.io/lifecycle": "bad\x01", "modelcatalogbridge.rhdh.io/lifecycle": "experimental",
	}, true)
	out, probs := buildOne(t, kserveInputs(Server{InferenceService: i}), Options{})
	assert.Equal(t, "group:bridge", out.Doc.ModelServer.Owner)
	assert.Equal(t, "experimental", out.Doc.ModelServer.Lifecycle)
	assert.True(t, hasProblem(probs, "InferenceService ns/x", `annotation "rhdh.io/owner": owner "user:"`), "%v", probs)
	assert.True(t, hasProblem(probs, "InferenceService ns/x", `annotation "rhdh.io/lifecycle"`), "%v", probs)
}
