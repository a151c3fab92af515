package scale

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubeflow/model-registry/pkg/openapi"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// cluster is the control plane and the binaries TestMain prepared.
var cluster testenv.Cluster

// etcdQuota is OpenShift's etcd backend quota (8 GiB); envtest keeps etcd's
// 2 GiB default otherwise.
const etcdQuota = 8 << 30

func TestMain(m *testing.M) {
	flag.Parse()
	// Only benchmarks use the control plane: a plain `go test ./...` must
	// not pay for starting it and building three binaries.
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	os.Exit(testenv.RunWithCluster(m, &cluster, testenv.ClusterOptions{
		Binaries:       []string{"storage-rest", "location", "rhoai-normalizer"},
		EtcdQuotaBytes: etcdQuota,
	}))
}

// apiServerMetrics is a client for the kube-apiserver's own /metrics.
func apiServerMetrics(b *testing.B) rest.Interface {
	cs, err := kubernetes.NewForConfig(cluster.Config)
	if err != nil {
		b.Fatalf("building the kube-apiserver metrics client: %v", err)
	}
	return cs.Discovery().RESTClient()
}

func etcdMetricsURL() string { return cluster.Env.ControlPlane.Etcd.URL.String() + "/metrics" }

// BenchmarkScale runs the whole connector against a generated registry of
// each size; see the package doc for what it reports. Run it with
// -benchtime 1x: one stack start is one measurement.
func BenchmarkScale(b *testing.B) {
	for _, n := range []int{1000, 10000, 50000} {
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				measure(b, n)
			}
		})
	}
}

const (
	// pollingInterval of the normalizer (POLLING_INTERVAL): it bounds how
	// fast a registry change can show.
	pollingInterval = 5 * time.Second
	// isvcWorkers bounds the concurrent creation of InferenceServices.
	isvcWorkers = 8
	// unchangedSyncs are measured for requests and writes per sync.
	unchangedSyncs = 3
	// kserveSamples and registrySamples are the propagation samples; with
	// fewer than 100 samples the nearest-rank p99 is the maximum.
	kserveSamples   = 30
	registrySamples = 20
	loadWorkers     = 32
	loadDuration    = 5 * time.Second
	scanWorkers     = 8
	// maxConfigMap is the API server's limit on a ConfigMap's data.
	maxConfigMap = 1 << 20
)

var runs atomic.Int64

func measure(b *testing.B, n int) {
	limits, err := parseContainerLimits(os.Getenv("SCALE_CONTAINER_LIMITS"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	kube := cluster.Client
	run := runs.Add(1)
	ns := fmt.Sprintf("scale-%d-%d", n, run)
	if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		b.Fatalf("creating namespace %s: %v", ns, err)
	}
	// Timeouts grow with the size; they only bound a hang, they do not
	// judge speed.
	completeTimeout := 10*time.Minute + time.Duration(n)*30*time.Millisecond
	syncTimeout := time.Minute + time.Duration(n)*5*time.Millisecond

	// 1. The sources: a generated registry and catalog on loopback, and a
	// Ready KServe InferenceService for each of its inference services.
	srv := fakeregistry.New(fakeregistry.Options{})
	gen, err := fakeregistry.Generate(srv, n, fakeregistry.GenOptions{Seed: 1})
	if err != nil {
		b.Fatalf("generating the registry: %v", err)
	}
	reg := httptest.NewServer(srv)
	b.Cleanup(reg.Close)
	snap, err := readRegistry(reg.URL)
	if err != nil {
		b.Fatal(err)
	}
	want := snap.expect()
	if want.records == 0 || len(snap.services) == 0 {
		b.Fatalf("the generator made %d live versions and %d inference services: nothing to measure", want.records, len(snap.services))
	}
	setup := time.Now()
	linked := createLinkedISVCs(ctx, b, kube, snap, isvcWorkers)
	isvcSetup := time.Since(setup)

	st := testenv.NewStack(b, testenv.StackOptions{
		Bin: cluster.Bin, Kubeconfig: cluster.Kubeconfig, Namespace: ns,
		RegistryURLs: []string{reg.URL}, CatalogURL: reg.URL,
		PollingInterval: pollingInterval, LogLevel: "error",
		Env: limits.env(),
	})
	syncs := func(k int) { waitSyncs(b, st, k, time.Duration(k)*pollingInterval+syncTimeout) }
	srv.ResetRequestCounts()
	wStart, eStart := readWrites(ctx, b), etcdNow(b)

	// 2. Start to complete /list: storage-rest holds, and location lists,
	// every expected record.
	b.ResetTimer()
	start := time.Now()
	st.StartAll()
	var toReady time.Duration
	var readyKeys int
	var firstSyncRequests int64
	var listed, keys []string
	progress, lastGrowth, nextCheck := -1, time.Now(), time.Now()
	// Progress is read from the two services' record gauges, which cost
	// them nothing; the lists themselves (megabytes each at 50,000) are
	// read only to confirm the end. Reading both lists every 250 ms took
	// a third of a core from the 2-core machine the connector is timed on.
	waitFor(b, st, fmt.Sprintf("location lists all %d records", want.records), completeTimeout, 250*time.Millisecond, func() (bool, string) {
		ready := toReady == 0 && testenv.Status(st.MetricsURL()+"/readyz") == http.StatusOK
		if ready {
			toReady, firstSyncRequests = time.Since(start), srv.RequestCount()
		}
		stored, err := testenv.ScrapeMetric(st.StorageURL()+"/metrics", storedMetric)
		if err != nil {
			if ready {
				toReady = 0 // judged on the next poll, with the count
			}
			return false, "storage-rest /metrics: " + err.Error()
		}
		if ready {
			readyKeys = int(stored)
		}
		if int(stored) > want.records {
			b.Fatalf("storage-rest holds %.0f records, more than the %d live model versions: records are published twice or under changing keys", stored, want.records)
		}
		served, err := testenv.ScrapeMetric(st.LocationURL()+"/metrics", servedMetric)
		if err != nil {
			return false, "location /metrics: " + err.Error()
		}
		state := fmt.Sprintf("storage-rest holds %.0f, location lists %.0f", stored, served)
		if int(stored) > progress {
			progress, lastGrowth = int(stored), time.Now()
		}
		if time.Now().After(nextCheck) {
			nextCheck = time.Now().Add(5 * time.Second)
			e := etcdNow(b)
			state += fmt.Sprintf("; etcd database %.0f MiB of its %.0f MiB quota, %.0f MiB written to it since the start",
				mib(e.dbBytes), mib(e.quotaBytes), mib(e.receivedBytes-eStart.receivedBytes))
			if e.noSpace {
				b.Fatalf("etcd raised its NOSPACE alarm while the connector published its first %.0f records (%s): the ConfigMap writes filled its backend quota, and it now refuses every write", stored, state)
			}
			if time.Since(lastGrowth) > 3*time.Minute {
				b.Fatalf("publishing stalled for 3 minutes: %s", state)
			}
		}
		if int(stored) != want.records || int(served) != want.records {
			return false, state
		}
		if keys, err = st.StorageKeys(); err != nil {
			return false, "storage-rest /list: " + err.Error()
		}
		if listed, err = st.List(); err != nil {
			return false, "location /list: " + err.Error()
		}
		return len(keys) == want.records && len(listed) == want.records,
			fmt.Sprintf("storage-rest lists %d, location lists %d", len(keys), len(listed))
	})
	toList := time.Since(start)
	b.StopTimer()
	if toReady == 0 {
		// The last records reach location as the normalizer's first sync
		// ends: its readiness can follow the last check by a moment, but
		// must follow.
		waitFor(b, st, "the normalizer ready once location lists every record", syncTimeout, 50*time.Millisecond, func() (bool, string) {
			if testenv.Status(st.MetricsURL()+"/readyz") != http.StatusOK {
				return false, "not ready"
			}
			toReady, firstSyncRequests = time.Since(start), srv.RequestCount()
			k, err := st.StorageKeys()
			if err != nil {
				return false, "storage-rest /list: " + err.Error()
			}
			readyKeys = len(k)
			return true, ""
		})
	}
	startWrites, eList := diffWrites(wStart, readWrites(ctx, b)), etcdNow(b)
	if readyKeys < want.records {
		b.Errorf("the normalizer reported ready when storage-rest held %d of %d records: a first sync whose upserts failed must not count as published", readyKeys, want.records)
	}

	// The count is stable: one more sync changes nothing, and location and
	// storage-rest name the same records.
	syncs(1)
	checkSameRecords(b, st, len(listed))

	scan := scanDocuments(st.LocationURL(), listed, scanWorkers)
	if len(scan.failures) > 0 {
		b.Errorf("%d listed documents cannot be read (RHDH fails its whole poll on one), first: %s", len(scan.failures), scan.failures[0])
	}
	if scan.servers != want.servers {
		b.Errorf("%d documents have a modelServer, want %d (versions a DEPLOYED registry inference service with a Ready InferenceService serves)", scan.servers, want.servers)
	}
	if scan.cards == 0 {
		b.Errorf("no document links a model card, though %d catalog models were generated", gen.CatalogModels)
	} else if c := testenv.Status(st.LocationURL() + scan.cardURL); c != http.StatusOK {
		b.Errorf("model card %s: HTTP %d, want 200", scan.cardURL, c)
	}

	// 3 and 4a. Unchanged syncs: registry requests, no Kubernetes writes,
	// no upserts.
	syncs(1) // start on a sync boundary
	req0, w0, e0 := srv.RequestCount(), readWrites(ctx, b), etcdNow(b)
	s0, ok0 := metric(b, st, syncsMetric), metric(b, st, syncsMetric, `outcome="ok"`)
	up0 := metric(b, st, upsertsMetric, `op="upsert"`)
	syncs(unchangedSyncs)
	req1, w1, e1 := srv.RequestCount(), readWrites(ctx, b), etcdNow(b)
	idleEtcdIn := etcdIn(e0, e1) // e0 is reused for the change below
	s1, ok1 := metric(b, st, syncsMetric), metric(b, st, syncsMetric, `outcome="ok"`)
	up1 := metric(b, st, upsertsMetric, `op="upsert"`)
	nSyncs := s1 - s0
	reqPerSync := float64(req1-req0) / nSyncs
	idle := diffWrites(w0, w1)
	if ok1-ok0 != nSyncs {
		b.Errorf("%g of %g unchanged syncs did not end ok (see rhoai_connector_normalizer_syncs_total)", nSyncs-(ok1-ok0), nSyncs)
	}
	if idle.connector() != 0 {
		b.Errorf("%g unchanged syncs wrote to the Kubernetes API: %s", nSyncs, idle)
	}
	if up1 != up0 {
		b.Errorf("%g unchanged syncs sent %g upserts to storage-rest, want 0", nSyncs, up1-up0)
	}
	if reqPerSync <= 0 {
		b.Errorf("no registry request in %g syncs: the normalizer is not polling the registry", nSyncs)
	}

	// 4b. Change 1% of the registered models: a new description on their
	// latest live version.
	changed := pickChanges(b, st, snap, want, gen.RegisteredModelIDs, max(1, n/100))
	w0, up0, e0 = readWrites(ctx, b), metric(b, st, upsertsMetric, `op="upsert"`), etcdNow(b)
	t0 := time.Now()
	for uri, c := range changed {
		if _, err := srv.UpdateModelVersion(c.versionID, func(v *openapi.ModelVersion) { v.Description = &c.description }); err != nil {
			b.Fatalf("changing model version %s (%s): %v", c.versionID, uri, err)
		}
	}
	pending := map[string]change{}
	for u, c := range changed {
		pending[u] = c
	}
	waitFor(b, st, fmt.Sprintf("location serves the change of %d models", len(changed)), syncTimeout+2*pollingInterval, 200*time.Millisecond, func() (bool, string) {
		for u, c := range pending {
			var d modelcatalog.Document
			if err := testenv.GetJSON(st.LocationURL()+u, &d); err == nil && len(d.Models) > 0 && d.Models[0].Description == c.description {
				delete(pending, u)
			}
		}
		return len(pending) == 0, fmt.Sprintf("%d of %d documents not changed yet", len(pending), len(changed))
	})
	changeSeen := time.Since(t0)
	syncs(1) // any write the change causes is done
	changeWrites, eChange := diffWrites(w0, readWrites(ctx, b)), etcdNow(b)
	changeUpserts := metric(b, st, upsertsMetric, `op="upsert"`) - up0
	if changeUpserts != float64(len(changed)) {
		b.Errorf("changing %d models sent %g upserts to storage-rest, want one per changed record", len(changed), changeUpserts)
	}
	if changeWrites.connector() == 0 {
		b.Errorf("the change of %d records reached location without any Kubernetes write: storage-rest did not persist it", len(changed))
	}
	checkSameRecords(b, st, want.records)

	// 5. InferenceService Ready -> listed, for KServe-only servers.
	kns := ns + "-kserve"
	if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: kns}}); err != nil {
		b.Fatalf("creating namespace %s: %v", kns, err)
	}
	var extra []*v1beta1.InferenceService
	b.Cleanup(func() {
		if err := deleteISVCs(context.Background(), kube, extra, isvcWorkers); err != nil {
			b.Errorf("cleaning up: %v", err)
		}
	})
	for i := 0; i < kserveSamples; i++ {
		isvc, err := testenv.CreateInferenceService(ctx, kube, kns, fmt.Sprintf("kserve-only-%02d", i), nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		extra = append(extra, isvc)
	}
	syncs(2) // the sync the creations triggered has run
	if set, err := listSet(st); err != nil {
		b.Fatalf("location /list: %v", err)
	} else {
		for _, isvc := range extra {
			if set[kserveURI(kns, isvc.Name)] {
				b.Errorf("InferenceService %s/%s is listed before it is Ready", kns, isvc.Name)
			}
		}
	}
	var isvcLat []time.Duration
	for _, isvc := range extra {
		t0 := time.Now()
		if err := testenv.MarkReady(ctx, kube, isvc); err != nil {
			b.Fatal(err)
		}
		isvcLat = append(isvcLat, waitListed(b, st, kserveURI(kns, isvc.Name), t0, syncTimeout+pollingInterval))
	}

	// 6. A newly registered model -> listed: bounded by the polling
	// interval. A random pause before each spreads the samples over the
	// polling cycle, as real registrations are.
	rng := rand.New(rand.NewPCG(uint64(run), 0x72656769))
	var regLat []time.Duration
	for i := 0; i < registrySamples; i++ {
		time.Sleep(time.Duration(rng.Int64N(int64(pollingInterval))))
		name := fmt.Sprintf("scale-new-%d-%02d", run, i)
		t0 := time.Now()
		if _, _, _, err := srv.RegisterModel(name, "s3://models/new/"+name); err != nil {
			b.Fatal(err)
		}
		listedURI, ok := registryURI(name, "v1")
		if !ok {
			b.Fatalf("model name %q makes no URI", name)
		}
		regLat = append(regLat, waitListed(b, st, listedURI, t0, syncTimeout+2*pollingInterval))
	}
	total := want.records + kserveSamples + registrySamples
	syncs(1)
	checkSameRecords(b, st, total)

	// 7. Read throughput of location under concurrent load.
	uris, err := st.List()
	if err != nil {
		b.Fatalf("location /list: %v", err)
	}
	listLoad := runLoad(loadWorkers, loadDuration, func(*rand.Rand) string { return st.LocationURL() + "/list" })
	docLoad := runLoad(loadWorkers, loadDuration, func(r *rand.Rand) string { return st.LocationURL() + uris[r.IntN(len(uris))] })
	for what, l := range map[string]loadStats{"/list": listLoad, "documents": docLoad} {
		if l.failures > 0 || l.requests == 0 {
			b.Errorf("load on location %s: %d of %d requests failed, first: %s", what, l.failures, l.requests, l.firstFailure)
		}
	}

	// 8. Peak memory of each binary, and what the store holds.
	checkAlive(b, st)
	peak := map[string]float64{}
	for name, p := range map[string]*testenv.Process{"storage": st.Storage, "location": st.Location, "normalizer": st.Normalizer} {
		hwm, _, err := p.Memory()
		if err != nil {
			b.Fatalf("reading the memory of %s: %v", name, err)
		}
		peak[name] = hwm / 1024
	}
	limits.check(b, peak)
	cms, cmBytes, cmLargest, err := configMapStats(ctx, kube, ns)
	if err != nil {
		b.Fatal(err)
	}
	if cms == 0 {
		b.Errorf("no %s ConfigMap in %s: storage-rest kept nothing durably", storeConfigMap, ns)
	}
	eEnd := etcdNow(b)
	if eEnd.noSpace {
		b.Errorf("etcd raised its NOSPACE alarm (database %.0f MiB, quota %.0f MiB): the connector's ConfigMap writes filled it", mib(eEnd.dbBytes), mib(eEnd.quotaBytes))
	}
	if cmLargest > maxConfigMap {
		b.Errorf("a %s ConfigMap holds %d bytes, over the API server's 1 MiB limit", storeConfigMap, cmLargest)
	}

	isvcS, regS := sortDurations(isvcLat), sortDurations(regLat)
	report := []struct {
		v    float64
		unit string
	}{
		{float64(gen.RegisteredModels), "models"},
		{float64(want.records), "records"},
		{toReady.Seconds(), "s-to-ready"},
		{toList.Seconds(), "s-to-list"},
		{float64(firstSyncRequests), "registry-req/first-sync"},
		{etcdIn(eStart, eList), "etcd-MiB-in/first-sync"},
		{mib(eEnd.dbBytes), "etcd-db-MiB"},
		{reqPerSync, "registry-req/sync"},
		{startWrites.connector(), "k8s-writes/first-sync"},
		{idle.connector() / nSyncs, "k8s-writes/unchanged-sync"},
		{idleEtcdIn / nSyncs, "etcd-MiB-in/unchanged-sync"},
		{changeWrites.connector(), "k8s-writes/1%-change"},
		{etcdIn(e0, eChange), "etcd-MiB-in/1%-change"},
		{float64(len(changed)), "records/1%-change"},
		{changeSeen.Seconds(), "s-to-1%-change"},
		{percentile(isvcS, 0.50).Seconds(), "isvc-p50-s"},
		{percentile(isvcS, 0.99).Seconds(), "isvc-p99-s"},
		{percentile(regS, 0.50).Seconds(), "registry-p50-s"},
		{percentile(regS, 0.99).Seconds(), "registry-p99-s"},
		{pollingInterval.Seconds(), "polling-s"},
		{listLoad.perSecond, "list-req/s"},
		{float64(listLoad.p99.Microseconds()) / 1000, "list-p99-ms"},
		{docLoad.perSecond, "doc-req/s"},
		{float64(docLoad.p99.Microseconds()) / 1000, "doc-p99-ms"},
		{peak["normalizer"], "normalizer-peak-MiB"},
		{peak["storage"], "storage-peak-MiB"},
		{peak["location"], "location-peak-MiB"},
		{float64(cms), "configmaps"},
		{mib(float64(cmBytes)), "configmap-MiB"},
	}
	for _, r := range report {
		b.ReportMetric(r.v, r.unit)
	}
	b.Logf(`scale: %d registered models (%d versions, %d catalog models), %d live versions -> %d records, %d with a model server, %d with a model card
  setup:        %d Ready KServe InferenceServices linked to the registry, created in %s (%d workers)
  start:        normalizer ready after %s (%d registry requests), location complete after %s; Kubernetes writes: %s; %.0f MiB written to etcd
  unchanged:    %g syncs, %.0f registry requests/sync, Kubernetes writes: %s (%s: kube-apiserver's own lease renewals, not counted)
  1%% change:    %d records changed, seen in location after %s; %g upserts; Kubernetes writes: %s; %.1f MiB written to etcd
  isvc Ready:   %d samples, p50 %s, p99 %s (nearest rank: with %d samples p99 is the maximum)
  registry:     %d new models, p50 %s, p99 %s (polling interval %s; with %d samples p99 is the maximum)
  load:         /list (%d URIs) %.0f req/s p50 %s p99 %s; documents %.0f req/s p50 %s p99 %s (%d workers, %s each, load generator on the same 2 cores)
  memory/store: peak RSS normalizer %.0f MiB, storage-rest %.0f MiB, location %.0f MiB; %d %s ConfigMaps, %.1f MiB of data, largest %.2f MiB; etcd database %.0f MiB (quota %.0f MiB)`,
		gen.RegisteredModels, gen.ModelVersions, gen.CatalogModels, want.records, len(listed), scan.servers, scan.cards,
		linked, isvcSetup.Round(time.Millisecond), isvcWorkers,
		toReady.Round(time.Millisecond), firstSyncRequests, toList.Round(time.Millisecond), startWrites, etcdIn(eStart, eList),
		nSyncs, reqPerSync, idle, controlPlaneOwn,
		len(changed), changeSeen.Round(time.Millisecond), changeUpserts, changeWrites, etcdIn(e0, eChange),
		len(isvcS), percentile(isvcS, 0.5).Round(time.Millisecond), percentile(isvcS, 0.99).Round(time.Millisecond), len(isvcS),
		len(regS), percentile(regS, 0.5).Round(time.Millisecond), percentile(regS, 0.99).Round(time.Millisecond), pollingInterval, len(regS),
		len(uris), listLoad.perSecond, ms(listLoad.p50), ms(listLoad.p99), docLoad.perSecond, ms(docLoad.p50), ms(docLoad.p99), loadWorkers, loadDuration,
		peak["normalizer"], peak["storage"], peak["location"],
		cms, storeConfigMap, mib(float64(cmBytes)), mib(float64(cmLargest)), mib(eEnd.dbBytes), mib(eEnd.quotaBytes))
}

// etcdNow is readEtcd that fails the benchmark on error.
func etcdNow(b *testing.B) etcdStats {
	b.Helper()
	e, err := readEtcd(etcdMetricsURL())
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// etcdIn is the MiB etcd received between two readings. etcd prints its
// counters with 9 significant digits, so a delta is only good to a few
// hundred bytes; a tiny negative one is that rounding.
func etcdIn(before, after etcdStats) float64 {
	return max(0, mib(after.receivedBytes-before.receivedBytes))
}

func ms(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }

// upsertsMetric with op="upsert" counts the records the normalizer sent to
// storage-rest (one per record, whether alone or in a batch); its other
// ops (the digest every sync asks for, ...) are not upserts.
const upsertsMetric = "rhoai_connector_normalizer_storage_requests_total"

// readWrites is apiWrites that fails the benchmark on error.
func readWrites(ctx context.Context, b *testing.B) map[string]float64 {
	b.Helper()
	w, err := apiWrites(ctx, apiServerMetrics(b))
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// checkSameRecords fails unless location lists exactly the records
// storage-rest holds, and want of them.
func checkSameRecords(b *testing.B, st *testenv.Stack, want int) {
	b.Helper()
	keys, err := st.StorageKeys()
	if err != nil {
		b.Fatalf("storage-rest /list: %v", err)
	}
	set, err := listSet(st)
	if err != nil {
		b.Fatalf("location /list: %v", err)
	}
	var missing []string
	for _, k := range keys {
		u, err := record.URI(k, record.FileJSON)
		if err != nil {
			b.Errorf("storage-rest holds invalid key %q: %v", k, err)
			continue
		}
		if !set[u] {
			missing = append(missing, u)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		b.Errorf("location does not list %d records storage-rest holds, e.g. %s", len(missing), strings.Join(missing[:min(5, len(missing))], " "))
	}
	if len(set) != len(keys) || len(keys) != want {
		b.Errorf("location lists %d records, storage-rest holds %d, want %d", len(set), len(keys), want)
	}
}

// change is one model version whose description the benchmark changes.
type change struct {
	versionID, description string
}

// pickChanges picks count registered models spread over the registry (so
// their records spread over the store's ConfigMaps) whose latest live
// version is listed under the URI its names give, and the new description
// of each, by URI.
func pickChanges(b *testing.B, st *testenv.Stack, snap *registrySnapshot, want expectation, ids []string, count int) map[string]change {
	b.Helper()
	set, err := listSet(st)
	if err != nil {
		b.Fatalf("location /list: %v", err)
	}
	out := map[string]change{}
	stride := max(1, len(ids)/count)
	for start := 0; start < stride && len(out) < count; start++ {
		for i := start; i < len(ids) && len(out) < count; i += stride {
			rm := snap.models[ids[i]]
			v, ok := want.latestLive[ids[i]]
			if !ok {
				continue
			}
			uri, ok := registryURI(rm.Name, v.Name)
			if !ok || !set[uri] {
				continue
			}
			if _, dup := out[uri]; dup {
				continue
			}
			// The URI may belong to another version whose names sanitize
			// alike; the document says whose it is.
			var d modelcatalog.Document
			if err := testenv.GetJSON(st.LocationURL()+uri, &d); err != nil || len(d.Models) == 0 || d.Models[0].Description != deref(v.Description) {
				continue
			}
			out[uri] = change{versionID: *v.Id, description: fmt.Sprintf("Changed by the scale benchmark at %s: %s", time.Now().Format(time.RFC3339Nano), deref(v.Description))}
		}
	}
	if len(out) < count {
		b.Fatalf("found only %d of %d registered models to change", len(out), count)
	}
	return out
}
