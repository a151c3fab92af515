package prommetrics_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/jsonclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/jsonclient/prommetrics"
)

func TestCounterCountsByEndpointAndOutcome(t *testing.T) {
	vec := prommetrics.NewRequestCounter("test_requests_total", "test")
	m := prommetrics.Counter(vec)
	m.ObserveRequest("sources", jsonclient.OutcomeOK)
	m.ObserveRequest("sources", jsonclient.OutcomeOK)
	m.ObserveRequest("sources", jsonclient.OutcomeTimeout)
	assert.InDelta(t, 2, testutil.ToFloat64(vec.WithLabelValues("sources", "ok")), 0)
	assert.InDelta(t, 1, testutil.ToFloat64(vec.WithLabelValues("sources", "timeout")), 0)
}
