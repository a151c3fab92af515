package entity

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
)

func served() modelcatalog.Document {
	return modelcatalog.Document{
		ModelServer: &modelcatalog.ModelServer{
			Name: "granite-v1", Owner: "team-a", Lifecycle: "production", Description: "vLLM server",
			Tags: []string{"vllm"}, HomepageURL: "https://granite.apps.example.com",
			Annotations: map[string]string{"rhdh.modelcatalog.io/model-name": "granite"},
			API: &modelcatalog.API{URL: "https://granite.apps.example.com/v1", Type: "openapi", Spec: "openapi: 3.0.0",
				Tags: []string{"openai"}, Annotations: map[string]string{"a.example.com/x": "y"}},
		},
		Models: []modelcatalog.Model{{
			Name: "granite-v1", Owner: "team-a", Lifecycle: "production", Description: "Granite",
			Tags: []string{"granite"}, ArtifactLocationURL: "s3://bucket/granite", HowToUseURL: "https://docs.example.com/granite",
			License: "https://www.apache.org/licenses/LICENSE-2.0",
			Annotations: map[string]string{
				modelcatalog.AnnotationTechDocs:      "http://localhost:9090/modelcard?key=granite__v1",
				modelcatalog.AnnotationTechDocsLower: "/modelcard?key=granite__v1",
			},
		}},
	}
}

func TestEntitiesOfAServedModel(t *testing.T) {
	doc := served()
	ents := Entities(doc)
	require.Len(t, ents, 3)
	require.NoError(t, ValidateAll(ents))
	comp, api, res := ents[0], ents[1], ents[2]

	assert.Equal(t, "component:granite-v1", comp.Ref())
	assert.Equal(t, TypeModelServer, comp.Spec.Type)
	assert.Equal(t, []string{"api:granite-v1"}, comp.Spec.ProvidesAPIs)
	assert.Equal(t, []string{"resource:granite-v1"}, comp.Spec.DependsOn)
	assert.Equal(t, []Link{{URL: "https://granite.apps.example.com", Title: "Homepage"}}, comp.Metadata.Links)

	assert.Equal(t, "api:granite-v1", api.Ref())
	assert.Equal(t, "openapi: 3.0.0", api.Spec.Definition)
	assert.Equal(t, "production", api.Spec.Lifecycle)
	assert.Equal(t, []Link{{URL: "https://granite.apps.example.com/v1", Title: "API"}}, api.Metadata.Links)

	assert.Equal(t, "resource:granite-v1", res.Ref())
	assert.Equal(t, TypeAIModel, res.Spec.Type)
	assert.Equal(t, []string{"component:granite-v1"}, res.Spec.DependencyOf)
	assert.Equal(t, "url:http://localhost:9090/modelcard?key=granite__v1", res.Metadata.Annotations[AnnotationTechDocsRef])
	assert.Equal(t, []Link{
		{URL: "https://docs.example.com/granite", Title: "How to use"},
		{URL: "https://www.apache.org/licenses/LICENSE-2.0", Title: "License"},
	}, res.Metadata.Links, "s3:// is not a link Backstage can open")
	assert.NotContains(t, doc.Models[0].Annotations, AnnotationTechDocsRef, "the document is not modified")
	// TechDocs and techdocs differ only in case: a real Backstage refused to
	// stitch a Resource that carried both (the e2e test found it).
	assert.NotContains(t, res.Metadata.Annotations, modelcatalog.AnnotationTechDocs)
	assert.NotContains(t, res.Metadata.Annotations, modelcatalog.AnnotationTechDocsLower)
}

func TestAnnotationKeysThatDifferOnlyInCaseAreKeptOnce(t *testing.T) {
	doc := served()
	doc.ModelServer.Annotations["example.com/Team"] = "a"
	doc.ModelServer.Annotations["example.com/team"] = "b"
	comp := Entities(doc)[0]
	require.NoError(t, Validate(&comp))
	assert.Equal(t, "a", comp.Metadata.Annotations["example.com/Team"], "the first key in byte order is kept")
	assert.NotContains(t, comp.Metadata.Annotations, "example.com/team")
	assert.Len(t, doc.ModelServer.Annotations, 3, "the document is not modified")

	bad := comp
	bad.Metadata.Annotations = map[string]string{"example.com/Team": "a", "example.com/team": "b"}
	assert.ErrorContains(t, Validate(&bad), "differ only in case")
}

func TestARegisteredModelWithoutServerIsOneResource(t *testing.T) {
	doc := served()
	doc.ModelServer = nil
	ents := Entities(doc)
	require.Len(t, ents, 1)
	require.NoError(t, ValidateAll(ents))
	assert.Equal(t, KindResource, ents[0].Kind)
	assert.Empty(t, ents[0].Spec.DependencyOf)

	doc.Models = append(doc.Models, modelcatalog.Model{Name: "other", Owner: "o", Lifecycle: "l", Description: "d"})
	server := served().ModelServer
	server.API = nil
	doc.ModelServer = server
	ents = Entities(doc)
	require.Len(t, ents, 3, "Component, no API, two Resources")
	require.NoError(t, ValidateAll(ents))
	assert.Empty(t, ents[0].Spec.ProvidesAPIs)
	assert.Equal(t, []string{"resource:granite-v1", "resource:other"}, ents[0].Spec.DependsOn)
}

func TestDashboardLinks(t *testing.T) {
	link := func(ls []Link) string {
		for _, l := range ls {
			if l.Title == modelcatalog.DashboardLinkTitle {
				return l.URL
			}
		}
		return ""
	}
	doc := served()
	doc.ModelServer.Annotations[modelcatalog.AnnotationDashboardURL] = "https://rhods-dashboard.apps.example.com/projects/team-a/metrics/model/granite-v1"
	doc.Models[0].Annotations[modelcatalog.AnnotationDashboardURL] = "http://rhods-dashboard.apps.example.com/modelRegistry/r/registeredModels/1/versions/2/details"
	ents := Entities(doc)
	require.NoError(t, ValidateAll(ents))
	assert.Equal(t, doc.ModelServer.Annotations[modelcatalog.AnnotationDashboardURL], link(ents[0].Metadata.Links), "Component: the server's page")
	assert.Empty(t, link(ents[1].Metadata.Links), "not on the API")
	assert.Equal(t, doc.Models[0].Annotations[modelcatalog.AnnotationDashboardURL], link(ents[2].Metadata.Links), "Resource: the model's page")
	assert.Equal(t, modelcatalog.DashboardLinkTitle, ents[2].Metadata.Links[len(ents[2].Metadata.Links)-1].Title, "last link")

	for _, notHTTP := range []string{"", "javascript:alert(1)", "ftp://example.com/x", "/relative/page", "https://", "dashboard"} {
		doc := served()
		doc.ModelServer.Annotations[modelcatalog.AnnotationDashboardURL] = notHTTP
		doc.Models[0].Annotations[modelcatalog.AnnotationDashboardURL] = notHTTP
		ents := Entities(doc)
		assert.Empty(t, link(ents[0].Metadata.Links), "%q", notHTTP)
		assert.Empty(t, link(ents[2].Metadata.Links), "%q", notHTTP)
	}
}

func TestYAMLIsTheEntitiesAsYAMLDocuments(t *testing.T) {
	doc := served()
	doc.Models[0].Annotations[modelcatalog.AnnotationDashboardURL] = "https://dashboard.example.com/m"
	body, err := YAML(doc)
	require.NoError(t, err)
	parts := strings.Split(string(body), "---\n")
	require.Len(t, parts, 3)
	want := Entities(doc)
	for i, p := range parts {
		var got Entity
		require.NoError(t, yaml.UnmarshalStrict([]byte(p), &got), p)
		assert.Equal(t, want[i], got)
	}
	again, err := YAML(served())
	require.NoError(t, err)
	again2, err := YAML(served())
	require.NoError(t, err)
	assert.Equal(t, string(again), string(again2), "deterministic")
	assert.Contains(t, parts[2], "title: OpenShift AI dashboard")
}

func TestTagsBackstageRejectsAreLeftOut(t *testing.T) {
	doc := served()
	doc.Models[0].Tags = []string{"IBM", "granite", "20b"}
	doc.ModelServer.Tags = []string{"vLLM"}
	ents := Entities(doc)
	require.NoError(t, ValidateAll(ents))
	assert.Empty(t, ents[0].Metadata.Tags)
	assert.Equal(t, []string{"granite", "20b"}, ents[2].Metadata.Tags)
	assert.Equal(t, []string{"IBM", "granite", "20b"}, doc.Models[0].Tags, "the document is not modified")
}

func TestLocation(t *testing.T) {
	body, err := Marshal([]Entity{Location("rhoai-model-catalog", "d", nil)})
	require.NoError(t, err)
	assert.Contains(t, string(body), "targets: []", "an empty catalog is an empty list, not a missing field")
	l := Location("rhoai-model-catalog", "d", []string{"./a/catalog-info.yaml"})
	require.NoError(t, Validate(&l))
	body, err = Marshal([]Entity{l})
	require.NoError(t, err)
	assert.Equal(t, "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  description: d\n  name: rhoai-model-catalog\nspec:\n  targets:\n  - ./a/catalog-info.yaml\n  type: url\n", string(body))
}

func TestValidateReportsWhatBackstageRejects(t *testing.T) {
	for name, edit := range map[string]func(d *modelcatalog.Document){
		"model name":       func(d *modelcatalog.Document) { d.Models[0].Name = "a b" },
		"empty name":       func(d *modelcatalog.Document) { d.Models[0].Name = "" },
		"server name":      func(d *modelcatalog.Document) { d.ModelServer.Name = strings.Repeat("x", 64) },
		"annotation key":   func(d *modelcatalog.Document) { d.ModelServer.Annotations["a b"] = "x" },
		"empty owner":      func(d *modelcatalog.Document) { d.Models[0].Owner = "" },
		"no lifecycle":     func(d *modelcatalog.Document) { d.ModelServer.Lifecycle = "" },
		"no definition":    func(d *modelcatalog.Document) { d.ModelServer.API.Spec = "" },
		"owner whitespace": func(d *modelcatalog.Document) { d.ModelServer.Owner = " team" },
	} {
		doc := served()
		edit(&doc)
		assert.Error(t, ValidateAll(Entities(doc)), name)
	}
	bad := Entity{APIVersion: APIVersion, Kind: "Template", Metadata: Metadata{Name: "x"}}
	assert.ErrorContains(t, Validate(&bad), "kind")
	dangling := Entities(served())[:1]
	assert.ErrorContains(t, ValidateAll(dangling), "not among the entities")
}

func TestMarshalLocationIsTheLocationEntity(t *testing.T) {
	for _, tc := range []struct {
		name, desc string
		targets    []string
	}{
		{"rhoai-model-catalog", "AI models: every one", []string{"./a/catalog-info.yaml", "./kserve/ns/chat/catalog-info.yaml", "./1.0/v_2/catalog-info.yaml"}},
		{"x", "", nil},
		{"true", "d", []string{"./a b/catalog-info.yaml", "./x#y", "./é/\"q\"", "no", "- x", "./"}},
		{"null", "multi\nline: yes", []string{"./ok"}},
	} {
		got := MarshalLocation(tc.name, tc.desc, tc.targets)
		var e Entity
		require.NoError(t, yaml.UnmarshalStrict(got, &e), string(got))
		assert.Equal(t, Location(tc.name, tc.desc, tc.targets), e, string(got))
	}
}
