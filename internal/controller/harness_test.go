package controller

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// The integration tests run the real storage-rest and location binaries
// (built once in TestMain) against a real kube-apiserver, and the
// normalizer in-process so that a test can start several.

var cluster testenv.Cluster

func TestMain(m *testing.M) {
	os.Exit(testenv.RunWithCluster(m, &cluster, testenv.ClusterOptions{
		Binaries: []string{"storage-rest", "location", "rhoai-normalizer"},
	}))
}

func freeAddr(t testing.TB) string { return testenv.FreeAddr(t) }

func namespace(t testing.TB, name string) {
	t.Helper()
	err := cluster.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		require.NoError(t, err)
	}
}

// dataPlane is storage-rest and location for one test, in their own
// namespace so tests do not share a ConfigMap.
type dataPlane struct {
	storageURL, locationURL string
}

func startDataPlane(t testing.TB, ns string) *dataPlane {
	t.Helper()
	namespace(t, ns)
	sAddr, lAddr := freeAddr(t), freeAddr(t)
	dp := &dataPlane{storageURL: "http://" + sAddr, locationURL: "http://" + lAddr}
	testenv.StartProcess(t, filepath.Join(cluster.Bin, "storage-rest"), []string{"POD_NAMESPACE=" + ns, "BRIDGE_URL=" + dp.locationURL, "STORAGE_TYPE=ConfigMap"},
		"--address", sAddr, "--kubeconfig", cluster.Kubeconfig)
	testenv.StartProcess(t, filepath.Join(cluster.Bin, "location"), []string{"STORAGE_URL=" + dp.storageURL}, "--address", lAddr)
	testenv.WaitOK(t, dp.storageURL+"/readyz", time.Minute)
	testenv.WaitOK(t, dp.locationURL+"/readyz", time.Minute)
	return dp
}

// normalizerRun is an in-process rhoai-normalizer.
type normalizerRun struct {
	cancel  context.CancelFunc
	done    chan error
	metrics string
	reg     *prometheus.Registry
}

type runOptions struct {
	registries []string
	catalog    string
}

func startNormalizer(t *testing.T, dp *dataPlane, o runOptions) *normalizerRun {
	t.Helper()
	return startNormalizerOn(t, cluster.Config, dp, o)
}

// startNormalizerOn runs a normalizer against the API server cfg.
func startNormalizerOn(t *testing.T, cfg *rest.Config, dp *dataPlane, o runOptions) *normalizerRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	reg := prometheus.NewRegistry()
	n := &normalizerRun{cancel: cancel, done: make(chan error, 1), metrics: freeAddr(t), reg: reg}
	log := testr.NewWithOptions(t, testr.Options{Verbosity: 0})
	ncfg := Config{
		RestConfig:            cfg,
		Namespace:             "default",
		MetricsAddress:        n.metrics,
		Log:                   log,
		Discovery:             discovery.Config{RegistryURLs: o.registries, CatalogURL: o.catalog},
		PollingInterval:       500 * time.Millisecond,
		Debounce:              50 * time.Millisecond,
		CRDPoll:               time.Second,
		RegistryTimeout:       2 * time.Second,
		StorageURL:            dp.storageURL,
		Mapping:               mapping.Options{LocationBaseURL: "http://localhost:9090"},
		GracefulShutdownDelay: 5 * time.Second,
		MetricsRegistry:       reg,
	}
	go func() { n.done <- Run(ctx, ncfg) }()
	t.Cleanup(n.stop)
	return n
}

func (n *normalizerRun) stop() {
	if n.cancel == nil {
		return
	}
	n.cancel()
	n.cancel = nil
	select {
	case <-n.done: //nolint:errcheck // only waits for Run to return after cancel
	case <-time.After(20 * time.Second):
	}
}

// counter sums a metric family's counters whose labels include all of want.
func (n *normalizerRun) counter(t testing.TB, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := n.reg.Gather()
	require.NoError(t, err)
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metric
				}
			}
			if m.GetCounter() != nil {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

func getJSON(t testing.TB, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if resp.StatusCode == http.StatusOK && out != nil {
		require.NoError(t, json.Unmarshal(b, out), string(b))
	}
	return resp.StatusCode
}

func (dp *dataPlane) uris(t testing.TB) []string {
	t.Helper()
	var l struct {
		URIs []string `json:"uris"`
	}
	if getJSON(t, dp.locationURL+"/list", &l) != http.StatusOK {
		return nil
	}
	return l.URIs
}
