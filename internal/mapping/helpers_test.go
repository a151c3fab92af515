package mapping

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/backstage"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/backstage/entity"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

func ptr[T any](v T) *T { return &v }

// strVal is a string custom property.
func strVal(key, value string) registrymodel.Property {
	return registrymodel.Property{Key: key, Value: value, Type: registrymodel.StringProperty}
}

// props builds string custom properties from key, value pairs, sorted by
// key as the registry client returns them. A key given twice keeps its
// last value, as the registry's customProperties object does.
func props(kv ...string) registrymodel.Properties {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	out := make(registrymodel.Properties, 0, len(m))
	for k, v := range m {
		out = append(out, strVal(k, v))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// fixture is a registry with one registered model and one version, and
// optionally a KServe InferenceService deploying it.
type fixture struct {
	rm       registrymodel.RegisteredModel
	v        registrymodel.ModelVersion
	art      registrymodel.ModelArtifact
	ris      registrymodel.InferenceService
	env      registrymodel.ServingEnvironment
	isvc     *v1beta1.InferenceService
	deployed bool
}

func newFixture() *fixture {
	return &fixture{
		rm: registrymodel.RegisteredModel{ID: "1", Name: "granite", State: registrymodel.StateLive},
		v: registrymodel.ModelVersion{ID: "2", Name: "v1", RegisteredModelID: "1",
			State: registrymodel.StateLive},
		art: registrymodel.ModelArtifact{ID: "3", URI: "s3://models/granite/v1"},
		ris: registrymodel.InferenceService{ID: "4", Name: "granite-v1", RegisteredModelID: "1",
			ModelVersionID: "2", ServingEnvironmentID: "5", DesiredState: registrymodel.Deployed},
		env: registrymodel.ServingEnvironment{ID: "5", Name: "team-a"},
		isvc: isvc("team-a", "granite-v1", map[string]string{
			LabelRegisteredModelID: "1", LabelModelVersionID: "2", LabelInferenceServiceID: "4",
		}, nil, true),
		deployed: true,
	}
}

func (f *fixture) inputs() Inputs {
	// Each snapshot gets its own copy of the artifact, as it got one of
	// every other object: changing one snapshot changes neither the
	// fixture nor another snapshot.
	art := f.art
	snap := RegistrySnapshot{
		Name:                "modelregistry-public",
		RegisteredModels:    []registrymodel.RegisteredModel{f.rm},
		ModelVersions:       []registrymodel.ModelVersion{f.v},
		VersionArtifacts:    map[string][]*registrymodel.ModelArtifact{"2": {&art}},
		InferenceServices:   []registrymodel.InferenceService{f.ris},
		ServingEnvironments: []registrymodel.ServingEnvironment{f.env},
	}
	in := Inputs{Registries: []RegistrySnapshot{snap}}
	if f.deployed && f.isvc != nil {
		in.Servers = []Server{{InferenceService: f.isvc, ServiceURL: PredictorServiceURL(f.isvc.Name, f.isvc.Namespace, 8080)}}
	}
	return in
}

// changedFixture is a table's inputs: the fixture's after change.
func changedFixture(change func(f *fixture)) func() Inputs {
	return func() Inputs {
		f := newFixture()
		change(f)
		return f.inputs()
	}
}

// addFixtureRegistry appends to in a registry called name holding the
// fixture's models but none of its inference services, so that its
// versions compete with in's for keys and names but deploy nothing.
func addFixtureRegistry(in *Inputs, name string) {
	other := newFixture().inputs().Registries[0]
	other.Name = name
	other.InferenceServices = nil
	in.Registries = append(in.Registries, other)
}

// requireDefaultServer requires doc to have a model server called name,
// described as description, with the default owner and lifecycle; it
// returns the server for the test's other checks.
func requireDefaultServer(t *testing.T, doc modelcatalog.Document, name, description string) *modelcatalog.ModelServer {
	t.Helper()
	s := doc.ModelServer
	require.NotNil(t, s)
	assert.Equal(t, name, s.Name)
	assert.Equal(t, DefaultOwner, s.Owner)
	assert.Equal(t, DefaultLifecycle, s.Lifecycle)
	assert.Equal(t, description, s.Description)
	return s
}

// isvc builds an InferenceService; ready sets the three conditions and a
// status URL.
func isvc(ns, name string, labels, annotations map[string]string, ready bool) *v1beta1.InferenceService {
	i := &v1beta1.InferenceService{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels, Annotations: annotations},
		Spec: v1beta1.InferenceServiceSpec{Predictor: v1beta1.PredictorSpec{Model: &v1beta1.ModelSpec{
			PredictorExtensionSpec: v1beta1.PredictorExtensionSpec{StorageURI: ptr("oci://quay.io/models/" + name + ":1")},
		}}},
	}
	if ready {
		u, _ := apis.ParseURL(fmt.Sprintf("https://%s-%s.apps.example.com", name, ns))
		i.Status.URL = u
		i.Status.Conditions = duckv1.Conditions{
			{Type: "Ready", Status: corev1.ConditionTrue},
			{Type: v1beta1.PredictorReady, Status: corev1.ConditionTrue},
			{Type: v1beta1.IngressReady, Status: corev1.ConditionTrue},
		}
	}
	return i
}

// built is an Output with the document its Body encodes, for tests that
// look into it (an Output keeps only the encoded form).
type built struct {
	Output
	Doc modelcatalog.Document
}

// build runs Build and checks every output's invariants.
func build(t *testing.T, in Inputs, opts Options) ([]built, []Problem) {
	t.Helper()
	outs, probs := Build(in, opts)
	return checkOutputs(t, in, opts, outs), probs
}

// withDocs decodes each output's document. A catalog-info.yaml body is
// not the document, so for that format the document is the one a JSON
// build of the same inputs gives for the same key: both encode one draft.
func withDocs(t testing.TB, in Inputs, opts Options, outs []Output) []built {
	t.Helper()
	yaml := yamlFormat(opts)
	jsonBodies := map[string][]byte{}
	if yaml {
		jsonOpts := opts
		jsonOpts.Format = record.JSONArrayFormat
		again, _ := Build(in, jsonOpts)
		for _, o := range again {
			jsonBodies[o.Key] = o.Body
		}
	}
	res := make([]built, len(outs))
	for i, o := range outs {
		body := o.Body
		if yaml {
			var ok bool
			body, ok = jsonBodies[o.Key]
			require.True(t, ok, "a JSON build has no output %s", o.Key)
		}
		res[i].Output = o
		require.NoError(t, json.Unmarshal(body, &res[i].Doc), "body of %s", o.Key)
	}
	return res
}

// yamlFormat reads opts.Format as Build does (lenient spelling, JSON when
// refused) and reports whether it is catalog-info.yaml.
func yamlFormat(opts Options) bool {
	format, err := record.ParseFormat(string(opts.Format))
	return err == nil && format == record.CatalogInfoYAMLFormat
}

func buildOne(t *testing.T, in Inputs, opts Options) (built, []Problem) {
	t.Helper()
	outs, probs := build(t, in, opts)
	require.Len(t, outs, 1, "problems: %v", probs)
	return outs[0], probs
}

// checkOutputs asserts what every Build result must satisfy: valid keys,
// names, tags and annotation keys; documents that pass the JSON schema;
// unique keys, server names and model names across outputs; JSON bodies
// that are the document as encoded canonically. It returns the outputs
// with their documents.
func checkOutputs(t testing.TB, in Inputs, opts Options, plain []Output) []built {
	t.Helper()
	outs := withDocs(t, in, opts, plain)
	yaml := yamlFormat(opts)
	keys, servers, models := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, o := range outs {
		require.NoError(t, record.ValidateKey(o.Key))
		require.False(t, keys[o.Key], "duplicate key %q", o.Key)
		keys[o.Key] = true
		require.Contains(t, []string{record.TypeKubeflow, record.TypeKServe}, o.Type)
		require.NoError(t, ValidateDocument(o.Doc), "key %s", o.Key)
		checkNames(t, o.Doc)
		if s := o.Doc.ModelServer; s != nil {
			require.False(t, servers[s.Name], "duplicate model server name %q", s.Name)
			servers[s.Name] = true
		}
		for _, m := range o.Doc.Models {
			require.False(t, models[m.Name], "duplicate model name %q", m.Name)
			models[m.Name] = true
		}
		data, err := json.Marshal(o.Doc)
		require.NoError(t, err)
		checkSchema(t, data)
		if yaml {
			entities, err := entity.YAML(o.Doc)
			require.NoError(t, err)
			require.Equal(t, string(entities), string(o.Body), "catalog-info.yaml body of %s is not its document's entities", o.Key)
		} else {
			require.Equal(t, string(data), string(o.Body), "JSON body of %s is not the document as encoded canonically", o.Key)
		}
	}
	return outs
}

func checkNames(t testing.TB, doc modelcatalog.Document) {
	t.Helper()
	checkAnn := func(m map[string]string) {
		for k := range m {
			require.True(t, backstage.ValidAnnotationKey(k), "annotation key %q", k)
		}
	}
	checkTags := func(tags []string) {
		for _, tg := range tags {
			require.True(t, backstage.ValidTag(tg), "tag %q", tg)
		}
	}
	if s := doc.ModelServer; s != nil {
		require.True(t, backstage.ValidEntityName(s.Name), "server name %q", s.Name)
		require.True(t, backstage.ValidEntityRef(s.Owner), "server owner %q", s.Owner)
		checkAnn(s.Annotations)
		checkTags(s.Tags)
		if s.API != nil {
			checkAnn(s.API.Annotations)
			checkTags(s.API.Tags)
		}
	}
	for _, m := range doc.Models {
		require.True(t, backstage.ValidEntityName(m.Name), "model name %q", m.Name)
		require.True(t, backstage.ValidEntityRef(m.Owner), "model owner %q", m.Owner)
		checkAnn(m.Annotations)
		checkTags(m.Tags)
	}
}

func hasProblem(probs []Problem, object, substr string) bool {
	for _, p := range probs {
		if strings.Contains(p.Object, object) && strings.Contains(p.String(), substr) {
			return true
		}
	}
	return false
}

func mustURL(s string) *apis.URL {
	u, err := apis.ParseURL(s)
	if err != nil {
		panic(err)
	}
	return u
}

func metav1Now() metav1.Time { return metav1.Unix(1700000000, 0) }
