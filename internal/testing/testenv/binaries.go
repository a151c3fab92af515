package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// RepoRoot is the folder holding go.mod, found from the working directory
// (a test runs in its package's folder).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above %s", dir)
		}
		dir = parent
	}
}

// KServeCRD is the InferenceService CRD shipped in the kserve module the
// project builds with.
func KServeCRD() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/kserve/kserve")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("locating the kserve module (run `go mod download`): %w", err)
	}
	p := filepath.Join(strings.TrimSpace(string(out)), "config", "crd", "full", "serving.kserve.io_inferenceservices.yaml")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("KServe InferenceService CRD not found in the module cache: %w", err)
	}
	return p, nil
}

// BuildBinaries builds the commands (e.g. "storage-rest", "location") into
// dir, so integration tests run the real binaries.
func BuildBinaries(dir string, commands ...string) error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, c := range commands {
		args = append(args, "./cmd/"+c)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("building %v: %w\n%s", commands, err, out)
	}
	return nil
}

// StartAdminAPIServer starts a kube-apiserver (envtest) for the test,
// stopped when it ends, and returns a cluster-admin kubeconfig file for the
// binary under test and the rest.Config for the test's own clients.
func StartAdminAPIServer(t testing.TB) (kubeconfig string, cfg *rest.Config) {
	t.Helper()
	env, cfg := startForTest(t)
	kubeconfig, err := AdminKubeconfig(env, t.TempDir())
	if err != nil {
		t.Fatalf("%v", err)
	}
	return kubeconfig, cfg
}

// AdminKubeconfig writes a kubeconfig with cluster-admin rights on env to
// dir/kubeconfig, for binaries started by a test.
func AdminKubeconfig(env *envtest.Environment, dir string) (string, error) {
	user, err := env.AddUser(envtest.User{Name: "connector-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", fmt.Errorf("adding envtest user: %w", err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return "", fmt.Errorf("building kubeconfig: %w", err)
	}
	p := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(p, kc, 0o600); err != nil {
		return "", err
	}
	return p, nil
}
