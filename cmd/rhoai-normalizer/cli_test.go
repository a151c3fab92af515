package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// The test binary doubles as the rhoai-normalizer binary when re-executed,
// without what would point it at real registries or a real cluster.
var self = testenv.Self{Name: "rhoai-normalizer", Env: "NORMALIZER_TEST_RUN_MAIN", Clean: []string{
	"METRICS_ADDRESS", "MODEL_REGISTRY_URL", "MODEL_CATALOG_URL", "MR_ROUTE", "KUBECONFIG", "KUBERNETES_SERVICE_HOST", "token", "ca.crt",
}}

func TestMain(m *testing.M) {
	self.RunMainIfAsked(main)
	os.Exit(m.Run())
}

func TestVersionFlag(t *testing.T) {
	code, stdout, stderr := self.Run(t, nil, "--version")
	assert.Equal(t, 0, code, stderr)
	assert.Equal(t, "rhoai-normalizer version dev, commit unknown, built with "+runtime.Version()+"\n", stdout)
	assert.Empty(t, stderr)
}

// A taken metrics port is one line that names the address and what sets
// it, exit status 1, and nothing before it: no discovery errors, no
// controller-runtime shutdown noise.
func TestBusyPortIsOneClearLine(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = ln.Close() }()
	addr := ln.Addr().String()
	kubeconfig := testenv.UnreachableKubeconfig(t)
	for _, c := range []struct{ env, args []string }{
		{args: []string{"--metrics-address=" + addr}},
		{env: []string{"METRICS_ADDRESS=" + addr}},
	} {
		code, stdout, stderr := self.Run(t, c.env, append(c.args, "--kubeconfig="+kubeconfig)...)
		assert.Equal(t, 1, code)
		assert.Empty(t, stdout)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		require.Len(t, lines, 1, "one line: %s", stderr)
		assert.True(t, strings.HasPrefix(lines[0], "rhoai-normalizer: cannot listen on "+addr), lines[0])
		assert.Contains(t, lines[0], "address already in use")
		assert.Contains(t, lines[0], "--metrics-address or METRICS_ADDRESS")
	}
}

// The binary's metrics and probe server cuts off a client that sends its
// headers a byte at a time, with the default limits (10 s for headers; the
// body and shorter limits are internal/controller's
// TestMetricsServerCutsOffSlowClients). It needs a real API server: the
// manager reads discovery before it starts. It also
// serves build_info and {"status":"ok"} on /healthz, and the start-up
// line names the build.
func TestMetricsServerCutsOffSlowHeaders(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	var logs testenv.SyncBuffer
	cmd := self.Command([]string{"MODEL_REGISTRY_URL=http://127.0.0.1:1"},
		"--metrics-address="+addr, "--kubeconfig="+apiServerKubeconfig(t), "--shutdown-timeout=2s", "--storage-url=http://127.0.0.1:1")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited //nolint:errcheck // only waits for the exit; the error is the kill
		}
	}()
	base := "http://" + addr
	testenv.WaitOK(t, base+"/healthz", 30*time.Second)
	assert.Regexp(t, `"msg":"rhoai-normalizer build","version":"dev","commit":"unknown","goVersion":"go[^"]+"`, logs.String())

	resp, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.JSONEq(t, `{"status":"ok"}`, string(b))
	resp, err = http.Get(base + "/metrics")
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Contains(t, string(b), `rhoai_connector_build_info{commit="unknown",goversion="`+runtime.Version()+`",version="dev"} 1`)

	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer func() { _ = c.Close() }()
	_, err = io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
	require.NoError(t, err)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := io.WriteString(c, "x"); err != nil {
					return
				}
			}
		}
	}()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(60*time.Second)))
	_, err = io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the metrics server kept a slow-header connection open for a minute")
	}

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-exited: //nolint:errcheck // only waits for the exit; the log shows how it stopped
	case <-time.After(30 * time.Second):
		t.Fatalf("rhoai-normalizer did not stop on SIGTERM:\n%s", &logs)
	}
}

// apiServerKubeconfig starts a real kube-apiserver (envtest) for the test
// and returns a kubeconfig for it: the controller manager reads the API
// server's discovery before it starts its metrics server.
func apiServerKubeconfig(t *testing.T) string {
	t.Helper()
	env, cfg, err := testenv.StartEnv()
	require.NoError(t, err)
	t.Cleanup(func() { _ = env.Stop() })
	user, err := env.AddUser(envtest.User{Name: "rhoai-normalizer", Groups: []string{"system:masters"}}, cfg)
	require.NoError(t, err)
	kc, err := user.KubeConfig()
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(p, kc, 0o600))
	return p
}
