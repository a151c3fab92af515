//go:build faults

package faults

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/storageclient"
)

// apiServerDown is how long the kube-apiserver stays stopped
// (FAULT_APISERVER_DOWN, default 1m).
func apiServerDown(t *testing.T) time.Duration {
	d := time.Minute
	if v := os.Getenv("FAULT_APISERVER_DOWN"); v != "" {
		var err error
		d, err = time.ParseDuration(v)
		require.NoError(t, err, "FAULT_APISERVER_DOWN")
	}
	return d
}

// TestAPIServerDownForAMinute kills the kube-apiserver (SIGKILL; etcd stays
// up) and starts it again a minute later, while the connector runs: location keeps
// serving everything, no binary exits, a model registered meanwhile and an
// InferenceService created after the restart are published (the latter
// within 15 s, without waiting for the watch's backoff), and nothing
// stored is lost.
func TestAPIServerDownForAMinute(t *testing.T) {
	ctx := context.Background()
	ns := testenv.NewNamespace(t, cluster.Config, "fault-apiserver")
	reg := startRegistry(t, 150)
	s := newStack(t, ns, reg, testenv.StackOptions{})
	s.StartAll()
	keys := waitStable(t, s, 200, 3*time.Minute)
	before := urisOf(t, keys)

	require.NoError(t, testenv.KillAPIServer(cluster.Env))
	restarted := false
	defer func() {
		if !restarted {
			_ = testenv.StartAPIServer(cluster.Env) // the other scenarios need it
		}
	}()
	down := apiServerDown(t)
	t.Logf("kube-apiserver stopped for %s", down)
	stopped := time.Now()
	reg.addModel(t, "registered-while-apiserver-down")
	// A write storage-rest cannot store is a 503 to retry, not a 500.
	_, err := storageclient.New(s.StorageURL()).Upsert(ctx, "probe__v1", record.TypeKubeflow,
		&record.Record{Body: []byte(`{"models":[]}`), LastUpdateTimeSinceEpoch: 1})
	var se *storageclient.StatusError
	require.ErrorAs(t, err, &se, "an upsert while the API server is down fails")
	assert.Equal(t, http.StatusServiceUnavailable, se.Code, se.Message)
	assert.Contains(t, se.Message, "API server is unavailable")
	for time.Since(stopped) < down {
		uris, err := s.List()
		require.NoError(t, err, "location answers while the API server is down")
		require.Empty(t, missing(before, uris), "location lost records while the API server is down")
		held, err := s.StorageKeys()
		require.NoError(t, err, "storage-rest answers reads while the API server is down")
		require.Empty(t, missing(keys, held), "storage-rest lost records while the API server is down")
		time.Sleep(2 * time.Second)
	}
	failed := metric(t, s, "rhoai_connector_normalizer_syncs_total", `outcome="store_error"`)
	require.NoError(t, testenv.StartAPIServer(cluster.Env))
	restarted = true
	back := time.Now()
	t.Logf("kube-apiserver started again; %v syncs failed to store meanwhile", failed)
	assert.Positive(t, failed, "the normalizer reports the failing writes in its metrics")

	for _, p := range []*testenv.Process{s.Storage, s.Location, s.Normalizer} {
		assert.True(t, p.Alive(), "%s exited during the outage:\n%s", p.Name, p.Output())
	}
	isvc, err := testenv.CreateInferenceService(ctx, cluster.Client, ns, "served-after-outage", nil, map[string]string{"rhdh.io/owner": "ops"})
	require.NoError(t, err)
	require.NoError(t, testenv.MarkReady(ctx, cluster.Client, isvc))
	t.Cleanup(func() { // the normalizers of later scenarios watch every namespace
		_ = cluster.Client.Delete(ctx, isvc)
	})

	var modelBack, serverBack time.Duration
	require.Eventually(t, func() bool {
		if modelBack == 0 && listHas(s, "registered-while-apiserver-down") {
			modelBack = time.Since(back)
		}
		if serverBack == 0 && listHas(s, "served-after-outage") {
			serverBack = time.Since(back)
		}
		return modelBack > 0 && serverBack > 0
	}, 3*time.Minute, 200*time.Millisecond, "the model registered during the outage and the server created after it are published")
	t.Logf("after the API server came back: the model registered during the outage listed after %s, the InferenceService created after it after %s",
		modelBack.Round(100*time.Millisecond), serverBack.Round(100*time.Millisecond))
	// client-go's watch backoff alone would take up to a minute here; the
	// normalizer reads InferenceServices live until its watch is back.
	assert.LessOrEqual(t, serverBack, 15*time.Second, "an InferenceService created right after the outage is published within 15 s")
	after := waitStable(t, s, len(keys)+2, 3*time.Minute)
	assert.Empty(t, missing(keys, after), "records lost across the outage")
	assert.Empty(t, missing(after, configMapKeys(t, ns)), "records served but not in the ConfigMaps")
	assert.True(t, strings.Contains(s.Storage.Output(), "error") || strings.Contains(s.Normalizer.Output(), "error"),
		"the outage is visible in the logs")
}
