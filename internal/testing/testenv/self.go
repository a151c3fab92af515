package testenv

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Self is a cmd package's test binary re-executed as the command under
// test, so that its process tests need no separate build: TestMain calls
// RunMainIfAsked first, tests call Command or Run.
type Self struct {
	// Name is the command's name, for messages.
	Name string
	// Env is the variable that, set to 1, makes the test binary run main.
	Env string
	// Clean lists variables of the test's environment the command must not
	// inherit (they would point it at a real cluster or registry).
	Clean []string
}

// RunMainIfAsked runs main and exits when the process was started by
// Command; it returns otherwise.
func (s Self) RunMainIfAsked(main func()) {
	if os.Getenv(s.Env) == "1" {
		main()
		os.Exit(0)
	}
}

// Command is the command with args and extra environment variables.
func (s Self) Command(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	drop := map[string]bool{}
	for _, k := range s.Clean {
		drop[k] = true
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, s.Env+"=1"), env...)
	return cmd
}

// Run runs the command to its end (30 s at most) and returns its exit
// code, stdout and stderr.
func (s Self) Run(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := s.Command(env, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), stdout.String(), stderr.String()
		}
		require.NoError(t, err)
		return 0, stdout.String(), stderr.String()
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("%s %v did not exit; stderr:\n%s", s.Name, args, &stderr)
		return 0, "", ""
	}
}

// UnreachableKubeconfig writes a kubeconfig for an API server that is not
// there: enough for a binary to start and serve its probes.
func UnreachableKubeconfig(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(p, []byte(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: t}
contexts:
- name: x
  context: {cluster: c, user: u, namespace: default}
current-context: x
`), 0o600))
	return p
}
