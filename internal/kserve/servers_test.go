package kserve

import (
	"context"
	"testing"

	"github.com/kserve/kserve/pkg/apis/serving/v1beta1"
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
// path is covered by internal/normalizer's integration tests.
func TestServersResolveFacts(t *testing.T) {
	scheme := runtime.NewScheme()
	require.NoError(t, clientgoscheme.AddToScheme(scheme))
	require.NoError(t, v1beta1.AddToScheme(scheme))
	isvc := func(ns, name string) *v1beta1.InferenceService {
		return &v1beta1.InferenceService{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + name)}}
	}
	owned := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "secure-sa", OwnerReferences: []metav1.OwnerReference{{
		APIVersion: "serving.kserve.io/v1beta1", Kind: "InferenceService", Name: "secure", UID: "uid-secure",
	}}}}
	svc := func(ns, name string, port int32, target intstr.IntOrString) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-predictor"},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: port, TargetPort: target}}}}
	}
	objs := []client.Object{
		isvc("b", "plain"), isvc("a", "secure"), isvc("a", "routed"), isvc("a", "named-port"),
		owned,
		svc("a", "secure", 80, intstr.FromInt(8080)),
		svc("a", "routed", 80, intstr.FromInt(80)),
		svc("a", "named-port", 8443, intstr.FromString("https")),
		route("a", "routed", "routed-predictor", nil, "routed.apps.example.com", true),
		route("a", "by-label", "other", map[string]string{LabelInferenceService: "secure"}, "", false),
		route("b", "elsewhere", "routed", nil, "wrong.example.com", true),
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()

	r := &Resolver{Reader: c, Routes: true}
	servers, err := r.Servers(context.Background())
	require.NoError(t, err)
	require.Len(t, servers, 4)
	var names []string
	for _, s := range servers {
		names = append(names, s.InferenceService.Namespace+"/"+s.InferenceService.Name)
	}
	assert.Equal(t, []string{"a/named-port", "a/routed", "a/secure", "b/plain"}, names, "sorted by namespace and name")

	named, routed, secure, plain := servers[0], servers[1], servers[2], servers[3]
	assert.Equal(t, "http://named-port-predictor.a.svc.cluster.local:8443", named.ServiceURL, "a named target port falls back to the Service port")
	assert.Equal(t, "https://routed.apps.example.com", routed.RouteURL)
	assert.Equal(t, "http://routed-predictor.a.svc.cluster.local", routed.ServiceURL, "port 80 is left out")
	assert.False(t, routed.AuthEnabled)
	assert.Equal(t, "http://generated.apps.example.com", secure.RouteURL, "labelled Route, host from status, no TLS")
	assert.Equal(t, "http://secure-predictor.a.svc.cluster.local:8080", secure.ServiceURL, "the target port when it is not 80")
	assert.True(t, secure.AuthEnabled, "a ServiceAccount owned by the InferenceService means token auth")
	assert.Empty(t, plain.RouteURL, "a Route in another namespace does not count")
	assert.Equal(t, "http://plain-predictor.b.svc.cluster.local", plain.ServiceURL, "no Service yet")

	r.Routes = false
	servers, err = r.Servers(context.Background())
	require.NoError(t, err)
	assert.Empty(t, servers[1].RouteURL, "no Route API: no Route URL")
}
