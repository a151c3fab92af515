// Package fakemetrics records what clients report to jsonclient.Metrics,
// for tests that count requests by endpoint and outcome.
package fakemetrics

import (
	"sync"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/jsonclient"
)

// Requests is a jsonclient.Metrics that remembers every observation. It
// is safe for concurrent use: clients may observe from several goroutines.
type Requests struct {
	mu   sync.Mutex
	seen []string // "endpoint outcome", in the order observed
}

// ObserveRequest records one request.
func (r *Requests) ObserveRequest(endpoint string, outcome jsonclient.Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, endpoint+" "+string(outcome))
}

// Count is how many requests to endpoint ended with outcome.
func (r *Requests) Count(endpoint string, outcome jsonclient.Outcome) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.seen {
		if s == endpoint+" "+string(outcome) {
			n++
		}
	}
	return n
}

// Seen is every observation so far, "endpoint outcome", in order.
func (r *Requests) Seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}
