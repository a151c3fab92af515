package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// defaultRuns is how many provider runs one measurement makes; the first
// fills undici's view of the server, the others are the steady state
// RHDH's schedule repeats. PROVIDER_RUNS overrides it.
const defaultRuns = 3

// BenchmarkProviderRun: see the package doc. One measurement per size; run
// it with -benchtime 1x.
func BenchmarkProviderRun(b *testing.B) {
	node := requireNode(b)
	runs := defaultRuns
	if v := os.Getenv("PROVIDER_RUNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("PROVIDER_RUNS=%q: want a positive number of provider runs", v)
		}
		runs = n
	}
	bin := b.TempDir()
	if err := testenv.BuildBinaries(bin, "location"); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1000, 10000, 50000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) { measure(b, node, filepath.Join(bin, "location"), n, runs) })
	}
}

func measure(b *testing.B, node nodeRunner, location string, n, runs int) {
	cat, err := generateCatalog(n)
	if err != nil {
		b.Fatal(err)
	}
	// A socket per fetch in node and in location, and room for the rest.
	raiseFileLimit(b, uint64(n+4096))
	storageURL := fakeStorage(b, cat)
	addr := testenv.FreeAddr(b)
	p := testenv.StartProcess(b, location,
		[]string{"STORAGE_URL=" + storageURL, "RELOAD_INTERVAL=0", "LOG_LEVEL=info"}, "--address", addr)
	baseURL := "http://" + addr
	testenv.WaitOK(b, baseURL+"/list", 2*time.Minute)
	// /list answers as soon as the snapshot is published; the load is over
	// (its garbage released) when location logs it.
	waitForLog(b, p, "loaded records from storage-rest", time.Minute)
	loadPeak, loaded, err := p.Memory()
	if err != nil {
		b.Fatalf("reading location's memory: %v", err)
	}

	meter := startPeakMeter(b, p)
	var res runsResult
	b.ResetTimer()
	for range b.N {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		res, err = node.run(ctx, baseURL, runs)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	peak, err := meter.peakMiB()
	if err != nil {
		b.Fatal(err)
	}
	if !p.Alive() {
		b.Fatalf("location exited during the provider runs:\n%s", p.Output())
	}

	secs := 0.0
	for _, s := range res.Seconds {
		secs += s
	}
	b.ReportMetric(peak, "location-peak-MiB")
	b.ReportMetric(loaded/1024, "location-loaded-MiB")
	b.ReportMetric(loadPeak/1024, "location-load-peak-MiB")
	b.ReportMetric(float64(res.FailedFetches), "failed-fetches")
	b.ReportMetric(float64(res.FailedRuns), "failed-runs")
	b.ReportMetric(secs/float64(max(1, len(res.Seconds))), "s/run")
	b.ReportMetric(res.NodeMaxRSSMiB, "node-peak-MiB")
	b.Logf("records=%d documents=%.1f MiB runs=%d seconds=%v listed=%v entities=%v (want %d) fetches=%d failed=%d",
		n, float64(cat.bytes)/(1<<20), res.Runs, res.Seconds, res.Listed, res.Entities, cat.entities, res.Fetches, res.FailedFetches)
	check(b, res, n, runs, cat.entities)
}

func waitForLog(b *testing.B, p *testenv.Process, line string, timeout time.Duration) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.Output(), line) {
		if time.Now().After(deadline) {
			b.Fatalf("location did not log %q within %s", line, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// check fails the benchmark when the provider runs were not all complete
// and successful: RHDH would have kept the catalog as it was.
func check(b *testing.B, res runsResult, n, runs, entities int) {
	b.Helper()
	if res.FailedFetches > 0 || res.FailedRuns > 0 {
		b.Errorf("%d of %d fetches failed, %d of %d provider runs failed; first fetch errors %q; provider errors %q",
			res.FailedFetches, res.Fetches, res.FailedRuns, res.Runs, res.FetchErrors, res.Errors)
	}
	if res.Runs != runs || len(res.Listed) != runs || len(res.Entities) != runs {
		b.Errorf("%d runs reported (listed %v, entities %v), want %d", res.Runs, res.Listed, res.Entities, runs)
	}
	if want := runs * (n + 1); res.Fetches != want {
		b.Errorf("%d fetches, want %d (one /list and %d documents per run)", res.Fetches, want, n)
	}
	if slices.ContainsFunc(res.Listed, func(l int) bool { return l != n }) {
		b.Errorf("/list named %v uris per run, want %d", res.Listed, n)
	}
	if slices.ContainsFunc(res.Entities, func(e int) bool { return e != entities }) {
		b.Errorf("the provider handed the catalog %v entities per run, want %d (one per served document)", res.Entities, entities)
	}
}
