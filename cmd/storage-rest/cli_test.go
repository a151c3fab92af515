package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/rudeclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// The test binary doubles as the storage-rest binary when re-executed.
var self = testenv.Self{Name: "storage-rest", Env: "STORAGE_REST_TEST_RUN_MAIN"}

func TestMain(m *testing.M) {
	self.RunMainIfAsked(main)
	os.Exit(m.Run())
}

func runBinary(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	return self.Run(t, env, args...)
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
	defer func() { _ = ln.Close() }()
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
		done <- run(ctx, []string{"--address=" + addr, "--kubeconfig=" + testenv.UnreachableKubeconfig(t), "--log-level=error", "--shutdown-timeout=2s"},
			envOf(map[string]string{"BRIDGE_URL": "http://127.0.0.1:1"}), io.Discard, io.Discard)
	}()
	base := "http://" + addr
	testenv.WaitOK(t, base+"/healthz", 20*time.Second)

	c, stop := rudeclient.SlowHeaders(t, addr)
	rudeclient.AssertClosedSoon(t, c, "headers a byte at a time")
	stop()
	c, stop = rudeclient.SlowBody(t, addr, "/upsert?key=m&type=kubeflow")
	rudeclient.AssertClosedSoon(t, c, "a body a byte at a time")
	stop()

	resp, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, `{"status":"ok"}`, string(b))
	resp, err = http.Get(base + "/metrics")
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Contains(t, string(b), `rhoai_connector_build_info{commit="unknown",goversion="`+runtime.Version()+`",version="dev"} 1`)

	cancel()
	select {
	case <-done: //nolint:errcheck // only waits for run to return after cancel
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
	var logs testenv.SyncBuffer
	cmd := self.Command([]string{"BRIDGE_URL=http://127.0.0.1:1"}, "--address="+addr, "--kubeconfig="+testenv.UnreachableKubeconfig(t), "--shutdown-timeout=2s")
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
