// Package kserve turns the KServe InferenceServices in the cluster, and the
// Routes, Services and ServiceAccounts that belong to them, into the server
// facts the mapping needs (mapping.Server).
package kserve

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
)

// RouteGVK is the OpenShift Route kind, read as unstructured so that the
// connector needs no OpenShift Go module and runs where Routes do not exist.
var RouteGVK = schema.GroupVersionKind{Group: "route.openshift.io", Version: "v1", Kind: "Route"}

// LabelInferenceService is the label KServe (and OpenShift AI) put on the
// objects they create for an InferenceService.
const LabelInferenceService = mapping.LabelInferenceService

// labelComponent is the KServe label naming an object's component
// (predictor, transformer, explainer).
const labelComponent = "component"

// Resolver lists InferenceServices and resolves their facts. Reader is
// normally the manager's cache, so a sync costs no API request.
type Resolver struct {
	Reader client.Reader
	// Routes says whether the Route API exists in this cluster.
	Routes bool
}

// Servers returns every InferenceService in the cluster with its facts,
// sorted by namespace and name.
func (r *Resolver) Servers(ctx context.Context) ([]mapping.Server, error) {
	// The cache's own objects, not copies: a sync only reads them, and a
	// copy of every InferenceService per sync was a tenth of the
	// normalizer's memory at 10,000 models. The informer replaces an object
	// on change, never edits it, so what a sync holds stays as it was read.
	var isvcs v1beta1.InferenceServiceList
	if err := r.Reader.List(ctx, &isvcs, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing InferenceServices: %w", err)
	}
	var routes []unstructured.Unstructured
	if r.Routes {
		var err error
		if routes, err = r.listRoutes(ctx); err != nil {
			return nil, err
		}
	}
	// Indexes by namespace and InferenceService name, so that a sync costs
	// O(objects), not O(InferenceServices × objects of their namespace).
	routesByRef := map[string][]*unstructured.Unstructured{}
	for i := range routes {
		rt := &routes[i]
		to, _, _ := unstructured.NestedString(rt.Object, "spec", "to", "name")
		keys := []string{to, rt.GetLabels()[LabelInferenceService], rt.GetLabels()[labelODHInferenceServiceName]}
		for _, o := range rt.GetOwnerReferences() {
			if isInferenceServiceRef(o) {
				keys = append(keys, o.Name)
			}
		}
		for _, k := range unique(keys) {
			routesByRef[rt.GetNamespace()+"/"+k] = append(routesByRef[rt.GetNamespace()+"/"+k], rt)
		}
	}
	var svcs corev1.ServiceList
	if err := r.Reader.List(ctx, &svcs, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing Services: %w", err)
	}
	svcsByRef := map[string][]*corev1.Service{}
	for i := range svcs.Items {
		svc := &svcs.Items[i]
		keys := []string{svc.Labels[LabelInferenceService]}
		for _, o := range svc.OwnerReferences {
			if isInferenceServiceRef(o) {
				keys = append(keys, o.Name)
			}
		}
		for _, k := range unique(keys) {
			svcsByRef[svc.Namespace+"/"+k] = append(svcsByRef[svc.Namespace+"/"+k], svc)
		}
	}
	var sas metav1.PartialObjectMetadataList
	sas.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ServiceAccountList"))
	if err := r.Reader.List(ctx, &sas); err != nil {
		return nil, fmt.Errorf("listing ServiceAccounts: %w", err)
	}
	ownedSA := map[string]bool{} // namespace/isvc name
	for i := range sas.Items {
		for _, o := range sas.Items[i].OwnerReferences {
			if isInferenceServiceRef(o) {
				ownedSA[sas.Items[i].Namespace+"/"+o.Name] = true
			}
		}
	}
	out := make([]mapping.Server, 0, len(isvcs.Items))
	for i := range isvcs.Items {
		isvc := &isvcs.Items[i]
		ref := isvc.Namespace + "/" + isvc.Name
		svc := predictorService(isvc, svcsByRef[ref])
		rtKeys := []string{isvc.Name, isvc.Name + "-predictor"}
		if svc != nil {
			rtKeys = append(rtKeys, svc.Name)
		}
		var rts []*unstructured.Unstructured
		seen := map[*unstructured.Unstructured]bool{}
		for _, k := range unique(rtKeys) {
			for _, rt := range routesByRef[isvc.Namespace+"/"+k] {
				if !seen[rt] {
					seen[rt] = true
					rts = append(rts, rt)
				}
			}
		}
		s := mapping.Server{
			InferenceService: isvc,
			RouteURL:         routeURL(isvc, svc, rts),
			AuthEnabled:      ownedSA[isvc.Namespace+"/"+isvc.Name],
		}
		if svc != nil {
			s.ServiceURL = serviceURL(svc)
		} else {
			s.ServiceURL = mapping.PredictorServiceURL(isvc.Name, isvc.Namespace, 0)
		}
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

// unique returns the non-empty strings of ss, each once, in order.
func unique(ss []string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// isInferenceServiceRef reports whether an owner reference names a KServe
// InferenceService.
func isInferenceServiceRef(o metav1.OwnerReference) bool {
	return o.Kind == "InferenceService" && strings.HasPrefix(o.APIVersion, v1beta1.SchemeGroupVersion.Group+"/")
}

// ownedBy reports whether obj has an owner reference to isvc (by name, and
// by UID when both are known).
func ownedBy(obj metav1.Object, isvc *v1beta1.InferenceService) bool {
	for _, o := range obj.GetOwnerReferences() {
		if isInferenceServiceRef(o) && o.Name == isvc.Name && (o.UID == "" || isvc.UID == "" || o.UID == isvc.UID) {
			return true
		}
	}
	return false
}

// PredictorCandidate reports whether a Service may be the predictor Service
// of some InferenceService: KServe labels it with the InferenceService's
// name, or it has an owner reference to an InferenceService. Only these
// Services matter to the connector (the watch ignores the others).
func PredictorCandidate(svc metav1.Object) bool {
	if svc.GetLabels()[LabelInferenceService] != "" {
		return true
	}
	for _, o := range svc.GetOwnerReferences() {
		if isInferenceServiceRef(o) {
			return true
		}
	}
	return false
}

// predictorService finds the predictor Service of isvc among the Services
// of its namespace that name it (svcs, from the index; each is checked):
// those labelled serving.kserve.io/inferenceservice=<name> or owned by it
// (both shapes occur). Of those, the one named
// <name>-predictor wins, then one labelled component=predictor, then the
// first by name; nil when there is none.
func predictorService(isvc *v1beta1.InferenceService, svcs []*corev1.Service) *corev1.Service {
	var cands []*corev1.Service
	for _, svc := range svcs {
		if svc.Labels[LabelInferenceService] == isvc.Name || ownedBy(svc, isvc) {
			cands = append(cands, svc)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	rank := func(svc *corev1.Service) int {
		switch {
		case svc.Name == isvc.Name+"-predictor":
			return 0
		case svc.Labels[labelComponent] == "predictor":
			return 1
		}
		return 2
	}
	sort.Slice(cands, func(i, j int) bool {
		if ri, rj := rank(cands[i]), rank(cands[j]); ri != rj {
			return ri < rj
		}
		return cands[i].Name < cands[j].Name
	})
	return cands[0]
}

// serviceURL is the in-cluster URL of a predictor Service with the port
// clients use to reach it: the target port when it is a number (KServe's
// raw-deployment predictor Services are headless, so the pod port is what
// answers), else the Service port; left out when 80.
func serviceURL(svc *corev1.Service) string {
	u := fmt.Sprintf("http://%s.%s.svc.cluster.local", svc.Name, svc.Namespace)
	if len(svc.Spec.Ports) == 0 {
		return u
	}
	p := svc.Spec.Ports[0]
	port := p.Port
	if p.TargetPort.IntValue() > 0 {
		port = int32(p.TargetPort.IntValue())
	}
	if port > 0 && port != 80 {
		u = fmt.Sprintf("%s:%d", u, port)
	}
	return u
}

// routeURL finds the Route exposing isvc among routes (candidates of its
// namespace, each checked): labelled with
// its name (KServe's label, or OpenShift AI's inferenceservice-name),
// owned by it, or pointing at the InferenceService's name, its
// <name>-predictor Service or the predictor Service found. The first by
// name wins; https when it has TLS.
func routeURL(isvc *v1beta1.InferenceService, svc *corev1.Service, routes []*unstructured.Unstructured) string {
	var match []*unstructured.Unstructured
	for _, rt := range routes {
		to, _, _ := unstructured.NestedString(rt.Object, "spec", "to", "name")
		l := rt.GetLabels()
		switch {
		case l[LabelInferenceService] == isvc.Name, l[labelODHInferenceServiceName] == isvc.Name, ownedBy(rt, isvc),
			to == isvc.Name, to == isvc.Name+"-predictor", svc != nil && to == svc.Name:
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
	if tls, found, _ := unstructured.NestedMap(rt.Object, "spec", "tls"); found && tls != nil {
		scheme = "https"
	}
	path, _, _ := unstructured.NestedString(rt.Object, "spec", "path")
	return scheme + "://" + host + strings.TrimRight(path, "/")
}

// labelODHInferenceServiceName is the label the OpenShift AI model
// controller puts on the Route it creates for a raw-deployment
// InferenceService.
const labelODHInferenceServiceName = "inferenceservice-name"

// StripService is a cache transform for Services: it keeps what the
// resolver and the watch read (name, namespace, the KServe labels, owner
// references to InferenceServices, type and ports) and drops the rest, so
// that caching every Service of a large cluster costs little memory.
func StripService(obj any) (any, error) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return obj, nil
	}
	out := &corev1.Service{TypeMeta: svc.TypeMeta}
	out.Name, out.Namespace, out.UID, out.ResourceVersion = svc.Name, svc.Namespace, svc.UID, svc.ResourceVersion
	out.DeletionTimestamp = svc.DeletionTimestamp
	for _, k := range []string{LabelInferenceService, labelComponent} {
		if v, ok := svc.Labels[k]; ok {
			if out.Labels == nil {
				out.Labels = map[string]string{}
			}
			out.Labels[k] = v
		}
	}
	for _, o := range svc.OwnerReferences {
		if isInferenceServiceRef(o) {
			out.OwnerReferences = append(out.OwnerReferences, o)
		}
	}
	if PredictorCandidate(out) {
		out.Spec.Type = svc.Spec.Type
		out.Spec.Ports = make([]corev1.ServicePort, len(svc.Spec.Ports))
		for i, p := range svc.Spec.Ports {
			out.Spec.Ports[i] = corev1.ServicePort{Name: p.Name, Port: p.Port, TargetPort: p.TargetPort}
		}
	}
	return out, nil
}
