package mapping

import (
	"fmt"
	"testing"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
)

// largeInputs is a registry with n registered models of two versions each,
// one deployed, plus n KServe-only servers.
func largeInputs(n int) Inputs {
	r := RegistrySnapshot{Name: "mr", VersionArtifacts: map[string][]*registrymodel.ModelArtifact{},
		ServingEnvironments: []registrymodel.ServingEnvironment{{ID: "1", Name: "team"}}}
	var servers []Server
	for i := 0; i < n; i++ {
		rmID, v1, v2, isID := fmt.Sprint(10*i+2), fmt.Sprint(10*i+3), fmt.Sprint(10*i+4), fmt.Sprint(10*i+5)
		r.RegisteredModels = append(r.RegisteredModels, registrymodel.RegisteredModel{ID: rmID, Name: fmt.Sprintf("model-%d", i),
			Properties: props("Owner", "group:ai", "llm", ""), LastUpdateTimeSinceEpoch: 1})
		r.ModelVersions = append(r.ModelVersions,
			registrymodel.ModelVersion{ID: v1, Name: "v1", RegisteredModelID: rmID, Properties: props("API Spec", `{"openapi":"3.0.0"}`), LastUpdateTimeSinceEpoch: 1},
			registrymodel.ModelVersion{ID: v2, Name: "v2", RegisteredModelID: rmID, LastUpdateTimeSinceEpoch: 1})
		r.VersionArtifacts[v1] = []*registrymodel.ModelArtifact{{ID: v1 + "0", URI: "s3://bucket/" + v1, LastUpdateTimeSinceEpoch: 1}}
		name := fmt.Sprintf("model-%d-v1", i)
		r.InferenceServices = append(r.InferenceServices, registrymodel.InferenceService{ID: isID, Name: name,
			RegisteredModelID: rmID, ModelVersionID: v1, ServingEnvironmentID: "1"})
		linked, own := isvc("team", name, map[string]string{LabelInferenceServiceID: isID}, nil, true),
			isvc("other", fmt.Sprintf("kserve-%d", i), nil, map[string]string{"rhdh.io/owner": "group:x"}, true)
		linked.ResourceVersion, own.ResourceVersion = "1", "1"
		servers = append(servers, Server{InferenceService: linked}, Server{InferenceService: own})
	}
	return Inputs{Registries: []RegistrySnapshot{r}, Servers: servers}
}

func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		in := largeInputs(n)
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				outs, _ := Build(in, Options{})
				if len(outs) != 3*n {
					b.Fatalf("got %d outputs, want %d", len(outs), 3*n)
				}
			}
		})
	}
}

// BenchmarkBuildCached is the build of a registry change: one version
// changed since the last build given the same Cache, which encodes only
// that one (the KServe-only servers are built every time).
func BenchmarkBuildCached(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		in := largeInputs(n)
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			opts := Options{Cache: NewCache()}
			Build(in, opts)
			versions := in.Registries[0].ModelVersions
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				versions[i%len(versions)].LastUpdateTimeSinceEpoch++
				outs, _ := Build(in, opts)
				if len(outs) != 3*n {
					b.Fatalf("got %d outputs, want %d", len(outs), 3*n)
				}
			}
		})
	}
}

// BenchmarkRebuildOneServer is an InferenceService event's mapping: one
// KServe-only server changed among n models' worth of records.
func BenchmarkRebuildOneServer(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		in := largeInputs(n)
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			_, _, ix := BuildIndexed(in, Options{})
			s := in.Servers[1] // other/kserve-0
			owners := []string{"group:a", "group:b"}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c := *s.InferenceService
				c.Annotations = map[string]string{"rhdh.io/owner": owners[i%2]}
				i++
				d, ok := ix.Rebuild([]Server{{InferenceService: &c}}, nil)
				if !ok || len(d.Outputs) != 1 {
					b.Fatalf("Rebuild declined or gave %d outputs", len(d.Outputs))
				}
			}
		})
	}
}
