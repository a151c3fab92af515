package v1beta1_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
)

// full is local with the metadata's pointers, slices and maps set too.
func full(t *testing.T) *v1beta1.InferenceService {
	i := local(t)
	i.OwnerReferences = []metav1.OwnerReference{{Name: "o", Controller: ptr.To(true)}}
	i.Finalizers = []string{"f"}
	i.DeletionTimestamp = ptr.To(metav1.NewTime(time.Unix(1, 0)))
	return i
}

func TestDeepCopySharesNothing(t *testing.T) {
	orig := full(t)
	cp := orig.DeepCopy()
	require.Equal(t, orig, cp)
	noSharedMemory(t, "InferenceService", reflect.ValueOf(orig).Elem(), reflect.ValueOf(cp).Elem())

	obj := orig.DeepCopyObject()
	require.IsType(t, &v1beta1.InferenceService{}, obj)
	noSharedMemory(t, "DeepCopyObject", reflect.ValueOf(orig).Elem(), reflect.ValueOf(obj).Elem())

	list := &v1beta1.InferenceServiceList{ListMeta: metav1.ListMeta{ResourceVersion: "1", RemainingItemCount: ptr.To(int64(2))},
		Items: []v1beta1.InferenceService{*full(t), *full(t)}}
	lcp := list.DeepCopyObject().(*v1beta1.InferenceServiceList)
	require.Equal(t, list, lcp)
	noSharedMemory(t, "InferenceServiceList", reflect.ValueOf(list).Elem(), reflect.ValueOf(lcp).Elem())

	assert.Nil(t, (*v1beta1.InferenceService)(nil).DeepCopy())
	assert.Nil(t, (*v1beta1.InferenceServiceList)(nil).DeepCopy())
	var empty v1beta1.InferenceService
	assert.Equal(t, &empty, empty.DeepCopy())
}

func TestMutatingTheCopyLeavesTheOriginal(t *testing.T) {
	orig := full(t)
	cp := orig.DeepCopy()
	m := cp.Spec.Predictor.Model
	*m.ModelFormat.Version = "2"
	*m.Runtime = "other"
	*m.StorageURI = "s3://other"
	m.ModelFormat.Name = "other"
	cp.Labels["x"] = "y"
	cp.Annotations["x"] = "y"
	cp.Status.Annotations["x"] = "y"
	cp.Status.Conditions[0].Status = corev1.ConditionFalse
	cp.Status.Conditions = append(cp.Status.Conditions[:1], apis.Condition{Type: "Other"})
	cp.Status.URL.Host = "other"
	cp.Status.Address.URL.Host = "other"
	*cp.Status.Address.Name = "other"
	cp.OwnerReferences[0].Name = "other"
	*cp.OwnerReferences[0].Controller = false
	cp.Finalizers[0] = "other"
	assert.Equal(t, full(t), orig)
}

// noSharedMemory fails for every pointer, slice or map reachable from a
// that b reaches at the same address. Strings are immutable, and a
// time.Time's *Location is shared by design.
func noSharedMemory(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() {
			return
		}
		assert.NotEqual(t, a.Pointer(), b.Pointer(), "%s shares its pointee", path)
		noSharedMemory(t, path, a.Elem(), b.Elem())
	case reflect.Interface:
		if !a.IsNil() {
			noSharedMemory(t, path, a.Elem(), b.Elem())
		}
	case reflect.Slice:
		if a.Cap() > 0 {
			assert.NotEqual(t, a.Pointer(), b.Pointer(), "%s shares its backing array", path)
		}
		for i := range a.Len() {
			noSharedMemory(t, path+"[]", a.Index(i), b.Index(i))
		}
	case reflect.Map:
		if a.IsNil() {
			return
		}
		assert.NotEqual(t, a.Pointer(), b.Pointer(), "%s is the same map", path)
		for _, k := range a.MapKeys() {
			noSharedMemory(t, path+"[k]", a.MapIndex(k), b.MapIndex(k))
		}
	case reflect.Struct:
		if a.Type() == reflect.TypeOf(time.Time{}) {
			return
		}
		for i := range a.NumField() {
			noSharedMemory(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
		}
	}
}
