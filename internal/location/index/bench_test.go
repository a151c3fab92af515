package index

import (
	"context"
	"fmt"
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
