package controller

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/pipeline"
)

// inferenceServiceWatch waits for the InferenceService CRD, then watches
// InferenceServices (and the Services, Routes and ServiceAccounts that
// belong to them) and triggers a sync on every change. Until the CRD is
// installed, Servers answers pipeline.ErrServersNotReady so that registry
// models are still published and nothing is removed.
type inferenceServiceWatch struct {
	mgr      manager.Manager
	trigger  func()
	log      logr.Logger
	poll     time.Duration
	resolver atomic.Pointer[kserve.Resolver]
	// fresh, when set, says where to read from after an API server outage.
	fresh *freshness
}

var isvcGK = v1beta1.SchemeGroupVersion.WithKind("InferenceService").GroupKind()

// Start implements manager.Runnable.
func (w *inferenceServiceWatch) Start(ctx context.Context) error {
	logged := false
	for {
		_, err := w.mgr.GetRESTMapper().RESTMapping(isvcGK, v1beta1.SchemeGroupVersion.Version)
		if err == nil {
			break
		}
		if !meta.IsNoMatchError(err) {
			w.log.Error(err, "checking for the InferenceService CRD failed; retrying", "every", w.poll.String())
		} else if !logged {
			w.log.Info("waiting for the KServe InferenceService CRD (inferenceservices.serving.kserve.io, v1beta1) to be installed; model registry models are published meanwhile",
				"checkEvery", w.poll.String())
			logged = true
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(w.poll):
		}
	}
	routes := true
	if _, err := w.mgr.GetRESTMapper().RESTMapping(kserve.RouteGVK.GroupKind(), kserve.RouteGVK.Version); err != nil {
		routes = false
		w.log.Info("the OpenShift Route API is not available (plain Kubernetes): model servers are published with their in-cluster Service URL only")
	}
	if err := w.setupController(routes); err != nil {
		return err
	}
	if !w.mgr.GetCache().WaitForCacheSync(ctx) {
		return nil
	}
	w.resolver.Store(&kserve.Resolver{Reader: w.mgr.GetCache(), Routes: routes})
	w.log.Info("watching InferenceServices")
	w.trigger()
	<-ctx.Done()
	return nil
}

func (w *inferenceServiceWatch) setupController(routes bool) error {
	// Every change maps to the same request: the sync reads everything from
	// the cache, so one request per burst is enough.
	all := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: "sync"}}}
	})
	sa := &metav1.PartialObjectMetadata{}
	sa.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ServiceAccount"))
	// Every Service is cached (see Run); only those that may be a
	// predictor Service trigger a sync.
	predictorServices := predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool { return kserve.PredictorCandidate(e.Object) },
		DeleteFunc: func(e event.DeleteEvent) bool { return kserve.PredictorCandidate(e.Object) },
		UpdateFunc: func(e event.UpdateEvent) bool {
			return kserve.PredictorCandidate(e.ObjectOld) || kserve.PredictorCandidate(e.ObjectNew)
		},
		GenericFunc: func(e event.GenericEvent) bool { return kserve.PredictorCandidate(e.Object) },
	}
	b := ctrl.NewControllerManagedBy(w.mgr).
		Named("inferenceservices").
		Watches(&v1beta1.InferenceService{}, all).
		Watches(&corev1.Service{}, all, builder.WithPredicates(predictorServices)).
		Watches(sa, all)
	if routes {
		rt := &unstructured.Unstructured{}
		rt.SetGroupVersionKind(kserve.RouteGVK)
		b = b.Watches(rt, all)
	}
	err := b.Complete(reconcile.Func(func(context.Context, reconcile.Request) (reconcile.Result, error) {
		w.trigger()
		return reconcile.Result{}, nil
	}))
	if err != nil {
		return fmt.Errorf("setting up the InferenceService watch: %w", err)
	}
	return nil
}

// Servers implements pipeline.ServerLister.
func (w *inferenceServiceWatch) Servers(ctx context.Context) ([]mapping.Server, error) {
	r := w.resolver.Load()
	if r == nil {
		return nil, pipeline.ErrServersNotReady
	}
	if w.fresh != nil {
		rr := *r
		rr.Reader = w.fresh.Reader()
		r = &rr
	}
	return r.Servers(ctx)
}
