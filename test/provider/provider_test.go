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

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/startup"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// defaultRuns is how many provider runs one measurement makes; the first
// fills undici's view of the server, the others are the steady state
// RHDH's schedule repeats. PROVIDER_RUNS overrides it.
const defaultRuns = 3

// defaultLocationLimit is location's memory limit in deploy/ (and the
// issue's target at 50,000 records): location runs as in that container,
// with the GOMEMLIMIT it would set from the cgroup, and
// the benchmark fails when its peak goes over it. PROVIDER_LOCATION_LIMIT
// sets another ("512Mi"), or none ("none": GOGC alone).
const defaultLocationLimit = "256Mi"

// locationLimit is the memory limit location runs under, in bytes (0: none).
func locationLimit(b *testing.B) int64 {
	v, ok := os.LookupEnv("PROVIDER_LOCATION_LIMIT")
	if !ok || v == "" {
		v = defaultLocationLimit
	}
	if v == "none" {
		return 0
	}
	q, err := resource.ParseQuantity(v)
	if err != nil || q.Value() <= 0 {
		b.Fatalf("PROVIDER_LOCATION_LIMIT=%q: want a memory quantity such as 256Mi, or none", v)
	}
	return q.Value()
}

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
	limit := locationLimit(b)
	for _, n := range []int{1000, 10000, 50000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) { measure(b, node, filepath.Join(bin, "location"), n, runs, limit) })
	}
}

func measure(b *testing.B, node nodeRunner, location string, n, runs int, limit int64) {
	cat, err := generateCatalog(n)
	if err != nil {
		b.Fatal(err)
	}
	// A socket per fetch in node and in location, and room for the rest;
	// where the machine does not allow that many, node's fetch is capped
	// (the plugin's own default is no cap) and the report says so.
	maxConns := raiseFileLimit(b, uint64(n+fileHeadroom))
	storageURL := fakeStorage(b, cat)
	addr := testenv.FreeAddr(b)
	env := []string{"STORAGE_URL=" + storageURL, "RELOAD_INTERVAL=0", "LOG_LEVEL=info"}
	if limit > 0 {
		env = append(env, fmt.Sprintf("GOMEMLIMIT=%d", startup.SoftMemoryLimit(limit)))
	}
	p := testenv.StartProcess(b, location, env, "--address", addr)
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
		res, err = node.run(ctx, baseURL, runs, maxConns)
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
	b.ReportMetric(float64(maxConns), "node-max-connections")
	b.ReportMetric(float64(limit)/(1<<20), "location-limit-MiB")
	if limit > 0 && peak*(1<<20) > float64(limit) {
		b.Errorf("location peaked at %.0f MiB during the provider runs, over its container limit of %d MiB: in a pod it would be OOM-killed", peak, limit>>20)
	}
	if maxConns > 0 {
		b.Logf("node's fetch was capped at %d connections (%d open at most): %d records need %d open files per process, above this machine's hard limit; RHDH's plugin opens one per document, all at once",
			maxConns, res.PeakConnections, n, n+fileHeadroom)
	}
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
