//go:build faults

package faults

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// pollCycles is how many polling intervals each registry fault lasts.
const pollCycles = 4

// TestRegistryFailingForSeveralCycles: the registry answers 500, then
// malformed JSON, then nothing at all (each for several polling cycles).
// While it fails no record is removed, the failure shows in the metrics and
// the logs, and a model registered during the failure is published once it
// recovers.
func TestRegistryFailingForSeveralCycles(t *testing.T) {
	ns := testenv.NewNamespace(t, cluster.Config, "fault-registry")
	reg := startRegistry(t, 100)
	const interval = time.Second
	s := newStack(t, ns, reg, testenv.StackOptions{PollingInterval: interval, NormalizerArgs: []string{"--registry-timeout", "2s"}})
	s.StartAll()
	keys := waitStable(t, s, 150, 2*time.Minute)
	want := urisOf(t, keys)

	for _, c := range []struct {
		mode    fakeregistry.FaultMode
		outcome string
		log     string
	}{
		{fakeregistry.FaultInternalError, "http_error", "500"},
		{fakeregistry.FaultMalformedJSON, "decode_error", "not the expected json"},
		{fakeregistry.FaultHang, "timeout", "timeout"},
	} {
		t.Run(c.mode.String(), func(t *testing.T) {
			failures := metric(t, s, "rhoai_connector_normalizer_source_failures_total")
			outcomes := metric(t, s, "rhoai_connector_normalizer_registry_requests_total", `outcome="`+c.outcome+`"`)
			logged := len(s.Normalizer.Output())
			reg.InjectFault(fakeregistry.Fault{Mode: c.mode})
			model := "registered-during-" + c.mode.String()
			reg.addModel(t, model)

			for end := time.Now().Add(pollCycles * interval); time.Now().Before(end); {
				uris, err := s.List()
				require.NoError(t, err)
				require.Empty(t, missing(want, uris), "records removed while the registry fails")
				time.Sleep(200 * time.Millisecond)
			}
			require.Eventually(t, func() bool {
				return metric(t, s, "rhoai_connector_normalizer_source_failures_total") >= failures+2
			}, 30*time.Second, 200*time.Millisecond, "failing reads are counted")
			assert.Greater(t, metric(t, s, "rhoai_connector_normalizer_registry_requests_total", `outcome="`+c.outcome+`"`), outcomes,
				"registry requests with outcome %s are counted", c.outcome)
			out := s.Normalizer.Output()[logged:]
			assert.Contains(t, out, reg.url(), "the log names the failing registry")
			assert.Contains(t, strings.ToLower(out), c.log, "the log says what went wrong")
			assert.NotContains(t, out, "stacktrace", "an expected failure is logged without a Go stack trace")
			assert.False(t, listHas(s, model), "nothing new can be read from a failing registry")

			reg.ClearFaults()
			recovered := time.Now()
			require.Eventually(t, func() bool { return listHas(s, model) }, time.Minute, 200*time.Millisecond,
				"the model registered during the failure is published after recovery")
			t.Logf("%s for %d polling cycles: nothing removed; the model registered meanwhile listed %s after recovery",
				c.mode, pollCycles, time.Since(recovered).Round(100*time.Millisecond))
			want = urisOf(t, waitStable(t, s, len(want)+1, time.Minute))
		})
	}
}

// TestRegistrySuddenlyEmpty: a registry that held models answers with
// empty lists. Fewer answers in a row than --empty-confirmations remove
// nothing; when the registry really is empty (a fresh one behind the same
// address), its models are removed after the confirmations, while the
// records of the other registry stay.
func TestRegistrySuddenlyEmpty(t *testing.T) {
	ns := testenv.NewNamespace(t, cluster.Config, "fault-empty")
	reg := startRegistry(t, 50)
	other := startRegistry(t, 0)
	other.addModel(t, "model-of-another-registry")
	const confirmations = 4
	s := newStack(t, ns, nil, testenv.StackOptions{
		RegistryURLs:   []string{reg.url(), other.url()},
		NormalizerArgs: []string{"--empty-confirmations", fmt.Sprint(confirmations)},
	})
	s.StartAll()
	keys := waitStable(t, s, 80, 2*time.Minute)
	want := urisOf(t, keys)
	suspicious := func() float64 { return metric(t, s, "rhoai_connector_normalizer_suspicious_empty_answers_total") }

	// One bad answer, then a few: held back, nothing removed.
	base := suspicious()
	reg.InjectFault(fakeregistry.Fault{Mode: fakeregistry.FaultEmptyList})
	require.Eventually(t, func() bool { return suspicious() >= base+confirmations-1 }, time.Minute, 50*time.Millisecond)
	reg.ClearFaults()
	uris, err := s.List()
	require.NoError(t, err)
	require.Empty(t, missing(want, uris), "records removed on an unconfirmed empty answer")
	assert.Contains(t, s.Normalizer.Output(), "empty", "the held-back empty answer is logged")
	waitStable(t, s, len(keys), time.Minute)

	// The registry really lost everything: its models go, the other's stay.
	reg.Replace(t, fakeregistry.New(fakeregistry.Options{}))
	replaced := time.Now()
	require.Eventually(t, func() bool {
		uris, err := s.List()
		return err == nil && len(uris) == 1
	}, 2*time.Minute, 200*time.Millisecond, "a confirmed empty registry's models are removed")
	t.Logf("%d unconfirmed empty answers removed nothing; the really empty registry's %d records were removed %s after it emptied (%d confirmations, 1s polling)",
		confirmations-1, len(keys)-1, time.Since(replaced).Round(100*time.Millisecond), confirmations)
	assert.True(t, listHas(s, "model-of-another-registry"), "the other registry's records stay")
}
