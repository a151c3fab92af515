package mapping

import (
	"regexp"
	"strings"
	"testing"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

// skipped returns the "not published" problems of probs.
func skipped(probs []Problem) []Problem {
	var out []Problem
	for _, p := range probs {
		if p.Rejected {
			out = append(out, p)
		}
	}
	return out
}

// TestSkipReasons builds inputs with one object that is not published and
// checks the problem that says so: its reason, the object it names and what
// its message says.
func TestSkipReasons(t *testing.T) {
	cases := []struct {
		name   string
		in     func() Inputs
		keys   []string // what is still published
		reason Reason
		object string
		says   string
	}{
		{
			name:   "archived registered model",
			in:     changedFixture(func(f *fixture) { f.rm.State = registrymodel.StateArchived }),
			reason: ReasonArchived,
			object: `registry "modelregistry-public" registered model "granite" (id 1)`,
			says:   "registered model is archived in the registry; none of its 1 model version(s) is published",
		},
		{
			name:   "archived version",
			in:     changedFixture(func(f *fixture) { f.v.State = registrymodel.StateArchived }),
			reason: ReasonArchived,
			object: `registry "modelregistry-public" registered model "granite" (id 1) version "v1" (id 2)`,
			says:   "model version is archived in the registry; not published",
		},
		{
			name:   "orphan version",
			in:     changedFixture(func(f *fixture) { f.v.RegisteredModelID = "77" }),
			reason: ReasonOrphanVersion,
			object: `registry "modelregistry-public" model version "v1" (id 2)`,
			says:   `registered model id "77" was not listed by the registry`,
		},
		{
			name: "KServe-only InferenceService not Ready",
			in: func() Inputs {
				i := isvc("ns", "a", nil, nil, true)
				i.Status.Conditions[1].Status = corev1.ConditionFalse // PredictorReady
				i.Status.Conditions[1].Reason = "RevisionFailed"
				i.Status.Conditions[1].Message = "changes every minute"
				return kserveInputs(Server{InferenceService: i})
			},
			reason: ReasonNotReady,
			object: "InferenceService ns/a",
			says:   "status: condition PredictorReady is False (reason RevisionFailed); a KServe-only model server is published once it is Ready",
		},
		{
			name: "KServe-only InferenceService without status.url",
			in: func() Inputs {
				i := isvc("ns", "b", nil, nil, true)
				i.Status.URL = nil
				return kserveInputs(Server{InferenceService: i})
			},
			reason: ReasonNotReady,
			object: "InferenceService ns/b",
			says:   "status: status.url is not set;",
		},
		{
			name: "KServe-only InferenceService never reconciled",
			in: func() Inputs {
				return kserveInputs(Server{InferenceService: isvc("ns", "c", nil, nil, false)})
			},
			reason: ReasonNotReady,
			object: "InferenceService ns/c",
			says:   "condition Ready is missing, condition PredictorReady is missing, condition IngressReady is missing, status.url is not set",
		},
		{
			name: "registry labels no registry inference service matches",
			in: func() Inputs {
				in := newFixture().inputs()
				in.Servers = append(in.Servers, Server{InferenceService: isvc("ns", "x", map[string]string{LabelInferenceServiceID: "99"}, nil, true)})
				return in
			},
			keys:   []string{"granite__v1"},
			reason: ReasonUnlinkedRegistryLabels,
			object: "InferenceService ns/x",
			says:   "carries model registry labels but no inference service of the model registry matches it",
		},
		{
			name:   "registry inference service undeployed",
			in:     changedFixture(func(f *fixture) { f.ris.DesiredState = registrymodel.Undeployed }),
			keys:   []string{"granite__v1"},
			reason: ReasonUndeployed,
			object: "InferenceService team-a/granite-v1",
			says:   `registry "modelregistry-public" inference service "granite-v1" (id 4) has desiredState UNDEPLOYED; not published`,
		},
		{
			name: "registry inference service of a model without versions",
			in: func() Inputs {
				f := newFixture()
				f.ris.ModelVersionID = ""
				in := f.inputs()
				in.Registries[0].ModelVersions = nil
				return in
			},
			reason: ReasonNoModelVersion,
			object: `registry "modelregistry-public" inference service "granite-v1" (id 4)`,
			says:   `modelVersionId: names no model version and registered model id "1" has none`,
		},
		{
			name: "second deployment of one version",
			in: func() Inputs {
				in := newFixture().inputs()
				in.Servers = append(in.Servers, Server{InferenceService: isvc("team-z", "granite-z", map[string]string{LabelInferenceServiceID: "7"}, nil, true)})
				in.Registries[0].InferenceServices = append(in.Registries[0].InferenceServices,
					registrymodel.InferenceService{ID: "7", RegisteredModelID: "1", ModelVersionID: "2", ServingEnvironmentID: "5"})
				return in
			},
			keys:   []string{"granite__v1"},
			reason: ReasonDuplicateDeployment,
			object: `registered model "granite" (id 1) version "v1" (id 2)`,
			says:   "InferenceService team-z/granite-z also deploys this version; only team-a/granite-v1 is published",
		},
		{
			name: "InferenceService name with nothing Backstage accepts",
			in: func() Inputs {
				return kserveInputs(Server{InferenceService: isvc("ns", "日本", nil, nil, true)})
			},
			reason: ReasonInvalidName,
			object: "InferenceService ns/日本",
			says:   "namespace or name has no letter or digit Backstage accepts; not published",
		},
		{
			name: "no model annotation Backstage accepts",
			in: func() Inputs {
				return kserveInputs(Server{InferenceService: isvc("ns", "x", nil, map[string]string{"rhdh.io/model-a": "日本"}, true)})
			},
			reason: ReasonInvalidName,
			object: "InferenceService ns/x",
			says:   "none of its rhdh.io/model-* annotations names a model Backstage accepts",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			outs, probs := build(t, c.in(), Options{})
			var keys []string
			for _, o := range outs {
				keys = append(keys, o.Key)
			}
			assert.Equal(t, c.keys, keys)
			skips := skipped(probs)
			require.Len(t, skips, 1, "one object is not published: %v", probs)
			p := skips[0]
			assert.Equal(t, c.reason, p.Reason)
			assert.Contains(t, p.Object, c.object)
			assert.Contains(t, p.String(), c.says)
			checkReasons(t, probs)
		})
	}
}

// checkReasons asserts that every "not published" problem has a listed
// reason and no "published with adjustments" problem has one.
func checkReasons(t *testing.T, probs []Problem) {
	t.Helper()
	listed := map[Reason]bool{}
	for _, r := range Reasons {
		listed[r.Reason] = true
	}
	for _, p := range probs {
		if p.Rejected {
			assert.True(t, listed[p.Reason], "not published without a listed reason: %+v", p)
		} else {
			assert.Empty(t, p.Reason, "published with adjustments, yet has a reason: %+v", p)
		}
	}
}

func TestAdjustedIsNotSkipped(t *testing.T) {
	i := isvc("ns", "x", nil, map[string]string{"rhdh.io/model-a": "日本", "rhdh.io/model-b": "ok"}, true)
	outs, probs := build(t, kserveInputs(Server{InferenceService: i}), Options{})
	require.Len(t, outs, 1)
	require.NotEmpty(t, probs)
	assert.Empty(t, skipped(probs), "the record is published, with one model dropped: %v", probs)
	checkReasons(t, probs)
}

func TestSkippedNotReadyAndArchivedTogether(t *testing.T) {
	// A registry with an archived model and a live one, and a KServe-only
	// server that is not Ready: two skips, one record.
	f := newFixture()
	in := f.inputs()
	in.Registries[0].RegisteredModels = append(in.Registries[0].RegisteredModels,
		registrymodel.RegisteredModel{ID: "20", Name: "old", State: registrymodel.StateArchived})
	in.Registries[0].ModelVersions = append(in.Registries[0].ModelVersions,
		registrymodel.ModelVersion{ID: "21", Name: "v1", RegisteredModelID: "20"},
		registrymodel.ModelVersion{ID: "22", Name: "v2", RegisteredModelID: "20", State: registrymodel.StateArchived})
	in.Servers = append(in.Servers, Server{InferenceService: isvc("ns", "starting", nil, nil, false)})
	outs, probs := build(t, in, Options{})
	require.Len(t, outs, 1)
	assert.Equal(t, "granite__v1", outs[0].Key)
	skips := skipped(probs)
	require.Len(t, skips, 2, "%v", probs)
	assert.Equal(t, ReasonNotReady, skips[0].Reason)
	assert.Equal(t, ReasonArchived, skips[1].Reason)
	assert.Contains(t, skips[1].Message, "none of its 2 model version(s) is published", "versions of an archived model are reported once, with it")
	checkReasons(t, probs)
}

func TestReasonsList(t *testing.T) {
	kebab := regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)
	seen := map[Reason]bool{}
	for _, r := range Reasons {
		assert.Regexp(t, kebab, string(r.Reason))
		assert.False(t, seen[r.Reason], "listed twice: %s", r.Reason)
		seen[r.Reason] = true
		assert.NotEmpty(t, strings.TrimSpace(r.Meaning), r.Reason)
	}
	assert.True(t, ReasonInvalidName.Invalid())
	assert.True(t, ReasonInvalidDocument.Invalid())
	assert.False(t, ReasonArchived.Invalid())
	assert.False(t, ReasonRegistryUnreachable.Invalid())
}
