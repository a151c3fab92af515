package index

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

func loadedIndex(b testing.TB, n int) *Index {
	b.Helper()
	recs := make(map[string]record.Record, n)
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("model-%05d__v1", i)
		recs[k] = withCard(rec(strings.ReplaceAll(k, "__", "-"), 1), "", "# card "+k)
	}
	ix := New(Options{})
	if _, err := ix.Load(context.Background(), loadFrom(recs)); err != nil {
		b.Fatal(err)
	}
	return ix
}

// The cost of one write (copy-on-write of what it touches) with n records
// held: it must not grow with n the way copying the whole index would.
func BenchmarkUpsertUpdate(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ix := loadedIndex(b, n)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				k := fmt.Sprintf("model-%05d__v1", i%n)
				if _, err := ix.Upsert(k, rec(fmt.Sprint(k, i), int64(i+2))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Creating and removing keys also edits the /list encoding.
func BenchmarkUpsertCreateAndRemove(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ix := loadedIndex(b, n)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				k := fmt.Sprintf("model-%05d__new", i%n)
				if _, err := ix.Upsert(k, rec(k, 1)); err != nil {
					b.Fatal(err)
				}
				if _, err := ix.Remove(k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			recs := make(map[string]record.Record, n)
			for i := 0; i < n; i++ {
				k := fmt.Sprintf("model-%05d__v1", i)
				recs[k] = withCard(rec(strings.ReplaceAll(k, "__", "-"), 1), "", "# card "+k)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := New(Options{}).Load(context.Background(), loadFrom(recs)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Rendering the root Location, once per snapshot that is asked for it.
func BenchmarkLocation(b *testing.B) {
	ix := loadedIndex(b, 10000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := fmt.Sprintf("model-%05d__v1", i%10000)
		if _, err := ix.Upsert(k, rec(fmt.Sprint(strings.ReplaceAll(k, "__", "-"), "-", i), int64(i+2))); err != nil {
			b.Fatal(err)
		}
		if n := len(ix.Snapshot().Targets()); n != 10000 {
			b.Fatal(n)
		}
	}
}

// The index's own heap per record, beside the bytes it serves: location's
// memory limit is set from it (at 90,000 records, each KiB per record is
// 88 MiB). Records are shaped as the collector sends them: a model-catalog
// document of about 0.9 KiB, the reconciler type and location target as
// fresh strings, a 2 KiB model card on every third, applied in batches of
// 500. B/record leaves out the key, body and card bytes, which are the
// data itself; heap-MiB is the whole index.
func BenchmarkMemoryPerRecord(b *testing.B) {
	const n, batch = 50000, 500
	desc := strings.Repeat("x", 800)
	card := strings.Repeat("c", 2000)
	var perRecord, heapMiB float64
	for b.Loop() {
		before := heapAlloc()
		ix, data := New(Options{}), 0
		for start := 0; start < n; start += batch {
			recs := make([]KeyedRecord, 0, batch)
			for i := start; i < start+batch; i++ {
				key := fmt.Sprintf("project-%03d__model-name-%05d__version-1", i%1000, i)
				uri, err := record.URI(key, record.FileJSON)
				if err != nil {
					b.Fatal(err)
				}
				r := record.Record{
					Body:                     fmt.Appendf(nil, `{"models":[{"name":"model-%05d-v1","owner":"o","lifecycle":"development","description":%q}]}`, i, desc),
					LastUpdateTimeSinceEpoch: record.Epoch(1_700_000_000_000 + i),
					ReconcilerType:           string([]byte(record.TypeKubeflow)),
					LocationTarget:           uri,
				}
				if i%3 == 0 {
					r.ModelCard = string([]byte(card))
				}
				data += len(key) + len(r.Body) + len(r.ModelCard)
				recs = append(recs, KeyedRecord{Key: key, Record: r})
			}
			_, errs := ix.UpsertMany(recs)
			for _, err := range errs {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		used := heapAlloc() - before
		runtime.KeepAlive(ix)
		perRecord = float64(used-data) / n
		heapMiB = float64(used) / (1 << 20)
	}
	b.ReportMetric(perRecord, "B/record")
	b.ReportMetric(heapMiB, "heap-MiB")
}

func heapAlloc() int {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int(ms.HeapAlloc)
}
