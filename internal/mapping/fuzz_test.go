package mapping

import (
	"bytes"
	"testing"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// FuzzBuildRegistry feeds arbitrary names, properties and labels through the
// registry path: Build must not panic and everything it emits must be valid
// (checkOutputs), and it must give the same bytes twice.
func FuzzBuildRegistry(f *testing.F) {
	f.Add("granite", "v1", "API Type", "grpc", "Production Ready", "kube:admin", "team-a", "granite-v1")
	f.Add("日本語", "...", "Owner", "user:", "", " ", "", "")
	f.Add("a__b", "-v-", "TechDocs", "ftp://x", "日本", "a/b:c", "NS", "Name With Spaces")
	f.Add("granite ", "v1", "rhdh.modelcatalog.io/model-name", "\x00", "c++", "", "team-a", "granite-v1")
	f.Fuzz(func(t *testing.T, rmName, vName, key, value, label, owner, ns, isName string) {
		fx := newFixture()
		fx.rm.Name = rmName
		fx.v.Name = vName
		fx.rm.Owner = owner
		fx.v.Properties = props(key, value, label, "")
		fx.rm.Properties = props(value, key, "Owner", owner)
		fx.isvc = isvc(ns, isName, map[string]string{LabelInferenceServiceID: "4", label: value}, map[string]string{key: value, "rhdh.io/owner": owner}, true)
		in := fx.inputs()
		// A second model whose name may collide with the first.
		in.Registries[0].RegisteredModels = append(in.Registries[0].RegisteredModels, registrymodel.RegisteredModel{ID: "50", Name: rmName + " "})
		in.Registries[0].ModelVersions = append(in.Registries[0].ModelVersions, registrymodel.ModelVersion{ID: "51", Name: vName, RegisteredModelID: "50"})
		in.Servers = append(in.Servers, Server{InferenceService: isvc(isName, ns, nil, map[string]string{"rhdh.io/model-" + label: value}, true)})
		for _, format := range []record.Format{record.JSONArrayFormat, record.CatalogInfoYAMLFormat} {
			outs, _ := build(t, in, Options{Format: format, DefaultOwner: owner, DefaultLifecycle: label})
			again, _ := Build(in, Options{Format: format, DefaultOwner: owner, DefaultLifecycle: label})
			if len(outs) != len(again) {
				t.Fatalf("Build is not deterministic: %d then %d outputs", len(outs), len(again))
			}
			for i := range outs {
				if outs[i].Key != again[i].Key || !bytes.Equal(outs[i].Body, again[i].Body) {
					t.Fatalf("Build is not deterministic for %s", outs[i].Key)
				}
			}
		}
	})
}

// FuzzBuildKServe feeds arbitrary InferenceService names and annotations
// through the KServe-only path.
func FuzzBuildKServe(f *testing.F) {
	f.Add("team-b", "llama", "modelcatalogbridge.rhdh.io/tags", "LLM, gpu", "granite", "ibm-granite-8b", "https://x.example.com")
	f.Add("ns", "x", "rhdh.io/owner", ":bad", "", "日本", "")
	f.Add("Ns With Spaces", "日本", "modelcatalogbridge.rhdh.io/apiType", "SOAP", "a b", "\x00", "ftp://x")
	f.Add("a-b", "c", "modelcatalogbridge.rhdh.io/techdocs", "javascript:alert(1)", "x", "a-b-c", "http://")
	f.Fuzz(func(t *testing.T, ns, name, annKey, annValue, modelKey, modelValue, route string) {
		i := isvc(ns, name, nil, map[string]string{
			annKey: annValue, "rhdh.io/model-" + modelKey: modelValue, "rhdh.io/model-z": annValue,
			"modelcatalogbridge.rhdh.io/owner": annValue, "rhdh.io/lifecycle": modelValue,
		}, true)
		twin := isvc(name, ns, nil, map[string]string{annKey: modelValue}, true)
		in := Inputs{Servers: []Server{{InferenceService: i, RouteURL: route}, {InferenceService: twin, ServiceURL: route}}}
		for _, format := range []record.Format{record.JSONArrayFormat, record.CatalogInfoYAMLFormat} {
			build(t, in, Options{Format: format, LocationBaseURL: route})
		}
	})
}
