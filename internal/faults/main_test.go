//go:build faults

package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kserve/kserve/pkg/apis/serving/v1beta1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testenv"
)

// cluster is the control plane and the binaries every scenario shares;
// each scenario has namespaces of its own.
var cluster struct {
	env        *envtest.Environment
	kubeconfig string
	client     client.Client
	bin        string
}

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	crd, err := testenv.KServeCRD()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	certs := filepath.Join(tmp, "apiserver-certs")
	if err := os.Mkdir(certs, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := testenv.RunMain(m, func(env *envtest.Environment, cfg *rest.Config) error {
		if err := testenv.BuildBinaries(tmp, "storage-rest", "location", "rhoai-normalizer"); err != nil {
			return err
		}
		var err error
		if cluster.kubeconfig, err = testenv.AdminKubeconfig(env, tmp); err != nil {
			return err
		}
		scheme := runtime.NewScheme()
		_ = clientgoscheme.AddToScheme(scheme)
		_ = v1beta1.AddToScheme(scheme)
		cluster.client, err = client.New(cfg, client.Options{Scheme: scheme})
		cluster.env, cluster.bin = env, tmp
		return err
	}, testenv.Options{CRDPaths: []string{crd}, CertDir: certs})
	_ = os.RemoveAll(tmp)
	os.Exit(code)
}
