package registryclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registryclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
)

// fakeClock is a clock tests move by hand, or that moves by step at each
// reading; the registry's handlers read it concurrently.
type fakeClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

// registryClock stamps each write a second after the one before, like a
// registry filled over time, so that only the last writes fall within the
// 30 s a poll asks for again.
func registryClock() *fakeClock { return &fakeClock{t: time.Unix(1_600_000_000, 0), step: time.Second} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func snapshot(t *testing.T, c *registryclient.Client) *registryclient.Snapshot {
	t.Helper()
	s, err := c.Snapshot(context.Background())
	require.NoError(t, err)
	return s
}

func TestAPollAsksOnlyForWhatChanged(t *testing.T) {
	clk := newFakeClock()
	srv, ts := newServer(t, fakeregistry.Options{Clock: registryClock().Now})
	versions := seed(t, srv, 250, true)
	c := registryclient.New(ts.URL, registryclient.Options{PageSize: 100})
	registryclient.SetClock(c, clk.Now)

	first := snapshot(t, c)
	assert.False(t, first.ChangesOnly, "the first snapshot reads every list whole")
	clk.Advance(time.Minute)

	again := snapshot(t, c)
	assert.True(t, again.ChangesOnly)
	// Per list: one empty page of changes, and the object of the highest
	// id, to see that the registry still holds it.
	assert.Equal(t, 5+5, again.Requests, "two requests per top-level list, no nested list")
	assert.Equal(t, first.Version, again.Version, "nothing changed")
	assert.Equal(t, first.RegisteredModels, again.RegisteredModels)
	assert.Equal(t, first.ModelVersions, again.ModelVersions)
	assert.Equal(t, first.VersionArtifacts, again.VersionArtifacts)
	assert.Equal(t, reflect.ValueOf(first.VersionArtifacts).Pointer(), reflect.ValueOf(again.VersionArtifacts).Pointer(),
		"lists unchanged: the artifacts are not linked to their versions again")

	desc := "changed"
	_, err := srv.UpdateModelVersion(versions[120], func(v *openapi.ModelVersion) { v.Description = &desc })
	require.NoError(t, err)
	changed := snapshot(t, c)
	assert.True(t, changed.ChangesOnly)
	assert.Equal(t, 5+5, changed.Requests)
	assert.NotEqual(t, again.Version, changed.Version)
	require.Len(t, changed.ModelVersions, 250)
	for i, v := range changed.ModelVersions {
		assert.Equal(t, v.ID == versions[120], v.Description == "changed", v.ID)
		assert.Empty(t, again.ModelVersions[i].Description, "an earlier snapshot is never changed")
	}

	rm, err := srv.AddRegisteredModel(openapi.RegisteredModel{Name: "model-new"})
	require.NoError(t, err)
	mv, err := srv.AddModelVersion(openapi.ModelVersion{Name: "v1", RegisteredModelId: rm.GetId()})
	require.NoError(t, err)
	art, err := srv.AddModelArtifact(mv.GetId(), openapi.ModelArtifact{Name: openapi.PtrString("artifact-new"), Uri: openapi.PtrString("s3://bucket/new")})
	require.NoError(t, err)
	added := snapshot(t, c)
	assert.True(t, added.ChangesOnly)
	assert.Equal(t, 5+5+1, added.Requests, "two per list and the new version's artifact list")
	assert.Len(t, added.RegisteredModels, 251)
	assert.Len(t, added.ModelVersions, 251)
	assert.True(t, slices.IsSortedFunc(added.ModelVersions, func(a, b registrymodel.ModelVersion) int {
		if registrymodel.LessID(a.ID, b.ID) {
			return -1
		}
		return 1
	}), "the merged list stays in ID order")
	require.Len(t, added.VersionArtifacts[mv.GetId()], 1)
	assert.Equal(t, art.GetId(), added.VersionArtifacts[mv.GetId()][0].ID)

	// Objects changed within the last 30 s are asked for again, and found
	// unchanged.
	clk.Advance(time.Second)
	same := snapshot(t, c)
	assert.True(t, same.ChangesOnly)
	assert.Equal(t, added.Version, same.Version)
}

func TestAListRefreshReadsEveryListWholeAgain(t *testing.T) {
	clk := newFakeClock()
	srv, ts := newServer(t, fakeregistry.Options{Clock: registryClock().Now})
	seed(t, srv, 250, true)
	c := registryclient.NewWithLinks(ts.URL, registryclient.Options{PageSize: 100}, registryclient.LinkOptions{ListRefresh: 5 * time.Minute})
	registryclient.SetClock(c, clk.Now)

	first := snapshot(t, c)
	clk.Advance(time.Minute)
	assert.True(t, snapshot(t, c).ChangesOnly)
	clk.Advance(5 * time.Minute)
	refreshed := snapshot(t, c)
	assert.False(t, refreshed.ChangesOnly)
	assert.Equal(t, 3+3+3+1+1, refreshed.Requests, "every page of the five lists; the artifact links are not due")
	assert.Equal(t, first.Version, refreshed.Version, "the same registry read whole is the same snapshot")
	assert.Equal(t, first.ModelVersions, refreshed.ModelVersions)
}

// A registry older than filterQuery either refuses the parameter or
// ignores it; either way every poll then reads it whole, as before.
func TestARegistryThatDoesNotFilterIsReadWhole(t *testing.T) {
	for _, tc := range []struct {
		name   string
		refuse bool
		// filtered is how many requests carry filterQuery: one per list
		// refused; every page of every list ignored.
		filtered int64
		// reused is the third snapshot's pages from the memos: all but
		// the changed one, and, when the filter is ignored, but those of
		// the two one-object lists, whose answer could not tell (their
		// only object is within 30 s of itself) and was taken as changes.
		reused int
	}{
		{name: "ignores filterQuery", filtered: 3 + 3 + 3 + 1 + 1, reused: 8},
		{name: "refuses filterQuery", refuse: true, filtered: 5, reused: 10},
	} {
		refuse := tc.refuse
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			srv := fakeregistry.New(fakeregistry.Options{Clock: registryClock().Now})
			var filtered atomic.Int64
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				if q.Has("filterQuery") {
					filtered.Add(1)
					if refuse {
						w.Header().Set("Content-Type", "application/json")
						w.WriteHeader(http.StatusBadRequest)
						_, _ = w.Write([]byte(`{"code":"400","message":"unknown parameter filterQuery"}`))
						return
					}
					q.Del("filterQuery")
					r.URL.RawQuery = q.Encode()
				}
				srv.ServeHTTP(w, r)
			}))
			t.Cleanup(ts.Close)
			versions := seed(t, srv, 250, true)
			c := registryclient.New(ts.URL, registryclient.Options{PageSize: 100})
			registryclient.SetClock(c, clk.Now)

			first := snapshot(t, c)
			clk.Advance(time.Minute)
			second := snapshot(t, c)
			assert.False(t, second.ChangesOnly)
			assert.Equal(t, tc.filtered, filtered.Load(), "each list asked with the filter")
			assert.Equal(t, first.Version, second.Version)
			assert.Equal(t, first.ModelVersions, second.ModelVersions)

			desc := "changed"
			_, err := srv.UpdateModelVersion(versions[7], func(v *openapi.ModelVersion) { v.Description = &desc })
			require.NoError(t, err)
			third := snapshot(t, c)
			assert.False(t, third.ChangesOnly)
			assert.Equal(t, tc.filtered, filtered.Load(), "not asked again")
			assert.Equal(t, tc.reused, third.PagesReused, "whole reads still decode only the pages that changed")
			assert.NotEqual(t, second.Version, third.Version)
			assert.Equal(t, "changed", third.ModelVersions[7].Description)
		})
	}
}

// Asking for changes cannot see objects vanish. A registry emptied, or
// restored from an older backup, behind the same address no longer has
// the object of the highest id as the client holds it, and is read whole
// at once.
func TestARegistryEmptiedOrRestoredIsReadWhole(t *testing.T) {
	for _, tc := range []struct {
		name   string
		models int // in the registry that takes over
	}{
		{name: "emptied", models: 0},
		{name: "restored from an older backup", models: 249},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			var behind atomic.Pointer[fakeregistry.Server]
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { behind.Load().ServeHTTP(w, r) }))
			t.Cleanup(ts.Close)
			first := fakeregistry.New(fakeregistry.Options{Clock: registryClock().Now})
			seed(t, first, 250, true)
			behind.Store(first)
			c := registryclient.New(ts.URL, registryclient.Options{PageSize: 100})
			registryclient.SetClock(c, clk.Now)
			snapshot(t, c)
			clk.Advance(time.Minute)
			require.True(t, snapshot(t, c).ChangesOnly)

			next := fakeregistry.New(fakeregistry.Options{Clock: registryClock().Now})
			if tc.models > 0 {
				seed(t, next, tc.models, true)
			}
			behind.Store(next)
			clk.Advance(time.Minute)
			s := snapshot(t, c)
			assert.False(t, s.ChangesOnly)
			assert.Len(t, s.RegisteredModels, tc.models)
			assert.Len(t, s.ModelVersions, tc.models)
			assert.Len(t, s.ModelArtifacts, tc.models)
		})
	}
}
