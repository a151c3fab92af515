package normalize

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
	"sigs.k8s.io/yaml"
)

// encodeAll finishes each draft (model card links need the final key),
// validates it and encodes it; a draft that fails is reported, never
// published.
func (b *builder) encodeAll() []Output {
	var outs []Output
	for _, d := range b.drafts {
		key, err := recordKey(d.segments)
		if err != nil {
			b.problem(d.identity, "key", fmt.Sprintf("no valid record key could be built (%v); not published", err), true)
			continue
		}
		doc := modelcatalog.Document{}
		if d.server != nil {
			ms := d.server.ms
			doc.ModelServer = &ms
		}
		for _, md := range d.models {
			m := md.m
			m.Annotations = cloneMap(m.Annotations)
			if md.cardLinks {
				setAnnotation(&m.Annotations, modelcatalog.AnnotationTechDocs, b.baseURL+"/modelcard?key="+key)
				setAnnotation(&m.Annotations, modelcatalog.AnnotationTechDocsLower, "/modelcard?key="+key)
			}
			doc.Models = append(doc.Models, m)
		}
		sort.Slice(doc.Models, func(i, j int) bool { return doc.Models[i].Name < doc.Models[j].Name })
		if err := ValidateDocument(doc); err != nil {
			b.problem(d.identity, "", fmt.Sprintf("the document built for it is invalid (%v); not published", err), true)
			continue
		}
		body, err := encode(doc, b.format)
		if err != nil {
			b.problem(d.identity, "", fmt.Sprintf("encoding failed (%v); not published", err), true)
			continue
		}
		outs = append(outs, Output{Key: key, Type: d.typ, Doc: doc, ModelCard: d.modelCard, Body: body})
	}
	sort.Slice(outs, func(i, j int) bool { return outs[i].Key < outs[j].Key })
	return outs
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// encode renders doc in format. encoding/json sorts map keys, and tags and
// models are sorted before, so equal documents give equal bytes.
func encode(doc modelcatalog.Document, format Format) ([]byte, error) {
	if format == CatalogInfoYamlFormat {
		return catalogInfoYAML(doc)
	}
	return json.Marshal(doc)
}

// Backstage entity shapes for the legacy catalog-info YAML format.
type entity struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   entityMeta `json:"metadata"`
	Spec       entitySpec `json:"spec"`
}

type entityMeta struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Links       []entityLink      `json:"links,omitempty"`
}

type entityLink struct {
	URL   string `json:"url"`
	Title string `json:"title,omitempty"`
}

type entitySpec struct {
	Type         string   `json:"type"`
	Owner        string   `json:"owner"`
	Lifecycle    string   `json:"lifecycle,omitempty"`
	ProvidesAPIs []string `json:"providesApis,omitempty"`
	DependsOn    []string `json:"dependsOn,omitempty"`
	DependencyOf []string `json:"dependencyOf,omitempty"`
	Definition   string   `json:"definition,omitempty"`
}

// Entity types the model-catalog plugins create.
const (
	EntityTypeModelServer = "model-server"
	EntityTypeAIModel     = "ai-model"
	// annotationTechDocsRef is what the 0.7.x plugin derives from the model
	// TechDocs annotation.
	annotationTechDocsRef = "backstage.io/techdocs-ref"
)

// catalogInfoYAML renders the entities the 0.7.x plugin would build from
// doc: a Component (model-server) and an API for the model server, then a
// Resource (ai-model) per model, as multi-document YAML.
func catalogInfoYAML(doc modelcatalog.Document) ([]byte, error) {
	var ents []entity
	if s := doc.ModelServer; s != nil {
		comp := entity{
			APIVersion: "backstage.io/v1alpha1",
			Kind:       "Component",
			Metadata: entityMeta{
				Name: s.Name, Description: s.Description, Tags: s.Tags,
				Annotations: s.Annotations, Links: links(entityLink{URL: s.HomepageURL, Title: "Homepage"}),
			},
			Spec: entitySpec{Type: EntityTypeModelServer, Owner: s.Owner, Lifecycle: s.Lifecycle},
		}
		for _, m := range doc.Models {
			comp.Spec.DependsOn = append(comp.Spec.DependsOn, "resource:"+m.Name)
		}
		if a := s.API; a != nil {
			comp.Spec.ProvidesAPIs = []string{"api:" + s.Name}
		}
		ents = append(ents, comp)
		if a := s.API; a != nil {
			ents = append(ents, entity{
				APIVersion: "backstage.io/v1alpha1",
				Kind:       "API",
				Metadata: entityMeta{
					Name: s.Name, Description: "API of model server " + s.Name, Tags: a.Tags,
					Annotations: a.Annotations, Links: links(entityLink{URL: a.URL, Title: "API"}),
				},
				Spec: entitySpec{Type: a.Type, Owner: s.Owner, Lifecycle: s.Lifecycle, Definition: a.Spec},
			})
		}
	}
	for _, m := range doc.Models {
		ann := cloneMap(m.Annotations)
		if td := m.Annotations[modelcatalog.AnnotationTechDocs]; td != "" {
			setAnnotation(&ann, annotationTechDocsRef, "url:"+td)
		}
		res := entity{
			APIVersion: "backstage.io/v1alpha1",
			Kind:       "Resource",
			Metadata: entityMeta{
				Name: m.Name, Description: m.Description, Tags: m.Tags, Annotations: ann,
				Links: links(
					entityLink{URL: m.ArtifactLocationURL, Title: "Artifact location"},
					entityLink{URL: m.HowToUseURL, Title: "How to use"},
					entityLink{URL: m.License, Title: "License"},
				),
			},
			Spec: entitySpec{Type: EntityTypeAIModel, Owner: m.Owner},
		}
		if doc.ModelServer != nil {
			res.Spec.DependencyOf = []string{"component:" + doc.ModelServer.Name}
		}
		ents = append(ents, res)
	}
	var buf bytes.Buffer
	for i, e := range ents {
		data, err := yaml.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encoding %s %q as YAML: %w", e.Kind, e.Metadata.Name, err)
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(data)
	}
	return buf.Bytes(), nil
}

// links keeps the links whose URL is an http(s) URL (Backstage shows them
// as clickable links; anything else would be a broken one).
func links(cands ...entityLink) []entityLink {
	var out []entityLink
	for _, l := range cands {
		if httpURL(l.URL) {
			out = append(out, l)
		}
	}
	return out
}
