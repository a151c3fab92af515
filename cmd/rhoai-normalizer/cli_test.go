package main

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/rudeclient"
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
	self.AssertPrintsVersion(t)
}

// A taken metrics port is one line that names the address and what sets
// it, exit status 1, and nothing before it: no discovery errors, no
// controller-runtime shutdown noise.
func TestBusyPortIsOneClearLine(t *testing.T) {
	addr := testenv.BusyAddr(t)
	kubeconfig := "--kubeconfig=" + testenv.UnreachableKubeconfig(t)
	const setting = "--metrics-address or METRICS_ADDRESS"
	self.AssertRefusesBusyPort(t, addr, setting, nil, "--metrics-address="+addr, kubeconfig)
	self.AssertRefusesBusyPort(t, addr, setting, []string{"METRICS_ADDRESS=" + addr}, kubeconfig)
}

// The binary's metrics and probe server cuts off a client that sends its
// headers a byte at a time, with the default limits (10 s for headers; the
// body and shorter limits are internal/controller's
// TestMetricsServerCutsOffSlowClients). It needs a real API server: the
// manager reads discovery before it starts. It also
// serves build_info and {"status":"ok"} on /healthz, and the start-up
// line names the build.
func TestMetricsServerCutsOffSlowHeaders(t *testing.T) {
	addr := testenv.FreeAddr(t)
	kubeconfig, _ := testenv.StartAdminAPIServer(t)
	p := self.Start(t, []string{"MODEL_REGISTRY_URL=http://127.0.0.1:1"},
		"--metrics-address="+addr, "--kubeconfig="+kubeconfig, "--shutdown-timeout=2s", "--storage-url=http://127.0.0.1:1")
	base := "http://" + addr
	testenv.WaitOK(t, base+"/healthz", 30*time.Second)
	assert.Regexp(t, `"msg":"rhoai-normalizer build","version":"dev","commit":"unknown","goVersion":"go[^"]+"`, p.Output())

	assert.JSONEq(t, `{"status":"ok"}`, testenv.GetBody(t, base+"/healthz"))
	assert.Contains(t, testenv.GetBody(t, base+"/metrics"), `rhoai_connector_build_info{commit="unknown",goversion="`+runtime.Version()+`",version="dev"} 1`)

	c, stop := rudeclient.SlowHeaders(t, addr)
	defer stop()
	rudeclient.AssertClosedWithin(t, c, 60*time.Second, "the metrics server kept a slow-header connection open for a minute")

	_ = p.Terminate(t, 30*time.Second) // only waits for the exit; the log shows how it stopped
}
