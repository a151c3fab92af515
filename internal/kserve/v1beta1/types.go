package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

// Condition types KServe sets on an InferenceService besides Ready.
const (
	PredictorReady apis.ConditionType = "PredictorReady"
	IngressReady   apis.ConditionType = "IngressReady"
)

// InferenceService is a KServe model server.
type InferenceService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   InferenceServiceSpec   `json:"spec,omitempty"`
	Status InferenceServiceStatus `json:"status,omitempty"`
}

// InferenceServiceList is a list of InferenceServices.
type InferenceServiceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []InferenceService `json:"items"`
}

// InferenceServiceSpec lacks upstream's explainer and transformer.
type InferenceServiceSpec struct {
	Predictor PredictorSpec `json:"predictor"`
}

// PredictorSpec lacks upstream's framework-specific predictors (sklearn,
// onnx, ...), its pod spec and its component extension (replicas,
// scaling, ...).
type PredictorSpec struct {
	Model *ModelSpec `json:"model,omitempty"`
}

// ModelSpec is the model a predictor serves.
type ModelSpec struct {
	ModelFormat ModelFormat `json:"modelFormat"`
	// Runtime is the ServingRuntime or ClusterServingRuntime asked for.
	Runtime *string `json:"runtime,omitempty"`

	PredictorExtensionSpec `json:",inline"`
}

// ModelFormat is the format of a served model.
type ModelFormat struct {
	Name    string  `json:"name"`
	Version *string `json:"version,omitempty"`
}

// PredictorExtensionSpec lacks upstream's runtimeVersion, protocolVersion,
// storage and inline container.
type PredictorExtensionSpec struct {
	StorageURI *string `json:"storageUri,omitempty"`
}

// InferenceServiceStatus lacks upstream's components and modelStatus.
type InferenceServiceStatus struct {
	// Status holds the conditions (Ready, PredictorReady, IngressReady,
	// ...), observedGeneration and annotations.
	duckv1.Status `json:",inline"`
	Address       *duckv1.Addressable `json:"address,omitempty"`
	URL           *apis.URL           `json:"url,omitempty"`
	// DeploymentMode is what KServe did: Serverless, RawDeployment, ...
	DeploymentMode            string `json:"deploymentMode,omitempty"`
	ServingRuntimeName        string `json:"servingRuntimeName,omitempty"`
	ClusterServingRuntimeName string `json:"clusterServingRuntimeName,omitempty"`
}
