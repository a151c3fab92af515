package location

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/location/index"
)

// metrics are location's own; request counts and latencies come from the
// shared router.
type metrics struct {
	loads       *prometheus.CounterVec
	lastLoad    prometheus.Gauge
	upserts     *prometheus.CounterVec
	removes     *prometheus.CounterVec
	staleWrites prometheus.Counter
	errors      *prometheus.CounterVec
}

// Error kinds of the errors_total metric.
const (
	errBadRequest    = "bad_request"
	errLoad          = "load"
	errInvalidStored = "invalid_stored_record"
)

func newMetrics(reg prometheus.Registerer, ix *index.Index) (*metrics, error) {
	opts := func(name, help string) prometheus.Opts {
		return prometheus.Opts{Namespace: "rhoai_connector", Subsystem: "location", Name: name, Help: help}
	}
	m := &metrics{
		loads: prometheus.NewCounterVec(prometheus.CounterOpts(opts("loads_total",
			"Loads of every record from storage-rest (start-up and periodic), by outcome (success, failure).")), []string{"outcome"}),
		lastLoad: prometheus.NewGauge(prometheus.GaugeOpts(opts("last_successful_load_timestamp_seconds",
			"Unix time of the last successful load from storage-rest."))),
		upserts: prometheus.NewCounterVec(prometheus.CounterOpts(opts("upserts_received_total",
			"Upserts received from storage-rest, by outcome (created, updated, unchanged, ignored, rejected).")), []string{"outcome"}),
		removes: prometheus.NewCounterVec(prometheus.CounterOpts(opts("removes_received_total",
			"Removes received from storage-rest, by outcome (removed, absent, rejected).")), []string{"outcome"}),
		staleWrites: prometheus.NewCounter(prometheus.CounterOpts(opts("stale_writes_ignored_total",
			"Upserts ignored because the record held is newer."))),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts(opts("errors_total",
			"Errors, by kind (bad_request, load, invalid_stored_record).")), []string{"kind"}),
	}
	records := prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts("records",
		"Records held and listed at /list.")), func() float64 { return float64(ix.Snapshot().Len()) })
	cards := prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts("model_cards",
		"Model cards held and served at /modelcard.")), func() float64 { return float64(ix.Snapshot().CardCount()) })
	for _, c := range []prometheus.Collector{m.loads, m.lastLoad, m.upserts, m.removes, m.staleWrites, m.errors, records, cards} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering location metrics: %w", err)
		}
	}
	return m, nil
}
