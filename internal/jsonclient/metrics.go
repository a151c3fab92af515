package jsonclient

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

// Metrics receives one observation per Get request (prommetrics.Counter
// counts them in Prometheus).
type Metrics interface {
	ObserveRequest(endpoint string, outcome Outcome)
}

type nopMetrics struct{}

func (nopMetrics) ObserveRequest(string, Outcome) {}
