package dataplane

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/locationclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/storageclient"
)

var cluster testenv.Cluster

func TestMain(m *testing.M) {
	os.Exit(testenv.RunWithCluster(m, &cluster, testenv.ClusterOptions{Binaries: []string{"storage-rest", "location"}}))
}

type plane struct {
	t                    *testing.T
	ns                   string
	storageAddr, locAddr string
	storage, location    *testenv.Process
}

var planes atomic.Int64

// newPlane prepares a namespace of its own (unique, so -count=N works).
func newPlane(t *testing.T, prefix string) *plane {
	ns := fmt.Sprintf("%s-%d", prefix, planes.Add(1))
	require.NoError(t, cluster.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	return &plane{t: t, ns: ns, storageAddr: testenv.FreeAddr(t), locAddr: testenv.FreeAddr(t)}
}

func (p *plane) startStorage() {
	p.storage = testenv.StartProcess(p.t, filepath.Join(cluster.Bin, "storage-rest"),
		[]string{"POD_NAMESPACE=" + p.ns, "BRIDGE_URL=http://" + p.locAddr, "STORAGE_TYPE=ConfigMap"},
		"--address", p.storageAddr, "--kubeconfig", cluster.Kubeconfig)
	testenv.WaitOK(p.t, "http://"+p.storageAddr+"/readyz", time.Minute)
}

func (p *plane) startLocation() time.Duration {
	start := time.Now()
	p.location = testenv.StartProcess(p.t, filepath.Join(cluster.Bin, "location"),
		[]string{"STORAGE_URL=http://" + p.storageAddr}, "--address", p.locAddr)
	testenv.WaitOK(p.t, "http://"+p.locAddr+"/readyz", time.Minute)
	return time.Since(start)
}

func (p *plane) storageClient() *storageclient.Client {
	return storageclient.New("http://" + p.storageAddr)
}
func (p *plane) locClient() *locationclient.Client { return locationclient.New("http://" + p.locAddr) }

func doc(i int) []byte {
	return []byte(fmt.Sprintf(`{"models":[{"name":"m%d","owner":"o","lifecycle":"l","description":"d"}]}`, i))
}

func key(i int) string { return fmt.Sprintf("model-%04d__v1", i) }

func uri(i int) string { return fmt.Sprintf("/model-%04d/v1/model-catalog.json", i) }

func (p *plane) upsertAll(n int, version int64) {
	ctx := context.Background()
	sc := p.storageClient()
	for i := 0; i < n; i++ {
		rec := &record.Record{Body: doc(i), LastUpdateTimeSinceEpoch: record.Epoch(version)}
		if i%10 == 0 {
			rec.ModelCard = fmt.Sprintf("# Model %d\n", i)
		}
		_, err := sc.Upsert(ctx, key(i), record.TypeKubeflow, rec)
		require.NoError(p.t, err)
	}
}

func (p *plane) wantComplete(n int) {
	p.t.Helper()
	var want []string
	for i := 0; i < n; i++ {
		want = append(want, uri(i))
	}
	sort.Strings(want)
	require.Eventually(p.t, func() bool {
		got, err := p.locClient().List(context.Background())
		return err == nil && assert.ObjectsAreEqual(want, got)
	}, 30*time.Second, 50*time.Millisecond, "location lists every record")
	keys, err := p.storageClient().List(context.Background())
	require.NoError(p.t, err)
	assert.Len(p.t, keys, n, "storage-rest holds every record")
	resp, err := http.Get("http://" + p.locAddr + "/modelcard?key=" + key(10))
	require.NoError(p.t, err)
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(p.t, http.StatusOK, resp.StatusCode)
	assert.Equal(p.t, "# Model 10\n", string(b))
	resp, err = http.Get("http://" + p.locAddr + uri(n-1))
	require.NoError(p.t, err)
	b, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.JSONEq(p.t, string(doc(n-1)), string(b))
}

// TestRestartsLoseNothing crashes storage-rest and restarts location while
// they hold records: nothing is lost, and location is complete again.
func TestRestartsLoseNothing(t *testing.T) {
	p := newPlane(t, "dp-restarts")
	p.startStorage()
	p.startLocation()
	const n = 300
	p.upsertAll(n, 1)
	p.wantComplete(n)

	p.storage.Kill() // a crash, not a clean stop
	got, err := p.locClient().List(context.Background())
	require.NoError(t, err)
	assert.Len(t, got, n, "location keeps serving while storage-rest is down")
	p.startStorage()
	p.wantComplete(n)

	require.True(t, p.location.Stop(), "location exits 0 on SIGTERM")
	took := p.startLocation()
	p.wantComplete(n)
	t.Logf("location restarted and complete with %d records in %s", n, took)
}

// TestLocationCatchesUp: changes made while location is down are served
// once it is back.
func TestLocationCatchesUp(t *testing.T) {
	p := newPlane(t, "dp-catchup")
	p.startStorage()
	p.startLocation()
	p.upsertAll(20, 1)
	p.wantComplete(20)

	require.True(t, p.location.Stop())
	p.upsertAll(40, 2) // 20 updated, 20 new, location down
	removed, err := p.storageClient().CurrentKeySet(context.Background(), keysUpTo(30))
	require.NoError(t, err)
	assert.Len(t, removed, 10)
	p.startLocation()
	p.wantComplete(30)
}

func keysUpTo(n int) []string {
	var ks []string
	for i := 0; i < n; i++ {
		ks = append(ks, key(i))
	}
	return ks
}

// TestStorageKilledDuringBurst kills storage-rest with SIGKILL while many
// writers are upserting: every upsert it acknowledged with 2xx is in the
// ConfigMaps after a restart, and location converges on the same set.
func TestStorageKilledDuringBurst(t *testing.T) {
	p := newPlane(t, "dp-burst")
	p.startStorage()
	p.startLocation()

	const writers, perWriter = 8, 60
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	started := make(chan struct{})
	var once sync.Once
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			sc := storageclient.New("http://"+p.storageAddr, storageclient.WithHTTPClient(&http.Client{Timeout: 5 * time.Second}))
			for i := 0; i < perWriter; i++ {
				n := w*perWriter + i
				_, err := sc.Upsert(context.Background(), key(n), record.TypeKubeflow, &record.Record{Body: doc(n), LastUpdateTimeSinceEpoch: 1})
				if err != nil {
					return // storage-rest is gone: this writer stops
				}
				mu.Lock()
				acked[key(n)] = true
				if len(acked) == 40 {
					once.Do(func() { close(started) })
				}
				mu.Unlock()
			}
		}(w)
	}
	<-started
	p.storage.Kill()
	wg.Wait()
	mu.Lock()
	want := len(acked)
	mu.Unlock()
	require.Less(t, want, writers*perWriter, "the kill must land in the middle of the burst")
	t.Logf("%d upserts acknowledged before SIGKILL", want)

	p.startStorage()
	keys, err := p.storageClient().List(context.Background())
	require.NoError(t, err)
	stored := map[string]bool{}
	for _, k := range keys {
		stored[k] = true
	}
	for k := range acked {
		assert.True(t, stored[k], "acknowledged record %s lost", k)
	}
	// location converges on what storage-rest holds (storage-rest forwards
	// everything after its restart).
	require.Eventually(t, func() bool {
		got, err := p.locClient().List(context.Background())
		return err == nil && len(got) == len(keys)
	}, 30*time.Second, 50*time.Millisecond, "location converges on storage-rest's %d records", len(keys))
}
