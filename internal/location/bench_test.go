package location

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// benchRecords returns n records shaped like real ones: a model-catalog
// document of about 2 KiB and a model card of about 1 KiB.
func benchRecords(n int) map[string]record.Record {
	recs := make(map[string]record.Record, n)
	desc := strings.Repeat("A generative model fine-tuned for enterprise use. ", 30)
	card := "# Model card\n\n" + strings.Repeat("Intended use, limitations and evaluation results. ", 20)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("granite-%05d", i)
		body := fmt.Sprintf(`{"modelServer":{"name":"%s-server","owner":"rhdh-rhoai-bridge","lifecycle":"development","description":"server","API":{"url":"https://%s.apps.example.com/v1","type":"openapi","spec":"{}"}},"models":[{"name":"%s","owner":"rhdh-rhoai-bridge","lifecycle":"development","description":%q,"tags":["granite","llm"],"annotations":{"techdocs":"/modelcard?key=%s__v1"}}]}`,
			name, name, name, desc, name)
		recs[name+"__v1"] = record.Record{Body: []byte(body), LastUpdateTimeSinceEpoch: record.Epoch(1_700_000_000_000 + i), ModelCard: card, ReconcilerType: record.TypeKubeflow}
	}
	return recs
}

// discard is a ResponseWriter that keeps nothing, so that benchmarks
// measure the handler and not a recorder copying bodies.
type discard struct {
	h    http.Header
	code int
	n    int
}

func (d *discard) Header() http.Header { return d.h }
func (d *discard) WriteHeader(c int)   { d.code = c }
func (d *discard) Write(b []byte) (int, error) {
	d.n += len(b)
	return len(b), nil
}

func loadedBenchService(b *testing.B, n int) *testService {
	b.Helper()
	ts := newTestService(b, newFakeStorage(benchRecords(n)), nil)
	ts.load(b)
	if got := ts.ix.Snapshot().Len(); got != n {
		b.Fatalf("loaded %d records, want %d", got, n)
	}
	return ts
}

func benchGET(b *testing.B, h http.Handler, target string) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		w.code, w.n = 0, 0
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("GET %s: %d", target, w.code)
		}
	}
	b.SetBytes(int64(w.n))
}

// Handler: location's own work; Router: as served, with the shared
// router's request id, access log and metrics middleware.
func BenchmarkList(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		ts := loadedBenchService(b, n)
		b.Run(fmt.Sprintf("%d/Handler", n), func(b *testing.B) { benchGET(b, http.HandlerFunc(ts.rd.list), "/list") })
		b.Run(fmt.Sprintf("%d/Router", n), func(b *testing.B) { benchGET(b, ts.h, "/list") })
	}
}

func BenchmarkDocument(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		ts := loadedBenchService(b, n)
		uri := fmt.Sprintf("/granite-%05d/v1/model-catalog.json", n/2)
		b.Run(fmt.Sprintf("%d/Handler", n), func(b *testing.B) { benchGET(b, http.HandlerFunc(ts.rd.document), uri) })
		b.Run(fmt.Sprintf("%d/Router", n), func(b *testing.B) { benchGET(b, ts.h, uri) })
		b.Run(fmt.Sprintf("%d/Models", n), func(b *testing.B) { benchGET(b, ts.h, "/models/"+uri) })
	}
}

// BenchmarkStartUpLoad measures start-up with 10,000 records: a new
// service loads them all from a storage-rest over HTTP (GET /records, one
// request) until /list is ready.
func BenchmarkStartUpLoad(b *testing.B) {
	const n = 10000
	payload, err := json.Marshal(record.RecordSet{Records: benchRecords(n)})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		httpserver.WriteRawJSON(w, http.StatusOK, payload)
	}))
	defer srv.Close()
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		ts := newTestServiceAt(b, srv.URL, nil, nil)
		if err := ts.ld.load(context.Background()); err != nil {
			b.Fatal(err)
		}
		if ts.Ready() != nil || ts.ix.Snapshot().Len() != n {
			b.Fatalf("not ready with %d records after the load", n)
		}
	}
	b.ReportMetric(float64(n), "records/op")
}
