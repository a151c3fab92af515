package testenv

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
)

// CreateInferenceService creates an InferenceService and its predictor
// Service, as KServe would (envtest runs no KServe controller); MarkReady
// sets the status KServe reports once the model is served. The Service is
// headless, as KServe's raw-deployment predictor Services are: envtest's
// Service IP range holds only about 250.
func CreateInferenceService(ctx context.Context, c client.Client, ns, name string, labels, annotations map[string]string) (*v1beta1.InferenceService, error) {
	isvc := &v1beta1.InferenceService{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels, Annotations: annotations},
		Spec: v1beta1.InferenceServiceSpec{Predictor: v1beta1.PredictorSpec{
			Model: &v1beta1.ModelSpec{ModelFormat: v1beta1.ModelFormat{Name: "onnx"}},
		}},
	}
	if err := c.Create(ctx, isvc); err != nil {
		return nil, fmt.Errorf("creating InferenceService %s/%s: %w", ns, name, err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-predictor", Labels: map[string]string{"serving.kserve.io/inferenceservice": name}},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone,
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt(8080)}}},
	}
	if err := c.Create(ctx, svc); err != nil {
		return nil, fmt.Errorf("creating Service %s/%s: %w", ns, svc.Name, err)
	}
	return isvc, nil
}

// MarkReady sets the status KServe reports once the model is served: a URL
// and the Ready, PredictorReady and IngressReady conditions.
func MarkReady(ctx context.Context, c client.Client, isvc *v1beta1.InferenceService) error {
	u, err := apis.ParseURL("https://" + isvc.Name + "-" + isvc.Namespace + ".apps.example.com")
	if err != nil {
		return err
	}
	isvc.Status.URL = u
	isvc.Status.Conditions = duckv1.Conditions{}
	for _, t := range []apis.ConditionType{apis.ConditionReady, v1beta1.PredictorReady, v1beta1.IngressReady} {
		isvc.Status.Conditions = append(isvc.Status.Conditions, apis.Condition{Type: t, Status: corev1.ConditionTrue,
			LastTransitionTime: apis.VolatileTime{Inner: metav1.Now()}})
	}
	if err := c.Status().Update(ctx, isvc); err != nil {
		return fmt.Errorf("marking InferenceService %s/%s Ready: %w", isvc.Namespace, isvc.Name, err)
	}
	return nil
}
