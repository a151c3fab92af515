package mapping

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
)

// LabelInferenceService is the label KServe puts on the objects it creates
// for an InferenceService (predictor Services, Deployments and Pods), with
// the InferenceService's name as value.
const LabelInferenceService = "serving.kserve.io/inferenceservice"

// AnnotationDeploymentMode is the KServe annotation choosing how an
// InferenceService is deployed (Serverless/Knative, RawDeployment/Standard,
// ModelMesh); status.deploymentMode reports what KServe did.
const AnnotationDeploymentMode = "serving.kserve.io/deploymentMode"

// Annotations the Backstage Kubernetes plugin reads to find an entity's
// workloads: with both set, the Kubernetes tab shows the objects of that
// namespace matching the label selector (here: the predictor pods).
const (
	AnnotationKubernetesLabelSelector = "backstage.io/kubernetes-label-selector"
	AnnotationKubernetesNamespace     = "backstage.io/kubernetes-namespace"
)

// AnnotationLicense holds a model's license by name ("Apache 2.0",
// "apache-2.0") when the license is not given as a link: models[].license is
// a link (both plugins make a "License" link of it), so only an http(s) URL
// goes there.
const AnnotationLicense = "rhdh.modelcatalog.io/license"

// Deployment mode tags.
const (
	TagServerless = "serverless"
	TagRaw        = "raw"
	TagModelMesh  = "modelmesh"
)

// ClusterLocal reports whether host is only reachable inside the cluster: a
// Service DNS name (under .svc or .svc.cluster.local, or any
// .cluster.local name), a bare name without a dot, or localhost.
func ClusterLocal(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	switch {
	case h == "", h == "localhost", !strings.Contains(h, ".") && net.ParseIP(h) == nil:
		return true
	case strings.HasSuffix(h, ".svc"), strings.HasSuffix(h, ".svc.cluster.local"), strings.HasSuffix(h, ".cluster.local"):
		return true
	}
	return false
}

// statusURL is the InferenceService's status.url when it can be called from
// outside the cluster (an absolute http(s) URL whose host is not
// cluster-local), "" otherwise.
func statusURL(isvc *v1beta1.InferenceService) string {
	if isvc.Status.URL == nil {
		return ""
	}
	s := strings.TrimRight(strings.TrimSpace(isvc.Status.URL.String()), "/")
	u, err := url.Parse(s)
	if err != nil || !httpURL(s) || ClusterLocal(u.Host) {
		return ""
	}
	return s
}

// endpoints decides the URLs of a model server:
//
//   - external: the Route exposing it when there is one, else its
//     status.url when that is not cluster-local (Serverless: Knative's
//     ingress), else "";
//   - internal: the predictor Service URL with its port;
//   - api: external when set, else internal.
func endpoints(s *Server) (api, external, internal string) {
	isvc := s.InferenceService
	internal = strings.TrimSpace(s.ServiceURL)
	if internal == "" {
		internal = PredictorServiceURL(isvc.Name, isvc.Namespace, 0)
	}
	external = strings.TrimSpace(s.RouteURL)
	if external != "" && !httpURL(external) {
		external = ""
	}
	if external == "" {
		external = statusURL(isvc)
	}
	api = internal
	if external != "" {
		api = external
	}
	return api, external, internal
}

// setKubernetesAnnotations makes the Backstage Kubernetes plugin show the
// server's predictor pods (and its other KServe-labelled workloads) in its
// namespace.
func setKubernetesAnnotations(ms *modelcatalog.ModelServer, isvc *v1beta1.InferenceService) {
	setAnnotation(&ms.Annotations, AnnotationKubernetesLabelSelector, LabelInferenceService+"="+isvc.Name)
	setAnnotation(&ms.Annotations, AnnotationKubernetesNamespace, isvc.Namespace)
}

// DeploymentMode is how KServe deploys isvc, as a tag: serverless
// (Serverless, Knative), raw (RawDeployment, Standard) or modelmesh; "" when
// neither its status nor its annotation says. status.deploymentMode, what
// KServe did, wins over the annotation, what was asked.
func DeploymentMode(isvc *v1beta1.InferenceService) string {
	for _, m := range []string{isvc.Status.DeploymentMode, isvc.Annotations[AnnotationDeploymentMode]} {
		switch strings.ToLower(strings.TrimSpace(m)) {
		case "serverless", "knative":
			return TagServerless
		case "rawdeployment", "standard", "raw":
			return TagRaw
		case "modelmesh":
			return TagModelMesh
		}
	}
	return ""
}

// factTags are the tags describing how a server runs: its model format
// (spec.predictor.model.modelFormat.name), its serving runtime
// (spec.predictor.model.runtime, else the runtime KServe chose:
// status.servingRuntimeName or status.clusterServingRuntimeName) and its
// deployment mode, sanitized.
func (b *builder) factTags(object string, isvc *v1beta1.InferenceService) []string {
	var raw []string
	var fields []string
	add := func(field, v string) bool {
		if v = strings.TrimSpace(v); v == "" {
			return false
		}
		raw, fields = append(raw, v), append(fields, field)
		return true
	}
	runtime := false
	if m := isvc.Spec.Predictor.Model; m != nil {
		add("spec.predictor.model.modelFormat.name", m.ModelFormat.Name)
		runtime = add("spec.predictor.model.runtime", deref(m.Runtime))
	}
	if !runtime && !add("status.servingRuntimeName", isvc.Status.ServingRuntimeName) {
		add("status.clusterServingRuntimeName", isvc.Status.ClusterServingRuntimeName)
	}
	var out []string
	for i, r := range raw {
		out = append(out, b.tags(object, fields[i], []string{r})...)
	}
	if mode := DeploymentMode(isvc); mode != "" {
		out = append(out, mode)
	}
	return mergeTags(out)
}

// mergeTags returns the tags of every list, sorted and unique.
func mergeTags(lists ...[]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, t := range l {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	sort.Strings(out)
	return out
}

// license splits license candidates (in order of preference) into the
// link published as models[].license, the first http(s) URL, and the name
// published as the AnnotationLicense annotation, the first value that is
// not a URL. A URL of another scheme is reported and ignored.
func (b *builder) license(object string, cands ...entry) (link, name string) {
	for _, c := range cands {
		v := strings.TrimSpace(c.value)
		switch {
		case v == "":
		case httpURL(v):
			if link == "" {
				link = v
			}
		case strings.Contains(v, "://"):
			b.problem(object, c.field, fmt.Sprintf("license link %q is not an http(s) URL; ignored", v))
		case !validText(v):
			b.problem(object, c.field, fmt.Sprintf("license %q holds control characters; ignored", v))
		case name == "":
			name = v
		}
	}
	return link, name
}

// setLicense applies license link and name to a model.
func setLicense(m *modelcatalog.Model, link, name string) {
	m.License = link
	if name != "" {
		setAnnotation(&m.Annotations, AnnotationLicense, name)
	}
}
