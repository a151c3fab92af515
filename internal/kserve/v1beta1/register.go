package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// KServeModule and KServeVersion are the KServe release whose
// InferenceService these types follow. The sandbox and the tests load
// that release's CRD from the Go module cache; compat_test.go fails when
// go.mod moves to another release, so that the types are checked again.
const (
	KServeModule  = "github.com/kserve/kserve"
	KServeVersion = "v0.17.0"
)

var (
	// SchemeGroupVersion is the API group and version of InferenceService.
	SchemeGroupVersion = schema.GroupVersion{Group: "serving.kserve.io", Version: "v1beta1"}

	// SchemeBuilder registers InferenceService and InferenceServiceList.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types of this package to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(SchemeGroupVersion, &InferenceService{}, &InferenceServiceList{})
	metav1.AddToGroupVersion(s, SchemeGroupVersion)
	return nil
}
