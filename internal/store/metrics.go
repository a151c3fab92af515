package store

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// APICalls counts the ConfigMap requests the Store made to the API server.
type APICalls struct {
	Get, Create, Patch, Delete int64
	// List and Watch are the informers' requests (start-up and re-lists).
	List, Watch int64
}

// Requests is the number of requests outside the watch: what reads and
// writes of records cost.
func (a APICalls) Requests() int64 { return a.Get + a.Create + a.Patch + a.Delete }

// Sub returns a-b, the calls made between two readings.
func (a APICalls) Sub(b APICalls) APICalls {
	return APICalls{
		Get: a.Get - b.Get, Create: a.Create - b.Create, Patch: a.Patch - b.Patch,
		Delete: a.Delete - b.Delete, List: a.List - b.List, Watch: a.Watch - b.Watch,
	}
}

type verb int

const (
	verbGet verb = iota
	verbCreate
	verbPatch
	verbDelete
	verbList
	verbWatch
	numVerbs
)

func (v verb) String() string {
	switch v {
	case verbGet:
		return "get"
	case verbCreate:
		return "create"
	case verbPatch:
		return "patch"
	case verbDelete:
		return "delete"
	case verbList:
		return "list"
	case verbWatch:
		return "watch"
	}
	return "unknown"
}

// metrics are the Store's Prometheus metrics, plus exact call counters that
// tests and benchmarks read without scraping.
type metrics struct {
	calls     [numVerbs]atomic.Int64
	apiCalls  *prometheus.CounterVec
	writes    *prometheus.CounterVec
	conflicts prometheus.Counter
	records   prometheus.Gauge
	cms       prometheus.Gauge
	bytes     prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	const ns, sub = "rhoai_connector", "storage_rest"
	m := &metrics{
		apiCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "configmap_api_calls_total",
			Help: "Requests to the Kubernetes API server about the store's ConfigMaps, by verb.",
		}, []string{"verb"}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "store_writes_total",
			Help: "Records written to the ConfigMaps, by operation (create, update, remove, move, dedupe).",
		}, []string{"op"}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "store_conflicts_retried_total",
			Help: "ConfigMap writes retried after another writer changed the ConfigMap first (a record it wrote was changed concurrently, or the ConfigMap filled up).",
		}),
		records: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "store_records",
			Help: "Records held in the store.",
		}),
		cms: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "store_configmaps",
			Help: "ConfigMaps in use by the store (the primary and its spills).",
		}),
		bytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "store_bytes",
			Help: "Bytes used in the store's ConfigMaps, as counted against the 1 MiB limit of each.",
		}),
	}
	for v := verb(0); v < numVerbs; v++ {
		m.apiCalls.WithLabelValues(v.String())
	}
	if reg != nil {
		reg.MustRegister(m.apiCalls, m.writes, m.conflicts, m.records, m.cms, m.bytes)
	}
	return m
}

func (m *metrics) call(v verb) {
	m.calls[v].Add(1)
	m.apiCalls.WithLabelValues(v.String()).Inc()
}

func (m *metrics) snapshot() APICalls {
	return APICalls{
		Get: m.calls[verbGet].Load(), Create: m.calls[verbCreate].Load(), Patch: m.calls[verbPatch].Load(),
		Delete: m.calls[verbDelete].Load(), List: m.calls[verbList].Load(), Watch: m.calls[verbWatch].Load(),
	}
}
