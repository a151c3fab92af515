package mapping

import (
	"fmt"
	"sort"
	"strings"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/backstage"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// kserveSegment is the first key segment of KServe-only records.
const kserveSegment = "kserve"

// addKServeOnly maps every Ready InferenceService that no model registry
// claimed.
func (b *builder) addKServeOnly() {
	for _, s := range b.servers {
		isvc := s.InferenceService
		ref := nsName{isvc.Namespace, isvc.Name}
		if b.claimed[ref] {
			continue
		}
		b.standalone[ref] = nil
		if !Ready(isvc) {
			b.skip("InferenceService "+ref.String(), "status", ReasonNotReady, notReadyCause(isvc)+"; a KServe-only model server is published once it is Ready and has status.url (oc describe inferenceservice says why not)")
			continue
		}
		if d := b.kserveDraft(s); d != nil {
			b.drafts = append(b.drafts, d)
			b.standalone[ref] = d
		}
	}
}

func (b *builder) kserveDraft(s *Server) *draft {
	isvc := s.InferenceService
	ref := nsName{isvc.Namespace, isvc.Name}
	identity := "InferenceService " + ref.String()
	ns, ok1 := backstage.EntityName(isvc.Namespace)
	name, ok2 := backstage.EntityName(isvc.Name)
	if !ok1 || !ok2 {
		b.skip(identity, "", ReasonInvalidName, "namespace or name has no letter or digit Backstage accepts; not published")
		return nil
	}
	md := annotationMetadata(isvc.Annotations)

	serverName, ok := b.serverName(identity, isvc)
	if !ok {
		return nil
	}
	ms := b.serverBase(identity, s, md, serverName)
	ms.Owner = b.pickOwner(identity, md.all(keyOwner)...)
	ms.Lifecycle = b.pickLifecycle(identity, md.all(keyLifecycle)...)
	ms.Description = firstText(md.value(keyDescription), isvc.Annotations[annDescription])
	if ms.Description == "" {
		ms.Description = fmt.Sprintf("Model server %s (KServe InferenceService).", ref)
	}
	var rawTags []string
	tagsField := ""
	if e, ok := md.get(keyTags); ok {
		tagsField = e.field
		rawTags = strings.FieldsFunc(e.value, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
	}
	tags := b.tags(identity, tagsField, rawTags)
	ms.Tags = mergeTags(tags, ms.Tags)
	ms.Usage = md.value(keyUsage)

	base := modelcatalog.Model{
		Owner:       ms.Owner,
		Lifecycle:   ms.Lifecycle,
		Description: ms.Description,
		Tags:        tags,
	}
	if p := isvc.Spec.Predictor.Model; p != nil {
		base.ArtifactLocationURL = strings.TrimSpace(deref(p.StorageURI))
	}
	modelFields(md, &base)
	licenseLink, licenseName := b.license(identity, md.all(keyLicense)...)

	d := &draft{
		identity: identity,
		typ:      record.TypeKServe,
		segments: []string{kserveSegment, ns, name},
		server:   &serverDraft{identity: identity, ms: ms},
	}
	for _, spec := range b.kserveModels(identity, isvc.Namespace, isvc.Name, isvc.Annotations, md) {
		m := base
		m.Name = spec.name
		m.Annotations = nil
		setAnnotation(&m.Annotations, modelNameAnnotation, spec.servedName)
		setModelDashboardLink(&m, ms.Annotations[modelcatalog.AnnotationDashboardURL])
		setLicense(&m, licenseLink, licenseName)
		b.techDocs(identity, md, &m)
		d.models = append(d.models, &modelDraft{identity: identity + " model " + spec.from, m: m})
	}
	if len(d.models) == 0 {
		b.skip(identity, "", ReasonInvalidName, "none of its rhdh.io/model-* annotations names a model Backstage accepts; not published")
		return nil
	}
	return d
}

type kserveModel struct {
	name       string // entity name
	servedName string // what clients send to the API
	from       string // the annotation it came from, for identities
}

// kserveModels lists the models a KServe-only server serves: one per
// rhdh.io/model-<x> annotation (value = model name), else one named after
// the namespace and InferenceService.
func (b *builder) kserveModels(identity, namespace, name string, annotations map[string]string, md metadata) []kserveModel {
	var keys []string
	for k := range annotations {
		if strings.HasPrefix(k, annModelPrefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []kserveModel
	seen := map[string]string{}
	for _, k := range keys {
		field := fmt.Sprintf("annotation %q", k)
		v := strings.TrimSpace(annotations[k])
		if v == "" {
			b.problem(identity, field, "is empty; set it to the model name clients send to the server")
			continue
		}
		if prev, dup := seen[v]; dup {
			b.problem(identity, field, fmt.Sprintf("names model %q again (also in %q); one model is published", v, prev))
			continue
		}
		seen[v] = k
		n, ok := backstage.EntityName(v)
		if !ok {
			b.problem(identity, field, fmt.Sprintf("model name %q has no letter or digit Backstage accepts; this model is not published", v))
			continue
		}
		out = append(out, kserveModel{name: n, servedName: v, from: k})
	}
	if len(keys) > 0 {
		return out
	}
	n, _ := backstage.EntityName(namespace + "-" + name)
	served := md.value(keyModelName)
	if served == "" {
		served = name
	}
	return []kserveModel{{name: n, servedName: served}}
}

// deref reads an optional field of an InferenceService.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
