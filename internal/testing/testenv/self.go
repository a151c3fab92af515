package testenv

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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

// Start starts the command in the background with its output captured
// (Process.Output); it is stopped when the test ends.
func (s Self) Start(t testing.TB, env []string, args ...string) *Process {
	t.Helper()
	return startCommand(t, s.Name, s.Command(env, args...))
}

// AssertPrintsVersion checks --version: status 0, the version line of a
// build without -X flags on stdout, nothing on stderr.
func (s Self) AssertPrintsVersion(t *testing.T) {
	t.Helper()
	code, stdout, stderr := s.Run(t, nil, "--version")
	assert.Equal(t, 0, code, stderr)
	assert.Equal(t, s.Name+" version dev, commit unknown, built with "+runtime.Version()+"\n", stdout)
	assert.Empty(t, stderr)
}

// AssertRefusesBusyPort runs the command told (by env or args) to listen
// on addr, which is taken: it must exit 1 with one line that names the
// address, the cause and setting (what sets the address), and print
// nothing before it.
func (s Self) AssertRefusesBusyPort(t *testing.T, addr, setting string, env []string, args ...string) {
	t.Helper()
	code, stdout, stderr := s.Run(t, env, args...)
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 1, "one line: %s", stderr)
	assert.True(t, strings.HasPrefix(lines[0], s.Name+": cannot listen on "+addr), lines[0])
	assert.Contains(t, lines[0], "address already in use")
	assert.Contains(t, lines[0], setting)
}

// RunInBackground calls run, a command's run function bound to its
// arguments, in a goroutine. stop cancels run's context, as SIGTERM does
// in main, and returns what run returned; the test fails when run has
// not returned within timeout.
func RunInBackground(t testing.TB, timeout time.Duration, run func(context.Context) error) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	t.Cleanup(cancel)
	return func() error {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(timeout):
			t.Fatalf("run did not return within %s of its context ending", timeout)
			return nil
		}
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
