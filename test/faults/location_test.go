//go:build faults

package faults

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// locationBound is how soon after its start a killed location must list
// every record again: RHDH polls /list, and a restarted sidecar that
// answered incompletely would make the catalog drop entities.
const locationBound = 5 * time.Second

// TestLocationKilledWithThousandsOfRecords: location gets SIGKILL while
// storage-rest holds thousands of records and a model is registered while
// it is down; once started again its /list is complete within
// locationBound, and until then it answers no partial list.
func TestLocationKilledWithThousandsOfRecords(t *testing.T) {
	ns := testenv.NewNamespace(t, cluster.Config, "fault-location-kill")
	reg := startRegistry(t, 2500)
	s := newStack(t, ns, reg, testenv.StackOptions{LogLevel: "error"})
	s.StartAll()
	keys := waitStable(t, s, 4000, 5*time.Minute)
	t.Logf("storage-rest holds %d records", len(keys))

	s.Location.Kill()
	reg.addModel(t, "registered-while-location-down")
	require.Eventually(t, func() bool {
		k, err := s.StorageKeys()
		return err == nil && len(k) == len(keys)+1
	}, time.Minute, 100*time.Millisecond, "the normalizer publishes while location is down")
	want := urisOf(t, append(keys, "registered-while-location-down__v1"))

	start := time.Now()
	s.StartLocation()
	var took time.Duration
	partial := 0
	for took == 0 && time.Since(start) < time.Minute {
		uris, err := s.List()
		switch {
		case err != nil: // not loaded yet: 404, or not listening yet
		case equal(sorted(uris), want):
			took = time.Since(start)
		default:
			partial++
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.NotZero(t, took, "location never listed every record again")
	t.Logf("location listed all %d records %s after its start", len(want), took)
	assert.Less(t, took, locationBound, "location must be complete again within %s", locationBound)
	assert.Zero(t, partial, "location answered a partial /list after its restart")
	assert.True(t, s.Storage.Alive())
	assert.True(t, s.Normalizer.Alive())
}
