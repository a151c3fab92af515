package scale

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubeflow/model-registry/pkg/openapi"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/backstage"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// registrySnapshot is what the generated registry holds, read through its
// REST API before the stack starts: where the expected counts come from.
type registrySnapshot struct {
	models   map[string]openapi.RegisteredModel // by id
	versions []openapi.ModelVersion
	services []openapi.InferenceService
	envName  map[string]string // serving environment id -> name (a namespace)
}

func readRegistry(base string) (*registrySnapshot, error) {
	s := &registrySnapshot{models: map[string]openapi.RegisteredModel{}, envName: map[string]string{}}
	models, err := listAll[openapi.RegisteredModel](base, "/registered_models")
	if err != nil {
		return nil, err
	}
	for _, m := range models {
		s.models[*m.Id] = m
	}
	if s.versions, err = listAll[openapi.ModelVersion](base, "/model_versions"); err != nil {
		return nil, err
	}
	if s.services, err = listAll[openapi.InferenceService](base, "/inference_services"); err != nil {
		return nil, err
	}
	envs, err := listAll[openapi.ServingEnvironment](base, "/serving_environments")
	if err != nil {
		return nil, err
	}
	for _, e := range envs {
		s.envName[*e.Id] = e.Name
	}
	return s, nil
}

func listAll[T any](base, path string) ([]T, error) {
	var out []T
	token := ""
	for {
		u := base + fakeregistry.RegistryBasePath + path + "?pageSize=1000"
		if token != "" {
			u += "&nextPageToken=" + url.QueryEscape(token)
		}
		var page struct {
			NextPageToken string `json:"nextPageToken"`
			Items         []T    `json:"items"`
		}
		if err := testenv.GetJSON(u, &page); err != nil {
			return nil, fmt.Errorf("listing %s of the generated registry: %w", path, err)
		}
		out = append(out, page.Items...)
		if page.NextPageToken == "" || len(page.Items) == 0 {
			return out, nil
		}
		token = page.NextPageToken
	}
}

// expectation is what the connector must publish for a snapshot whose
// inference services all have a Ready, labelled KServe InferenceService
// (the mapping package doc is the rule book).
type expectation struct {
	// records: one per live version of a live registered model.
	records int
	// servers: of those, the versions a DEPLOYED inference service serves
	// (its modelVersionId, else the model's latest version).
	servers int
	// latestLive is each registered model's latest live version, by
	// registered model id.
	latestLive map[string]openapi.ModelVersion
}

func (s *registrySnapshot) expect() expectation {
	live := map[string]bool{}
	latest := map[string]openapi.ModelVersion{}
	latestLive := map[string]openapi.ModelVersion{}
	for _, v := range s.versions {
		if cur, ok := latest[v.RegisteredModelId]; !ok || newer(v, cur) {
			latest[v.RegisteredModelId] = v
		}
		rm, ok := s.models[v.RegisteredModelId]
		if !ok || (rm.State != nil && *rm.State == openapi.REGISTEREDMODELSTATE_ARCHIVED) ||
			(v.State != nil && *v.State == openapi.MODELVERSIONSTATE_ARCHIVED) {
			continue
		}
		live[*v.Id] = true
		if cur, ok := latestLive[v.RegisteredModelId]; !ok || newer(v, cur) {
			latestLive[v.RegisteredModelId] = v
		}
	}
	served := map[string]bool{}
	for _, is := range s.services {
		if is.DesiredState != nil && *is.DesiredState != openapi.INFERENCESERVICESTATE_DEPLOYED {
			continue
		}
		vid := deref(is.ModelVersionId)
		if vid == "" {
			if l, ok := latest[is.RegisteredModelId]; ok {
				vid = *l.Id
			}
		}
		if live[vid] {
			served[vid] = true
		}
	}
	return expectation{records: len(live), servers: len(served), latestLive: latestLive}
}

// newer orders versions by creation time, then id, as the normalizer picks
// a registered model's latest version.
func newer(a, b openapi.ModelVersion) bool {
	ta, _ := strconv.ParseInt(deref(a.CreateTimeSinceEpoch), 10, 64)
	tb, _ := strconv.ParseInt(deref(b.CreateTimeSinceEpoch), 10, 64)
	if ta != tb {
		return ta > tb
	}
	ia, _ := strconv.ParseInt(*a.Id, 10, 64)
	ib, _ := strconv.ParseInt(*b.Id, 10, 64)
	return ia > ib
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// registryURI is the URI location lists for a registry model version when
// its sanitized names collide with no other (the mapping's rule).
func registryURI(model, version string) (string, bool) {
	m, ok1 := backstage.EntityName(model)
	v, ok2 := backstage.EntityName(version)
	if !ok1 || !ok2 {
		return "", false
	}
	key, err := record.KeyFromSegments(m, v)
	if err != nil {
		return "", false
	}
	uri, err := record.URI(key, record.FileJSON)
	return uri, err == nil
}

// kserveURI is the URI location lists for a KServe-only InferenceService
// (key kserve__<namespace>__<name>).
func kserveURI(ns, name string) string {
	key, err := record.KeyFromSegments("kserve", ns, name)
	if err != nil {
		panic(fmt.Sprintf("namespace %q / name %q do not make a record key: %v", ns, name, err))
	}
	uri, _ := record.URI(key, record.FileJSON)
	return uri
}

// parallel runs f(0..n-1) on workers goroutines and returns the first
// error; the remaining items are skipped once one fails.
func parallel(n, workers int, f func(i int) error) error {
	var next atomic.Int64
	var failed atomic.Bool
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					failed.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// createLinkedISVCs creates, for every inference service of the registry,
// the KServe InferenceService OpenShift AI would have deployed: in the
// serving environment's namespace, with the inference service's name and
// the labels that link it to the registry, marked Ready. They are deleted
// when the benchmark ends: the next size's normalizer watches the whole
// cluster.
func createLinkedISVCs(ctx context.Context, b *testing.B, kube client.Client, snap *registrySnapshot, workers int) int {
	b.Helper()
	for _, ns := range snap.envName {
		err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			b.Fatalf("creating namespace %s: %v", ns, err)
		}
	}
	var mu sync.Mutex
	var created []*v1beta1.InferenceService
	b.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if err := deleteISVCs(context.Background(), kube, created, workers); err != nil {
			b.Errorf("cleaning up: %v (delete the InferenceServices left in namespaces %v by hand before the next run)", err, snap.envName)
		}
	})
	err := parallel(len(snap.services), workers, func(i int) error {
		ris := snap.services[i]
		ns, ok := snap.envName[ris.ServingEnvironmentId]
		if !ok || ris.Name == nil {
			return fmt.Errorf("registry inference service %s has no serving environment or name: the generator changed", deref(ris.Id))
		}
		labels := map[string]string{
			mapping.LabelInferenceServiceID: *ris.Id,
			mapping.LabelRegisteredModelID:  ris.RegisteredModelId,
		}
		if v := deref(ris.ModelVersionId); v != "" {
			labels[mapping.LabelModelVersionID] = v
		}
		isvc, err := testenv.CreateInferenceService(ctx, kube, ns, *ris.Name, labels, nil)
		if err != nil {
			return err
		}
		mu.Lock()
		created = append(created, isvc)
		mu.Unlock()
		return testenv.MarkReady(ctx, kube, isvc)
	})
	if err != nil {
		b.Fatalf("creating the KServe InferenceServices of the registry: %v", err)
	}
	return len(created)
}

// deleteISVCs deletes InferenceServices and the predictor Services that
// testenv.CreateInferenceService made with them.
func deleteISVCs(ctx context.Context, kube client.Client, isvcs []*v1beta1.InferenceService, workers int) error {
	return parallel(len(isvcs), workers, func(i int) error {
		isvc := isvcs[i]
		if err := kube.Delete(ctx, isvc); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting InferenceService %s/%s: %w", isvc.Namespace, isvc.Name, err)
		}
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: isvc.Namespace, Name: isvc.Name + "-predictor"}}
		if err := kube.Delete(ctx, svc); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting Service %s/%s: %w", svc.Namespace, svc.Name, err)
		}
		return nil
	})
}

var labelRE = regexp.MustCompile(`(\w+)="((?:[^"\\]|\\.)*)"`)

// apiWrites reads the kube-apiserver's own request counter
// (apiserver_request_total) and sums the writes (POST, PUT, PATCH, DELETE,
// APPLY) by group/resource[/subresource].
func apiWrites(ctx context.Context, rc rest.Interface) (map[string]float64, error) {
	body, err := rc.Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the kube-apiserver's /metrics: %w", err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		end := strings.LastIndexByte(line, '}')
		labels := map[string]string{}
		for _, m := range labelRE.FindAllStringSubmatch(line[:end], -1) {
			labels[m[1]] = m[2]
		}
		switch labels["verb"] {
		case "POST", "PUT", "PATCH", "DELETE", "APPLY":
		default:
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[end+1:]), 64)
		if err != nil {
			return nil, fmt.Errorf("kube-apiserver metric line %q: %w", line, err)
		}
		res := labels["resource"]
		if g := labels["group"]; g != "" {
			res = g + "/" + res
		}
		if s := labels["subresource"]; s != "" {
			res += "/" + s
		}
		out[res] += v
	}
	return out, nil
}

// writeDelta is the writes between two apiWrites readings.
type writeDelta map[string]float64

func diffWrites(before, after map[string]float64) writeDelta {
	d := writeDelta{}
	for k, v := range after {
		if x := v - before[k]; x != 0 {
			d[k] = x
		}
	}
	return d
}

// controlPlaneOwn are writes the control plane makes by itself, whoever
// else is connected: kube-apiserver renews its identity Lease every 10s.
// The connector takes no Lease (leader election is off in the pod).
const controlPlaneOwn = "coordination.k8s.io/leases"

// connector sums the writes that are not the control plane's own.
func (d writeDelta) connector() float64 {
	t := 0.0
	for k, v := range d {
		if k != controlPlaneOwn {
			t += v
		}
	}
	return t
}

func (d writeDelta) String() string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%g", k, d[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// checkAlive fails the benchmark when a binary of the stack exited.
func checkAlive(b *testing.B, st *testenv.Stack) {
	b.Helper()
	for _, p := range []*testenv.Process{st.Storage, st.Location, st.Normalizer} {
		if p != nil && !p.Alive() {
			b.Fatalf("%s exited; its output ends with:\n%s", filepath.Base(p.Name), tail(p.Output(), 40))
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitFor polls cond until it is done; it fails the benchmark on timeout
// (saying cond's last status) or as soon as a binary dies.
func waitFor(b *testing.B, st *testenv.Stack, what string, timeout, every time.Duration, cond func() (bool, string)) {
	b.Helper()
	start := time.Now()
	last := ""
	for {
		checkAlive(b, st)
		done, s := cond()
		if done {
			return
		}
		last = s
		if time.Since(start) > timeout {
			b.Fatalf("%s: not reached within %s; last seen: %s", what, timeout, last)
		}
		time.Sleep(every)
	}
}

// metric reads one family of the normalizer's metrics, failing the
// benchmark when /metrics does not answer.
func metric(b *testing.B, st *testenv.Stack, name string, want ...string) float64 {
	b.Helper()
	v, err := st.Metric(name, want...)
	if err != nil {
		checkAlive(b, st)
		b.Fatalf("reading %s from the normalizer's /metrics: %v", name, err)
	}
	return v
}

const (
	syncsMetric = "rhoai_connector_normalizer_syncs_total"
	// storedMetric and servedMetric are the records storage-rest holds
	// and location lists, on each one's /metrics.
	storedMetric = "rhoai_connector_storage_rest_store_records"
	servedMetric = "rhoai_connector_location_records"
)

// waitSyncs waits until k more syncs have completed than had when called
// (a sync in progress at the call counts as one).
func waitSyncs(b *testing.B, st *testenv.Stack, k int, timeout time.Duration) {
	b.Helper()
	target := metric(b, st, syncsMetric) + float64(k)
	waitFor(b, st, fmt.Sprintf("%d more normalizer syncs", k), timeout, 50*time.Millisecond, func() (bool, string) {
		v := metric(b, st, syncsMetric)
		return v >= target, fmt.Sprintf("%g syncs of %g", v, target)
	})
}

// listSet is location's /list as a set.
func listSet(st *testenv.Stack) (map[string]bool, error) {
	uris, err := st.List()
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(uris))
	for _, u := range uris {
		set[u] = true
	}
	return set, nil
}

// waitListed waits until uri is in location's /list and returns the time
// since t0. Polling the document first (cheap) and /list only once the
// document answers keeps the poller from loading the 2-core machine with
// megabytes of /list per second; location serves both from one index.
func waitListed(b *testing.B, st *testenv.Stack, uri string, t0 time.Time, timeout time.Duration) time.Duration {
	b.Helper()
	waitFor(b, st, uri+" served by location", timeout, 20*time.Millisecond, func() (bool, string) {
		c := testenv.Status(st.LocationURL() + uri)
		return c == http.StatusOK, fmt.Sprintf("HTTP %d", c)
	})
	waitFor(b, st, uri+" in location's /list", timeout, 20*time.Millisecond, func() (bool, string) {
		set, err := listSet(st)
		if err != nil {
			return false, err.Error()
		}
		return set[uri], "not listed"
	})
	return time.Since(t0)
}

// percentile is the q-quantile of sorted samples, nearest rank (so with
// fewer than 100 samples p99 is the maximum).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*q+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

func sortDurations(d []time.Duration) []time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}

// docScan is what every document location lists says, fetched once.
type docScan struct {
	docs, servers, cards int
	cardURL              string // a model card link of one document
	failures             []string
}

// scanDocuments GETs every uri from location and counts documents with a
// model server and with a model card link; a uri that does not answer 200
// with a valid document is a failure (the 0.7.x plugin fails its whole poll
// on it).
func scanDocuments(base string, uris []string, workers int) docScan {
	var mu sync.Mutex
	var s docScan
	_ = parallel(len(uris), workers, func(i int) error {
		var d modelcatalog.Document
		err := testenv.GetJSON(base+uris[i], &d)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			s.failures = append(s.failures, err.Error())
		case len(d.Models) == 0:
			s.failures = append(s.failures, uris[i]+": document has no models")
		default:
			s.docs++
			if d.ModelServer != nil {
				s.servers++
			}
			if l := d.Models[0].Annotations[modelcatalog.AnnotationTechDocsLower]; strings.HasPrefix(l, "/modelcard?key=") {
				s.cards++
				s.cardURL = l
			}
		}
		return nil
	})
	return s
}

// loadStats summarises one load run.
type loadStats struct {
	requests, failures int
	perSecond          float64
	p50, p99           time.Duration
	firstFailure       string
}

// runLoad sends GETs of next(rng) from workers goroutines over keep-alive
// connections for d and measures throughput and latency.
func runLoad(workers int, d time.Duration, next func(rng *rand.Rand) string) loadStats {
	tr := &http.Transport{MaxIdleConns: 2 * workers, MaxIdleConnsPerHost: 2 * workers}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var mu sync.Mutex
	var all []time.Duration
	var st loadStats
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, 0x6c6f6164))
			var lat []time.Duration
			failures, first := 0, ""
			for time.Now().Before(deadline) {
				u := next(rng)
				t0 := time.Now()
				resp, err := c.Get(u)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
					}
				}
				lat = append(lat, time.Since(t0))
				if err != nil {
					failures++
					if first == "" {
						first = err.Error()
					}
				}
			}
			mu.Lock()
			all = append(all, lat...)
			st.failures += failures
			if st.firstFailure == "" {
				st.firstFailure = first
			}
			mu.Unlock()
		}(uint64(w + 1))
	}
	wg.Wait()
	elapsed := time.Since(start)
	sorted := sortDurations(all)
	st.requests = len(all)
	st.perSecond = float64(len(all)) / elapsed.Seconds()
	st.p50, st.p99 = percentile(sorted, 0.50), percentile(sorted, 0.99)
	return st
}

// configMapStats counts the bac-import-model ConfigMaps of ns and their
// data bytes (keys plus values, what the API server's 1 MiB limit counts).
func configMapStats(ctx context.Context, kube client.Client, ns string) (count, total, largest int, err error) {
	var cms corev1.ConfigMapList
	if err := kube.List(ctx, &cms, client.InNamespace(ns)); err != nil {
		return 0, 0, 0, fmt.Errorf("listing ConfigMaps in %s: %w", ns, err)
	}
	for _, cm := range cms.Items {
		if cm.Name != storeConfigMap && !strings.HasPrefix(cm.Name, storeConfigMap+"-") {
			continue
		}
		size := 0
		for k, v := range cm.Data {
			size += len(k) + len(v)
		}
		for k, v := range cm.BinaryData {
			size += len(k) + len(v)
		}
		count++
		total += size
		largest = max(largest, size)
	}
	return count, total, largest, nil
}

// storeConfigMap is the primary ConfigMap of storage-rest (CONTRACT
// section 4); spill ConfigMaps are named after it with -1, -2, ...
const storeConfigMap = "bac-import-model"

// etcdStats are etcd's own figures, from its /metrics on the loopback
// client URL envtest gives it.
type etcdStats struct {
	// receivedBytes from clients (the kube-apiserver): nearly all of it is
	// the objects written.
	receivedBytes float64
	dbBytes       float64
	quotaBytes    float64
	// noSpace is set once etcd raised its NOSPACE alarm: its database
	// reached the backend quota and it refuses every write until an
	// operator compacts, defragments and disarms it.
	noSpace bool
}

func readEtcd(metricsURL string) (etcdStats, error) {
	var s etcdStats
	var alarms float64
	for _, m := range []struct {
		name string
		dst  *float64
		want []string
	}{
		{"etcd_network_client_grpc_received_bytes_total", &s.receivedBytes, nil},
		{"etcd_mvcc_db_total_size_in_bytes", &s.dbBytes, nil},
		{"etcd_server_quota_backend_bytes", &s.quotaBytes, nil},
		{"etcd_debugging_server_alarms", &alarms, []string{`alarm_type="NOSPACE"`}},
	} {
		v, err := testenv.ScrapeMetric(metricsURL, m.name, m.want...)
		if err != nil {
			return s, fmt.Errorf("reading %s from etcd's /metrics: %w", m.name, err)
		}
		*m.dst = v
	}
	s.noSpace = alarms > 0
	return s, nil
}

func mib(bytes float64) float64 { return bytes / (1 << 20) }
