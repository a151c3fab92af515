//go:build faults

package faults

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/store"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// Leader election of the test's normalizers: short, so the handover is
// quick to test, in the same proportions as controller-runtime's defaults
// (15 s, 10 s, 2 s).
const (
	lease       = 6 * time.Second
	renew       = 4 * time.Second
	retryPeriod = time.Second
	// handoverBound: a candidate counts the lease as expired a lease
	// duration after it last saw it change, and tries again every retry
	// period stretched by up to 2.2 (client-go's jitter), so it leads at
	// most the lease time plus about two stretched retry periods after the
	// leader's last renewal; 2 s more for a busy 2-core machine.
	handoverBound = lease + 4*retryPeriod + 2*time.Second
)

// TestTwoReplicas runs what an RHDH Deployment with replicas: 2 runs: two
// complete sidecar sets (normalizers with leader election on) on one
// namespace, one API server and one registry. Both locations serve the same
// documents, only the leader writes, a SIGKILLed leader hands over within
// the lease time without anything being removed or rewritten, and an
// admin's edit of a record is healed by the (new) leader and seen by both.
func TestTwoReplicas(t *testing.T) {
	ctx := context.Background()
	ns := testenv.NewNamespace(t, cluster.Config, "fault-replicas")
	reg := startRegistry(t, 100)
	opts := testenv.StackOptions{LogLevel: "error", NormalizerArgs: []string{
		"--leader-elect", "--leader-elect-lease-duration", lease.String(),
		"--leader-elect-renew-deadline", renew.String(), "--leader-elect-retry-period", retryPeriod.String(),
	}}
	a, b := newStack(t, ns, reg, opts), newStack(t, ns, reg, opts)
	a.StartAll()
	keys := waitStable(t, a, 100, 3*time.Minute) // a leads: it started first
	b.StartAll()
	testenv.WaitOK(t, b.MetricsURL()+"/readyz", time.Minute) // a standby is ready
	uris := urisOf(t, keys)
	sameDocuments(t, a, b, uris)

	writes := func(s *testenv.Stack) float64 {
		v, err := testenv.ScrapeMetric(s.StorageURL()+"/metrics", "rhoai_connector_storage_rest_store_writes_total")
		require.NoError(t, err)
		return v
	}
	syncs := func(s *testenv.Stack) float64 {
		v, err := s.Metric("rhoai_connector_normalizer_syncs_total")
		if err != nil {
			return -1
		}
		return v
	}
	time.Sleep(3 * time.Second) // several of the leader's polls
	assert.Zero(t, syncs(b), "the standby normalizer does not sync")
	assert.Zero(t, writes(b), "nothing is written through the standby's storage-rest")
	before := configMapRecords(t, ns)
	writesA := writes(a)

	leader := holder(t, ns)
	require.NotEmpty(t, leader, "a normalizer holds the lease")
	a.Normalizer.Kill()
	killed := time.Now()
	require.Eventually(t, func() bool { h := holder(t, ns); return h != "" && h != leader }, handoverBound, 50*time.Millisecond,
		"the standby takes the lease within the lease time (%s, plus the retry periods)", lease)
	handover := time.Since(killed)
	require.Eventually(t, func() bool { return syncs(b) > 0 }, 30*time.Second, 100*time.Millisecond, "the new leader syncs")
	waitStable(t, b, len(keys), time.Minute)
	t.Logf("the standby took the lease %s after the leader was killed", handover.Round(100*time.Millisecond))
	assert.Equal(t, before, configMapRecords(t, ns), "the handover removed or rewrote records")
	assert.Equal(t, writesA, writes(a), "nothing was written during the handover")
	assert.Zero(t, writes(b), "the new leader found everything as it wants it")

	// The new leader publishes, and both pods serve it.
	reg.addModel(t, "registered-after-handover")
	for _, s := range []*testenv.Stack{a, b} {
		require.Eventually(t, func() bool { return listHas(s, "registered-after-handover") }, 30*time.Second, 200*time.Millisecond,
			"location %s lists the model the new leader published", s.LocationURL())
	}

	// An admin edits a record by hand (oc edit configmap): the leader sees
	// storage-rest's digest change at its next sync and puts its document
	// back, and both locations serve the healed one.
	key := keys[len(keys)/2]
	healthy := before[key]
	edited := healthy
	edited.Body = []byte(`{"models":[{"name":"edited-by-hand","owner":"admin","lifecycle":"l","description":"d"}]}`)
	require.NoError(t, testenv.EditConfigMap(ctx, cluster.Client, ns, store.DefaultName, func(cm *corev1.ConfigMap) error {
		if _, ok := cm.BinaryData[key]; !ok {
			t.Fatalf("%s is not in the primary ConfigMap", key)
		}
		raw, err := json.Marshal(edited)
		if err != nil {
			return err
		}
		cm.BinaryData[key] = raw
		return nil
	}))
	// storage-rest forwards its own writes, not what its watch sees, so the
	// locations may never serve the edit: the heal is awaited in the
	// ConfigMap, where the leader's next sync writes it.
	require.Eventually(t, func() bool { return jsonEqual(configMapRecords(t, ns)[key].Body, healthy.Body) },
		30*time.Second, 200*time.Millisecond, "the ConfigMap holds the healed record")
	uri, err := record.URI(key, record.FileJSON)
	require.NoError(t, err)
	for _, s := range []*testenv.Stack{a, b} {
		require.Eventually(t, func() bool {
			doc, ok := get(s.LocationURL() + uri)
			return ok && jsonEqual(doc, healthy.Body)
		}, 30*time.Second, 200*time.Millisecond, "location %s serves the healed %s", s.LocationURL(), key)
	}
}

// sameDocuments waits until both stacks' locations list exactly uris and
// serve the same document under each.
func sameDocuments(t *testing.T, a, b *testenv.Stack, uris []string) {
	t.Helper()
	for _, s := range []*testenv.Stack{a, b} {
		require.Eventually(t, func() bool {
			l, err := s.List()
			return err == nil && equal(sorted(l), uris)
		}, time.Minute, 200*time.Millisecond, "location %s lists every record", s.LocationURL())
	}
	for _, u := range uris {
		da, okA := get(a.LocationURL() + u)
		db, okB := get(b.LocationURL() + u)
		require.True(t, okA && okB, "both locations serve %s", u)
		require.Equal(t, string(da), string(db), "both locations serve the same %s", u)
	}
}

func get(url string) ([]byte, bool) {
	resp, err := http.Get(url) // a test's loopback URL
	if err != nil {
		return nil, false
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return b, err == nil && resp.StatusCode == http.StatusOK
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// holder is who holds the normalizers' leader election Lease in ns.
func holder(t *testing.T, ns string) string {
	t.Helper()
	var l coordinationv1.Lease
	if err := cluster.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "rhoai-normalizer.rhdh.redhat.com"}, &l); err != nil {
		return ""
	}
	if l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}
