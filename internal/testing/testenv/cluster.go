package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
)

// Cluster is what a package of integration tests shares: a control plane
// with the KServe CRD, a client that knows the KServe types, an admin
// kubeconfig for the binaries, and the binaries built from this tree.
type Cluster struct {
	Env        *envtest.Environment
	Config     *rest.Config
	Client     client.Client
	Kubeconfig string
	// Bin holds the binaries named to RunWithCluster.
	Bin string
}

// ClusterOptions configures RunWithCluster.
type ClusterOptions struct {
	// Binaries to build into Cluster.Bin (e.g. "storage-rest").
	Binaries []string
	// Restartable keeps the API server's certificates so that a test can
	// KillAPIServer and StartAPIServer.
	Restartable bool
	// EtcdQuotaBytes: see Options.
	EtcdQuotaBytes int64
}

// RunWithCluster is a package's TestMain body: it fills c, runs the tests
// and cleans up; it returns the exit code.
func RunWithCluster(m *testing.M, c *Cluster, o ClusterOptions) int {
	tmp, err := os.MkdirTemp("", "connector-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	crd, err := KServeCRD()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	opts := Options{CRDPaths: []string{crd}, EtcdQuotaBytes: o.EtcdQuotaBytes}
	if o.Restartable {
		opts.CertDir = filepath.Join(tmp, "apiserver-certs")
		if err := os.Mkdir(opts.CertDir, 0o700); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return RunMain(m, func(env *envtest.Environment, cfg *rest.Config) error {
		if len(o.Binaries) > 0 {
			if err := BuildBinaries(tmp, o.Binaries...); err != nil {
				return err
			}
		}
		kc, err := AdminKubeconfig(env, tmp)
		if err != nil {
			return err
		}
		scheme := runtime.NewScheme()
		if err := clientgoscheme.AddToScheme(scheme); err != nil {
			return err
		}
		if err := v1beta1.AddToScheme(scheme); err != nil {
			return err
		}
		// Tests create thousands of objects: client-go's default 5
		// requests/s would measure its own rate limiter.
		fast := rest.CopyConfig(cfg)
		fast.QPS, fast.Burst = 1000, 2000
		cl, err := client.New(fast, client.Options{Scheme: scheme})
		if err != nil {
			return fmt.Errorf("building the test client: %w", err)
		}
		*c = Cluster{Env: env, Config: cfg, Client: cl, Kubeconfig: kc, Bin: tmp}
		return nil
	}, opts)
}
