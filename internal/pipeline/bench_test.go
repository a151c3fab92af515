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
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
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
			srv, p, store := benchPipeline(b, n)
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

// benchPipeline serves n generated models over loopback HTTP and wires a
// pipeline that reads them (registry, catalog cards) into an in-memory
// storage-rest.
func benchPipeline(b *testing.B, n int) (*fakeregistry.Server, *Pipeline, *fakeStore) {
	b.Helper()
	srv := fakeregistry.New(fakeregistry.Options{})
	if _, err := fakeregistry.Generate(srv, n, fakeregistry.GenOptions{Seed: 1}); err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	b.Cleanup(hs.Close)
	ep := discovery.Endpoint{Name: "bench", URL: hs.URL}
	store := newFakeStore()
	store.digest = &record.Digest{}
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
	return srv, p, store
}

// BenchmarkChangedSync measures the sync that follows a change in the
// registry, what a registry change waits for between the poll that sees it
// and /list: each iteration registers a new model (a registered model, a
// version and its artifact, as the scale benchmark does) and syncs.
// Reported: records upserted per sync (target 1).
func BenchmarkChangedSync(b *testing.B) {
	for _, n := range []int{1000, 10000, 50000} {
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			srv, p, _ := benchPipeline(b, n)
			ctx := context.Background()
			if _, err := p.Sync(ctx); err != nil {
				b.Fatal(err)
			}
			upserted := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				name := fmt.Sprintf("bench-new-%d", i)
				if _, _, _, err := srv.RegisterModel(name, "s3://models/new/"+name); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				res, err := p.Sync(ctx)
				if err != nil {
					b.Fatal(err)
				}
				upserted += res.Upserted
			}
			b.StopTimer()
			b.ReportMetric(float64(upserted)/float64(b.N), "records-upserted/sync")
		})
	}
}
