package store_test

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/store"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// One control plane for the whole package; every test works in its own
// namespace.
var apiServer *rest.Config

func TestMain(m *testing.M) {
	os.Exit(testenv.RunMain(m, func(_ *envtest.Environment, cfg *rest.Config) error {
		apiServer = cfg
		return nil
	}))
}

// kube returns a plain JSON client, independent of the store's, to look at
// what the API server really holds.
func kube(t testing.TB) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(apiServer)
	require.NoError(t, err)
	return cs
}

// running is a started Store and the means to stop it like a process exit.
type running struct {
	*store.Store
	stop    func()
	changes *changeLog
}

type changeLog struct {
	mu   sync.Mutex
	last map[string]*record.Record
	n    int
}

func (c *changeLog) hear(key string, rec *record.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		c.last = map[string]*record.Record{}
	}
	c.last[key] = rec
	c.n++
}

func (c *changeLog) get(key string) (*record.Record, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.last[key]
	return r, ok
}

// fillToTheLimit fills ConfigMaps to the API server's limit, for the tests
// of what happens at the limit.
func fillToTheLimit(o *store.Options) { o.FillBytes = store.MaxConfigMapBytes }

func startStore(t testing.TB, ns string, opts ...func(*store.Options)) *running {
	t.Helper()
	client, err := store.NewClient(apiServer)
	require.NoError(t, err)
	cl := &changeLog{}
	log := logr.Discard()
	if tt, ok := t.(*testing.T); ok && testing.Verbose() {
		log = testr.New(tt)
	}
	o := store.Options{Client: client, Namespace: ns, Log: log, OnChange: cl.hear}
	for _, f := range opts {
		f(&o)
	}
	s, err := store.New(o)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			require.NoError(t, <-done)
		})
	}
	t.Cleanup(stop)
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	require.NoError(t, s.WaitReady(wctx))
	return &running{Store: s, stop: stop, changes: cl}
}

func rec(body string, ts int64) record.Record {
	return record.Record{Body: []byte(body), LastUpdateTimeSinceEpoch: record.Epoch(ts)}
}

// serverConfigMaps returns the store's ConfigMaps as the API server holds
// them: the primary and every labelled spill.
func serverConfigMaps(t testing.TB, ns string) map[string]*corev1.ConfigMap {
	t.Helper()
	ctx := context.Background()
	out := map[string]*corev1.ConfigMap{}
	list, err := kube(t).CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: store.LabelStore + "=" + store.DefaultName})
	require.NoError(t, err)
	for i := range list.Items {
		out[list.Items[i].Name] = &list.Items[i]
	}
	if p, err := kube(t).CoreV1().ConfigMaps(ns).Get(ctx, store.DefaultName, metav1.GetOptions{}); err == nil {
		out[p.Name] = p
	}
	return out
}

// serverRecords decodes every record the API server holds, failing on a
// key stored twice.
func serverRecords(t testing.TB, ns string) map[string]record.Record {
	t.Helper()
	out := map[string]record.Record{}
	for name, cm := range serverConfigMaps(t, ns) {
		for k, v := range cm.BinaryData {
			var r record.Record
			require.NoError(t, json.Unmarshal(v, &r), "%s/%s", name, k)
			_, dup := out[k]
			require.False(t, dup, "key %s is stored twice", k)
			out[k] = r
		}
	}
	return out
}
