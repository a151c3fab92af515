package httpjson

import "github.com/prometheus/client_golang/prometheus"

// Outcome classifies a request for the metrics.
type Outcome string

// The outcomes a request is counted under.
const (
	OutcomeOK             Outcome = "ok"
	OutcomeHTTPError      Outcome = "http_error"
	OutcomeTimeout        Outcome = "timeout"
	OutcomeDecodeError    Outcome = "decode_error"
	OutcomeTransportError Outcome = "transport_error"
)

// Metrics receives one observation per request.
type Metrics interface {
	ObserveRequest(endpoint string, outcome Outcome)
}

type nopMetrics struct{}

func (nopMetrics) ObserveRequest(string, Outcome) {}

// NewRequestCounter returns a counter with the labels CounterMetrics expects
// ("endpoint", "outcome"); the caller registers it. Curry extra labels such
// as the registry URL with MustCurryWith before passing it to CounterMetrics.
func NewRequestCounter(name, help string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"endpoint", "outcome"})
}

// CounterMetrics counts into vec, whose remaining labels are endpoint and
// outcome in that order.
func CounterMetrics(vec *prometheus.CounterVec) Metrics { return counterMetrics{vec} }

type counterMetrics struct{ vec *prometheus.CounterVec }

func (m counterMetrics) ObserveRequest(endpoint string, outcome Outcome) {
	m.vec.WithLabelValues(endpoint, string(outcome)).Inc()
}
