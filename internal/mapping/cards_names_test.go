package mapping

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

func catalogFixture() *fixture {
	f := newFixture()
	f.art.ModelSourceKind = "catalog"
	f.art.ModelSourceClass = "redhat_ai_validated_models"
	f.art.ModelSourceGroup = "ibm-granite"
	f.art.ModelSourceName = "granite-3.1-8b-instruct"
	return f
}

var cards = CatalogCards{
	{SourceID: "redhat_ai_validated_models", Name: "ibm-granite/granite-3.1-8b-instruct"}: "# Granite\nmodel card",
	{SourceID: "redhat_ai_validated_models", Name: "blank"}:                               "  ",
}

func TestModelCardLinks(t *testing.T) {
	f := catalogFixture()
	f.v.Properties = props("TechDocs", "https://github.com/org/docs")
	in := f.inputs()
	in.ModelCard = cards.Lookup
	out, probs := buildOne(t, in, Options{LocationBaseURL: "http://localhost:9090/"})
	assert.Empty(t, probs)
	assert.Equal(t, "# Granite\nmodel card", out.ModelCard)
	m := out.Doc.Models[0]
	assert.Equal(t, "http://localhost:9090/modelcard?key=granite__v1", m.Annotations[modelcatalog.AnnotationTechDocs])
	assert.Equal(t, "/modelcard?key=granite__v1", m.Annotations[modelcatalog.AnnotationTechDocsLower])

	out, _ = buildOne(t, in, Options{LocationBaseURL: "https://bridge.example.com"})
	assert.Equal(t, "https://bridge.example.com/modelcard?key=granite__v1", out.Doc.Models[0].Annotations[modelcatalog.AnnotationTechDocs])
}

func TestNoModelCard(t *testing.T) {
	cases := map[string]func(f *fixture, in *Inputs){
		"no catalog":            func(_ *fixture, in *Inputs) { in.ModelCard = nil },
		"unknown catalog model": func(_ *fixture, in *Inputs) { in.Registries[0].VersionArtifacts["2"][0].ModelSourceName = "nope" },
		"blank readme": func(_ *fixture, in *Inputs) {
			a := in.Registries[0].VersionArtifacts["2"][0]
			a.ModelSourceGroup = ""
			a.ModelSourceName = "blank"
		},
		"registered from pipeline": func(_ *fixture, in *Inputs) { in.Registries[0].VersionArtifacts["2"][0].ModelSourceKind = "kfp" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			f := catalogFixture()
			f.v.Properties = props("TechDocs", "https://github.com/org/docs")
			in := f.inputs()
			in.ModelCard = cards.Lookup
			mutate(f, &in)
			out, _ := buildOne(t, in, Options{})
			assert.Empty(t, out.ModelCard)
			assert.Equal(t, "https://github.com/org/docs", out.Doc.Models[0].Annotations[modelcatalog.AnnotationTechDocs], "the TechDocs property applies without a card")
		})
	}
}

func TestSanitizedNames(t *testing.T) {
	f := newFixture()
	f.rm.Name = "Granite 3.1 / 8B Instruct"
	f.v.Name = "v1 (final)"
	out, probs := buildOne(t, f.inputs(), Options{})
	assert.Empty(t, probs)
	assert.Equal(t, "Granite-3.1-8B-Instruct__v1-final", out.Key)
	assert.Equal(t, "Granite-3.1-8B-Instruct-v1-final", out.Doc.Models[0].Name)
	assert.Equal(t, "Granite 3.1 / 8B Instruct-v1 (final)", out.Doc.Models[0].Annotations[modelcatalog.AnnotationModelName])

	f = newFixture()
	f.rm.Name = "日本語"
	f.v.Name = "..."
	out, probs = buildOne(t, f.inputs(), Options{})
	assert.Equal(t, "model-1__version-2", out.Key)
	assert.Equal(t, "model-1-version-2", out.Doc.Models[0].Name)
	assert.True(t, hasProblem(probs, `registered model "日本語" (id 1) version "..." (id 2)`, ""), "names the object: %v", probs)
	assert.True(t, hasProblem(probs, "", `registered model name "日本語" has no letter or digit`), "%v", probs)
	assert.True(t, hasProblem(probs, "", `using "version-2"`), "%v", probs)

	f = newFixture()
	f.rm.Name = strings.Repeat("long-name-", 20)
	out, _ = buildOne(t, f.inputs(), Options{})
	assert.LessOrEqual(t, len(out.Doc.Models[0].Name), 63)
}

func TestCollisions(t *testing.T) {
	// Two registered models that sanitize to one name, in two registries.
	f := newFixture()
	in := f.inputs()
	in.Registries[0].RegisteredModels = append(in.Registries[0].RegisteredModels,
		registrymodel.RegisteredModel{ID: "11", Name: "granite "})
	in.Registries[0].ModelVersions = append(in.Registries[0].ModelVersions,
		registrymodel.ModelVersion{ID: "12", Name: "v1", RegisteredModelID: "11"})
	addFixtureRegistry(&in, "another-registry")
	// KServe-only servers named like the registry's, in other namespaces,
	// whose default model names also collide (a-b + c and a + b-c).
	in.Servers = append(in.Servers,
		Server{InferenceService: isvc("team-b", "granite-v1", nil, nil, true)},
		Server{InferenceService: isvc("a-b", "c", nil, nil, true)},
		Server{InferenceService: isvc("a", "b-c", nil, nil, true)})

	outs, probs := build(t, in, Options{})
	require.Len(t, outs, 6)
	keys := map[string]bool{}
	for _, o := range outs {
		keys[o.Key] = true
	}
	assert.True(t, keys["granite__v1"])
	assert.True(t, keys["kserve__team-b__granite-v1"])
	assert.True(t, keys["kserve__a-b__c"])
	assert.True(t, keys["kserve__a__b-c"])
	var renamedKeys, renamedServers, renamedModels int
	for _, p := range probs {
		assert.False(t, p.Rejected)
		switch p.Field {
		case "record key":
			renamedKeys++
		case "model server name":
			renamedServers++
		case "model name":
			renamedModels++
		}
	}
	// granite__v1 claimed by three versions (two registries, "granite "),
	// granite-v1 by two servers, granite-v1 by three models and a-b-c by two.
	for _, o := range outs {
		if o.Type == record.TypeKubeflow && o.Doc.ModelServer != nil {
			assert.Equal(t, "granite-v1", o.Doc.ModelServer.Name, "team-a/granite-v1 sorts first and keeps its name")
		}
		if o.Key == "kserve__team-b__granite-v1" {
			assert.Regexp(t, `^granite-v1-[0-9a-f]{8}$`, o.Doc.ModelServer.Name)
		}
	}
	assert.Equal(t, 2, renamedKeys, "%v", probs)
	assert.Equal(t, 1, renamedServers, "%v", probs)
	assert.Equal(t, 3, renamedModels, "%v", probs)
	for _, p := range probs {
		if p.Field == "record key" {
			assert.Regexp(t, `published as "granite__v1-[0-9a-f]{8}"`, p.Message)
		}
	}
}

func TestSuffixKeepsNamesValid(t *testing.T) {
	assert.Equal(t, "abc-0123abcd", withSuffix("abc", "0123abcd"))
	long := strings.Repeat("a", 54) + ".bbbbbbbb"
	got := withSuffix(long, "0123abcd")
	assert.Equal(t, strings.Repeat("a", 54)+"-0123abcd", got)
	assert.Equal(t, "0123abcd", withSuffix("", "0123abcd"))
}

// richInputs exercises every path: two registries, several versions,
// deployments, KServe-only servers with several models, model cards.
func richInputs() Inputs {
	f := catalogFixture()
	f.v.Properties = props("API Spec", "{}", "Owner", "group:a", "zeta", "", "alpha", "")
	f.rm.Properties = props("Usage", "u", "beta", "")
	in := f.inputs()
	in.ModelCard = cards.Lookup
	r := &in.Registries[0]
	r.RegisteredModels = append(r.RegisteredModels, registrymodel.RegisteredModel{ID: "20", Name: "mnist"})
	r.ModelVersions = append(r.ModelVersions,
		registrymodel.ModelVersion{ID: "21", Name: "1", RegisteredModelID: "20"},
		registrymodel.ModelVersion{ID: "22", Name: "2", RegisteredModelID: "20"},
		registrymodel.ModelVersion{ID: "23", Name: "v1", RegisteredModelID: "1"})
	r.VersionArtifacts["21"] = []*registrymodel.ModelArtifact{{ID: "30", URI: "s3://b"}, {ID: "31", URI: "s3://a"}}
	r.InferenceServices = append(r.InferenceServices,
		registrymodel.InferenceService{ID: "40", Name: "mnist", RegisteredModelID: "20", ModelVersionID: "22", ServingEnvironmentID: "5"})
	addFixtureRegistry(&in, "second")
	in.Servers = append(in.Servers,
		Server{InferenceService: isvc("team-a", "mnist", nil, nil, true)},
		Server{InferenceService: isvc("team-b", "granite-v1", nil, nil, true), AuthEnabled: true},
		Server{InferenceService: isvc("team-c", "multi", nil, map[string]string{
			"rhdh.io/model-x": "model-x", "rhdh.io/model-y": "model-y", "modelcatalogbridge.rhdh.io/tags": "b a c",
		}, true)})
	return in
}

func shuffled(in Inputs, rng *rand.Rand) Inputs {
	out := in
	out.Servers = append([]Server(nil), in.Servers...)
	rng.Shuffle(len(out.Servers), func(i, j int) { out.Servers[i], out.Servers[j] = out.Servers[j], out.Servers[i] })
	out.Registries = nil
	for _, r := range in.Registries {
		r.RegisteredModels = append([]registrymodel.RegisteredModel(nil), r.RegisteredModels...)
		rng.Shuffle(len(r.RegisteredModels), func(i, j int) {
			r.RegisteredModels[i], r.RegisteredModels[j] = r.RegisteredModels[j], r.RegisteredModels[i]
		})
		r.ModelVersions = append([]registrymodel.ModelVersion(nil), r.ModelVersions...)
		rng.Shuffle(len(r.ModelVersions), func(i, j int) { r.ModelVersions[i], r.ModelVersions[j] = r.ModelVersions[j], r.ModelVersions[i] })
		r.InferenceServices = append([]registrymodel.InferenceService(nil), r.InferenceServices...)
		rng.Shuffle(len(r.InferenceServices), func(i, j int) {
			r.InferenceServices[i], r.InferenceServices[j] = r.InferenceServices[j], r.InferenceServices[i]
		})
		arts := map[string][]*registrymodel.ModelArtifact{}
		for k, v := range r.VersionArtifacts {
			v = append([]*registrymodel.ModelArtifact(nil), v...)
			rng.Shuffle(len(v), func(i, j int) { v[i], v[j] = v[j], v[i] })
			arts[k] = v
		}
		r.VersionArtifacts = arts
		out.Registries = append(out.Registries, r)
	}
	rng.Shuffle(len(out.Registries), func(i, j int) { out.Registries[i], out.Registries[j] = out.Registries[j], out.Registries[i] })
	return out
}

func TestDeterminism(t *testing.T) {
	for _, format := range []record.Format{record.JSONArrayFormat, record.CatalogInfoYAMLFormat} {
		t.Run(string(format), func(t *testing.T) {
			in := richInputs()
			want, wantProbs := build(t, in, Options{Format: format})
			require.Len(t, want, 7)
			rng := rand.New(rand.NewSource(1))
			for i := 0; i < 30; i++ {
				got, gotProbs := Build(shuffled(in, rng), Options{Format: format})
				require.Equal(t, len(want), len(got))
				for j := range want {
					assert.Equal(t, want[j].Key, got[j].Key)
					assert.True(t, bytes.Equal(want[j].Body, got[j].Body), "body of %s differs after shuffling", want[j].Key)
					assert.Equal(t, want[j].ModelCard, got[j].ModelCard)
				}
				assert.Equal(t, wantProbs, gotProbs)
			}
		})
	}
}

func TestRichInputsContent(t *testing.T) {
	outs, _ := build(t, richInputs(), Options{})
	byKey := map[string]built{}
	for _, o := range outs {
		byKey[o.Key] = o
	}
	g := byKey["granite__v1"]
	assert.Equal(t, []string{"alpha", "beta", "zeta"}, g.Doc.Models[0].Tags)
	assert.NotEmpty(t, g.ModelCard)
	assert.Equal(t, "s3://b", byKey["mnist__1"].Doc.Models[0].ArtifactLocationURL, "first artifact by id")
	require.NotNil(t, byKey["mnist__2"].Doc.ModelServer)
	assert.Equal(t, "mnist", byKey["mnist__2"].Doc.ModelServer.Name)
	multi := byKey["kserve__team-c__multi"]
	assert.Equal(t, []string{"a", "b", "c"}, multi.Doc.ModelServer.Tags)
	require.Len(t, multi.Doc.Models, 2)
}

func TestCatalogInfoYAML(t *testing.T) {
	f := catalogFixture()
	f.v.Properties = props("API Type", "grpc", "API Spec", "service X {}", "How to use", "https://how.example.com", "gpu", "")
	in := f.inputs()
	in.ModelCard = cards.Lookup
	in.Servers[0].RouteURL = "https://granite.apps.example.com"
	out, _ := buildOne(t, in, Options{Format: record.CatalogInfoYAMLFormat})
	docs := strings.Split(string(out.Body), "---\n")
	require.Len(t, docs, 3)
	var ents []map[string]any
	for _, d := range docs {
		var e map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(d), &e))
		ents = append(ents, e)
	}
	get := func(e map[string]any, path ...string) any {
		var cur any = e
		for _, p := range path {
			cur = cur.(map[string]any)[p]
		}
		return cur
	}
	comp, api, res := ents[0], ents[1], ents[2]
	assert.Equal(t, "Component", comp["kind"])
	assert.Equal(t, "backstage.io/v1alpha1", comp["apiVersion"])
	assert.Equal(t, "granite-v1", get(comp, "metadata", "name"))
	assert.Equal(t, "model-server", get(comp, "spec", "type"))
	assert.Equal(t, DefaultOwner, get(comp, "spec", "owner"))
	assert.Equal(t, DefaultLifecycle, get(comp, "spec", "lifecycle"))
	assert.Equal(t, []any{"api:granite-v1"}, get(comp, "spec", "providesApis"))
	assert.Equal(t, []any{"resource:granite-v1"}, get(comp, "spec", "dependsOn"))
	assert.Equal(t, "https://granite.apps.example.com", get(comp, "metadata", "annotations", modelcatalog.AnnotationExternalRouteURL))

	assert.Equal(t, "API", api["kind"])
	assert.Equal(t, "granite-v1", get(api, "metadata", "name"))
	assert.Equal(t, "grpc", get(api, "spec", "type"))
	assert.Equal(t, "service X {}", get(api, "spec", "definition"))

	assert.Equal(t, "Resource", res["kind"])
	assert.Equal(t, "granite-v1", get(res, "metadata", "name"))
	assert.Equal(t, "ai-model", get(res, "spec", "type"))
	assert.Equal(t, []any{"component:granite-v1"}, get(res, "spec", "dependencyOf"))
	assert.Equal(t, []any{"gpu"}, get(res, "metadata", "tags"))
	assert.Equal(t, "url:http://localhost:9090/modelcard?key=granite__v1", get(res, "metadata", "annotations", "backstage.io/techdocs-ref"))
	links := get(res, "metadata", "links").([]any)
	require.Len(t, links, 1, "only http(s) links: the s3 artifact URI is left out")
	assert.Equal(t, "https://how.example.com", links[0].(map[string]any)["url"])

	// A model without server is a single Resource without dependencyOf.
	f = newFixture()
	f.deployed = false
	out, _ = buildOne(t, f.inputs(), Options{Format: record.CatalogInfoYAMLFormat})
	assert.NotContains(t, string(out.Body), "---")
	assert.NotContains(t, string(out.Body), "dependencyOf")
	assert.Contains(t, string(out.Body), "kind: Resource")
}

func TestOptions(t *testing.T) {
	f := newFixture()
	_, probs := build(t, f.inputs(), Options{Format: "xml"})
	assert.True(t, hasProblem(probs, "options", "NORMALIZER_FORMAT"), "%v", probs)
	_, probs = build(t, f.inputs(), Options{DefaultLifecycle: "a\nb"})
	assert.True(t, hasProblem(probs, "options", "DEFAULT_LIFECYCLE"), "%v", probs)

	// Build reads Options.Format as record.ParseFormat does: a spelling
	// that differs in case or spaces is the same format.
	lenient, probs := build(t, f.inputs(), Options{Format: " catalogInfoYAMLformat "})
	assert.False(t, hasProblem(probs, "options", "NORMALIZER_FORMAT"), "%v", probs)
	documented, _ := build(t, f.inputs(), Options{Format: record.CatalogInfoYAMLFormat})
	assert.Equal(t, documented, lenient)
}

func TestValidateDocumentRejects(t *testing.T) {
	good := func() modelcatalog.Document {
		return modelcatalog.Document{
			ModelServer: &modelcatalog.ModelServer{Name: "s", Owner: "o", Lifecycle: "l", Description: "d",
				API: &modelcatalog.API{URL: "u", Type: "openapi", Spec: "s"}},
			Models: []modelcatalog.Model{{Name: "m", Owner: "o", Lifecycle: "l", Description: "d"}},
		}
	}
	require.NoError(t, ValidateDocument(good()))
	cases := map[string]func(d *modelcatalog.Document){
		"no models":          func(d *modelcatalog.Document) { d.Models = nil },
		"bad model name":     func(d *modelcatalog.Document) { d.Models[0].Name = "a b" },
		"empty owner":        func(d *modelcatalog.Document) { d.Models[0].Owner = "" },
		"empty lifecycle":    func(d *modelcatalog.Document) { d.ModelServer.Lifecycle = "" },
		"blank description":  func(d *modelcatalog.Document) { d.Models[0].Description = " " },
		"bad tag":            func(d *modelcatalog.Document) { d.Models[0].Tags = []string{"vLLM"} },
		"bad annotation key": func(d *modelcatalog.Document) { d.ModelServer.Annotations = map[string]string{"a b": "x"} },
		"bad API type":       func(d *modelcatalog.Document) { d.ModelServer.API.Type = "soap" },
		"empty API spec":     func(d *modelcatalog.Document) { d.ModelServer.API.Spec = "" },
		"empty API url":      func(d *modelcatalog.Document) { d.ModelServer.API.URL = "" },
		"bad API tag":        func(d *modelcatalog.Document) { d.ModelServer.API.Tags = []string{"-"} },
		"duplicate models":   func(d *modelcatalog.Document) { d.Models = append(d.Models, d.Models[0]) },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			d := good()
			mutate(&d)
			assert.Error(t, ValidateDocument(d))
		})
	}
}

func ExampleBuild() {
	f := newFixture()
	outs, _ := Build(f.inputs(), Options{})
	var doc modelcatalog.Document
	if err := json.Unmarshal(outs[0].Body, &doc); err != nil {
		panic(err)
	}
	fmt.Println(outs[0].Key, doc.Models[0].Name, doc.ModelServer.API.URL)
	// Output: granite__v1 granite-v1 https://granite-v1-team-a.apps.example.com
}

// An InferenceService passed twice with different content: the copy used
// does not depend on the order, and the duplicate is reported.
func TestAServerPassedTwiceIsMappedTheSameInAnyOrder(t *testing.T) {
	a := Server{InferenceService: isvc("ns", "chat", nil, map[string]string{"rhdh.io/owner": "group:a"}, true)}
	b := Server{InferenceService: isvc("ns", "chat", nil, map[string]string{"rhdh.io/owner": "group:b"}, true)}
	other := Server{InferenceService: isvc("ns", "zz", nil, nil, true)}
	ab, abProbs := build(t, Inputs{Servers: []Server{a, other, b}}, Options{})
	ba, baProbs := build(t, Inputs{Servers: []Server{b, a, other}}, Options{})
	require.Len(t, ab, 2)
	require.Len(t, ba, 2)
	for i := range ab {
		assert.True(t, bytes.Equal(ab[i].Body, ba[i].Body), "%s", ab[i].Key)
	}
	assert.Equal(t, abProbs, baProbs)
	assert.True(t, hasProblem(abProbs, "InferenceService ns/chat", "more than once"))
}

// Claims keep their identity in two parts; they must sort as the whole
// strings would.
func TestClaimsSortAsTheirWholeIdentities(t *testing.T) {
	parts := []string{"", "a", "ab", "b", " model", "a model", "registry \"r\" x", "registry \"r\" x model", "\xff", "a\x00"}
	for _, a1 := range parts {
		for _, a2 := range parts {
			for _, b1 := range parts {
				for _, b2 := range parts {
					c, o := claim{identity: a1, suffix: a2}, claim{identity: b1, suffix: b2}
					assert.Equal(t, a1+a2 < b1+b2, c.before(&o), "%q+%q before %q+%q", a1, a2, b1, b2)
				}
			}
		}
	}
}
