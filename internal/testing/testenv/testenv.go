// Package testenv starts a real Kubernetes control plane (kube-apiserver and
// etcd through controller-runtime's envtest) for integration tests.
//
// The binaries are built from source by `make envtest` into a cache folder
// outside the repository; KUBEBUILDER_ASSETS overrides where they are looked
// for. A test that needs them and cannot find them fails with the command to
// run, rather than skipping: CI always builds them first.
package testenv

import (
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// Version is the Kubernetes version of the control plane binaries; it
// matches the minor of k8s.io/client-go in go.mod.
const Version = "1.34.4"

// AssetsDir is where the control plane binaries are: KUBEBUILDER_ASSETS when
// set, else the cache folder that `make envtest` fills.
func AssetsDir() string {
	if d := os.Getenv("KUBEBUILDER_ASSETS"); d != "" {
		return d
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "rhoai-connector", "envtest-"+Version)
}

// Options configures Start.
type Options struct {
	// CRDPaths are files or folders of CustomResourceDefinitions to install.
	CRDPaths []string
	// CertDir, when set, keeps the API server's certificates there rather
	// than in a folder envtest deletes on stop, so that a test can stop the
	// kube-apiserver and start it again (RestartableAPIServer) with the same
	// address and CA, as a real cluster's API server comes back.
	CertDir string
	// EtcdQuotaBytes, when set, is etcd's backend quota (etcd's default,
	// which envtest keeps, is 2 GiB; OpenShift runs etcd with 8 GiB).
	EtcdQuotaBytes int64
}

// Start starts a control plane for the test and stops it when the test ends.
func Start(t testing.TB, opts ...Options) *rest.Config {
	t.Helper()
	_, cfg := startForTest(t, opts...)
	return cfg
}

// startForTest starts a control plane that is stopped when the test ends.
func startForTest(t testing.TB, opts ...Options) (*envtest.Environment, *rest.Config) {
	t.Helper()
	env, cfg, err := StartEnv(opts...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Logf("stopping envtest: %v", err)
		}
	})
	return env, cfg
}

// StartEnv starts a control plane; the caller stops it. It is for tests that
// restart the API server or share one across a package (TestMain).
func StartEnv(opts ...Options) (*envtest.Environment, *rest.Config, error) {
	dir := AssetsDir()
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			return nil, nil, fmt.Errorf("envtest binary %s not found in %s: run `make envtest` (or set KUBEBUILDER_ASSETS)", bin, dir)
		}
	}
	// envtest logs through controller-runtime's global logger; without one
	// it prints a stack trace saying so.
	ctrllog.SetLogger(logr.Discard())
	env := &envtest.Environment{
		BinaryAssetsDirectory: dir,
		ErrorIfCRDPathMissing: true,
		// The default 10s to see a CRD served is short on a loaded 2-core
		// machine.
		CRDInstallOptions: envtest.CRDInstallOptions{MaxTime: time.Minute},
		// envtest's 20s default to start the control plane is not enough
		// when the machine is busy with parallel test packages.
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}
	for _, o := range opts {
		env.CRDDirectoryPaths = append(env.CRDDirectoryPaths, o.CRDPaths...)
		if o.CertDir != "" {
			env.ControlPlane.APIServer = &envtest.APIServer{CertDir: o.CertDir}
		}
		if o.EtcdQuotaBytes > 0 {
			env.ControlPlane.Etcd = &envtest.Etcd{}
			env.ControlPlane.Etcd.Configure().Set("quota-backend-bytes", strconv.FormatInt(o.EtcdQuotaBytes, 10))
		}
	}
	cfg, err := env.Start()
	if err != nil {
		// Start may fail after launching etcd and kube-apiserver (a CRD that
		// does not come up): stop them, or they outlive the test.
		_ = env.Stop()
		return nil, nil, fmt.Errorf("starting envtest control plane from %s: %w", dir, err)
	}
	return env, cfg, nil
}

// RunMain is a package's TestMain body: it starts one control plane for
// all the package's tests, calls setup (nil for none), runs the tests and
// stops the control plane. It returns the exit code.
//
// Under `go test -fuzz` it starts nothing: the fuzz targets use in-memory
// fakes, and every fuzz worker process runs TestMain again.
func RunMain(m *testing.M, setup func(env *envtest.Environment, cfg *rest.Config) error, opts ...Options) int {
	flag.Parse()
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		return m.Run()
	}
	env, cfg, err := StartEnv(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping envtest:", err)
		}
	}()
	if setup != nil {
		if err := setup(env, cfg); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return m.Run()
}

// KillAPIServer kills env's kube-apiserver with SIGKILL (etcd keeps
// running) and waits until its port is closed; StartAPIServer brings it
// back on the same address with the same certificates, which needs the
// control plane started with Options.CertDir. envtest's own Stop waits for
// a graceful shutdown that can outlast a minute while clients hold watches.
func KillAPIServer(env *envtest.Environment) error {
	api := env.ControlPlane.APIServer
	port := api.Port
	pid, err := findProcess(api.Path, "--secure-port="+port)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("killing kube-apiserver (pid %d): %w", pid, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(api.Address, port), time.Second)
		if err != nil {
			return nil
		}
		_ = c.Close()
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("kube-apiserver (pid %d) still listens on %s after SIGKILL", pid, port)
}

// StartAPIServer starts env's kube-apiserver again after KillAPIServer and
// waits until it is healthy.
func StartAPIServer(env *envtest.Environment) error {
	if err := env.ControlPlane.APIServer.Start(); err != nil {
		return fmt.Errorf("starting kube-apiserver again: %w", err)
	}
	return nil
}

// findProcess is the pid of the running binary whose command line holds arg.
func findProcess(binary, arg string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		if len(args) == 0 || args[0] != binary {
			continue
		}
		for _, a := range args[1:] {
			if a == arg {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("no %s process with %s", binary, arg)
}
