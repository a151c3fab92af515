package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/rudeclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

func TestVersionFlag(t *testing.T) {
	self.AssertPrintsVersion(t)
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
	addr := testenv.BusyAddr(t)
	const setting = "--address or LOCATION_ADDRESS"
	self.AssertRefusesBusyPort(t, addr, setting, []string{"STORAGE_URL=http://127.0.0.1:1"}, "--address="+addr)
	self.AssertRefusesBusyPort(t, addr, setting, []string{"LOCATION_ADDRESS=" + addr, "STORAGE_URL=http://127.0.0.1:1"})
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
	addr := testenv.FreeAddr(t)
	stop := testenv.RunInBackground(t, 20*time.Second, func(ctx context.Context) error {
		return run(ctx, []string{"--address=" + addr, "--log-level=error"}, env(map[string]string{"STORAGE_URL": storage.URL}), io.Discard, io.Discard)
	})
	base := "http://" + addr
	testenv.WaitOK(t, base+"/readyz", 20*time.Second)

	rudeclient.AssertSlowClientsCutOff(t, addr, "/upsert?key=m__v1")

	for path, want := range map[string]string{"/readyz": `{"status":"ok"}`, "/healthz": `{"status":"ok"}`} {
		assert.Equal(t, want, testenv.GetBody(t, base+path), path)
	}
	assert.Contains(t, testenv.GetBody(t, base+"/metrics"), `rhoai_connector_build_info{commit="unknown",goversion="`+runtime.Version()+`",version="dev"} 1`)

	require.NoError(t, stop())
}
