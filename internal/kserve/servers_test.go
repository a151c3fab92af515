package kserve

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
)

func route(ns, name, to string, labels map[string]string, host string, tls bool) *unstructured.Unstructured {
	r := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{"to": map[string]any{"kind": "Service", "name": to}},
	}}
	r.SetGroupVersionKind(RouteGVK)
	r.SetNamespace(ns)
	r.SetName(name)
	r.SetLabels(labels)
	if host != "" {
		_ = unstructured.SetNestedField(r.Object, host, "spec", "host")
	} else {
		_ = unstructured.SetNestedSlice(r.Object, []any{map[string]any{"host": "generated.apps.example.com"}}, "status", "ingress")
	}
	if tls {
		_ = unstructured.SetNestedMap(r.Object, map[string]any{"termination": "edge"}, "spec", "tls")
	}
	return r
}

// A small unit test with the fake client: how the facts of each
// InferenceService are resolved from other objects. The real API server
// path is covered by internal/controller's integration tests.
func TestServersResolveFacts(t *testing.T) {
	scheme := runtime.NewScheme()
	require.NoError(t, clientgoscheme.AddToScheme(scheme))
	require.NoError(t, v1beta1.AddToScheme(scheme))
	isvc := func(ns, name string) *v1beta1.InferenceService {
		return &v1beta1.InferenceService{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + name)}}
	}
	ownerRef := func(name string) []metav1.OwnerReference {
		return []metav1.OwnerReference{{APIVersion: "serving.kserve.io/v1beta1", Kind: "InferenceService", Name: name, UID: types.UID("uid-" + name)}}
	}
	owned := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "secure-sa", OwnerReferences: ownerRef("secure")}}
	// svc is a predictor Service labelled by KServe.
	svc := func(ns, isvcName, name string, port int32, target intstr.IntOrString) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{LabelInferenceService: isvcName}},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: port, TargetPort: target}}}}
	}
	// ownedSvc is a predictor Service found only by its owner reference.
	ownedSvc := func(ns, isvcName, name string, port int32) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, OwnerReferences: ownerRef(isvcName)},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: port, TargetPort: intstr.FromInt32(port)}}}}
	}
	odhRoute := route("a", "owned", "owned-svc", map[string]string{"inferenceservice-name": "owned"}, "owned-a.apps.example.com", true)
	objs := []client.Object{
		isvc("b", "plain"), isvc("a", "secure"), isvc("a", "routed"), isvc("a", "named-port"), isvc("a", "owned"),
		isvc("a", "knative"), isvc("a", "unrelated"),
		owned,
		svc("a", "secure", "secure-predictor", 80, intstr.FromInt(8080)),
		svc("a", "routed", "routed-predictor", 80, intstr.FromInt(80)),
		svc("a", "named-port", "named-port-predictor", 8443, intstr.FromString("https")),
		// Owner reference only, under another name; its Route is OpenShift
		// AI's (labelled inferenceservice-name, pointing at that Service).
		ownedSvc("a", "owned", "owned-svc", 8888),
		odhRoute,
		// Serverless: Knative's Services for a revision carry the label
		// too; <name>-predictor is the predictor.
		svc("a", "knative", "knative-predictor-00001-private", 80, intstr.FromInt(8012)),
		svc("a", "knative", "knative-predictor", 80, intstr.FromInt(80)),
		svc("a", "knative", "knative-predictor-00001", 80, intstr.FromInt(8012)),
		// An unlabelled, unowned Service named like a predictor is not one.
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "unrelated-predictor"},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 9999}}}},
		route("a", "routed", "routed-predictor", nil, "routed.apps.example.com", true),
		route("a", "by-label", "other", map[string]string{LabelInferenceService: "secure"}, "", false),
		route("b", "elsewhere", "routed", nil, "wrong.example.com", true),
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()

	r := &Resolver{Reader: c, Routes: true}
	servers, err := r.Servers(context.Background())
	require.NoError(t, err)
	by := map[string]int{}
	var names []string
	for i, s := range servers {
		names = append(names, s.InferenceService.Namespace+"/"+s.InferenceService.Name)
		by[s.InferenceService.Namespace+"/"+s.InferenceService.Name] = i
	}
	assert.Equal(t, []string{"a/knative", "a/named-port", "a/owned", "a/routed", "a/secure", "a/unrelated", "b/plain"}, names, "sorted by namespace and name")
	get := func(n string) mapping.Server { return servers[by[n]] }

	named, routed, secure, plain := get("a/named-port"), get("a/routed"), get("a/secure"), get("b/plain")
	assert.Equal(t, "http://named-port-predictor.a.svc.cluster.local:8443", named.ServiceURL, "a named target port falls back to the Service port")
	assert.Equal(t, "https://routed.apps.example.com", routed.RouteURL)
	assert.Equal(t, "http://routed-predictor.a.svc.cluster.local", routed.ServiceURL, "port 80 is left out")
	assert.False(t, routed.AuthEnabled)
	assert.Equal(t, "http://generated.apps.example.com", secure.RouteURL, "labelled Route, host from status, no TLS")
	assert.Equal(t, "http://secure-predictor.a.svc.cluster.local:8080", secure.ServiceURL, "the target port when it is not 80")
	assert.True(t, secure.AuthEnabled, "a ServiceAccount owned by the InferenceService means token auth")
	assert.Empty(t, plain.RouteURL, "a Route in another namespace does not count")
	assert.Equal(t, "http://plain-predictor.b.svc.cluster.local", plain.ServiceURL, "no Service yet")

	ownedS := get("a/owned")
	assert.Equal(t, "http://owned-svc.a.svc.cluster.local:8888", ownedS.ServiceURL, "found by owner reference")
	assert.Equal(t, "https://owned-a.apps.example.com", ownedS.RouteURL, "OpenShift AI's Route")
	assert.Equal(t, "http://knative-predictor.a.svc.cluster.local", get("a/knative").ServiceURL, "<name>-predictor wins among labelled Services")
	assert.Empty(t, get("a/knative").RouteURL)
	assert.Equal(t, "http://unrelated-predictor.a.svc.cluster.local", get("a/unrelated").ServiceURL, "an unlabelled, unowned Service is ignored")

	r.Routes = false
	servers, err = r.Servers(context.Background())
	require.NoError(t, err)
	assert.Empty(t, servers[by["a/routed"]].RouteURL, "no Route API: no Route URL")
}

func TestRouteMatching(t *testing.T) {
	i := &v1beta1.InferenceService{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "m", UID: "uid-m"}}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "custom-svc"}}
	owned := route("a", "z-owned", "elsewhere", nil, "owned.example.com", false)
	owned.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "serving.kserve.io/v1beta1", Kind: "InferenceService", Name: "m", UID: "uid-m"}})
	otherUID := route("a", "a-other-uid", "elsewhere", nil, "stale.example.com", false)
	otherUID.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "serving.kserve.io/v1beta1", Kind: "InferenceService", Name: "m", UID: "uid-old"}})
	for _, c := range []struct {
		name   string
		routes []*unstructured.Unstructured
		want   string
	}{
		{"none", nil, ""},
		{"to the InferenceService name", []*unstructured.Unstructured{route("a", "r", "m", nil, "h.example.com", false)}, "http://h.example.com"},
		{"to the predictor Service found", []*unstructured.Unstructured{route("a", "r", "custom-svc", nil, "h.example.com", true)}, "https://h.example.com"},
		{"owned, not a stale owner", []*unstructured.Unstructured{otherUID, owned}, "http://owned.example.com"},
		{"unrelated", []*unstructured.Unstructured{route("a", "r", "other-predictor", nil, "h.example.com", false)}, ""},
		{"first by name", []*unstructured.Unstructured{
			route("a", "b", "m-predictor", nil, "b.example.com", false), route("a", "a", "m-predictor", nil, "a.example.com", false),
		}, "http://a.example.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, routeURL(i, svc, c.routes))
		})
	}
	withPath := route("a", "r", "m", nil, "h.example.com", true)
	_ = unstructured.SetNestedField(withPath.Object, "/v2/", "spec", "path")
	assert.Equal(t, "https://h.example.com/v2", routeURL(i, svc, []*unstructured.Unstructured{withPath}))
}

func TestPredictorCandidate(t *testing.T) {
	assert.True(t, PredictorCandidate(&metav1.ObjectMeta{Labels: map[string]string{LabelInferenceService: "x"}}))
	assert.True(t, PredictorCandidate(&metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{APIVersion: "serving.kserve.io/v1beta1", Kind: "InferenceService", Name: "x"}}}))
	assert.False(t, PredictorCandidate(&metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "x"}}}))
	assert.False(t, PredictorCandidate(&metav1.ObjectMeta{Labels: map[string]string{"app": "x"}}))
}

func TestStripService(t *testing.T) {
	full := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "m-predictor", UID: "u", ResourceVersion: "7",
			Labels:          map[string]string{LabelInferenceService: "m", "component": "predictor", "app": "isvc.m-predictor"},
			Annotations:     map[string]string{"kubectl.kubernetes.io/last-applied-configuration": strings.Repeat("x", 4096)},
			ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "kserve"}},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "d"}, {APIVersion: "serving.kserve.io/v1beta1", Kind: "InferenceService", Name: "m"}},
		},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "None", Selector: map[string]string{"app": "x"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt(8080), Protocol: corev1.ProtocolTCP}}},
	}
	out, err := StripService(full)
	require.NoError(t, err)
	s := out.(*corev1.Service)
	assert.Equal(t, "a", s.Namespace)
	assert.Equal(t, "m-predictor", s.Name)
	assert.Equal(t, "7", s.ResourceVersion)
	assert.Equal(t, map[string]string{LabelInferenceService: "m", "component": "predictor"}, s.Labels)
	assert.Empty(t, s.Annotations)
	assert.Empty(t, s.ManagedFields)
	require.Len(t, s.OwnerReferences, 1)
	assert.Equal(t, "InferenceService", s.OwnerReferences[0].Kind)
	assert.Equal(t, []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt(8080)}}, s.Spec.Ports)
	assert.Equal(t, "http://m-predictor.a.svc.cluster.local:8080", serviceURL(s), "what the resolver needs is kept")

	other, err := StripService(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "db", Labels: map[string]string{"app": "db"}},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 5432}}}})
	require.NoError(t, err)
	assert.Empty(t, other.(*corev1.Service).Spec.Ports, "a Service no InferenceService claims keeps only its name")
	assert.Empty(t, other.(*corev1.Service).Labels)

	passthrough, err := StripService("not a Service")
	require.NoError(t, err)
	assert.Equal(t, "not a Service", passthrough)
}
