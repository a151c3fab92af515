package v1beta1_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	upstream "github.com/kserve/kserve/pkg/apis/serving/v1beta1"
	"github.com/kserve/kserve/pkg/constants"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
)

// The local types stand in for upstream's only if they are the same API:
// KServeVersion names the release they were checked against, and the
// sandbox loads that release's CRD.
func TestKServeVersionIsTheOneInGoMod(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", v1beta1.KServeModule).Output()
	require.NoError(t, err, "go list -m %s", v1beta1.KServeModule)
	assert.Equal(t, v1beta1.KServeVersion, strings.TrimSpace(string(out)),
		"go.mod moved kserve: check internal/kserve/v1beta1 against the new release's InferenceService, then update KServeVersion")
}

// Every field of the local types has the JSON name, omitempty and Go type
// of the field of the same name upstream.
func TestFieldsMatchUpstream(t *testing.T) {
	for _, c := range []struct{ local, up any }{
		{v1beta1.InferenceService{}, upstream.InferenceService{}},
		{v1beta1.InferenceServiceList{}, upstream.InferenceServiceList{}},
	} {
		matchFields(t, reflect.TypeOf(c.local), reflect.TypeOf(c.up), reflect.TypeOf(c.local).Name())
	}
	assert.Equal(t, upstream.SchemeGroupVersion, v1beta1.SchemeGroupVersion)
	assert.Equal(t, upstream.PredictorReady, v1beta1.PredictorReady)
	assert.Equal(t, upstream.IngressReady, v1beta1.IngressReady)
}

func matchFields(t *testing.T, local, up reflect.Type, path string) {
	t.Helper()
	localPkg := reflect.TypeOf(v1beta1.InferenceService{}).PkgPath()
	for local.Kind() == reflect.Pointer || local.Kind() == reflect.Slice {
		if !assert.Equal(t, local.Kind(), up.Kind(), path) {
			return
		}
		local, up = local.Elem(), up.Elem()
	}
	if local.PkgPath() != localPkg {
		assert.Equal(t, up, local, "%s: type", path)
		return
	}
	require.Equal(t, reflect.Struct, local.Kind(), path)
	for i := range local.NumField() {
		f := local.Field(i)
		p := path + "." + f.Name
		uf, ok := up.FieldByName(f.Name)
		if !assert.True(t, ok, "%s: not upstream", p) {
			continue
		}
		assert.Equal(t, uf.Tag.Get("json"), f.Tag.Get("json"), "%s: json tag", p)
		assert.Equal(t, uf.Anonymous, f.Anonymous, "%s: inline", p)
		matchFields(t, f.Type, uf.Type, p)
	}
}

// read is what the connector reads of an InferenceService (internal/kserve,
// internal/mapping), whichever type carries it.
type read struct {
	Name, Namespace, UID       string
	Labels, Annotations        map[string]string
	Format, FormatVersion      string
	Runtime, StorageURI        string
	URL, AddressURL, AddrName  string
	Conditions                 []string
	ObservedGeneration         int64
	StatusAnnotations          map[string]string
	DeploymentMode             string
	ServingRuntime, ClusterSRT string
}

func condStrings(cs duckv1.Conditions) []string {
	var out []string
	for _, c := range cs {
		out = append(out, string(c.Type)+"="+string(c.Status)+" "+string(c.Severity)+" "+c.Reason+": "+c.Message+" @"+c.LastTransitionTime.Inner.UTC().Format(time.RFC3339))
	}
	return out
}

func fromUpstream(i *upstream.InferenceService) read {
	r := read{Name: i.Name, Namespace: i.Namespace, UID: string(i.UID), Labels: i.Labels, Annotations: i.Annotations,
		Conditions: condStrings(i.Status.Conditions), ObservedGeneration: i.Status.ObservedGeneration, StatusAnnotations: i.Status.Annotations,
		DeploymentMode: i.Status.DeploymentMode, ServingRuntime: i.Status.ServingRuntimeName, ClusterSRT: i.Status.ClusterServingRuntimeName}
	if m := i.Spec.Predictor.Model; m != nil {
		r.Format, r.FormatVersion = m.ModelFormat.Name, ptr.Deref(m.ModelFormat.Version, "")
		r.Runtime, r.StorageURI = ptr.Deref(m.Runtime, ""), ptr.Deref(m.StorageURI, "")
	}
	if i.Status.URL != nil {
		r.URL = i.Status.URL.String()
	}
	if a := i.Status.Address; a != nil {
		r.AddressURL, r.AddrName = a.URL.String(), ptr.Deref(a.Name, "")
	}
	return r
}

func fromLocal(i *v1beta1.InferenceService) read {
	r := read{Name: i.Name, Namespace: i.Namespace, UID: string(i.UID), Labels: i.Labels, Annotations: i.Annotations,
		Conditions: condStrings(i.Status.Conditions), ObservedGeneration: i.Status.ObservedGeneration, StatusAnnotations: i.Status.Annotations,
		DeploymentMode: i.Status.DeploymentMode, ServingRuntime: i.Status.ServingRuntimeName, ClusterSRT: i.Status.ClusterServingRuntimeName}
	if m := i.Spec.Predictor.Model; m != nil {
		r.Format, r.FormatVersion = m.ModelFormat.Name, ptr.Deref(m.ModelFormat.Version, "")
		r.Runtime, r.StorageURI = ptr.Deref(m.Runtime, ""), ptr.Deref(m.StorageURI, "")
	}
	if i.Status.URL != nil {
		r.URL = i.Status.URL.String()
	}
	if a := i.Status.Address; a != nil {
		r.AddressURL, r.AddrName = a.URL.String(), ptr.Deref(a.Name, "")
	}
	return r
}

var when = apis.VolatileTime{Inner: metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}

func mustURL(t *testing.T, s string) *apis.URL {
	u, err := apis.ParseURL(s)
	require.NoError(t, err)
	return u
}

// serverless is an InferenceService as KServe reports one it serves through
// Knative, with many fields the connector does not read.
func serverless(t *testing.T) *upstream.InferenceService {
	proto := constants.ProtocolV2
	return &upstream.InferenceService{
		TypeMeta: metav1.TypeMeta{APIVersion: "serving.kserve.io/v1beta1", Kind: "InferenceService"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "fraud", UID: "uid-1", Generation: 3,
			Labels:      map[string]string{"modelregistry.opendatahub.io/registered-model-id": "7"},
			Annotations: map[string]string{"serving.kserve.io/deploymentMode": "Serverless", "rhdh.io/owner": "team-a"}},
		Spec: upstream.InferenceServiceSpec{
			Predictor: upstream.PredictorSpec{
				Model: &upstream.ModelSpec{
					ModelFormat: upstream.ModelFormat{Name: "onnx", Version: ptr.To("1")},
					Runtime:     ptr.To("ovms"),
					PredictorExtensionSpec: upstream.PredictorExtensionSpec{
						StorageURI: ptr.To("s3://models/fraud/1"), RuntimeVersion: ptr.To("2024.1"), ProtocolVersion: &proto,
						Container: corev1.Container{Name: "kserve-container", Args: []string{"--port=8080"},
							Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}}},
					},
				},
				ComponentExtensionSpec: upstream.ComponentExtensionSpec{MinReplicas: ptr.To(int32(1)), MaxReplicas: 3},
				PodSpec:                upstream.PodSpec{ServiceAccountName: "sa"},
			},
			Transformer: &upstream.TransformerSpec{PodSpec: upstream.PodSpec{Containers: []corev1.Container{{Name: "t", Image: "img"}}}},
		},
		Status: upstream.InferenceServiceStatus{
			Status: duckv1.Status{ObservedGeneration: 3, Annotations: map[string]string{"note": "x"}, Conditions: duckv1.Conditions{
				{Type: apis.ConditionReady, Status: corev1.ConditionTrue, LastTransitionTime: when},
				{Type: upstream.PredictorReady, Status: corev1.ConditionTrue, LastTransitionTime: when},
				{Type: upstream.IngressReady, Status: corev1.ConditionFalse, Severity: apis.ConditionSeverityInfo, Reason: "Pending", Message: "waiting", LastTransitionTime: when},
			}},
			URL:                       mustURL(t, "https://fraud-team-a.apps.example.com"),
			Address:                   &duckv1.Addressable{Name: ptr.To("http"), URL: mustURL(t, "http://fraud.team-a.svc.cluster.local")},
			Components:                map[upstream.ComponentType]upstream.ComponentStatusSpec{upstream.PredictorComponent: {LatestReadyRevision: "fraud-predictor-00001"}},
			ModelStatus:               upstream.ModelStatus{TransitionStatus: upstream.UpToDate, ModelRevisionStates: &upstream.ModelRevisionStates{ActiveModelState: upstream.Loaded}},
			DeploymentMode:            "Serverless",
			ServingRuntimeName:        "ovms",
			ClusterServingRuntimeName: "kserve-ovms",
		},
	}
}

// raw is a RawDeployment InferenceService that is not Ready, with the
// runtime chosen by KServe and no model format version.
func raw(t *testing.T) *upstream.InferenceService {
	return &upstream.InferenceService{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "chat", UID: "uid-2",
			Annotations: map[string]string{"serving.kserve.io/deploymentMode": "RawDeployment"}},
		Spec: upstream.InferenceServiceSpec{Predictor: upstream.PredictorSpec{Model: &upstream.ModelSpec{
			ModelFormat:            upstream.ModelFormat{Name: "vLLM"},
			PredictorExtensionSpec: upstream.PredictorExtensionSpec{StorageURI: ptr.To("hf://org/chat")},
		}}},
		Status: upstream.InferenceServiceStatus{
			Status: duckv1.Status{Conditions: duckv1.Conditions{
				{Type: upstream.PredictorReady, Status: corev1.ConditionFalse, Reason: "MinimumReplicasUnavailable", LastTransitionTime: when},
			}},
			URL:                       mustURL(t, "http://chat-predictor.team-b.svc.cluster.local"),
			DeploymentMode:            "RawDeployment",
			ClusterServingRuntimeName: "vllm-runtime",
		},
	}
}

func TestDecodesWhatKServeWrites(t *testing.T) {
	for name, up := range map[string]*upstream.InferenceService{"serverless": serverless(t), "raw": raw(t)} {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(up)
			require.NoError(t, err)
			var local v1beta1.InferenceService
			require.NoError(t, json.Unmarshal(b, &local))
			assert.Equal(t, fromUpstream(up), fromLocal(&local))

			var list v1beta1.InferenceServiceList
			lb, err := json.Marshal(upstream.InferenceServiceList{Items: []upstream.InferenceService{*up}})
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(lb, &list))
			require.Len(t, list.Items, 1)
			assert.Equal(t, fromUpstream(up), fromLocal(&list.Items[0]))
		})
	}
	// The Serverless fixture sets every field read looks at, so the
	// comparison above covers them all.
	r := reflect.ValueOf(fromUpstream(serverless(t)))
	for i := range r.NumField() {
		assert.False(t, r.Field(i).IsZero(), "the serverless fixture leaves %s unset", r.Type().Field(i).Name)
	}
}

// local is an InferenceService as the sandbox writes one, with every
// field of the local types set.
func local(t *testing.T) *v1beta1.InferenceService {
	return &v1beta1.InferenceService{
		TypeMeta: metav1.TypeMeta{APIVersion: "serving.kserve.io/v1beta1", Kind: "InferenceService"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "fraud", UID: "uid-1",
			Labels:      map[string]string{"modelregistry.opendatahub.io/inference-service-id": "9"},
			Annotations: map[string]string{"rhdh.io/owner": "team-a"}},
		Spec: v1beta1.InferenceServiceSpec{Predictor: v1beta1.PredictorSpec{Model: &v1beta1.ModelSpec{
			ModelFormat:            v1beta1.ModelFormat{Name: "onnx", Version: ptr.To("1")},
			Runtime:                ptr.To("ovms"),
			PredictorExtensionSpec: v1beta1.PredictorExtensionSpec{StorageURI: ptr.To("oci://quay.io/m:1")},
		}}},
		Status: v1beta1.InferenceServiceStatus{
			Status: duckv1.Status{ObservedGeneration: 1, Annotations: map[string]string{"a": "b"}, Conditions: duckv1.Conditions{
				{Type: apis.ConditionReady, Status: corev1.ConditionTrue, LastTransitionTime: when},
				{Type: v1beta1.PredictorReady, Status: corev1.ConditionTrue, LastTransitionTime: when},
				{Type: v1beta1.IngressReady, Status: corev1.ConditionFalse, Severity: apis.ConditionSeverityWarning, Reason: "R", Message: "M", LastTransitionTime: when},
			}},
			Address:                   &duckv1.Addressable{Name: ptr.To("http"), URL: mustURL(t, "http://fraud.team-a.svc")},
			URL:                       mustURL(t, "http://fraud.team-a.svc.cluster.local"),
			DeploymentMode:            "RawDeployment",
			ServingRuntimeName:        "ovms",
			ClusterServingRuntimeName: "c-ovms",
		},
	}
}

func TestUpstreamDecodesWhatTheSandboxWrites(t *testing.T) {
	in := local(t)
	b, err := json.Marshal(in)
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields() // every field written is upstream's
	var up upstream.InferenceService
	require.NoError(t, dec.Decode(&up))
	assert.Equal(t, fromLocal(in), fromUpstream(&up))

	// What the sandbox writes for a minimal registry deployment.
	minimal := &v1beta1.InferenceService{
		ObjectMeta: metav1.ObjectMeta{Namespace: "n", Name: "m"},
		Spec:       v1beta1.InferenceServiceSpec{Predictor: v1beta1.PredictorSpec{Model: &v1beta1.ModelSpec{ModelFormat: v1beta1.ModelFormat{Name: "onnx"}}}},
	}
	b, err = json.Marshal(minimal)
	require.NoError(t, err)
	assert.JSONEq(t, `{"metadata":{"name":"m","namespace":"n"},"spec":{"predictor":{"model":{"modelFormat":{"name":"onnx"}}}},"status":{}}`, string(b))
	up = upstream.InferenceService{}
	require.NoError(t, json.Unmarshal(b, &up))
	assert.Equal(t, fromLocal(minimal), fromUpstream(&up))
}
