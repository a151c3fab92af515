package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

const (
	kserveCRDFile     = "config/crd/full/serving.kserve.io_inferenceservices.yaml"
	isvcLabel         = "serving.kserve.io/inferenceservice"
	labelRegModelID   = "modelregistry.opendatahub.io/registered-model-id"
	labelVersionID    = "modelregistry.opendatahub.io/model-version-id"
	labelInfServiceID = "modelregistry.opendatahub.io/inference-service-id"
)

// cluster is the sandbox's control plane.
type cluster struct {
	env        *envtest.Environment
	client     client.Client
	kubeconfig string
	// pids of kube-apiserver and etcd, for the watchdog.
	pids []int
}

// startCluster starts kube-apiserver and etcd with the InferenceService CRD
// and writes an admin kubeconfig for the binaries.
func startCluster(ctx context.Context, crd, kubeconfigPath string, say func(string, ...any)) (*cluster, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	env, cfg, err := testenv.StartEnv()
	if err != nil {
		// envtest leaves kube-apiserver and etcd running when a step after
		// starting them fails; they are still this process's children.
		for _, pid := range childrenNamed("kube-apiserver", "etcd") {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		return nil, err
	}
	c := &cluster{env: env, pids: childrenNamed("kube-apiserver", "etcd")}
	fail := func(err error) (*cluster, error) {
		_ = env.Stop()
		return nil, err
	}
	say("installing the KServe InferenceService CRD (%s)...", crd)
	// Installed here rather than by StartEnv to wait longer than envtest's
	// 10 s default: on a busy laptop the CRD takes a while to be served.
	if _, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{
		Paths: []string{crd}, ErrorIfPathMissing: true, MaxTime: time.Minute,
	}); err != nil {
		return fail(fmt.Errorf("installing the InferenceService CRD %s: %w", crd, err))
	}
	user, err := env.AddUser(envtest.User{Name: "sandbox", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fail(fmt.Errorf("creating the sandbox admin user in kube-apiserver: %w", err))
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return fail(fmt.Errorf("building the sandbox kubeconfig: %w", err))
	}
	if err := os.MkdirAll(filepath.Dir(kubeconfigPath), 0o755); err != nil {
		return fail(fmt.Errorf("creating the folder of %s: %w", kubeconfigPath, err))
	}
	if err := os.WriteFile(kubeconfigPath, kc, 0o600); err != nil {
		return fail(fmt.Errorf("writing the sandbox kubeconfig: %w", err))
	}
	if c.kubeconfig, err = filepath.Abs(kubeconfigPath); err != nil {
		return fail(fmt.Errorf("resolving %s: %w", kubeconfigPath, err))
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return fail(fmt.Errorf("registering Kubernetes types: %w", err))
	}
	if err := v1beta1.AddToScheme(scheme); err != nil {
		return fail(fmt.Errorf("registering KServe types: %w", err))
	}
	if c.client, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return fail(fmt.Errorf("creating a client for the sandbox kube-apiserver: %w", err))
	}
	c.env = env
	return c, nil
}

func (c *cluster) stop() error {
	if err := c.env.Stop(); err != nil {
		return fmt.Errorf("stopping kube-apiserver and etcd: %w", err)
	}
	return nil
}

// createObjects creates the namespaces, then every InferenceService (the
// registry-backed ones from deployments, then the KServe-only ones), each
// marked Ready and with its predictor Service.
func (c *cluster) createObjects(ctx context.Context, podNamespace string, deployments []deployment, kserveOnly []*v1beta1.InferenceService) error {
	isvcs := make([]*v1beta1.InferenceService, 0, len(deployments)+len(kserveOnly))
	for _, d := range deployments {
		isvcs = append(isvcs, d.inferenceService())
	}
	isvcs = append(isvcs, kserveOnly...)

	namespaces := map[string]bool{podNamespace: true}
	for _, is := range isvcs {
		namespaces[is.Namespace] = true
	}
	names := make([]string, 0, len(namespaces))
	for ns := range namespaces {
		names = append(names, ns)
	}
	sort.Strings(names)
	for _, ns := range names {
		if err := c.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return fmt.Errorf("creating namespace %s: %w", ns, err)
		}
	}
	for _, is := range isvcs {
		if err := c.createReady(ctx, is); err != nil {
			return err
		}
	}
	return nil
}

// createReady creates an InferenceService, sets the status KServe would
// report once it serves (no KServe controller runs here) and creates the
// predictor Service KServe would create.
func (c *cluster) createReady(ctx context.Context, is *v1beta1.InferenceService) error {
	id := is.Namespace + "/" + is.Name
	status := is.Status
	is.Status = v1beta1.InferenceServiceStatus{}
	if err := c.client.Create(ctx, is); err != nil {
		return fmt.Errorf("creating InferenceService %s: %w", id, err)
	}
	is.Status = status
	if is.Status.URL == nil {
		u, err := apis.ParseURL(fmt.Sprintf("http://%s.%s.svc.cluster.local", is.Name, is.Namespace))
		if err != nil {
			return fmt.Errorf("status URL of InferenceService %s: %w", id, err)
		}
		is.Status.URL = u
	}
	now := apis.VolatileTime{Inner: metav1.NewTime(time.Now())}
	is.Status.Conditions = duckv1.Conditions{}
	for _, t := range []apis.ConditionType{apis.ConditionReady, v1beta1.PredictorReady, v1beta1.IngressReady} {
		is.Status.Conditions = append(is.Status.Conditions, apis.Condition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	if err := c.client.Status().Update(ctx, is); err != nil {
		return fmt.Errorf("marking InferenceService %s Ready: %w", id, err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: is.Namespace, Name: is.Name + "-predictor", Labels: map[string]string{isvcLabel: is.Name}},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{isvcLabel: is.Name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
	if err := c.client.Create(ctx, svc); err != nil {
		return fmt.Errorf("creating Service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return nil
}

// inferenceService is the KServe InferenceService of a registry
// deployment, labelled as the OpenShift AI dashboard labels the ones it
// deploys from a registry.
func (d deployment) inferenceService() *v1beta1.InferenceService {
	is := &v1beta1.InferenceService{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: d.Namespace,
			Name:      d.Name,
			Labels: map[string]string{
				labelRegModelID:   d.registeredModelID,
				labelVersionID:    d.modelVersionID,
				labelInfServiceID: d.inferenceServiceID,
			},
		},
		Spec: v1beta1.InferenceServiceSpec{Predictor: v1beta1.PredictorSpec{Model: &v1beta1.ModelSpec{
			ModelFormat: v1beta1.ModelFormat{Name: d.modelFormat},
		}}},
	}
	if d.Runtime != "" {
		is.Spec.Predictor.Model.Runtime = &d.Runtime
	}
	if d.storageURI != "" {
		is.Spec.Predictor.Model.StorageURI = &d.storageURI
	}
	return is
}

// kserveCRDPath finds the InferenceService CRD in the Go module cache, in
// the kserve release the connector's InferenceService type follows. The
// binaries no longer link kserve (see internal/kserve/v1beta1), so the
// release comes from that package, not from this binary's build info.
func kserveCRDPath() (string, error) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return "", fmt.Errorf("running `go env GOMODCACHE` to find the kserve module: %w (pass --kserve-crd instead)", err)
	}
	mod := v1beta1.KServeModule + "@" + v1beta1.KServeVersion
	dir := filepath.Join(strings.TrimSpace(string(out)), escapeModulePath(v1beta1.KServeModule)+"@"+v1beta1.KServeVersion)
	p := filepath.Join(dir, filepath.FromSlash(kserveCRDFile))
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("the InferenceService CRD %s is missing: run `go mod download %s` (or pass --kserve-crd)", p, mod)
	}
	return p, nil
}

// escapeModulePath is the module cache's case encoding: each capital
// letter becomes '!' and its lower case.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
