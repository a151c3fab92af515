package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registryclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
)

// logLine is one line a captureSink received.
type logLine struct {
	err error
	msg string
	kv  map[string]any
}

// captureSink is a logr.LogSink that keeps every line.
type captureSink struct {
	mu    *sync.Mutex
	lines *[]logLine
	base  []any
}

func newCapture() (logr.Logger, *captureSink) {
	s := &captureSink{mu: &sync.Mutex{}, lines: &[]logLine{}}
	return logr.New(s), s
}

func (s *captureSink) Init(logr.RuntimeInfo) {}
func (s *captureSink) Enabled(int) bool      { return true }
func (s *captureSink) Info(_ int, msg string, kv ...any) {
	s.add(nil, msg, kv)
}
func (s *captureSink) Error(err error, msg string, kv ...any) { s.add(err, msg, kv) }
func (s *captureSink) WithValues(kv ...any) logr.LogSink {
	c := *s
	c.base = append(append([]any{}, s.base...), kv...)
	return &c
}
func (s *captureSink) WithName(string) logr.LogSink { return s }

func (s *captureSink) add(err error, msg string, kv []any) {
	m := map[string]any{}
	all := append(append([]any{}, s.base...), kv...)
	for i := 0; i+1 < len(all); i += 2 {
		m[fmt.Sprint(all[i])] = all[i+1]
	}
	s.mu.Lock()
	*s.lines = append(*s.lines, logLine{err: err, msg: msg, kv: m})
	s.mu.Unlock()
}

// count returns how many lines have msg and, when object is not "", an
// object (or url) field containing it.
func (s *captureSink) count(msg, object string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, l := range *s.lines {
		if l.msg != msg {
			continue
		}
		o := fmt.Sprint(l.kv["object"]) + " " + fmt.Sprint(l.kv["url"])
		if object == "" || strings.Contains(o, object) {
			n++
		}
	}
	return n
}

func (s *captureSink) find(msg string) []logLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []logLine
	for _, l := range *s.lines {
		if l.msg == msg {
			out = append(out, l)
		}
	}
	return out
}

// fakeSnapRegistry answers with snap, or err.
type fakeSnapRegistry struct {
	snap *registryclient.Snapshot
	err  error
}

func (r *fakeSnapRegistry) Snapshot(context.Context) (*registryclient.Snapshot, error) {
	if r.err != nil {
		return nil, r.err
	}
	return r.snap, nil
}

// fakeServerList answers with its InferenceServices.
type fakeServerList struct{ isvcs []*v1beta1.InferenceService }

func (l *fakeServerList) Servers(context.Context) ([]mapping.Server, error) {
	var out []mapping.Server
	for _, i := range l.isvcs {
		out = append(out, mapping.Server{InferenceService: i})
	}
	return out, nil
}

func readyISVC(ns, name string, ready bool) *v1beta1.InferenceService {
	i := &v1beta1.InferenceService{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	u, _ := apis.ParseURL(fmt.Sprintf("https://%s-%s.apps.example.com", name, ns))
	i.Status.URL = u
	st := corev1.ConditionTrue
	if !ready {
		st = corev1.ConditionFalse
	}
	i.Status.Conditions = duckv1.Conditions{
		{Type: "Ready", Status: st},
		{Type: v1beta1.PredictorReady, Status: st},
		{Type: v1beta1.IngressReady, Status: corev1.ConditionTrue},
	}
	return i
}

// registrySnap: registered model "granite" (live) with v1 live and v0
// archived, and registered model "old" (archived) with one version.
func registrySnap() *registryclient.Snapshot {
	return &registryclient.Snapshot{RegistrySnapshot: mapping.RegistrySnapshot{
		RegisteredModels: []registrymodel.RegisteredModel{
			{ID: "1", Name: "granite", State: registrymodel.StateLive},
			{ID: "2", Name: "old", State: registrymodel.StateArchived},
		},
		ModelVersions: []registrymodel.ModelVersion{
			{ID: "10", Name: "v1", RegisteredModelID: "1"},
			{ID: "11", Name: "v0", RegisteredModelID: "1", State: registrymodel.StateArchived},
			{ID: "20", Name: "v1", RegisteredModelID: "2"},
		},
		VersionArtifacts: map[string][]*registrymodel.ModelArtifact{},
	}}
}

type skipFixture struct {
	p       *Pipeline
	log     *captureSink
	regs    map[string]*fakeSnapRegistry
	servers *fakeServerList
	store   *fakeStore
	metrics *Metrics
	reg     *prometheus.Registry
}

func newSkipFixture(regs map[string]*fakeSnapRegistry, isvcs ...*v1beta1.InferenceService) *skipFixture {
	log, sink := newCapture()
	f := &skipFixture{log: sink, regs: regs, servers: &fakeServerList{isvcs: isvcs}, store: newFakeStore(), reg: prometheus.NewPedanticRegistry()}
	f.metrics = NewMetrics(f.reg)
	disc := &fakeDiscovery{}
	for u := range regs {
		disc.res.Registries = append(disc.res.Registries, discovery.Endpoint{Name: strings.TrimPrefix(u, "http://"), URL: u})
	}
	f.p = New(Config{
		Discoverer:  disc,
		Servers:     f.servers,
		NewRegistry: func(ep discovery.Endpoint) RegistryReader { return f.regs[ep.URL] },
		NewCatalog:  func(discovery.Endpoint) CardReader { return nil },
		Store:       f.store,
		Log:         log,
		Metrics:     f.metrics,
	})
	return f
}

func (f *skipFixture) sync(t *testing.T) {
	t.Helper()
	_, err := f.p.Sync(context.Background())
	require.NoError(t, err)
}

// gauges returns rhoai_connector_normalizer_skipped_objects by reason, as
// gathered from the registry the metrics were registered with.
func (f *skipFixture) gauges(t *testing.T) map[string]float64 {
	t.Helper()
	mfs, err := f.reg.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "rhoai_connector_normalizer_skipped_objects" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" {
					out[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	return out
}

// want is every reason at 0 but those given.
func want(nonZero map[mapping.Reason]float64) map[string]float64 {
	out := map[string]float64{}
	for _, r := range mapping.Reasons {
		out[string(r.Reason)] = nonZero[r.Reason]
	}
	return out
}

func TestSkippedObjectsAreLoggedOnceWhileTheyLastAndCounted(t *testing.T) {
	starting := readyISVC("team-a", "starting", false)
	f := newSkipFixture(map[string]*fakeSnapRegistry{"http://mr": {snap: registrySnap()}}, starting)

	f.sync(t)
	assert.Equal(t, []string{"granite__v1"}, f.store.keys())
	assert.Equal(t, 1, f.log.count(msgNotPublished, `registered model "old" (id 2)`))
	assert.Equal(t, 1, f.log.count(msgNotPublished, `version "v0" (id 11)`))
	assert.Equal(t, 1, f.log.count(msgNotPublished, "InferenceService team-a/starting"))
	assert.Equal(t, 3, f.log.count(msgNotPublished, ""))
	for _, l := range f.log.find(msgNotPublished) {
		assert.Contains(t, []any{"archived", "not-ready"}, l.kv["reason"], "reason is a structured field: %v", l.kv)
		assert.Contains(t, l.kv, "problem")
	}
	notReady := f.log.find(msgNotPublished)
	var isvcLine logLine
	for _, l := range notReady {
		if l.kv["reason"] == "not-ready" {
			isvcLine = l
		}
	}
	assert.Contains(t, isvcLine.kv["problem"], "condition Ready is False, condition PredictorReady is False")
	assert.Equal(t, want(map[mapping.Reason]float64{mapping.ReasonArchived: 2, mapping.ReasonNotReady: 1}), f.gauges(t))
	assert.Equal(t, 0.0, testutil.ToFloat64(f.metrics.rejected), "archived and not Ready are not invalid")

	f.sync(t)
	assert.Equal(t, 3, f.log.count(msgNotPublished, ""), "nothing logged again while it lasts")
	assert.Equal(t, want(map[mapping.Reason]float64{mapping.ReasonArchived: 2, mapping.ReasonNotReady: 1}), f.gauges(t))

	// The InferenceService becomes Ready: published, its gauge drops to 0.
	f.servers.isvcs = []*v1beta1.InferenceService{readyISVC("team-a", "starting", true)}
	f.sync(t)
	assert.Equal(t, []string{"granite__v1", "kserve__team-a__starting"}, f.store.keys())
	assert.Equal(t, want(map[mapping.Reason]float64{mapping.ReasonArchived: 2}), f.gauges(t))
	assert.Equal(t, 3, f.log.count(msgNotPublished, ""))

	// It fails again: logged again, once.
	f.servers.isvcs = []*v1beta1.InferenceService{starting}
	f.sync(t)
	f.sync(t)
	assert.Equal(t, 2, f.log.count(msgNotPublished, "InferenceService team-a/starting"))
	assert.Equal(t, want(map[mapping.Reason]float64{mapping.ReasonArchived: 2, mapping.ReasonNotReady: 1}), f.gauges(t))

	// Everything is restored or removed: every reason at 0.
	snap := registrySnap()
	snap.RegisteredModels[1].State = registrymodel.StateLive
	snap.ModelVersions[1].State = registrymodel.StateLive
	f.regs["http://mr"].snap = snap
	f.servers.isvcs = nil
	f.sync(t)
	assert.Equal(t, []string{"granite__v0", "granite__v1", "old__v1"}, f.store.keys())
	assert.Equal(t, want(nil), f.gauges(t))
	assert.Equal(t, 4, f.log.count(msgNotPublished, ""), "nothing new")
}

func TestInvalidObjectsCountAsRejected(t *testing.T) {
	f := newSkipFixture(nil, readyISVC("ns", "日本", true))
	f.sync(t)
	lines := f.log.find(msgNotPublished)
	require.Len(t, lines, 1)
	assert.Equal(t, "invalid-name", lines[0].kv["reason"])
	assert.Equal(t, "InferenceService ns/日本", lines[0].kv["object"])
	assert.Equal(t, 1.0, testutil.ToFloat64(f.metrics.rejected))
	assert.Equal(t, want(map[mapping.Reason]float64{mapping.ReasonInvalidName: 1}), f.gauges(t))
}

func TestUnreachableRegistryAtStart(t *testing.T) {
	const msgNoAnswer = "model registry cannot be read and has not answered since the normalizer started: none of its models is published until it answers"
	const msgKept = "reading the model registry failed; keeping its last good answer, nothing of it is removed"
	down := &fakeSnapRegistry{err: errors.New("dial tcp 10.0.0.1:443: connect: connection refused")}
	f := newSkipFixture(map[string]*fakeSnapRegistry{"http://down": down, "http://up": {snap: registrySnap()}})

	f.sync(t)
	f.sync(t)
	lines := f.log.find(msgNoAnswer)
	require.Len(t, lines, 1, "one line per registry while it lasts")
	assert.Equal(t, "http://down", lines[0].kv["url"])
	assert.Equal(t, "registry-unreachable", lines[0].kv["reason"])
	assert.ErrorContains(t, lines[0].err, "connection refused")
	assert.Equal(t, want(map[mapping.Reason]float64{mapping.ReasonArchived: 2, mapping.ReasonRegistryUnreachable: 1}), f.gauges(t))

	// It answers: its models are published, the gauge drops to 0.
	down.err, down.snap = nil, &registryclient.Snapshot{RegistrySnapshot: mapping.RegistrySnapshot{
		RegisteredModels: []registrymodel.RegisteredModel{{ID: "1", Name: "mnist"}},
		ModelVersions:    []registrymodel.ModelVersion{{ID: "2", Name: "v1", RegisteredModelID: "1"}},
	}}
	f.sync(t)
	assert.Equal(t, []string{"granite__v1", "mnist__v1"}, f.store.keys())
	assert.Equal(t, want(map[mapping.Reason]float64{mapping.ReasonArchived: 2}), f.gauges(t))
	assert.Equal(t, 1, f.log.count("source answers again", ""))

	// It fails again: its last good answer is kept, and said so; nothing
	// is skipped.
	down.err = errors.New("HTTP 503")
	f.sync(t)
	f.sync(t)
	assert.Equal(t, []string{"granite__v1", "mnist__v1"}, f.store.keys())
	kept := f.log.find(msgKept)
	require.Len(t, kept, 1)
	assert.Equal(t, "http://down", kept[0].kv["url"])
	assert.NotContains(t, kept[0].kv, "reason")
	assert.Len(t, f.log.find(msgNoAnswer), 1)
	assert.Equal(t, want(map[mapping.Reason]float64{mapping.ReasonArchived: 2}), f.gauges(t))
}
