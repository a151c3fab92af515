package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/rudeclient"
)

func TestVersionFlag(t *testing.T) {
	code, stdout, stderr := self.Run(t, nil, "--version")
	assert.Equal(t, 0, code, stderr)
	assert.Equal(t, "location version dev, commit unknown, built with "+runtime.Version()+"\n", stdout)
	assert.Empty(t, stderr)
}

// The -X flags of the Makefile and the Dockerfiles reach the binary.
func TestVersionFromLdflags(t *testing.T) {
	goBin, err := exec.LookPath("go")
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "location")
	const pkg = "github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/version"
	build := exec.Command(goBin, "build", "-ldflags", "-X "+pkg+".Version=v1.2.3-test -X "+pkg+".Commit=0123456789abcdef", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	out, err = exec.Command(bin, "--version").Output()
	require.NoError(t, err)
	assert.Equal(t, "location version v1.2.3-test, commit 0123456789abcdef, built with "+runtime.Version()+"\n", string(out))
}

// A taken port is one line that names the address and what sets it, exit
// status 1, and nothing else logged.
func TestBusyPortIsOneClearLine(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = ln.Close() }()
	addr := ln.Addr().String()
	for _, how := range [][]string{{"--address=" + addr}, {"LOCATION_ADDRESS=" + addr}} {
		var env, args []string
		if strings.HasPrefix(how[0], "--") {
			args = how
		} else {
			env = how
		}
		code, stdout, stderr := self.Run(t, append(env, "STORAGE_URL=http://127.0.0.1:1"), args...)
		assert.Equal(t, 1, code)
		assert.Empty(t, stdout)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		require.Len(t, lines, 1, "one line: %s", stderr)
		assert.Contains(t, lines[0], "cannot listen on "+addr)
		assert.Contains(t, lines[0], "address already in use")
		assert.Contains(t, lines[0], "--address or LOCATION_ADDRESS")
	}
}

// The binary's server cuts slow clients off (timeouts shortened here), and
// serves build_info and {"status":"ok"} probes.
func TestBinaryCutsOffSlowClients(t *testing.T) {
	serverLimits = httpserver.Limits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 600 * time.Millisecond}
	defer func() { serverLimits = httpserver.Limits{} }()
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		httpserver.WriteRawJSON(w, http.StatusOK, []byte(`{"records":{}}`))
	}))
	defer storage.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--address=" + addr, "--log-level=error"}, env(map[string]string{"STORAGE_URL": storage.URL}), io.Discard, io.Discard)
	}()
	base := "http://" + addr
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 20*time.Second, 10*time.Millisecond)

	c, stop := rudeclient.SlowHeaders(t, addr)
	rudeclient.AssertClosedSoon(t, c, "headers a byte at a time")
	stop()
	c, stop = rudeclient.SlowBody(t, addr, "/upsert?key=m__v1")
	rudeclient.AssertClosedSoon(t, c, "a body a byte at a time")
	stop()

	for path, want := range map[string]string{"/readyz": `{"status":"ok"}`, "/healthz": `{"status":"ok"}`} {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, want, string(b), path)
	}
	resp, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Contains(t, string(b), `rhoai_connector_build_info{commit="unknown",goversion="`+runtime.Version()+`",version="dev"} 1`)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("location did not stop")
	}
}
