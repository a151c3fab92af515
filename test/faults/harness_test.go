//go:build faults

package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/store"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// registry is the registry/catalog test server on a loopback address that
// survives a restart (Replace), as a registry pod behind its Service does.
type registry struct {
	*fakeregistry.Server
	addr string

	mu  sync.Mutex
	srv *http.Server
}

func startRegistry(t *testing.T, models int) *registry {
	t.Helper()
	s := fakeregistry.New(fakeregistry.Options{})
	if models > 0 {
		_, err := fakeregistry.Generate(s, models, fakeregistry.GenOptions{Seed: 1})
		require.NoError(t, err)
	}
	r := &registry{addr: testenv.FreeAddr(t)}
	r.serve(t, s)
	t.Cleanup(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		_ = r.srv.Close()
	})
	return r
}

func (r *registry) url() string { return "http://" + r.addr }

func (r *registry) serve(t *testing.T, s *fakeregistry.Server) {
	t.Helper()
	var ln net.Listener
	var err error
	// The port was free a moment ago (or just released by Replace).
	require.Eventually(t, func() bool {
		ln, err = net.Listen("tcp", r.addr)
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "listening on %s: %v", r.addr, err)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Server = s
	r.srv = &http.Server{Handler: s}
	go func() { _ = r.srv.Serve(ln) }()
}

// Replace swaps the server behind the address for s.
func (r *registry) Replace(t *testing.T, s *fakeregistry.Server) {
	t.Helper()
	r.mu.Lock()
	_ = r.srv.Close()
	r.mu.Unlock()
	r.serve(t, s)
}

// addModel registers a model with one version and artifact, as a data
// scientist does in the dashboard.
func (r *registry) addModel(t *testing.T, name string) {
	t.Helper()
	rm, err := r.AddRegisteredModel(openapi.RegisteredModel{Name: name, Owner: ptr("fault-tests")})
	require.NoError(t, err)
	mv, err := r.AddModelVersion(openapi.ModelVersion{Name: "v1", RegisteredModelId: *rm.Id})
	require.NoError(t, err)
	_, err = r.AddModelArtifact(*mv.Id, openapi.ModelArtifact{Name: ptr(name + "-v1"), Uri: ptr("s3://models/" + name)})
	require.NoError(t, err)
}

func ptr[T any](v T) *T { return &v }

// newStack prepares the three binaries for ns, reading reg.
func newStack(t *testing.T, ns string, reg *registry, o testenv.StackOptions) *testenv.Stack {
	o.Bin, o.Kubeconfig, o.Namespace = cluster.Bin, cluster.Kubeconfig, ns
	if reg != nil {
		o.RegistryURLs, o.CatalogURL = []string{reg.url()}, reg.url()
	}
	return testenv.NewStack(t, o)
}

// waitStable waits until the normalizer is ready and has finished two
// clean syncs (outcome ok: every source read, every write accepted) after
// the call, storage-rest holds as many records as the normalizer publishes
// (at least minKeys) and location lists exactly those; it returns the keys.
func waitStable(t *testing.T, s *testenv.Stack, minKeys int, timeout time.Duration) []string {
	t.Helper()
	testenv.WaitOK(t, s.MetricsURL()+"/readyz", timeout)
	oks := metric(t, s, "rhoai_connector_normalizer_syncs_total", `outcome="ok"`)
	var keys, uris []string
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		if metric(t, s, "rhoai_connector_normalizer_syncs_total", `outcome="ok"`) < oks+2 {
			continue
		}
		published := int(metric(t, s, "rhoai_connector_normalizer_records_published"))
		var kerr, lerr error
		keys, kerr = s.StorageKeys()
		uris, lerr = s.List()
		if kerr != nil || lerr != nil || len(keys) < minKeys || len(keys) != published {
			continue
		}
		sort.Strings(keys)
		if equal(urisOf(t, keys), sorted(uris)) {
			return keys
		}
	}
	t.Fatalf("no stable state within %s: storage-rest holds %d keys, location lists %d", timeout, len(keys), len(uris))
	return nil
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// urisOf maps keys to the sorted URIs location lists them under.
func urisOf(t *testing.T, keys []string) []string {
	t.Helper()
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		u, err := record.URI(k, record.FileJSON)
		require.NoError(t, err)
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// missing lists the members of want not in have.
func missing(want, have []string) []string {
	in := make(map[string]bool, len(have))
	for _, h := range have {
		in[h] = true
	}
	var out []string
	for _, w := range want {
		if !in[w] {
			out = append(out, w)
		}
	}
	return out
}

// listHas reports whether some URI location lists contains fragment (a
// registered model's or a server's name is a segment of its URIs).
func listHas(s *testenv.Stack, fragment string) bool {
	uris, err := s.List()
	if err != nil {
		return false
	}
	for _, u := range uris {
		if strings.Contains(u, fragment) {
			return true
		}
	}
	return false
}

// configMapRecords reads the store's ConfigMaps straight from the API
// server, decoding every value as the documented jq command does (JSON
// record, base64 body holding a JSON document); a value that does not
// decode fails the test.
func configMapRecords(t *testing.T, ns string) map[string]record.Record {
	t.Helper()
	var cms corev1.ConfigMapList
	require.NoError(t, cluster.Client.List(context.Background(), &cms, client.InNamespace(ns),
		client.MatchingLabels{store.LabelStore: store.DefaultName}))
	out := map[string]record.Record{}
	for _, cm := range cms.Items {
		for k, v := range cm.BinaryData {
			var rec record.Record
			require.NoError(t, json.Unmarshal(v, &rec), "ConfigMap %s key %s does not hold a record", cm.Name, k)
			require.True(t, json.Valid(rec.Body), "ConfigMap %s key %s: body is not a JSON document", cm.Name, k)
			out[k] = rec
		}
	}
	return out
}

// configMapKeys are the sorted keys the store's ConfigMaps hold.
func configMapKeys(t *testing.T, ns string) []string {
	t.Helper()
	var keys []string
	for k := range configMapRecords(t, ns) {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// witness stands between the normalizer and storage-rest and records which
// upserts storage-rest acknowledged with 2xx: those must survive anything.
type witness struct {
	*httptest.Server
	mu    sync.Mutex
	acked map[string]bool
}

// newWitness proxies storage-rest and remembers every record it
// acknowledged: a 2xx POST /upsert, or an item of a 2xx POST /upsertbatch
// with a status. refuseBatches answers POST /upsertbatch 404, as a
// storage-rest without the batch API, so that the normalizer sends its
// records one by one.
func newWitness(t *testing.T, storageURL string, refuseBatches bool) *witness {
	t.Helper()
	target, err := url.Parse(storageURL)
	require.NoError(t, err)
	w := &witness{acked: map[string]bool{}}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.StatusCode/100 != 2 {
			return nil
		}
		switch resp.Request.URL.Path {
		case "/upsert":
			w.ack(resp.Request.URL.Query().Get("key"))
		case "/upsertbatch":
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				return err
			}
			_ = resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(body))
			var res record.BatchResult
			if err := json.Unmarshal(body, &res); err != nil {
				return fmt.Errorf("witness: storage-rest's batch answer: %w", err)
			}
			for _, r := range res.Results {
				if r.Status != "" {
					w.ack(r.Key)
				}
			}
		}
		return nil
	}
	proxy.ErrorHandler = func(rw http.ResponseWriter, _ *http.Request, _ error) {
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(rw, `{"error":"storage-rest is down"}`)
	}
	var h http.Handler = proxy
	if refuseBatches {
		h = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/upsertbatch" {
				rw.Header().Set("Content-Type", "application/json")
				rw.WriteHeader(http.StatusNotFound)
				_, _ = io.WriteString(rw, `{"error":"no endpoint /upsertbatch"}`)
				return
			}
			proxy.ServeHTTP(rw, r)
		})
	}
	w.Server = httptest.NewServer(h)
	t.Cleanup(w.Close)
	return w
}

func (w *witness) ack(key string) {
	w.mu.Lock()
	w.acked[key] = true
	w.mu.Unlock()
}

func (w *witness) keys() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.acked))
	for k := range w.acked {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// metric reads one normalizer metric, failing the test when it cannot.
func metric(t *testing.T, s *testenv.Stack, name string, labels ...string) float64 {
	t.Helper()
	v, err := s.Metric(name, labels...)
	require.NoError(t, err)
	return v
}
