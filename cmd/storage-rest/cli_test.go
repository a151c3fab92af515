package main

import (
	"context"
	"io"
	"os"
	"runtime"
	"strings"
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

func TestVersionFlag(t *testing.T) {
	self.AssertPrintsVersion(t)
}

// A taken port is one line that names the address and what sets it, exit
// status 1, and nothing logged before it (the Kubernetes client is not
// even configured).
func TestBusyPortIsOneClearLine(t *testing.T) {
	addr := testenv.BusyAddr(t)
	const setting = "--address or STORAGE_ADDRESS"
	self.AssertRefusesBusyPort(t, addr, setting, []string{"KUBECONFIG=/nonexistent"}, "--address="+addr)
	self.AssertRefusesBusyPort(t, addr, setting, []string{"KUBECONFIG=/nonexistent", "STORAGE_ADDRESS=" + addr})
}

// The binary's server cuts slow clients off (timeouts shortened here), and
// serves build_info and {"status":"ok"} on /healthz.
func TestBinaryCutsOffSlowClients(t *testing.T) {
	serverLimits = httpserver.Limits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 600 * time.Millisecond}
	defer func() { serverLimits = httpserver.Limits{} }()
	addr := testenv.FreeAddr(t)
	stop := testenv.RunInBackground(t, 30*time.Second, func(ctx context.Context) error {
		return run(ctx, []string{"--address=" + addr, "--kubeconfig=" + testenv.UnreachableKubeconfig(t), "--log-level=error", "--shutdown-timeout=2s"},
			envOf(map[string]string{"BRIDGE_URL": "http://127.0.0.1:1"}), io.Discard, io.Discard)
	})
	base := "http://" + addr
	testenv.WaitOK(t, base+"/healthz", 20*time.Second)

	rudeclient.AssertSlowClientsCutOff(t, addr, "/upsert?key=m&type=kubeflow")

	assert.Equal(t, `{"status":"ok"}`, testenv.GetBody(t, base+"/healthz"))
	assert.Contains(t, testenv.GetBody(t, base+"/metrics"), `rhoai_connector_build_info{commit="unknown",goversion="`+runtime.Version()+`",version="dev"} 1`)

	_ = stop() // only waits for run to return after the cancel
}

// The start-up line names the build; SIGTERM stops the binary with 0.
func TestStartUpLineNamesTheBuild(t *testing.T) {
	addr := testenv.FreeAddr(t)
	p := self.Start(t, []string{"BRIDGE_URL=http://127.0.0.1:1"}, "--address="+addr, "--kubeconfig="+testenv.UnreachableKubeconfig(t), "--shutdown-timeout=2s")
	require.Eventually(t, func() bool { return strings.Contains(p.Output(), `"msg":"listening"`) }, 20*time.Second, 10*time.Millisecond, "%s", p.Output())
	assert.Regexp(t, `"msg":"starting storage-rest","version":"dev","commit":"unknown","goVersion":"go[^"]+"`, p.Output())
	require.NoError(t, p.Terminate(t, 30*time.Second), "%s", p.Output())
}
