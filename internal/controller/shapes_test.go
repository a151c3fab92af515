package controller

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
)

var (
	routeCRDOnce sync.Once
	routeCRDErr  error
	// shapesRun makes the namespaces of each run unique, so that the test
	// passes under -count=N on one API server.
	shapesRun atomic.Int64
)

// installRouteCRD installs the OpenShift Route CRD (from the
// github.com/openshift/api module) into the package's API server, once.
// A normalizer started afterwards watches Routes.
func installRouteCRD(t *testing.T) {
	t.Helper()
	routeCRDOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/openshift/api").Output()
		if err != nil {
			routeCRDErr = fmt.Errorf("locating github.com/openshift/api (run `go mod download github.com/openshift/api`): %w", err)
			return
		}
		dir := filepath.Join(strings.TrimSpace(string(out)), "route", "v1", "zz_generated.crd-manifests")
		var path string
		for _, name := range []string{"routes-Default.crd.yaml", "routes.crd.yaml"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				path = filepath.Join(dir, name)
				break
			}
		}
		if path == "" {
			routeCRDErr = fmt.Errorf("no Route CRD in %s", dir)
			return
		}
		_, routeCRDErr = envtest.InstallCRDs(cluster.Config, envtest.CRDInstallOptions{Paths: []string{path}, MaxTime: time.Minute})
	})
	require.NoError(t, routeCRDErr)
}

// isvcShape is one InferenceService as KServe and OpenShift AI leave it in
// one deployment mode.
type isvcShape struct {
	name, format, runtime string
	labels                map[string]string
	// mode is the deployment mode KServe reports in status.deploymentMode.
	mode      string
	statusURL string
}

// createShape creates the InferenceService and marks it Ready with the
// shape's status.
func createShape(t *testing.T, ns string, s isvcShape) *v1beta1.InferenceService {
	t.Helper()
	ctx := context.Background()
	isvc := &v1beta1.InferenceService{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: s.name, Labels: s.labels,
			Annotations: map[string]string{mapping.AnnotationDeploymentMode: s.mode}},
		Spec: v1beta1.InferenceServiceSpec{Predictor: v1beta1.PredictorSpec{Model: &v1beta1.ModelSpec{
			ModelFormat: v1beta1.ModelFormat{Name: s.format}, Runtime: &s.runtime,
		}}},
	}
	require.NoError(t, cluster.Client.Create(ctx, isvc))
	u, err := apis.ParseURL(s.statusURL)
	require.NoError(t, err)
	addr, err := apis.ParseURL(fmt.Sprintf("http://%s-predictor.%s.svc.cluster.local", s.name, ns))
	require.NoError(t, err)
	isvc.Status.URL = u
	isvc.Status.Address = &duckv1.Addressable{URL: addr}
	isvc.Status.DeploymentMode = s.mode
	for _, c := range []apis.ConditionType{apis.ConditionReady, v1beta1.PredictorReady, v1beta1.IngressReady} {
		isvc.Status.Conditions = append(isvc.Status.Conditions, apis.Condition{Type: c, Status: corev1.ConditionTrue,
			LastTransitionTime: apis.VolatileTime{Inner: metav1.Now()}})
	}
	require.NoError(t, cluster.Client.Status().Update(ctx, isvc))
	// Deleted at the end: the package's API server is shared, and a later
	// run's registry reuses the ids this one's labels name.
	t.Cleanup(func() { _ = cluster.Client.Delete(context.Background(), isvc) })
	return isvc
}

// service creates a Service with one port; labels and owner say how it is
// tied to its InferenceService.
func service(t *testing.T, ns, name string, labels map[string]string, owner *v1beta1.InferenceService, port, target int32) {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone,
			Ports: []corev1.ServicePort{{Name: "http", Port: port, TargetPort: intstr.FromInt32(target)}}},
	}
	if owner != nil {
		svc.OwnerReferences = []metav1.OwnerReference{{APIVersion: v1beta1.SchemeGroupVersion.String(), Kind: "InferenceService",
			Name: owner.Name, UID: owner.UID, Controller: ptrTo(true)}}
	}
	require.NoError(t, cluster.Client.Create(context.Background(), svc))
}

func ptrTo[T any](v T) *T { return &v }

// openshiftAIRoute is the Route the OpenShift AI model controller creates
// for a raw-deployment InferenceService exposed outside the cluster.
func openshiftAIRoute(isvc *v1beta1.InferenceService, host string, tls bool) *unstructured.Unstructured {
	rt := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{
			"host":           host,
			"to":             map[string]any{"kind": "Service", "name": isvc.Name + "-predictor", "weight": int64(100)},
			"port":           map[string]any{"targetPort": "http"},
			"wildcardPolicy": "None",
		},
	}}
	rt.SetGroupVersionKind(kserve.RouteGVK)
	rt.SetNamespace(isvc.Namespace)
	rt.SetName(isvc.Name)
	rt.SetLabels(map[string]string{"inferenceservice-name": isvc.Name})
	rt.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: v1beta1.SchemeGroupVersion.String(), Kind: "InferenceService",
		Name: isvc.Name, UID: isvc.UID, Controller: ptrTo(true)}})
	if tls {
		_ = unstructured.SetNestedMap(rt.Object, map[string]any{"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"}, "spec", "tls")
	}
	return rt
}

// serverOf reads a published document's model server.
func serverOf(t *testing.T, dp *dataPlane, uri string) (*modelcatalog.ModelServer, bool) {
	t.Helper()
	d, ok := dp.doc(t, uri)
	if !ok || d.ModelServer == nil || d.ModelServer.API == nil {
		return nil, false
	}
	return d.ModelServer, true
}

// TestModelServerEndpointPerDeploymentMode publishes one model server of
// each shape KServe deployments take on OpenShift AI and checks the URLs a
// developer sees, the Kubernetes plugin annotations and the fact tags:
//
//   - Serverless: status.url is Knative's external https URL and no Route
//     exists in the namespace (Knative's ingress owns it); Knative's
//     revision Services carry the KServe label too.
//   - RawDeployment exposed by the Route the OpenShift AI model controller
//     creates; its predictor Service is found by owner reference only
//     (no KServe label); linked to a model registry.
//   - RawDeployment internal only: status.url is cluster-local.
//   - An InferenceService whose Route is added, changed and removed later:
//     the document follows each Route event.
func TestModelServerEndpointPerDeploymentMode(t *testing.T) {
	installRouteCRD(t)
	run := shapesRun.Add(1)
	ns := fmt.Sprintf("it-shapes-%d", run)
	namespace(t, ns)
	dp := startDataPlane(t, fmt.Sprintf("it-shapes-rhdh-%d", run))
	reg := startRegistry(t)
	ctx := context.Background()
	kserveLabel := func(name string) map[string]string {
		return map[string]string{kserve.LabelInferenceService: name, "component": "predictor"}
	}
	external := func(name string) string { return fmt.Sprintf("https://%s-%s.apps.example.com", name, ns) }
	internal := func(name string) string { return fmt.Sprintf("http://%s-predictor.%s.svc.cluster.local", name, ns) }

	// Serverless.
	createShape(t, ns, isvcShape{name: "serverless", format: "onnx", runtime: "kserve-ovms", mode: "Serverless", statusURL: external("serverless")})
	service(t, ns, "serverless-predictor-00001-private", kserveLabel("serverless"), nil, 80, 8012)
	service(t, ns, "serverless-predictor", kserveLabel("serverless"), nil, 80, 80)

	// RawDeployment exposed by a Route, deployed from the model registry.
	env, err := reg.AddServingEnvironment(openapi.ServingEnvironment{Name: ns})
	require.NoError(t, err)
	rmID, mvID := reg.model(t, "shapes-model", nil, openapi.ModelArtifact{Uri: strp("oci://quay.io/shapes:1")})
	ris, err := reg.AddInferenceService(openapi.InferenceService{Name: strp("raw-routed"), RegisteredModelId: rmID,
		ModelVersionId: &mvID, ServingEnvironmentId: *env.Id})
	require.NoError(t, err)
	routed := createShape(t, ns, isvcShape{name: "raw-routed", format: "vLLM", runtime: "vllm-cuda-runtime", mode: "RawDeployment",
		statusURL: external("raw-routed"), labels: map[string]string{
			mapping.LabelRegisteredModelID: rmID, mapping.LabelModelVersionID: mvID, mapping.LabelInferenceServiceID: *ris.Id,
		}})
	service(t, ns, "raw-routed-predictor", nil, routed, 80, 8080)
	require.NoError(t, cluster.Client.Create(ctx, openshiftAIRoute(routed, "raw-routed-"+ns+".apps.example.com", true)))

	// RawDeployment internal only.
	createShape(t, ns, isvcShape{name: "raw-internal", format: "sklearn", runtime: "kserve-sklearnserver", mode: "RawDeployment",
		statusURL: internal("raw-internal")})
	service(t, ns, "raw-internal-predictor", kserveLabel("raw-internal"), nil, 80, 8080)

	// RawDeployment whose Route comes later.
	later := createShape(t, ns, isvcShape{name: "later", format: "onnx", runtime: "ovms", mode: "RawDeployment", statusURL: internal("later")})
	service(t, ns, "later-predictor", kserveLabel("later"), later, 8888, 8888)

	startNormalizer(t, dp, runOptions{registries: []string{reg.url}})

	uri := func(name string) string { return "/kserve/" + ns + "/" + name + "/model-catalog.json" }
	want := []struct {
		name, uri, isvc               string
		api, externalAnn, internalAnn string
		tags                          []string
	}{
		{
			name: "Serverless", uri: uri("serverless"), isvc: "serverless",
			api: external("serverless"), externalAnn: external("serverless"), internalAnn: internal("serverless"),
			tags: []string{"kserve-ovms", "onnx", "serverless"},
		},
		{
			name: "RawDeployment with a Route, registry-linked", uri: "/shapes-model/v1/model-catalog.json", isvc: "raw-routed",
			api: "https://raw-routed-" + ns + ".apps.example.com", externalAnn: "https://raw-routed-" + ns + ".apps.example.com",
			internalAnn: internal("raw-routed") + ":8080", tags: []string{"raw", "vllm", "vllm-cuda-runtime"},
		},
		{
			name: "RawDeployment internal only", uri: uri("raw-internal"), isvc: "raw-internal",
			api: internal("raw-internal") + ":8080", internalAnn: internal("raw-internal") + ":8080",
			tags: []string{"kserve-sklearnserver", "raw", "sklearn"},
		},
		{
			name: "RawDeployment without its Route yet", uri: uri("later"), isvc: "later",
			api: internal("later") + ":8888", internalAnn: internal("later") + ":8888", tags: []string{"onnx", "ovms", "raw"},
		},
	}
	for _, w := range want {
		u := w.uri
		t.Run(w.name, func(t *testing.T) {
			var s *modelcatalog.ModelServer
			eventually(t, u+" published with its URL", func() bool {
				var ok bool
				s, ok = serverOf(t, dp, u)
				return ok && s.API.URL == w.api
			})
			assert.Equal(t, w.api, s.API.URL)
			ext, ok := s.Annotations[modelcatalog.AnnotationExternalRouteURL]
			assert.Equal(t, w.externalAnn != "", ok, "external-route-url present")
			assert.Equal(t, w.externalAnn, ext)
			assert.Equal(t, w.internalAnn, s.Annotations[modelcatalog.AnnotationInternalServiceURL])
			assert.Equal(t, "serving.kserve.io/inferenceservice="+w.isvc, s.Annotations[mapping.AnnotationKubernetesLabelSelector])
			assert.Equal(t, ns, s.Annotations[mapping.AnnotationKubernetesNamespace])
			assert.Equal(t, w.tags, s.Tags)
		})
	}

	t.Run("a Route added later, changed, then removed", func(t *testing.T) {
		host := "later-" + ns + ".apps.example.com"
		rt := openshiftAIRoute(later, host, false)
		require.NoError(t, cluster.Client.Create(ctx, rt))
		eventually(t, "the Route's URL is published", func() bool {
			s, ok := serverOf(t, dp, uri("later"))
			return ok && s.API.URL == "http://"+host && s.Annotations[modelcatalog.AnnotationExternalRouteURL] == "http://"+host
		})

		// TLS turned on: https.
		require.NoError(t, cluster.Client.Get(ctx, client.ObjectKeyFromObject(rt), rt))
		require.NoError(t, unstructured.SetNestedMap(rt.Object, map[string]any{"termination": "edge"}, "spec", "tls"))
		require.NoError(t, cluster.Client.Update(ctx, rt))
		eventually(t, "https once the Route has TLS", func() bool {
			s, ok := serverOf(t, dp, uri("later"))
			return ok && s.API.URL == "https://"+host
		})

		require.NoError(t, cluster.Client.Delete(ctx, rt))
		eventually(t, "back to the predictor Service URL", func() bool {
			s, ok := serverOf(t, dp, uri("later"))
			if !ok {
				return false
			}
			_, hasExternal := s.Annotations[modelcatalog.AnnotationExternalRouteURL]
			return s.API.URL == internal("later")+":8888" && !hasExternal
		})
	})
}
