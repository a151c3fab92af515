// Package prommetrics counts jsonclient requests in Prometheus. It is apart
// from jsonclient so that the clients in pkg/ do not link Prometheus into
// the programs that import them.
package prommetrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/jsonclient"
)

// NewRequestCounter returns a counter with the labels Counter expects
// ("endpoint", "outcome"); the caller registers it. Curry extra labels such
// as the registry URL with MustCurryWith before passing it to Counter.
func NewRequestCounter(name, help string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"endpoint", "outcome"})
}

// Counter counts into vec, whose remaining labels are endpoint and outcome
// in that order.
func Counter(vec *prometheus.CounterVec) jsonclient.Metrics { return counter{vec} }

type counter struct{ vec *prometheus.CounterVec }

func (m counter) ObserveRequest(endpoint string, outcome jsonclient.Outcome) {
	m.vec.WithLabelValues(endpoint, string(outcome)).Inc()
}
