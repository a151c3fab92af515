package pipeline

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
)

// Metrics of the normalizer's syncs.
type Metrics struct {
	syncs          *prometheus.CounterVec
	syncDuration   prometheus.Histogram
	published      prometheus.Gauge
	rejected       prometheus.Counter
	adjusted       prometheus.Counter
	storeCalls     *prometheus.CounterVec
	sourceFailures *prometheus.CounterVec
	// suspiciousEmpty counts empty registry answers held back.
	suspiciousEmpty *prometheus.CounterVec
	// skipped is how many objects the latest sync did not publish, by
	// reason (mapping.Reasons).
	skipped *prometheus.GaugeVec

	mu       sync.Mutex
	lastGood map[string]time.Time
	now      func() time.Time
	ageDesc  *prometheus.Desc
}

// NewMetrics registers the metrics on reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	const ns, sub = "rhoai_connector", "normalizer"
	m := &Metrics{
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "syncs_total",
			Help: "Syncs by outcome: ok, degraded (a source is failing, its last good state is kept), store_error."}, []string{"outcome"}),
		syncDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "sync_duration_seconds",
			Help: "Wall time of one sync.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}),
		published: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "records_published",
			Help: "Records the latest sync wants published."}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "records_rejected_total",
			Help: "Objects not published at all because no valid record could be made of them (each counted when first seen)."}),
		adjusted: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "metadata_problems_total",
			Help: "Names, tags, annotations or values dropped or changed so that Backstage accepts them (each counted when first seen)."}),
		storeCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "storage_requests_total",
			Help: "Requests to storage-rest by operation and outcome."}, []string{"op", "outcome"}),
		sourceFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "source_failures_total",
			Help: "Failed reads of a source (discovery, a registry, the catalog, kserve)."}, []string{"source"}),
		suspiciousEmpty: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "suspicious_empty_answers_total",
			Help: "Empty answers from a registry that held models, held back until confirmed."}, []string{"source"}),
		skipped: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "skipped_objects",
			Help: "Objects the latest sync did not publish, by reason (archived, not-ready, invalid-name, ...; registry-unreachable counts registries). " +
				"The normalizer logs each with \"object not published\" and the same reason."}, []string{"reason"}),
		lastGood: map[string]time.Time{},
		now:      time.Now,
		ageDesc: prometheus.NewDesc(ns+"_"+sub+"_source_last_good_read_age_seconds",
			"Seconds since each source last answered correctly.", []string{"source"}, nil),
	}
	if reg != nil {
		reg.MustRegister(m.syncs, m.syncDuration, m.published, m.rejected, m.adjusted, m.storeCalls, m.sourceFailures, m.suspiciousEmpty, m.skipped, m)
	}
	return m
}

func (m *Metrics) observeSync(d time.Duration, outcome string) {
	m.syncs.WithLabelValues(outcome).Inc()
	m.syncDuration.Observe(d.Seconds())
}

// setSkipped sets the skipped objects gauge of every reason: count[r], 0
// for the reasons absent from count.
func (m *Metrics) setSkipped(count map[mapping.Reason]int) {
	for _, r := range mapping.Reasons {
		m.skipped.WithLabelValues(string(r.Reason)).Set(float64(count[r.Reason]))
	}
}

func (m *Metrics) setLastGood(source string, t time.Time) {
	m.mu.Lock()
	m.lastGood[source] = t
	m.mu.Unlock()
}

func (m *Metrics) forgetSource(source string) {
	m.mu.Lock()
	delete(m.lastGood, source)
	m.mu.Unlock()
}

// Describe implements prometheus.Collector for the age gauge.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) { ch <- m.ageDesc }

// Collect computes each source's age at scrape time.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for s, t := range m.lastGood {
		ch <- prometheus.MustNewConstMetric(m.ageDesc, prometheus.GaugeValue, now.Sub(t).Seconds(), s)
	}
}
