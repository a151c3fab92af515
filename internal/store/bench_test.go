package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/store"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// The benchmarks report ConfigMap API requests per upsert ("apicalls/op")
// next to the latency against a real API server. Each starts with 100
// records stored, as in a small deployment.

func benchStore(b *testing.B) *running {
	b.Helper()
	return seededStore(b, testenv.NewNamespace(b, apiServer, "store"), 100)
}

// seededStore starts a store in ns holding n records of about 2 kB,
// seed-0 to seed-<n-1>.
func seededStore(b *testing.B, ns string, n int, opts ...func(*store.Options)) *running {
	b.Helper()
	s := startStore(b, ns, opts...)
	for i := range n {
		_, err := s.Upsert(context.Background(), fmt.Sprintf("seed-%d", i), rec(doc("seed", 2000), 1))
		require.NoError(b, err)
	}
	return s
}

func reportCalls(b *testing.B, s *store.Store, before store.APICalls) {
	d := s.APICalls().Sub(before)
	b.ReportMetric(float64(d.Requests())/float64(b.N), "apicalls/op")
	b.ReportMetric(float64(d.Patch+d.Create)/float64(b.N), "writes/op")
}

func BenchmarkUpsertNewKey(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	before := s.APICalls()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Upsert(ctx, fmt.Sprintf("new-%d", i), rec(doc("new", 2000), 1)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportCalls(b, s.Store, before)
}

func BenchmarkUpsertChangedKey(b *testing.B) { changeOneRecord(b, benchStore(b)) }

// changeOneRecord times b.N changes of seed-7.
func changeOneRecord(b *testing.B, s *running) {
	ctx := context.Background()
	before := s.APICalls()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Upsert(ctx, "seed-7", rec(doc(fmt.Sprintf("v%d", i), 2000), int64(i+2))); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportCalls(b, s.Store, before)
}

func BenchmarkUpsertUnchanged(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	before := s.APICalls()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Upsert(ctx, "seed-7", rec(doc("seed", 2000), int64(i+2))); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportCalls(b, s.Store, before)
}

// BenchmarkUpsertParallel shows what batching buys when many callers write
// at once.
func BenchmarkUpsertParallel(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	before := s.APICalls()
	b.SetParallelism(8)
	b.ResetTimer()
	var n int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := fmt.Sprintf("par-%d", atomicInc(&n))
			if _, err := s.Upsert(ctx, i, rec(doc("par", 2000), 1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportCalls(b, s.Store, before)
}

func atomicInc(n *int64) int64 { return atomic.AddInt64(n, 1) }

// BenchmarkUpsertChangedKeyByConfigMapSize is one changed record's write
// in a ConfigMap holding about 130 KiB, 330 KiB or 1 MiB (its own
// ConfigMap filled to the limit): every change rewrites the whole
// ConfigMap, which is why the store fills each to DefaultFillBytes only.
func BenchmarkUpsertChangedKeyByConfigMapSize(b *testing.B) {
	for _, n := range []int{50, 120, 480} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			ns := testenv.NewNamespace(b, apiServer, "store")
			changeOneRecord(b, seededStore(b, ns, n, fillToTheLimit))
			b.ReportMetric(float64(primarySize(serverConfigMaps(b, ns)[store.DefaultName])), "configmap-bytes")
		})
	}
}
