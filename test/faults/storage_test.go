//go:build faults

package faults

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// TestStorageRestKilledMidBurst: storage-rest gets SIGKILL while the
// normalizer publishes a registry, records one by one (a storage-rest
// without the batch API: many small writes in flight) or in batches (a
// batch's records are acknowledged together, about a thousand at a time).
// Every record it acknowledged is in the ConfigMaps, read straight from the
// API server while storage-rest is still down; location keeps serving;
// after the restart everything converges.
func TestStorageRestKilledMidBurst(t *testing.T) {
	for _, c := range []struct {
		name          string
		models        int
		refuseBatches bool
	}{
		{name: "one by one", models: 600, refuseBatches: true},
		{name: "in batches", models: 3000},
	} {
		t.Run(c.name, func(t *testing.T) {
			ns := testenv.NewNamespace(t, cluster.Config, "fault-storage-kill")
			reg := startRegistry(t, c.models)
			s := newStack(t, ns, reg, testenv.StackOptions{})
			w := newWitness(t, s.StorageURL(), c.refuseBatches)
			s.NormalizerStorageURL = w.URL
			s.StartAll()

			require.Eventually(t, func() bool { return len(w.keys()) >= 150 }, 2*time.Minute, 5*time.Millisecond,
				"the normalizer starts publishing")
			s.Storage.Kill()
			acked := w.keys()
			t.Logf("storage-rest killed after acknowledging %d records", len(acked))

			held := configMapKeys(t, ns)
			assert.Empty(t, missing(acked, held), "acknowledged records missing from the ConfigMaps after SIGKILL")
			assert.True(t, s.Normalizer.Alive(), "the normalizer keeps running while storage-rest is down")
			assert.True(t, s.Location.Alive(), "location keeps running while storage-rest is down")

			time.Sleep(3 * time.Second) // a few failing syncs
			s.StartStorage()
			keys := waitStable(t, s, len(acked)+1, 3*time.Minute)
			assert.Less(t, len(acked), len(keys), "the kill landed in the middle of the burst")
			assert.Empty(t, missing(acked, keys), "acknowledged records missing after the restart")
			held = configMapKeys(t, ns)
			assert.Empty(t, missing(keys, held), "storage-rest serves records the ConfigMaps do not hold")
			assert.Empty(t, missing(held, keys), "the ConfigMaps hold records storage-rest does not serve")
			assert.Empty(t, missing(w.keys(), keys), "records acknowledged, then no longer held")
		})
	}
}
