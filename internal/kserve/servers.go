// Package kserve turns the KServe InferenceServices in the cluster, and the
// Routes, Services and ServiceAccounts that belong to them, into the server
// facts the mapping needs (normalize.Server).
package kserve

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kserve/kserve/pkg/apis/serving/v1beta1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/normalize"
)

// RouteGVK is the OpenShift Route kind, read as unstructured so that the
// connector needs no OpenShift Go module and runs where Routes do not exist.
var RouteGVK = schema.GroupVersionKind{Group: "route.openshift.io", Version: "v1", Kind: "Route"}

// LabelInferenceService is the label KServe (and OpenShift AI) put on the
// objects they create for an InferenceService.
const LabelInferenceService = "serving.kserve.io/inferenceservice"

// Resolver lists InferenceServices and resolves their facts. Reader is
// normally the manager's cache, so a sync costs no API request.
type Resolver struct {
	Reader client.Reader
	// Routes says whether the Route API exists in this cluster.
	Routes bool
}

// Servers returns every InferenceService in the cluster with its facts,
// sorted by namespace and name.
func (r *Resolver) Servers(ctx context.Context) ([]normalize.Server, error) {
	var isvcs v1beta1.InferenceServiceList
	if err := r.Reader.List(ctx, &isvcs); err != nil {
		return nil, fmt.Errorf("listing InferenceServices: %w", err)
	}
	var routes []unstructured.Unstructured
	if r.Routes {
		var err error
		if routes, err = r.listRoutes(ctx); err != nil {
			return nil, err
		}
	}
	routesByNS := map[string][]*unstructured.Unstructured{}
	for i := range routes {
		routesByNS[routes[i].GetNamespace()] = append(routesByNS[routes[i].GetNamespace()], &routes[i])
	}
	var sas metav1.PartialObjectMetadataList
	sas.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ServiceAccountList"))
	if err := r.Reader.List(ctx, &sas); err != nil {
		return nil, fmt.Errorf("listing ServiceAccounts: %w", err)
	}
	ownedSA := map[string]bool{} // namespace/isvc name
	for i := range sas.Items {
		for _, o := range sas.Items[i].OwnerReferences {
			if o.Kind == "InferenceService" && strings.HasPrefix(o.APIVersion, v1beta1.SchemeGroupVersion.Group+"/") {
				ownedSA[sas.Items[i].Namespace+"/"+o.Name] = true
			}
		}
	}
	out := make([]normalize.Server, 0, len(isvcs.Items))
	for i := range isvcs.Items {
		isvc := &isvcs.Items[i]
		s := normalize.Server{
			InferenceService: isvc,
			RouteURL:         routeURL(isvc, routesByNS[isvc.Namespace]),
			AuthEnabled:      ownedSA[isvc.Namespace+"/"+isvc.Name],
		}
		port, err := r.predictorPort(ctx, isvc)
		if err != nil {
			return nil, err
		}
		s.ServiceURL = normalize.PredictorServiceURL(isvc.Name, isvc.Namespace, port)
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].InferenceService, out[j].InferenceService
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return out, nil
}

func (r *Resolver) listRoutes(ctx context.Context) ([]unstructured.Unstructured, error) {
	var list unstructured.UnstructuredList
	list.SetGroupVersionKind(RouteGVK.GroupVersion().WithKind("RouteList"))
	if err := r.Reader.List(ctx, &list); err != nil {
		if meta.IsNoMatchError(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("listing Routes: %w", err)
	}
	return list.Items, nil
}

// predictorPort is the port clients use to reach the predictor Service
// directly: the target port when it is a number (KServe's raw-deployment
// predictor Services are headless, so the pod port is what answers), else
// the Service port; 0 when the Service is not there (yet).
func (r *Resolver) predictorPort(ctx context.Context, isvc *v1beta1.InferenceService) (int32, error) {
	var svc corev1.Service
	err := r.Reader.Get(ctx, client.ObjectKey{Namespace: isvc.Namespace, Name: isvc.Name + "-predictor"}, &svc)
	if err != nil {
		if client.IgnoreNotFound(err) == nil {
			return 0, nil
		}
		return 0, fmt.Errorf("reading predictor Service %s/%s-predictor: %w", isvc.Namespace, isvc.Name, err)
	}
	if len(svc.Spec.Ports) == 0 {
		return 0, nil
	}
	p := svc.Spec.Ports[0]
	if p.TargetPort.IntValue() > 0 {
		return int32(p.TargetPort.IntValue()), nil
	}
	return p.Port, nil
}

// routeURL finds the Route exposing isvc: labelled with its name, or
// pointing at its Service or predictor Service.
func routeURL(isvc *v1beta1.InferenceService, routes []*unstructured.Unstructured) string {
	var match []*unstructured.Unstructured
	for _, rt := range routes {
		to, _, _ := unstructured.NestedString(rt.Object, "spec", "to", "name")
		if rt.GetLabels()[LabelInferenceService] == isvc.Name || to == isvc.Name || to == isvc.Name+"-predictor" {
			match = append(match, rt)
		}
	}
	if len(match) == 0 {
		return ""
	}
	sort.Slice(match, func(i, j int) bool { return match[i].GetName() < match[j].GetName() })
	rt := match[0]
	host, _, _ := unstructured.NestedString(rt.Object, "spec", "host")
	if host == "" {
		// The router fills status.ingress[].host when spec.host is empty.
		ingress, _, _ := unstructured.NestedSlice(rt.Object, "status", "ingress")
		for _, in := range ingress {
			if m, ok := in.(map[string]any); ok {
				if h, ok := m["host"].(string); ok && h != "" {
					host = h
					break
				}
			}
		}
	}
	if host == "" {
		return ""
	}
	scheme := "http"
	if _, found, _ := unstructured.NestedMap(rt.Object, "spec", "tls"); found {
		scheme = "https"
	}
	path, _, _ := unstructured.NestedString(rt.Object, "spec", "path")
	return scheme + "://" + host + strings.TrimRight(path, "/")
}
