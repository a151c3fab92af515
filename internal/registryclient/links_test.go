package registryclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registryclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeclock"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
)

const linkPageSize = 2

// pathRecorder records the paths of the requests a client sends. It sits
// in the client rather than the server: requests a failed snapshot
// abandoned can reach the server after the next snapshot started, while
// every request a snapshot sends is recorded before it returns.
type pathRecorder struct {
	mu    sync.Mutex
	paths []string
}

func (p *pathRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	p.mu.Lock()
	p.paths = append(p.paths, r.URL.Path)
	p.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (p *pathRecorder) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paths = nil
}

// nestedReads returns the versions whose nested artifact lists were asked
// for (sorted, once each) and how many requests that took.
func (p *pathRecorder) nestedReads() ([]string, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	prefix := fakeregistry.RegistryBasePath + "/model_versions/"
	seen := map[string]bool{}
	n := 0
	for _, path := range p.paths {
		if id, ok := strings.CutPrefix(path, prefix); ok {
			id = strings.TrimSuffix(id, "/artifacts")
			seen[id] = true
			n++
		}
	}
	out := []string{}
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out, n
}

func (p *pathRecorder) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.paths)
}

type linkHarness struct {
	t      *testing.T
	srv    *fakeregistry.Server
	rec    *pathRecorder
	url    string
	clock  *fakeclock.Clock
	cached *registryclient.Client
}

func newLinkHarness(t *testing.T) *linkHarness {
	t.Helper()
	srv, ts := newServer(t, fakeregistry.Options{})
	rec := &pathRecorder{}
	h := &linkHarness{t: t, srv: srv, rec: rec, url: ts.URL, clock: fakeclock.New(time.Unix(1_700_000_000, 0))}
	h.cached = registryclient.NewWithLinks(ts.URL, registryclient.Options{PageSize: linkPageSize,
		HTTPClient: &http.Client{Transport: rec}}, registryclient.LinkOptions{ArtifactRefresh: time.Hour, ListRefresh: wholeLists})
	registryclient.SetClock(h.cached, h.clock.Now)
	return h
}

// wholeLists makes every snapshot read the top-level lists whole: these
// tests count the requests of the artifact links, and asking only for
// changes adds its own (TestAPollAsksOnlyForWhatChanged).
const wholeLists = -1

func pages(n int) int { return max(1, (n+linkPageSize-1)/linkPageSize) }

// topRequests is what the five top-level lists of s cost.
func topRequests(s *registryclient.Snapshot) int {
	return pages(len(s.RegisteredModels)) + pages(len(s.ModelVersions)) + pages(len(s.ModelArtifacts)) +
		pages(len(s.InferenceServices)) + pages(len(s.ServingEnvironments))
}

// check snapshots with the cached client, then with a fresh client and by
// reading every published version's nested list directly (what the
// connector did before it remembered links), and requires all three to
// agree. It asserts that the cached client read exactly the nested lists
// of wantRead (all published versions when wantRead is nil) and that its
// other requests are exactly the top-level pages.
func (h *linkHarness) check(step string, wantRead []string) *registryclient.Snapshot {
	t := h.t
	t.Helper()
	h.rec.reset()
	got, err := h.cached.Snapshot(context.Background())
	require.NoError(t, err, step)
	read, nestedRequests := h.rec.nestedReads()
	total := h.rec.total()

	fresh, err := registryclient.New(h.url, registryclient.Options{PageSize: linkPageSize}).Snapshot(context.Background())
	require.NoError(t, err, step)
	published := registryclient.PublishedVersions(fresh.RegisteredModels, fresh.ModelVersions)
	if wantRead == nil {
		wantRead = published
	}
	wantRead = append([]string{}, wantRead...)
	sort.Strings(wantRead)

	assert.Equal(t, wantRead, read, "%s: nested lists read", step)
	assert.Equal(t, len(wantRead), got.VersionLists, "%s: VersionLists", step)
	assert.Equal(t, topRequests(got)+nestedRequests, got.Requests, "%s: requests", step)
	assert.Equal(t, total, got.Requests, "%s: the client sent a different number of requests", step)
	assert.Equal(t, fresh.VersionArtifacts, got.VersionArtifacts, "%s: cached and fresh clients disagree", step)
	assert.Equal(t, h.uncached(published), got.VersionArtifacts, "%s: cached client and the nested lists disagree", step)
	assert.Equal(t, fresh.ModelArtifacts, got.ModelArtifacts, step)
	assert.Equal(t, fresh.ModelVersions, got.ModelVersions, step)
	return got
}

// uncached reads the nested artifact list of every published version.
func (h *linkHarness) uncached(published []string) map[string][]*registrymodel.ModelArtifact {
	t := h.t
	t.Helper()
	out := map[string][]*registrymodel.ModelArtifact{}
	for _, id := range published {
		q := url.Values{"artifactType": {"model-artifact"}, "orderBy": {"ID"}, "sortOrder": {"ASC"}, "pageSize": {"1000"}}
		resp, err := http.Get(h.url + fakeregistry.RegistryBasePath + "/model_versions/" + id + "/artifacts?" + q.Encode())
		require.NoError(t, err)
		var list struct {
			Items         []registrymodel.ModelArtifact `json:"items"`
			NextPageToken string                        `json:"nextPageToken"`
		}
		err = json.NewDecoder(resp.Body).Decode(&list)
		_ = resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Empty(t, list.NextPageToken)
		out[id] = []*registrymodel.ModelArtifact{}
		for i := range list.Items {
			out[id] = append(out[id], &list.Items[i])
		}
	}
	return out
}

// addModel registers a model with one version, v1, and the given number of
// artifacts; it returns the version id.
func (h *linkHarness) addModel(name string, artifacts int) (version string) {
	h.t.Helper()
	rm, err := h.srv.AddRegisteredModel(openapi.RegisteredModel{Name: name})
	require.NoError(h.t, err)
	mv, err := h.srv.AddModelVersion(openapi.ModelVersion{Name: "v1", RegisteredModelId: rm.GetId()})
	require.NoError(h.t, err)
	for i := range artifacts {
		h.addArtifact(mv.GetId(), fmt.Sprintf("%s-artifact-%d", name, i))
	}
	return mv.GetId()
}

// addModels adds n models, model-0 to model-<n-1>, with one artifact
// each; it returns their version ids in order.
func (h *linkHarness) addModels(n int) (versions []string) {
	h.t.Helper()
	for i := range n {
		versions = append(versions, h.addModel(fmt.Sprintf("model-%d", i), 1))
	}
	return versions
}

func (h *linkHarness) addArtifact(version, name string) string {
	h.t.Helper()
	uri := "s3://bucket/" + name
	a, err := h.srv.AddModelArtifact(version, openapi.ModelArtifact{Name: openapi.PtrString(name), Uri: &uri})
	require.NoError(h.t, err)
	return a.GetId()
}

// attach moves artifact id to version through the REST upsert, as a client
// of the registry would.
func (h *linkHarness) attach(version, id string) {
	h.t.Helper()
	body := fmt.Sprintf(`{"id":%q,"artifactType":"model-artifact"}`, id)
	resp, err := http.Post(h.url+fakeregistry.RegistryBasePath+"/model_versions/"+version+"/artifacts", "application/json", bytes.NewBufferString(body))
	require.NoError(h.t, err)
	_ = resp.Body.Close()
	require.Equal(h.t, http.StatusOK, resp.StatusCode)
}

func TestSnapshotRemembersArtifactLinksAcrossChanges(t *testing.T) {
	h := newLinkHarness(t)
	versions := h.addModels(5)
	// Several artifacts (more than a page) on one version, and a version
	// without any.
	h.addArtifact(versions[0], "model-0-artifact-1")
	h.addArtifact(versions[0], "model-0-artifact-2")
	empty := h.addModel("model-empty", 0)
	none := []string{}

	first := h.check("first snapshot", nil)
	require.Len(t, first.VersionArtifacts, 6)
	require.Len(t, first.VersionArtifacts[versions[0]], 3)
	assert.NotNil(t, first.VersionArtifacts[empty])
	assert.Empty(t, first.VersionArtifacts[empty])
	steady := h.check("steady state", none)
	assert.Equal(t, topRequests(steady), steady.Requests)

	added := h.addModel("model-new", 1)
	s := h.check("new model, version and artifact", []string{added})
	require.Len(t, s.VersionArtifacts[added], 1)
	h.check("steady after new model", none)

	extra := h.addArtifact(versions[1], "model-1-artifact-1")
	s = h.check("new artifact on an existing version", nil)
	require.Len(t, s.VersionArtifacts[versions[1]], 2)
	assert.Equal(t, extra, s.VersionArtifacts[versions[1]][1].ID)
	h.check("steady after new artifact", none)

	changed := s.VersionArtifacts[versions[3]][0].ID
	_, err := h.srv.UpdateModelArtifact(changed, func(a *openapi.ModelArtifact) { a.SetUri("s3://bucket/moved-elsewhere") })
	require.NoError(t, err)
	s = h.check("artifact uri changed", []string{versions[3]})
	assert.Equal(t, "s3://bucket/moved-elsewhere", s.VersionArtifacts[versions[3]][0].URI)
	h.check("steady after uri change", none)

	_, err = h.srv.UpdateModelVersion(versions[2], func(v *openapi.ModelVersion) { v.SetState(openapi.MODELVERSIONSTATE_ARCHIVED) })
	require.NoError(t, err)
	s = h.check("version archived", none)
	assert.NotContains(t, s.VersionArtifacts, versions[2])
	h.check("steady after version archived", none)

	mv, ok := h.srv.ModelVersion(versions[4])
	require.True(t, ok)
	_, err = h.srv.UpdateRegisteredModel(mv.GetRegisteredModelId(), func(m *openapi.RegisteredModel) {
		m.SetState(openapi.REGISTEREDMODELSTATE_ARCHIVED)
	})
	require.NoError(t, err)
	s = h.check("model archived", none)
	assert.NotContains(t, s.VersionArtifacts, versions[4])
	h.check("steady after model archived", none)

	orphan := h.addArtifact("", "attached-to-nothing")
	s = h.check("artifact attached to nothing", nil)
	assert.Len(t, s.ModelArtifacts, 10)
	h.check("steady with an unattached artifact", none)

	_, err = h.srv.UpdateModelVersion(versions[2], func(v *openapi.ModelVersion) { v.SetState(openapi.MODELVERSIONSTATE_LIVE) })
	require.NoError(t, err)
	s = h.check("version published again", []string{versions[2]})
	require.Len(t, s.VersionArtifacts[versions[2]], 1)
	h.check("steady after version published again", none)

	h.attach(empty, orphan)
	s = h.check("unattached artifact attached", nil)
	require.Len(t, s.VersionArtifacts[empty], 1)
	assert.Equal(t, orphan, s.VersionArtifacts[empty][0].ID)
	h.check("steady after attach", none)

	h.attach(versions[4], extra) // from versions[1] to a version of an archived model
	s = h.check("artifact moved to an unpublished version", nil)
	require.Len(t, s.VersionArtifacts[versions[1]], 1)
	h.check("steady after move", none)

	h.clock.Advance(time.Hour - time.Second)
	h.check("just before the refresh is due", none)
	h.clock.Advance(time.Second)
	h.check("refresh due", nil)
	h.check("steady after refresh", none)
}

func TestFailedSnapshotKeepsTheRememberedLinks(t *testing.T) {
	h := newLinkHarness(t)
	versions := h.addModels(3)
	h.check("first snapshot", nil)

	// A nested list fails while a new version is read.
	added := h.addModel("model-new", 1)
	nested := fakeregistry.RegistryBasePath + "/model_versions/"
	h.srv.InjectFault(fakeregistry.Fault{Mode: fakeregistry.FaultInternalError, PathPrefix: nested})
	s, err := h.cached.Snapshot(context.Background())
	require.Error(t, err)
	assert.Nil(t, s)
	assert.Contains(t, err.Error(), "HTTP 500")
	h.srv.ClearFaults()
	h.check("after a failed read of a new version", []string{added})

	// The full refresh a new artifact on a known version needs fails.
	h.addArtifact(versions[0], "model-0-artifact-1")
	h.srv.InjectFault(fakeregistry.Fault{Mode: fakeregistry.FaultMalformedJSON, PathPrefix: nested, Requests: 1})
	_, err = h.cached.Snapshot(context.Background())
	require.Error(t, err)
	h.check("after a failed full refresh", nil)

	// A top-level list fails.
	h.addModel("model-newer", 1)
	h.srv.InjectFault(fakeregistry.Fault{Mode: fakeregistry.FaultInternalError,
		PathPrefix: fakeregistry.RegistryBasePath + "/" + registryclient.EndpointModelArtifacts, Requests: 1})
	_, err = h.cached.Snapshot(context.Background())
	require.Error(t, err)
	s = h.check("after a failed top-level list", []string{lastVersion(t, h)})
	assert.Len(t, s.VersionArtifacts, 5)
}

func lastVersion(t *testing.T, h *linkHarness) string {
	t.Helper()
	s, err := registryclient.New(h.url, registryclient.Options{}).Snapshot(context.Background())
	require.NoError(t, err)
	return s.ModelVersions[len(s.ModelVersions)-1].ID
}

// An empty top-level artifact list needs no nested list; artifacts that
// appear later are placed by reading the versions.
func TestSnapshotWithoutArtifactsThenWithArtifacts(t *testing.T) {
	h := newLinkHarness(t)
	v1 := h.addModel("model-1", 0)
	none := []string{}
	h.check("no artifacts", none)
	h.check("still none", none)
	h.addArtifact(v1, "first")
	h.check("first artifact", nil)
	h.check("steady", none)
}

func TestNegativeArtifactRefreshReadsEveryVersionEachTime(t *testing.T) {
	srv, ts := newServer(t, fakeregistry.Options{})
	seed(t, srv, 3, true)
	c := registryclient.NewWithLinks(ts.URL, registryclient.Options{}, registryclient.LinkOptions{ArtifactRefresh: -1, ListRefresh: wholeLists})
	for range 2 {
		s, err := c.Snapshot(context.Background())
		require.NoError(t, err)
		assert.Equal(t, 3, s.VersionLists)
		assert.Equal(t, 5+3, s.Requests)
	}
}

// Run with -race: concurrent snapshots of one client each return the
// registry as it is.
func TestConcurrentSnapshots(t *testing.T) {
	srv, ts := newServer(t, fakeregistry.Options{})
	seed(t, srv, 20, true)
	want, err := registryclient.New(ts.URL, registryclient.Options{}).Snapshot(context.Background())
	require.NoError(t, err)
	c := registryclient.New(ts.URL, registryclient.Options{PageSize: 7})
	var wg sync.WaitGroup
	results := make([]*registryclient.Snapshot, 6)
	errs := make([]error, len(results))
	for i := range results {
		wg.Go(func() { results[i], errs[i] = c.Snapshot(context.Background()) })
	}
	wg.Wait()
	for i := range results {
		require.NoError(t, errs[i])
		assert.Equal(t, want.VersionArtifacts, results[i].VersionArtifacts)
	}
	s, err := c.Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 0, s.VersionLists)
	assert.Equal(t, want.VersionArtifacts, s.VersionArtifacts)
}
