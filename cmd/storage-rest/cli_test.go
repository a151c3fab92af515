package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver/httpservertest"
)

// The test binary doubles as the storage-rest binary when re-executed
// with this variable set.
const runMainEnv = "STORAGE_REST_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runBinary runs the test binary as storage-rest and returns its exit
// code, stdout and stderr.
func runBinary(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), runMainEnv+"=1"), env...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	require.NoError(t, cmd.Start())
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
		t.Fatalf("storage-rest %v did not exit; stderr:\n%s", args, &stderr)
		return 0, "", ""
	}
}

func TestVersionFlag(t *testing.T) {
	code, stdout, stderr := runBinary(t, nil, "--version")
	assert.Equal(t, 0, code, stderr)
	assert.Equal(t, "storage-rest version dev, commit unknown, built with "+runtime.Version()+"\n", stdout)
	assert.Empty(t, stderr)
}

// A taken port is one line that names the address and what sets it, exit
// status 1, and nothing logged before it (the Kubernetes client is not
// even configured).
func TestBusyPortIsOneClearLine(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	addr := ln.Addr().String()
	for _, c := range []struct{ env, args []string }{
		{args: []string{"--address=" + addr}},
		{env: []string{"STORAGE_ADDRESS=" + addr}},
	} {
		code, stdout, stderr := runBinary(t, append(c.env, "KUBECONFIG=/nonexistent"), c.args...)
		assert.Equal(t, 1, code)
		assert.Empty(t, stdout)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		require.Len(t, lines, 1, "one line: %s", stderr)
		assert.True(t, strings.HasPrefix(lines[0], "storage-rest: cannot listen on "+addr), lines[0])
		assert.Contains(t, lines[0], "address already in use")
		assert.Contains(t, lines[0], "--address or STORAGE_ADDRESS")
	}
}

// unreachableKubeconfig points at an API server that is not there: enough
// for storage-rest to start serving (reads answer 503 until it loads).
func unreachableKubeconfig(t *testing.T) string {
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

// The binary's server cuts slow clients off (timeouts shortened here), and
// serves build_info and {"status":"ok"} on /healthz.
func TestBinaryCutsOffSlowClients(t *testing.T) {
	serverLimits = httpserver.Limits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 600 * time.Millisecond}
	defer func() { serverLimits = httpserver.Limits{} }()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--address=" + addr, "--kubeconfig=" + unreachableKubeconfig(t), "--log-level=error", "--shutdown-timeout=2s"},
			envOf(map[string]string{"BRIDGE_URL": "http://127.0.0.1:1"}), io.Discard, io.Discard)
	}()
	base := "http://" + addr
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 20*time.Second, 10*time.Millisecond)

	c, stop := httpservertest.SlowHeaders(t, addr)
	httpservertest.AssertClosedSoon(t, c, "headers a byte at a time")
	stop()
	c, stop = httpservertest.SlowBody(t, addr, "/upsert?key=m&type=kubeflow")
	httpservertest.AssertClosedSoon(t, c, "a body a byte at a time")
	stop()

	resp, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, `{"status":"ok"}`, string(b))
	resp, err = http.Get(base + "/metrics")
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(b), `rhoai_connector_build_info{commit="unknown",goversion="`+runtime.Version()+`",version="dev"} 1`)

	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("storage-rest did not stop")
	}
}

// The start-up line names the build; SIGTERM stops the binary with 0.
func TestStartUpLineNamesTheBuild(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	var logs safeBuffer
	cmd := exec.Command(os.Args[0], "--address="+addr, "--kubeconfig="+unreachableKubeconfig(t), "--shutdown-timeout=2s")
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "BRIDGE_URL=http://127.0.0.1:1")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), `"msg":"listening"`) }, 20*time.Second, 10*time.Millisecond, "%s", &logs)
	assert.Regexp(t, `"msg":"starting storage-rest","version":"dev","commit":"unknown","goVersion":"go[^"]+"`, logs.String())
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err, "%s", &logs)
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("storage-rest did not stop on SIGTERM:\n%s", &logs)
	}
}

// safeBuffer is a bytes.Buffer a process writes to while the test reads.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
