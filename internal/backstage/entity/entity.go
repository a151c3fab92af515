// Package entity renders a model-catalog document as the Backstage entities
// the model-catalog entity provider builds from it: a Component (type
// model-server) and an API for the model server, and a Resource (type
// ai-model) per model, with their relations, links and TechDocs reference.
// It is the one place that shape is defined: the normalizer writes it in
// record.CatalogInfoYAMLFormat, and location serves it as catalog-info
// YAML for any Backstage, whatever the format.
//
// Names are the document's own (model server name for the Component and
// the API, model name for the Resource), so the entities have the same
// names whichever way they reach Backstage; the 1.x RHDH plugin emits the
// model server as kind AiModelServerAPI, a different kind, so they do not
// clash with it.
package entity

import (
	"bytes"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/backstage"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
)

// APIVersion is the apiVersion of every entity rendered here.
const APIVersion = "backstage.io/v1alpha1"

// Kinds rendered here.
const (
	KindComponent = "Component"
	KindAPI       = "API"
	KindResource  = "Resource"
	KindLocation  = "Location"
)

// Entity types the model-catalog plugins create.
const (
	TypeModelServer = "model-server"
	TypeAIModel     = "ai-model"
)

// AnnotationTechDocsRef is what the 0.7.x plugin derives from the model
// annotation TechDocs (as url:<value>).
const AnnotationTechDocsRef = "backstage.io/techdocs-ref"

// Entity is a Backstage catalog entity as far as this package renders one.
type Entity struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`
}

// Metadata is an entity's metadata.
type Metadata struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Links       []Link            `json:"links,omitempty"`
}

// Link is one of an entity's metadata.links.
type Link struct {
	URL   string `json:"url"`
	Title string `json:"title,omitempty"`
}

// Spec holds the spec fields of every kind rendered here; each kind uses
// its own subset.
type Spec struct {
	Type         string   `json:"type"`
	Owner        string   `json:"owner,omitempty"`
	Lifecycle    string   `json:"lifecycle,omitempty"`
	ProvidesAPIs []string `json:"providesApis,omitempty"`
	DependsOn    []string `json:"dependsOn,omitempty"`
	DependencyOf []string `json:"dependencyOf,omitempty"`
	Definition   string   `json:"definition,omitempty"`
	// Targets is a Location's list of targets; never omitted on a
	// Location, so that an empty catalog is "targets: []".
	Targets *[]string `json:"targets,omitempty"`
}

// Ref is the entity reference kind:name (default namespace, kind in lower
// case as Backstage writes relations).
func (e *Entity) Ref() string { return strings.ToLower(e.Kind) + ":" + e.Metadata.Name }

// Entities returns the entities of doc: the model server's Component and,
// when it has an API, its API, then a Resource per model, in document
// order. Maps are copied, never shared with doc.
func Entities(doc modelcatalog.Document) []Entity {
	var ents []Entity
	if s := doc.ModelServer; s != nil {
		comp := Entity{
			APIVersion: APIVersion,
			Kind:       KindComponent,
			Metadata: Metadata{
				Name: s.Name, Description: s.Description, Tags: tags(s.Tags),
				Annotations: annotations(s.Annotations),
				Links: links(
					Link{URL: s.HomepageURL, Title: "Homepage"},
					Link{URL: s.Annotations[modelcatalog.AnnotationDashboardURL], Title: modelcatalog.DashboardLinkTitle},
				),
			},
			Spec: Spec{Type: TypeModelServer, Owner: s.Owner, Lifecycle: s.Lifecycle},
		}
		for _, m := range doc.Models {
			comp.Spec.DependsOn = append(comp.Spec.DependsOn, "resource:"+m.Name)
		}
		if s.API != nil {
			comp.Spec.ProvidesAPIs = []string{"api:" + s.Name}
		}
		ents = append(ents, comp)
		if a := s.API; a != nil {
			ents = append(ents, Entity{
				APIVersion: APIVersion,
				Kind:       KindAPI,
				Metadata: Metadata{
					Name: s.Name, Description: "API of model server " + s.Name, Tags: tags(a.Tags),
					Annotations: annotations(a.Annotations), Links: links(Link{URL: a.URL, Title: "API"}),
				},
				Spec: Spec{Type: a.Type, Owner: s.Owner, Lifecycle: s.Lifecycle, Definition: a.Spec},
			})
		}
	}
	for _, m := range doc.Models {
		// TechDocs and techdocs tell the model-catalog plugins where the
		// card is; here backstage.io/techdocs-ref says it, and the two keys
		// differ only in case, which makes Backstage refuse the entity.
		ann := annotations(m.Annotations, modelcatalog.AnnotationTechDocs, modelcatalog.AnnotationTechDocsLower)
		if td := m.Annotations[modelcatalog.AnnotationTechDocs]; td != "" {
			if ann == nil {
				ann = map[string]string{}
			}
			ann[AnnotationTechDocsRef] = "url:" + td
		}
		res := Entity{
			APIVersion: APIVersion,
			Kind:       KindResource,
			Metadata: Metadata{
				Name: m.Name, Description: m.Description, Tags: tags(m.Tags), Annotations: ann,
				Links: links(
					Link{URL: m.ArtifactLocationURL, Title: "Artifact location"},
					Link{URL: m.HowToUseURL, Title: "How to use"},
					Link{URL: m.License, Title: "License"},
					Link{URL: m.Annotations[modelcatalog.AnnotationDashboardURL], Title: modelcatalog.DashboardLinkTitle},
				),
			},
			Spec: Spec{Type: TypeAIModel, Owner: m.Owner},
		}
		if doc.ModelServer != nil {
			res.Spec.DependencyOf = []string{"component:" + doc.ModelServer.Name}
		}
		ents = append(ents, res)
	}
	return ents
}

// Location is a Location entity of type url whose targets are targets (in
// the order given).
func Location(name, description string, targets []string) Entity {
	if targets == nil {
		targets = []string{}
	}
	return Entity{
		APIVersion: APIVersion,
		Kind:       KindLocation,
		Metadata:   Metadata{Name: name, Description: description},
		Spec:       Spec{Type: "url", Targets: &targets},
	}
}

// YAML renders the entities of doc as multi-document catalog-info YAML.
func YAML(doc modelcatalog.Document) ([]byte, error) { return Marshal(Entities(doc)) }

// Marshal renders ents as YAML documents separated by "---" lines. Equal
// entities give equal bytes (map keys are sorted).
func Marshal(ents []Entity) ([]byte, error) {
	var buf bytes.Buffer
	for i := range ents {
		e := &ents[i]
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

// tags leaves out the tags Backstage would reject, as the 1.x plugin does
// (the normalizer never writes one; a hand-written record may).
func tags(ts []string) []string {
	for _, t := range ts {
		if !backstage.ValidTag(t) {
			var out []string
			for _, t := range ts {
				if backstage.ValidTag(t) {
					out = append(out, t)
				}
			}
			return out
		}
	}
	return ts
}

// links keeps the links whose URL is an http(s) URL (Backstage shows them
// as clickable links; anything else would be a broken one).
func links(cands ...Link) []Link {
	var out []Link
	for _, l := range cands {
		if HTTPURL(l.URL) {
			out = append(out, l)
		}
	}
	return out
}

// HTTPURL reports whether s is an absolute http or https URL with a host.
func HTTPURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return (scheme == "http" || scheme == "https") && u.Host != ""
}

// annotations copies m without the keys drop and, of keys that differ
// only in case, keeps the first in byte order: Backstage refuses to store
// an entity with two such keys ("duplicate keys that vary only in casing").
func annotations(m map[string]string, drop ...string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if !slices.Contains(drop, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	sort.Strings(keys)
	out := make(map[string]string, len(keys))
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if lk := strings.ToLower(k); !seen[lk] {
			seen[lk] = true
			out[k] = m[k]
		}
	}
	return out
}
