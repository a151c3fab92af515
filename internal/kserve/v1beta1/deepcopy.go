package v1beta1

import (
	"k8s.io/apimachinery/pkg/runtime"
)

// DeepCopyInto copies in into out; out shares no memory with in.
func (in *InferenceService) DeepCopyInto(out *InferenceService) {
	*out = *in
	in.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	in.Spec.DeepCopyInto(&out.Spec)
	in.Status.DeepCopyInto(&out.Status)
}

// DeepCopy is a copy of in sharing no memory with it.
func (in *InferenceService) DeepCopy() *InferenceService {
	if in == nil {
		return nil
	}
	out := new(InferenceService)
	in.DeepCopyInto(out)
	return out
}

// DeepCopyObject implements runtime.Object.
func (in *InferenceService) DeepCopyObject() runtime.Object {
	if c := in.DeepCopy(); c != nil {
		return c
	}
	return nil
}

// DeepCopyInto copies in into out; out shares no memory with in.
func (in *InferenceServiceList) DeepCopyInto(out *InferenceServiceList) {
	*out = *in
	in.ListMeta.DeepCopyInto(&out.ListMeta)
	if in.Items != nil {
		out.Items = make([]InferenceService, len(in.Items))
		for i := range in.Items {
			in.Items[i].DeepCopyInto(&out.Items[i])
		}
	}
}

// DeepCopy is a copy of in sharing no memory with it.
func (in *InferenceServiceList) DeepCopy() *InferenceServiceList {
	if in == nil {
		return nil
	}
	out := new(InferenceServiceList)
	in.DeepCopyInto(out)
	return out
}

// DeepCopyObject implements runtime.Object.
func (in *InferenceServiceList) DeepCopyObject() runtime.Object {
	if c := in.DeepCopy(); c != nil {
		return c
	}
	return nil
}

// DeepCopyInto copies in into out; out shares no memory with in.
func (in *InferenceServiceSpec) DeepCopyInto(out *InferenceServiceSpec) {
	*out = *in
	in.Predictor.DeepCopyInto(&out.Predictor)
}

// DeepCopyInto copies in into out; out shares no memory with in.
func (in *PredictorSpec) DeepCopyInto(out *PredictorSpec) {
	*out = *in
	if in.Model != nil {
		out.Model = new(ModelSpec)
		in.Model.DeepCopyInto(out.Model)
	}
}

// DeepCopyInto copies in into out; out shares no memory with in.
func (in *ModelSpec) DeepCopyInto(out *ModelSpec) {
	*out = *in
	in.ModelFormat.DeepCopyInto(&out.ModelFormat)
	out.Runtime = copyString(in.Runtime)
	in.PredictorExtensionSpec.DeepCopyInto(&out.PredictorExtensionSpec)
}

// DeepCopyInto copies in into out; out shares no memory with in.
func (in *ModelFormat) DeepCopyInto(out *ModelFormat) {
	*out = *in
	out.Version = copyString(in.Version)
}

// DeepCopyInto copies in into out; out shares no memory with in.
func (in *PredictorExtensionSpec) DeepCopyInto(out *PredictorExtensionSpec) {
	*out = *in
	out.StorageURI = copyString(in.StorageURI)
}

// DeepCopyInto copies in into out; out shares no memory with in.
func (in *InferenceServiceStatus) DeepCopyInto(out *InferenceServiceStatus) {
	*out = *in
	in.Status.DeepCopyInto(&out.Status)
	out.Address = in.Address.DeepCopy() // nil stays nil
	out.URL = in.URL.DeepCopy()
}

func copyString(p *string) *string {
	if p == nil {
		return nil
	}
	s := *p
	return &s
}
