package pipeline

import (
	"context"
	"fmt"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/go-logr/logr"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/catalogclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registryclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
)

type benchCards struct{ f *catalogclient.CardFetcher }

func (c benchCards) Card(ctx context.Context, src, name string) (string, bool, error) {
	m, err := c.f.Card(ctx, src, name)
	if err != nil {
		if catalogclient.IsNotFound(err) {
			return "", false, nil
		}
		return "", false, err
	}
	return m.Readme, m.Readme != "", nil
}

// BenchmarkFullSync measures one full sync of a generated registry over
// loopback HTTP (registry, catalog cards) into an in-memory storage-rest:
// the first sync publishes everything, every later one (what b.N times)
// finds nothing changed. Reported: registry HTTP requests per sync,
// storage-rest calls per unchanged sync (target 0), records, heap in use.
func BenchmarkFullSync(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			srv := fakeregistry.New(fakeregistry.Options{})
			if _, err := fakeregistry.Generate(srv, n, fakeregistry.GenOptions{Seed: 1}); err != nil {
				b.Fatal(err)
			}
			hs := httptest.NewServer(srv)
			defer hs.Close()
			ep := discovery.Endpoint{Name: "bench", URL: hs.URL}
			store := newFakeStore()
			p := New(Config{
				Discoverer: &fakeDiscovery{res: discovery.Result{Registries: []discovery.Endpoint{ep}, Catalog: &ep}},
				NewRegistry: func(e discovery.Endpoint) RegistryReader {
					return registryclient.New(e.URL, registryclient.Options{PageSize: 100})
				},
				NewCatalog: func(e discovery.Endpoint) CardReader {
					return benchCards{catalogclient.NewCardFetcher(catalogclient.New(e.URL, catalogclient.Options{}), catalogclient.CardOptions{})}
				},
				Store: store,
				Log:   logr.Discard(),
			})
			ctx := context.Background()
			srv.ResetRequestCounts()
			first, err := p.Sync(ctx)
			if err != nil {
				b.Fatal(err)
			}
			firstReqs := srv.RequestCount()

			calls := store.total()
			srv.ResetRequestCounts()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := p.Sync(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			// Reported after the timed loop: ResetTimer clears earlier metrics.
			b.ReportMetric(float64(first.Desired), "records")
			b.ReportMetric(float64(firstReqs), "http-requests-first-sync")
			b.ReportMetric(float64(srv.RequestCount())/float64(b.N), "http-requests/sync")
			b.ReportMetric(float64(store.total()-calls)/float64(b.N), "store-calls/unchanged-sync")
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		})
	}
}
