package controller

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// BenchmarkNormalizerProcess runs the rhoai-normalizer binary against a
// generated registry (served in this process) and a storage-rest stand-in
// that accepts everything at once, so that only the normalizer is measured:
// time from start to everything published, then its peak and current
// resident memory (VmHWM, VmRSS) after several unchanged syncs.
// Run with -benchtime 1x: one process start is one measurement.
func BenchmarkNormalizerProcess(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				measureProcess(b, n)
			}
		})
	}
}

func measureProcess(b *testing.B, n int) {
	srv := fakeregistry.New(fakeregistry.Options{})
	gen, err := fakeregistry.Generate(srv, n, fakeregistry.GenOptions{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	reg := httptest.NewServer(srv)
	defer reg.Close()

	var upserts, other atomic.Int64
	store := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/records":
			_, _ = w.Write([]byte(`{"records":{}}`))
		case "/upsert":
			upserts.Add(1)
			_ = json.NewEncoder(w).Encode(record.UpsertResult{Key: r.URL.Query().Get("key"), Status: record.UpsertCreated})
		case "/digest":
			// As a storage-rest older than /digest: the normalizer trusts
			// what it wrote until its store resync.
			http.NotFound(w, r)
		case "/upsertbatch":
			var batch record.Batch
			if err := json.NewDecoder(r.Body).Decode(&batch); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			res := record.BatchResult{Results: make([]record.BatchItemResult, len(batch.Items))}
			for i, it := range batch.Items {
				res.Results[i] = record.BatchItemResult{Key: it.Key, Status: record.UpsertCreated}
			}
			upserts.Add(int64(len(batch.Items)))
			_ = json.NewEncoder(w).Encode(res)
		default:
			other.Add(1)
			_, _ = w.Write([]byte(`{"removed":[]}`))
		}
	}))
	defer store.Close()

	metrics := testenv.FreeAddr(b)
	start := time.Now()
	p := testenv.StartProcess(b, filepath.Join(cluster.Bin, "rhoai-normalizer"), []string{
		"MODEL_REGISTRY_URL=" + reg.URL, "MODEL_CATALOG_URL=" + reg.URL, "STORAGE_URL=" + store.URL,
		"POLLING_INTERVAL=2s", "LOG_LEVEL=error",
	}, "--kubeconfig", cluster.Kubeconfig, "--metrics-address", metrics)
	testenv.WaitOK(b, "http://"+metrics+"/readyz", 10*time.Minute)
	published := time.Since(start)
	records := upserts.Load()

	// Let a few unchanged syncs run, then read the memory figures.
	before, syncsBefore := srv.RequestCount(), scrape(b, metrics, "rhoai_connector_normalizer_syncs_total")
	time.Sleep(7 * time.Second)
	syncs := scrape(b, metrics, "rhoai_connector_normalizer_syncs_total") - syncsBefore
	perSync := float64(srv.RequestCount()-before) / syncs
	hwm, rss, err := p.Memory()
	if err != nil {
		b.Fatal(err)
	}
	if upserts.Load() != records {
		b.Errorf("unchanged syncs sent %d upserts", upserts.Load()-records)
	}
	b.ReportMetric(float64(gen.RegisteredModels), "models")
	b.ReportMetric(float64(records), "records")
	b.ReportMetric(published.Seconds(), "s-to-published")
	b.ReportMetric(perSync, "registry-requests/sync")
	b.ReportMetric(hwm/1024, "peak-RSS-MiB")
	b.ReportMetric(rss/1024, "RSS-MiB")
}

// scrape sums the samples of one metric family on a /metrics endpoint.
func scrape(b *testing.B, addr, name string) float64 {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	total := 0.0
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, name+"{") || strings.HasPrefix(line, name+" ") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			total += v
		}
	}
	return total
}
