package mapping

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRegistryVersionDefaults(t *testing.T) {
	f := newFixture()
	out, probs := buildOne(t, f.inputs(), Options{})
	assert.Empty(t, probs)
	assert.Equal(t, "granite__v1", out.Key)
	uri, err := record.URI(out.Key, record.FileJSON)
	require.NoError(t, err)
	assert.Equal(t, "/granite/v1/model-catalog.json", uri)
	assert.Equal(t, record.TypeKubeflow, out.Type)
	assert.Empty(t, out.ModelCard)

	require.Len(t, out.Doc.Models, 1)
	m := out.Doc.Models[0]
	assert.Equal(t, "granite-v1", m.Name)
	assert.Equal(t, DefaultOwner, m.Owner)
	assert.Equal(t, DefaultLifecycle, m.Lifecycle)
	assert.Equal(t, `Version v1 of model granite from model registry modelregistry-public.`, m.Description)
	assert.Equal(t, "s3://models/granite/v1", m.ArtifactLocationURL)
	assert.Equal(t, map[string]string{modelcatalog.AnnotationModelName: "granite-v1"}, m.Annotations)

	s := requireDefaultServer(t, out.Doc, "granite-v1",
		"Model server team-a/granite-v1 (KServe InferenceService) serving version v1 of model granite.")
	require.NotNil(t, s.Authentication)
	assert.False(t, *s.Authentication)
	require.NotNil(t, s.API)
	// The fixture is a Serverless InferenceService: status.url is Knative's
	// external URL, and no Route exists.
	assert.Equal(t, "https://granite-v1-team-a.apps.example.com", s.API.URL)
	assert.Equal(t, modelcatalog.APITypeOpenAPI, s.API.Type)
	var spec map[string]any
	require.NoError(t, json.Unmarshal([]byte(s.API.Spec), &spec), "placeholder spec must be OpenAPI JSON")
	assert.Equal(t, "3.0.3", spec["openapi"])
	assert.Equal(t, map[string]string{
		modelcatalog.AnnotationExternalRouteURL:   "https://granite-v1-team-a.apps.example.com",
		modelcatalog.AnnotationInternalServiceURL: "http://granite-v1-predictor.team-a.svc.cluster.local:8080",
		AnnotationKubernetesLabelSelector:         "serving.kserve.io/inferenceservice=granite-v1",
		AnnotationKubernetesNamespace:             "team-a",
	}, s.Annotations)
	assert.Empty(t, s.Tags, "no model format, runtime or deployment mode known")
}

// Every property key, set on the model version, lands in its field.
func TestRegistryPropertyKeys(t *testing.T) {
	cases := []struct {
		key, value string
		check      func(t *testing.T, d modelcatalog.Document)
		problem    string
	}{
		{"API Spec", `{"openapi":"3.1.0"}`, func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, `{"openapi":"3.1.0"}`, d.ModelServer.API.Spec)
		}, ""},
		{"API Type", "grpc", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, "grpc", d.ModelServer.API.Type)
			assert.Contains(t, d.ModelServer.API.Spec, "No API definition was provided")
		}, ""},
		{"API Type", "GraphQL", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, "graphql", d.ModelServer.API.Type)
		}, ""},
		{"API Type", "soap", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, "openapi", d.ModelServer.API.Type)
		}, `API type "soap" is not one of`},
		{"TechDocs", "https://github.com/org/repo/tree/main/docs", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, "https://github.com/org/repo/tree/main/docs", d.Models[0].Annotations[modelcatalog.AnnotationTechDocs])
			assert.Equal(t, "https://github.com/org/repo/tree/main/docs", d.Models[0].Annotations[modelcatalog.AnnotationTechDocsLower])
		}, ""},
		{"TechDocs", "git@github.com:org/repo.git", func(t *testing.T, d modelcatalog.Document) {
			assert.NotContains(t, d.Models[0].Annotations, modelcatalog.AnnotationTechDocs)
			assert.NotContains(t, d.Models[0].Annotations, modelcatalog.AnnotationTechDocsLower)
		}, "is not an http(s) URL"},
		{"Homepage URL", "https://granite.example.com", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, "https://granite.example.com", d.ModelServer.HomepageURL)
		}, ""},
		{"Owner", "group:ai-team", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, "group:ai-team", d.Models[0].Owner)
			assert.Equal(t, "group:ai-team", d.ModelServer.Owner)
		}, ""},
		{"Lifecycle", "production", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, "production", d.Models[0].Lifecycle)
			assert.Equal(t, "production", d.ModelServer.Lifecycle)
		}, ""},
		{"How to use", "https://docs.example.com/granite", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, "https://docs.example.com/granite", d.Models[0].HowToUseURL)
		}, ""},
		{"License", "https://www.apache.org/licenses/LICENSE-2.0", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, "https://www.apache.org/licenses/LICENSE-2.0", d.Models[0].License)
		}, ""},
		{"Ethics", "no known issues", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, "no known issues", d.Models[0].Ethics)
		}, ""},
		{"Support", "#ai-help", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, "#ai-help", d.Models[0].Support)
		}, ""},
		{"Training", "fine-tuned on X", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, "fine-tuned on X", d.Models[0].Training)
		}, ""},
		{"Usage", "POST /v1/completions", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, "POST /v1/completions", d.Models[0].Usage)
		}, ""},
		{"rhdh.modelcatalog.io/model-name", "ibm-granite/granite-3.1-8b", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, "ibm-granite/granite-3.1-8b", d.Models[0].Annotations[modelcatalog.AnnotationModelName])
		}, ""},
		// Other spellings of the same keys.
		{"apiType", "asyncapi", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, "asyncapi", d.ModelServer.API.Type)
		}, ""},
		{"homepage_url", "https://h.example.com", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, "https://h.example.com", d.ModelServer.HomepageURL)
		}, ""},
		// Values are trimmed; blank values set nothing.
		{"Owner", "  jane  ", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, "jane", d.Models[0].Owner)
		}, ""},
		{"Lifecycle", "   ", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, DefaultLifecycle, d.Models[0].Lifecycle)
		}, ""},
		// Labels: empty string values are tags.
		{"Production Ready", "", func(t *testing.T, d modelcatalog.Document) {
			assert.Equal(t, []string{"production-ready"}, d.Models[0].Tags)
		}, ""},
		{"日本", "", func(t *testing.T, d modelcatalog.Document) {
			assert.Empty(t, d.Models[0].Tags)
		}, "has no letter or digit"},
		// An unknown key with a value is not published.
		{"Some Note", "hello", func(t *testing.T, d modelcatalog.Document) {
			assert.Empty(t, d.Models[0].Tags)
			data, _ := json.Marshal(d)
			assert.NotContains(t, string(data), "hello")
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.key+"="+c.value, func(t *testing.T) {
			f := newFixture()
			f.v.Properties = props(c.key, c.value)
			out, probs := buildOne(t, f.inputs(), Options{})
			require.NotNil(t, out.Doc.ModelServer)
			c.check(t, out.Doc)
			if c.problem == "" {
				assert.Empty(t, probs)
			} else {
				assert.True(t, hasProblem(probs, "granite", c.problem), "want problem %q, got %v", c.problem, probs)
				for _, p := range probs {
					assert.False(t, p.Rejected)
				}
			}
		})
	}
}

func TestNonStringPropertyValues(t *testing.T) {
	f := newFixture()
	// Sorted by key, as the registry client returns them. A struct value
	// carries no text.
	f.v.Properties = registrymodel.Properties{
		{Key: "Ethics", Value: "true", Type: registrymodel.BoolProperty},
		{Key: "Support", Value: "1.5", Type: registrymodel.DoubleProperty},
		{Key: "Training", Value: "42", Type: registrymodel.IntProperty},
		{Key: "Usage", Type: registrymodel.StructProperty},
	}
	out, probs := buildOne(t, f.inputs(), Options{})
	mo := out.Doc.Models[0]
	assert.Equal(t, "42", mo.Training)
	assert.Equal(t, "true", mo.Ethics)
	assert.Equal(t, "1.5", mo.Support)
	assert.Empty(t, mo.Usage)
	assert.True(t, hasProblem(probs, "granite", `property "Usage": has a struct`), "%v", probs)
}

// The model version's properties win over the registered model's, key by
// key; the registered model's fill the gaps.
func TestVersionPropertiesWinOverModel(t *testing.T) {
	keys := []string{"API Spec", "API Type", "TechDocs", "Homepage URL", "Owner", "Lifecycle", "How to use",
		"License", "Ethics", "Support", "Training", "Usage", "rhdh.modelcatalog.io/model-name"}
	value := func(prefix, key string) string {
		switch key {
		case "API Type":
			if prefix == "v" {
				return "grpc"
			}
			return "graphql"
		case "TechDocs", "Homepage URL", "How to use", "License":
			return "https://" + prefix + ".example.com/" + strings.ReplaceAll(key, " ", "")
		}
		return prefix + "-" + strings.ReplaceAll(key, " ", "")
	}
	fields := func(d modelcatalog.Document) map[string]string {
		m := d.Models[0]
		return map[string]string{
			"API Spec": d.ModelServer.API.Spec, "API Type": d.ModelServer.API.Type,
			"TechDocs": m.Annotations[modelcatalog.AnnotationTechDocs], "Homepage URL": d.ModelServer.HomepageURL,
			"Owner": m.Owner, "Lifecycle": m.Lifecycle, "How to use": m.HowToUseURL, "License": m.License,
			"Ethics": m.Ethics, "Support": m.Support, "Training": m.Training, "Usage": m.Usage,
			"rhdh.modelcatalog.io/model-name": m.Annotations[modelcatalog.AnnotationModelName],
		}
	}
	var vkv, mkv []string
	for _, k := range keys {
		vkv = append(vkv, k, value("v", k))
		mkv = append(mkv, k, value("m", k))
	}

	t.Run("both set", func(t *testing.T) {
		f := newFixture()
		f.v.Properties = props(vkv...)
		f.rm.Properties = props(mkv...)
		out, probs := buildOne(t, f.inputs(), Options{})
		assert.Empty(t, probs)
		got := fields(out.Doc)
		for _, k := range keys {
			assert.Equal(t, value("v", k), got[k], k)
		}
	})
	t.Run("model only", func(t *testing.T) {
		f := newFixture()
		f.rm.Properties = props(mkv...)
		out, _ := buildOne(t, f.inputs(), Options{})
		got := fields(out.Doc)
		for _, k := range keys {
			assert.Equal(t, value("m", k), got[k], k)
		}
	})
	t.Run("labels of both", func(t *testing.T) {
		f := newFixture()
		f.v.Properties = props("gpu", "", "Shared", "")
		f.rm.Properties = props("shared", "", "llm", "")
		out, _ := buildOne(t, f.inputs(), Options{})
		assert.Equal(t, []string{"gpu", "llm", "shared"}, out.Doc.Models[0].Tags)
	})
}

func TestOwnerPrecedence(t *testing.T) {
	cases := []struct {
		name           string
		vOwner, mOwner string
		rmOwner        string
		defaultOwner   string
		want           string
		problem        string
	}{
		{name: "version property", vOwner: "v-team", mOwner: "m-team", rmOwner: "kube:admin", defaultOwner: "d", want: "v-team"},
		{name: "model property", mOwner: "m-team", rmOwner: "kube:admin", defaultOwner: "d", want: "m-team"},
		{name: "registered model owner", rmOwner: "kube:admin", defaultOwner: "d", want: "kube:admin"},
		{name: "DefaultOwner", defaultOwner: "user:default/platform", want: "user:default/platform"},
		{name: "built-in default", want: "rhdh-rhoai-bridge"},
		{name: "invalid property falls through", vOwner: "user:", rmOwner: "jane", want: "jane", problem: `owner "user:" is not`},
		{name: "invalid version property falls to model property", vOwner: "/x", mOwner: "m-team", rmOwner: "jane", want: "m-team", problem: `owner "/x" is not`},
		{name: "blank registered owner", rmOwner: "  ", defaultOwner: "d", want: "d"},
		{name: "invalid DefaultOwner", defaultOwner: ":x", want: "rhdh-rhoai-bridge", problem: "DEFAULT_OWNER"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture()
			if c.vOwner != "" {
				f.v.Properties = props("Owner", c.vOwner)
			}
			if c.mOwner != "" {
				f.rm.Properties = props("Owner", c.mOwner)
			}
			f.rm.Owner = c.rmOwner
			out, probs := buildOne(t, f.inputs(), Options{DefaultOwner: c.defaultOwner})
			assert.Equal(t, c.want, out.Doc.Models[0].Owner)
			assert.Equal(t, c.want, out.Doc.ModelServer.Owner)
			if c.problem != "" {
				assert.True(t, hasProblem(probs, "", c.problem), "%v", probs)
			} else {
				assert.Empty(t, probs)
			}
		})
	}
}

func TestLifecyclePrecedence(t *testing.T) {
	cases := []struct {
		name, v, m, def, want string
	}{
		{"version property", "production", "experimental", "d", "production"},
		{"model property", "", "experimental", "d", "experimental"},
		{"DefaultLifecycle", "", "", "staging", "staging"},
		{"built-in default", "", "", "", "development"},
		{"control characters fall through", "bad\x01", "", "", "development"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture()
			if c.v != "" {
				f.v.Properties = props("Lifecycle", c.v)
			}
			if c.m != "" {
				f.rm.Properties = props("Lifecycle", c.m)
			}
			out, _ := buildOne(t, f.inputs(), Options{DefaultLifecycle: c.def})
			assert.Equal(t, c.want, out.Doc.Models[0].Lifecycle)
			assert.Equal(t, c.want, out.Doc.ModelServer.Lifecycle)
		})
	}
}

func TestDescriptionPrecedence(t *testing.T) {
	f := newFixture()
	f.v.Description = "  the version  "
	f.rm.Description = "the model"
	out, _ := buildOne(t, f.inputs(), Options{})
	assert.Equal(t, "the version", out.Doc.Models[0].Description)

	f.v.Description = " "
	out, _ = buildOne(t, f.inputs(), Options{})
	assert.Equal(t, "the model", out.Doc.Models[0].Description)

	f.isvc.Annotations = map[string]string{annDescription: "GPU server"}
	out, _ = buildOne(t, f.inputs(), Options{})
	assert.Equal(t, "GPU server", out.Doc.ModelServer.Description)
}

// models[].license becomes a "License" link in both plugins, so only an
// http(s) URL goes there; a license name (what v0.3.2 registries report as
// "apache-2.0" and newer catalogs as "Apache 2.0") is kept as the
// rhdh.modelcatalog.io/license annotation.
func TestLicenseIsALinkOrAnAnnotation(t *testing.T) {
	cases := []struct {
		name              string
		property          string
		rmLicense, rmLink string
		link, annotation  string
		problem           string
	}{
		{name: "v0.3.2 short name", rmLicense: "apache-2.0", annotation: "apache-2.0"},
		{name: "newer display name", rmLicense: "Apache 2.0", annotation: "Apache 2.0"},
		{name: "name and link", rmLicense: "Apache 2.0", rmLink: "https://www.apache.org/licenses/LICENSE-2.0",
			link: "https://www.apache.org/licenses/LICENSE-2.0", annotation: "Apache 2.0"},
		{name: "link only", rmLink: "https://opensource.org/licenses/MIT", link: "https://opensource.org/licenses/MIT"},
		{name: "property link wins", property: "https://example.com/license", rmLicense: "mit", rmLink: "https://opensource.org/licenses/MIT",
			link: "https://example.com/license", annotation: "mit"},
		{name: "property name wins", property: "Llama 3 Community License", rmLicense: "llama3", rmLink: "https://llama.meta.com/llama3/license",
			link: "https://llama.meta.com/llama3/license", annotation: "Llama 3 Community License"},
		{name: "not an http link", rmLink: "ftp://example.com/LICENSE", rmLicense: "bsd-3-clause",
			annotation: "bsd-3-clause", problem: `license link "ftp://example.com/LICENSE" is not an http(s) URL`},
		{name: "nothing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture()
			f.rm.License, f.rm.LicenseLink = c.rmLicense, c.rmLink
			if c.property != "" {
				f.v.Properties = props("License", c.property)
			}
			out, probs := buildOne(t, f.inputs(), Options{})
			m := out.Doc.Models[0]
			assert.Equal(t, c.link, m.License)
			assert.Equal(t, c.annotation, m.Annotations[AnnotationLicense])
			if c.link != "" {
				assert.True(t, httpURL(m.License))
			}
			if c.problem != "" {
				assert.True(t, hasProblem(probs, "granite", c.problem), "%v", probs)
			} else {
				assert.Empty(t, probs)
			}
		})
	}
}

func TestArchivedNotPublished(t *testing.T) {
	f := newFixture()
	f.rm.State = registrymodel.StateArchived
	outs, probs := build(t, f.inputs(), Options{})
	assert.Empty(t, outs, "archived registered model")
	require.Len(t, probs, 1, "%v", probs)
	assert.Equal(t, ReasonArchived, probs[0].Reason)

	f = newFixture()
	f.v.State = registrymodel.StateArchived
	outs, _ = build(t, f.inputs(), Options{})
	assert.Empty(t, outs, "archived version; its InferenceService is the registry's, not KServe-only")

	// A live sibling version is still published.
	f = newFixture()
	in := f.inputs()
	in.Registries[0].ModelVersions = append(in.Registries[0].ModelVersions,
		registrymodel.ModelVersion{ID: "9", Name: "v0", RegisteredModelID: "1", State: registrymodel.StateArchived},
		registrymodel.ModelVersion{ID: "10", Name: "v2", RegisteredModelID: "1"})
	outs, _ = build(t, in, Options{})
	require.Len(t, outs, 2)
	assert.Equal(t, "granite__v1", outs[0].Key)
	assert.Equal(t, "granite__v2", outs[1].Key)
	assert.NotNil(t, outs[0].Doc.ModelServer)
	assert.Nil(t, outs[1].Doc.ModelServer)
}

func TestUndeployedOrVanishedServer(t *testing.T) {
	t.Run("undeployed", func(t *testing.T) {
		f := newFixture()
		f.ris.DesiredState = registrymodel.Undeployed
		out, probs := buildOne(t, f.inputs(), Options{})
		assert.Nil(t, out.Doc.ModelServer)
		require.Len(t, probs, 1, "the InferenceService still exists but belongs to the registry: %v", probs)
		assert.Equal(t, ReasonUndeployed, probs[0].Reason)
	})
	t.Run("vanished", func(t *testing.T) {
		f := newFixture()
		f.deployed = false
		out, probs := buildOne(t, f.inputs(), Options{})
		assert.Nil(t, out.Doc.ModelServer)
		assert.Empty(t, probs)
	})
	t.Run("being deleted", func(t *testing.T) {
		f := newFixture()
		now := metav1Now()
		f.isvc.DeletionTimestamp = &now
		out, _ := buildOne(t, f.inputs(), Options{})
		assert.Nil(t, out.Doc.ModelServer)
	})
	t.Run("no registry inference service", func(t *testing.T) {
		f := newFixture()
		in := f.inputs()
		in.Registries[0].InferenceServices = nil
		outs, probs := build(t, in, Options{})
		require.Len(t, outs, 1, "labelled InferenceService is not published as KServe-only")
		assert.Nil(t, outs[0].Doc.ModelServer)
		assert.True(t, hasProblem(probs, "InferenceService team-a/granite-v1", "carries model registry labels"), "%v", probs)
	})
	t.Run("unset desired state is DEPLOYED", func(t *testing.T) {
		f := newFixture()
		f.ris.DesiredState = ""
		out, _ := buildOne(t, f.inputs(), Options{})
		assert.NotNil(t, out.Doc.ModelServer)
	})
}

func TestLinking(t *testing.T) {
	cases := []struct {
		name   string
		labels map[string]string
		isName string
		ns     string
		want   bool
	}{
		{name: "inference-service-id label", labels: map[string]string{LabelInferenceServiceID: "4"}, isName: "other", ns: "elsewhere", want: true},
		{name: "inference-service-id with contradicting version label", labels: map[string]string{LabelInferenceServiceID: "4", LabelModelVersionID: "99"}, isName: "other", ns: "team-a", want: false},
		{name: "model and version labels in the environment namespace", labels: map[string]string{LabelRegisteredModelID: "1", LabelModelVersionID: "2"}, isName: "other", ns: "team-a", want: true},
		{name: "model and version labels elsewhere", labels: map[string]string{LabelRegisteredModelID: "1", LabelModelVersionID: "2"}, isName: "other", ns: "team-b", want: false},
		{name: "serving environment and name", labels: nil, isName: "granite-v1", ns: "team-a", want: true},
		{name: "environment and name but labelled for another inference service", labels: map[string]string{LabelInferenceServiceID: "99"}, isName: "granite-v1", ns: "team-a", want: false},
		{name: "name in another namespace", labels: nil, isName: "granite-v1", ns: "team-b", want: false},
		{name: "registry name label of this registry", labels: map[string]string{LabelInferenceServiceID: "4", LabelRegistryName: "modelregistry-public"}, isName: "x", ns: "y", want: true},
		{name: "registry name label of another registry", labels: map[string]string{LabelInferenceServiceID: "4", LabelRegistryName: "other-registry"}, isName: "granite-v1", ns: "team-a", want: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture()
			f.isvc = isvc(c.ns, c.isName, c.labels, nil, true)
			outs, _ := build(t, f.inputs(), Options{})
			var reg *built
			for i := range outs {
				if outs[i].Type == record.TypeKubeflow {
					reg = &outs[i]
				}
			}
			require.NotNil(t, reg)
			if c.want {
				require.NotNil(t, reg.Doc.ModelServer)
				assert.Equal(t, c.isName, reg.Doc.ModelServer.Name)
				assert.Len(t, outs, 1)
			} else {
				assert.Nil(t, reg.Doc.ModelServer)
			}
		})
	}
}

func TestSeveralDeploymentsOfOneVersion(t *testing.T) {
	f := newFixture()
	in := f.inputs()
	second := isvc("team-0", "granite-copy", map[string]string{LabelInferenceServiceID: "6"}, nil, true)
	third := isvc("team-z", "granite-z", map[string]string{LabelInferenceServiceID: "7"}, nil, true)
	in.Servers = append(in.Servers, Server{InferenceService: third}, Server{InferenceService: second})
	in.Registries[0].InferenceServices = append(in.Registries[0].InferenceServices,
		registrymodel.InferenceService{ID: "6", RegisteredModelID: "1", ModelVersionID: "2", ServingEnvironmentID: "5"},
		registrymodel.InferenceService{ID: "7", RegisteredModelID: "1", ModelVersionID: "2", ServingEnvironmentID: "5"})
	out, probs := buildOne(t, in, Options{})
	require.NotNil(t, out.Doc.ModelServer)
	assert.Equal(t, "granite-copy", out.Doc.ModelServer.Name, "first by namespace/name")
	assert.True(t, hasProblem(probs, "granite", "InferenceService team-a/granite-v1 also deploys this version"), "%v", probs)
	assert.True(t, hasProblem(probs, "granite", "InferenceService team-z/granite-z also deploys this version"), "%v", probs)
}

func TestMissingModelVersionIDServesLatest(t *testing.T) {
	f := newFixture()
	f.v.CreateTimeSinceEpoch = "1000"
	f.ris.ModelVersionID = ""
	in := f.inputs()
	in.Registries[0].ModelVersions = append(in.Registries[0].ModelVersions,
		registrymodel.ModelVersion{ID: "8", Name: "v0", RegisteredModelID: "1", CreateTimeSinceEpoch: "500"})
	f.isvc.Labels = nil // link by environment and name only
	outs, _ := build(t, in, Options{})
	require.Len(t, outs, 2)
	assert.Equal(t, "granite__v0", outs[0].Key)
	assert.Nil(t, outs[0].Doc.ModelServer)
	assert.Equal(t, "granite__v1", outs[1].Key)
	assert.NotNil(t, outs[1].Doc.ModelServer)
}

func TestServerFacts(t *testing.T) {
	f := newFixture()
	f.isvc.Annotations = map[string]string{
		"rhdh.io/system": "ai-platform", "rhdh.io/serverType": "openai-v1", "rhdh.io/default": "granite",
		"rhdh.io/api-entity-ref": "api:default/granite", "rhdh.io/owner": "group:ai", "rhdh.io/lifecycle": "production",
		"unrelated.io/x": "y",
	}
	in := f.inputs()
	in.Servers[0].RouteURL = "https://granite-v1-team-a.apps.example.com"
	in.Servers[0].AuthEnabled = true
	out, _ := buildOne(t, in, Options{})
	s := out.Doc.ModelServer
	assert.Equal(t, "https://granite-v1-team-a.apps.example.com", s.API.URL)
	assert.True(t, *s.Authentication)
	assert.Equal(t, map[string]string{
		modelcatalog.AnnotationExternalRouteURL:   "https://granite-v1-team-a.apps.example.com",
		modelcatalog.AnnotationInternalServiceURL: "http://granite-v1-predictor.team-a.svc.cluster.local:8080",
		AnnotationKubernetesLabelSelector:         "serving.kserve.io/inferenceservice=granite-v1",
		AnnotationKubernetesNamespace:             "team-a",
		"rhdh.io/system":                          "ai-platform", "rhdh.io/serverType": "openai-v1", "rhdh.io/default": "granite",
		"rhdh.io/api-entity-ref": "api:default/granite", "rhdh.io/owner": "group:ai", "rhdh.io/lifecycle": "production",
	}, s.Annotations)

	// Auth from the OpenShift AI annotation; default Service URL.
	f = newFixture()
	f.isvc.Annotations = map[string]string{AnnotationEnableAuth: "true"}
	f.isvc.Status.URL = mustURL("http://granite-v1-predictor.team-a.svc.cluster.local")
	in = f.inputs()
	in.Servers[0].ServiceURL = ""
	out, _ = buildOne(t, in, Options{})
	assert.True(t, *out.Doc.ModelServer.Authentication)
	assert.Equal(t, "http://granite-v1-predictor.team-a.svc.cluster.local", out.Doc.ModelServer.API.URL)
}

func TestOrphanVersionReported(t *testing.T) {
	f := newFixture()
	f.v.RegisteredModelID = "77"
	outs, probs := build(t, f.inputs(), Options{})
	assert.Empty(t, outs)
	assert.True(t, hasProblem(probs, `model version "v1"`, `registered model id "77" was not listed`), "%v", probs)
}

func TestObjectsWithoutIDsOrDuplicated(t *testing.T) {
	f := newFixture()
	in := f.inputs()
	in.Registries[0].RegisteredModels = append(in.Registries[0].RegisteredModels,
		registrymodel.RegisteredModel{Name: "no-id"},
		registrymodel.RegisteredModel{ID: "1", Name: "granite-dup"})
	outs, probs := build(t, in, Options{})
	require.Len(t, outs, 1)
	assert.True(t, hasProblem(probs, "registry", "without an id"), "%v", probs)
	assert.True(t, hasProblem(probs, "registry", "listed more than once"), "%v", probs)
}

// The dashboard labels an InferenceService with the ModelRegistry's own
// name; discovery names a registry after its Route (<name>-https) or, for
// MODEL_REGISTRY_URL, its host. The label must link whatever discovery
// called the registry.
func TestRegistryNameLabelMatchesTheRegistryWhateverDiscoveryCalledIt(t *testing.T) {
	for _, discovered := range []string{
		"modelregistry-public",                            // the operator's Service
		"modelregistry-public-https",                      // the operator's Route
		"modelregistry-public-rest.apps.example.com",      // MODEL_REGISTRY_URL, the Route's host
		"modelregistry-public.rhoai-model-registries.svc", // MODEL_REGISTRY_URL, the Service's host
	} {
		t.Run(discovered, func(t *testing.T) {
			f := newFixture()
			f.isvc = isvc("team-a", "granite-v1", map[string]string{
				LabelInferenceServiceID: "4", LabelRegistryName: "modelregistry-public",
			}, nil, true)
			in := f.inputs()
			in.Registries[0].Name = discovered
			outs, probs := build(t, in, Options{})
			require.Len(t, outs, 1, "one record: the version, with its server; %v", probs)
			require.NotNil(t, outs[0].Doc.ModelServer, "%v", probs)
			assert.Equal(t, "granite-v1", outs[0].Doc.ModelServer.Name)
		})
	}
}

func TestLatestVersionsByRegisteredModel(t *testing.T) {
	v := func(id, rm, created string) registrymodel.ModelVersion {
		return registrymodel.ModelVersion{ID: id, RegisteredModelID: rm, CreateTimeSinceEpoch: created}
	}
	assert.Equal(t, map[string]string{
		"1": "12", // the latest creation
		"2": "10", // a tie goes to the greater id, numerically
		"3": "31", // no readable creation time counts as 0
	}, latestVersions([]registrymodel.ModelVersion{
		v("11", "1", "100"), v("12", "1", "300"), v("13", "1", "200"),
		v("9", "2", "50"), v("10", "2", "50"),
		v("30", "3", "soon"), v("31", "3", ""), v("40", "4", "1"),
	}, map[string]bool{"1": true, "2": true, "3": true, "5": true}))
	assert.Empty(t, latestVersions(nil, map[string]bool{"1": true}))
	assert.Empty(t, latestVersions([]registrymodel.ModelVersion{v("1", "1", "1")}, nil), "no inference service without a version id")
}

func TestVersionIdentityIsTheSprintfForm(t *testing.T) {
	const obj = `registry "r"`
	for _, name := range []string{"plain", `with "quotes"`, "ünïcode", "tab\there", "bad\xffutf8", ""} {
		rm := &registrymodel.RegisteredModel{ID: "7", Name: name}
		v := &registrymodel.ModelVersion{ID: "12", Name: name + "v"}
		want := fmt.Sprintf("%s registered model %q (id %s) version %q (id %s)", obj, rm.Name, rm.ID, v.Name, v.ID)
		assert.Equal(t, want, string(versionIdentity([]byte("old"), obj, rm, v)[3:]))
	}
}
