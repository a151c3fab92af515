//go:build faults

package faults

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/store"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/storageclient"
)

// TestConflictStorm: while the normalizer publishes a registry through the
// pod's storage-rest, two more storage-rest processes on the same
// ConfigMaps (a second RHDH replica, a rollout overlapping the old pod)
// take concurrent upserts from many writers, and an admin keeps editing
// the ConfigMap's annotations. Every write acknowledged with 2xx is held at
// the end, in the ConfigMaps and by every storage-rest; the registry's
// records are all published.
//
// The extra writers update the normalizer's own keys (any other key would
// be removed by the normalizer's next sync, by design: it owns the set of
// keys), each with a document that names the writer, so the last
// acknowledged write of each key must be the one stored.
func TestConflictStorm(t *testing.T) {
	ctx := context.Background()
	ns := testenv.NewNamespace(t, cluster.Config, "fault-conflicts")
	reg := startRegistry(t, 200)
	s := newStack(t, ns, reg, testenv.StackOptions{LogLevel: "error"})
	s.StartAll()
	keys := waitStable(t, s, 300, 2*time.Minute)
	// The normalizer would put its own documents back on its next sync,
	// which is right but hides lost updates: stop it during the storm and
	// check its convergence after.
	require.True(t, s.Normalizer.Stop())

	var replicas []string
	for i := 0; i < 2; i++ {
		addr := testenv.FreeAddr(t)
		testenv.StartProcess(t, filepath.Join(cluster.Bin, "storage-rest"),
			[]string{"POD_NAMESPACE=" + ns, "BRIDGE_URL=" + s.LocationURL(), "STORAGE_TYPE=ConfigMap", "LOG_LEVEL=error"},
			"--address", addr, "--kubeconfig", cluster.Kubeconfig)
		testenv.WaitOK(t, "http://"+addr+"/readyz", time.Minute)
		replicas = append(replicas, "http://"+addr)
	}
	targets := append([]string{s.StorageURL()}, replicas...)

	stop := make(chan struct{})
	var admin sync.WaitGroup
	admin.Add(1)
	edits := 0
	go func() { // an admin annotating the ConfigMap in a loop
		defer admin.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			err := testenv.EditConfigMap(ctx, cluster.Client, ns, store.DefaultName, func(cm *corev1.ConfigMap) error {
				if cm.Annotations == nil {
					cm.Annotations = map[string]string{}
				}
				cm.Annotations["example.com/edited"] = fmt.Sprint(edits)
				return nil
			})
			if err == nil {
				edits++
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	// Each writer owns every writers-th key and rewrites its keys each
	// round: one writer per key keeps "last acknowledged" well defined,
	// while all of them hit the same ConfigMaps through three processes.
	const writers, rounds = 24, 4
	base := time.Now().UnixMilli()
	var mu sync.Mutex
	last := map[string]int{} // key -> round of its last acknowledged write
	acked := 0
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := storageclient.New(targets[w%len(targets)], storageclient.WithHTTPClient(&http.Client{Timeout: time.Minute}))
			for r := 0; r < rounds; r++ {
				for i := w; i < len(keys); i += writers {
					rec := &record.Record{Body: stormDoc(keys[i], r), LastUpdateTimeSinceEpoch: record.Epoch(base + int64(r))}
					if _, err := c.Upsert(ctx, keys[i], record.TypeKubeflow, rec); err != nil {
						t.Errorf("writer %d: upsert %s: %v", w, keys[i], err)
						return
					}
					mu.Lock()
					last[keys[i]] = r
					acked++
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	close(stop)
	admin.Wait()
	t.Logf("%d acknowledged writes on %d keys through %d storage-rest processes; %d admin edits", acked, len(last), len(targets), edits)
	require.Equal(t, rounds*len(keys), acked, "every write was acknowledged: none gave up because other writers were busy")
	require.Len(t, last, len(keys))
	require.Positive(t, edits, "the admin edited the ConfigMap during the storm")
	var cm corev1.ConfigMap
	require.NoError(t, cluster.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: store.DefaultName}, &cm))
	assert.Equal(t, fmt.Sprint(edits-1), cm.Annotations["example.com/edited"], "the admin's last edit survived the storm")

	// Every key holds its last acknowledged write, in the ConfigMaps and in
	// every storage-rest.
	held := configMapRecords(t, ns)
	for key, r := range last {
		assert.JSONEq(t, string(stormDoc(key, r)), string(held[key].Body), "ConfigMap: key %s lost its last acknowledged write", key)
	}
	for _, u := range targets {
		c := storageclient.New(u)
		require.Eventually(t, func() bool {
			recs, err := c.Records(ctx)
			if err != nil {
				return false
			}
			for key, r := range last {
				if string(recs[key].Body) != string(stormDoc(key, r)) {
					return false
				}
			}
			return len(recs) == len(keys)
		}, 30*time.Second, 200*time.Millisecond, "storage-rest %s serves every last acknowledged write", u)
	}

	// The normalizer puts its documents back and everything converges.
	s.StartNormalizer()
	after := waitStable(t, s, len(keys), 2*time.Minute)
	assert.Equal(t, keys, after)
	for key, rec := range configMapRecords(t, ns) {
		assert.NotContains(t, string(rec.Body), "storm-", "the normalizer restored %s", key)
	}
}

func stormDoc(key string, round int) []byte {
	return []byte(fmt.Sprintf(`{"models":[{"name":"storm-%s-round-%d","owner":"o","lifecycle":"l","description":"d"}]}`, key, round))
}
