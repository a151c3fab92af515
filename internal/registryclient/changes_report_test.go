package registryclient_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registryclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
)

// changesClient is a client of a registry seeded with five models (one
// version and one artifact each), polled by changes: its lists and artifact
// links are read whole only on the first snapshot, unless links say
// otherwise.
func changesClient(t *testing.T, links registryclient.LinkOptions) (*fakeregistry.Server, *registryclient.Client, *fakeClock, []string) {
	t.Helper()
	srv, ts := newServer(t, fakeregistry.Options{Clock: registryClock().Now})
	versions := seed(t, srv, 5, true)
	if links.ListRefresh == 0 {
		links.ListRefresh = time.Hour
	}
	if links.ArtifactRefresh == 0 {
		links.ArtifactRefresh = time.Hour
	}
	c := registryclient.NewWithLinks(ts.URL, registryclient.Options{PageSize: 4}, links)
	clk := newFakeClock()
	registryclient.SetClock(c, clk.Now)
	return srv, c, clk, versions
}

// poll advances the client's clock by a minute and takes a snapshot that
// must carry Changes since prev.
func poll(t *testing.T, c *registryclient.Client, clk *fakeClock, prev *registryclient.Snapshot) (*registryclient.Snapshot, *mapping.RegistryChanges) {
	t.Helper()
	clk.Advance(time.Minute)
	s := snapshot(t, c)
	require.True(t, s.ChangesOnly)
	require.NotNil(t, s.Changes)
	assert.Equal(t, prev.Version, s.Changes.Since)
	return s, s.Changes
}

func versionOf(t *testing.T, srv *fakeregistry.Server, versionID string) openapi.ModelVersion {
	t.Helper()
	mv, ok := srv.ModelVersion(versionID)
	require.True(t, ok)
	return mv
}

func TestChangesAreNilOnWholeReads(t *testing.T) {
	t.Run("first snapshot", func(t *testing.T) {
		_, c, _, _ := changesClient(t, registryclient.LinkOptions{})
		assert.Nil(t, snapshot(t, c).Changes)
	})
	t.Run("lists read whole on every poll", func(t *testing.T) {
		srv, c, clk, versions := changesClient(t, registryclient.LinkOptions{ListRefresh: -1})
		snapshot(t, c)
		for i := range 3 {
			clk.Advance(time.Minute)
			desc := fmt.Sprintf("changed %d", i)
			_, err := srv.UpdateModelVersion(versions[1], func(v *openapi.ModelVersion) { v.Description = &desc })
			require.NoError(t, err)
			s := snapshot(t, c)
			assert.False(t, s.ChangesOnly)
			assert.Nil(t, s.Changes)
		}
	})
	t.Run("list refresh elapsed", func(t *testing.T) {
		_, c, clk, _ := changesClient(t, registryclient.LinkOptions{ListRefresh: 5 * time.Minute})
		first := snapshot(t, c)
		_, ch := poll(t, c, clk, first)
		assert.Empty(t, ch.ModelVersions)
		clk.Advance(5 * time.Minute)
		refreshed := snapshot(t, c)
		assert.False(t, refreshed.ChangesOnly)
		assert.Nil(t, refreshed.Changes)
		_, ch = poll(t, c, clk, refreshed)
		assert.Equal(t, refreshed.Version, ch.Since, "the next poll follows the whole read")
	})
}

func TestChangesOfAnUnchangedPoll(t *testing.T) {
	_, c, clk, _ := changesClient(t, registryclient.LinkOptions{})
	first := snapshot(t, c)
	for range 2 {
		s, ch := poll(t, c, clk, first)
		assert.Equal(t, first.Version, s.Version)
		assert.Equal(t, &mapping.RegistryChanges{Since: first.Version}, ch, "nothing named: everything was read again unchanged")
	}
}

func TestChangesNameANewModel(t *testing.T) {
	srv, c, clk, _ := changesClient(t, registryclient.LinkOptions{})
	first := snapshot(t, c)
	rm, err := srv.AddRegisteredModel(openapi.RegisteredModel{Name: "model-new"})
	require.NoError(t, err)
	mv, err := srv.AddModelVersion(openapi.ModelVersion{Name: "v1", RegisteredModelId: rm.GetId()})
	require.NoError(t, err)
	_, err = srv.AddModelArtifact(mv.GetId(), openapi.ModelArtifact{Name: openapi.PtrString("artifact-new"), Uri: openapi.PtrString("s3://bucket/new")})
	require.NoError(t, err)

	s, ch := poll(t, c, clk, first)
	assert.NotEqual(t, first.Version, s.Version)
	assert.Equal(t, &mapping.RegistryChanges{
		Since:            first.Version,
		RegisteredModels: []string{rm.GetId()},
		ModelVersions:    []string{mv.GetId()},
		Artifacts:        []string{mv.GetId()},
	}, ch)
	assert.Equal(t, 1, s.VersionLists, "only the new version's list is read")
}

func TestChangesNameAChangedVersion(t *testing.T) {
	srv, c, clk, versions := changesClient(t, registryclient.LinkOptions{})
	first := snapshot(t, c)
	desc := "changed"
	_, err := srv.UpdateModelVersion(versions[2], func(v *openapi.ModelVersion) { v.Description = &desc })
	require.NoError(t, err)

	_, ch := poll(t, c, clk, first)
	assert.Equal(t, &mapping.RegistryChanges{Since: first.Version, ModelVersions: []string{versions[2]}}, ch)
}

func TestChangesNameTheVersionOfAChangedArtifact(t *testing.T) {
	srv, c, clk, versions := changesClient(t, registryclient.LinkOptions{})
	first := snapshot(t, c)
	art := first.VersionArtifacts[versions[3]][0].ID
	_, err := srv.UpdateModelArtifact(art, func(a *openapi.ModelArtifact) { a.Uri = openapi.PtrString("s3://bucket/moved") })
	require.NoError(t, err)

	s, ch := poll(t, c, clk, first)
	assert.Equal(t, &mapping.RegistryChanges{Since: first.Version, Artifacts: []string{versions[3]}}, ch)
	assert.Equal(t, "s3://bucket/moved", s.VersionArtifacts[versions[3]][0].URI)
}

func TestChangesOfInferenceServicesAndServingEnvironmentsAreOthers(t *testing.T) {
	srv, c, clk, versions := changesClient(t, registryclient.LinkOptions{})
	prev := snapshot(t, c)
	isvc := prev.InferenceServices[0].ID
	env := prev.ServingEnvironments[0].ID
	for _, tc := range []struct {
		name   string
		change func() error
	}{
		{"inference service changed", func() error {
			_, err := srv.UpdateInferenceService(isvc, func(is *openapi.InferenceService) { is.Description = openapi.PtrString("changed") })
			return err
		}},
		{"serving environment changed", func() error {
			_, err := srv.UpdateServingEnvironment(env, func(e *openapi.ServingEnvironment) { e.Description = openapi.PtrString("changed") })
			return err
		}},
		{"serving environment added", func() error {
			_, err := srv.AddServingEnvironment(openapi.ServingEnvironment{Name: "team-b"})
			return err
		}},
		{"inference service added", func() error {
			mv := versionOf(t, srv, versions[4])
			_, err := srv.AddInferenceService(openapi.InferenceService{
				Name: openapi.PtrString("isvc-4"), RegisteredModelId: mv.GetRegisteredModelId(),
				ServingEnvironmentId: env, ModelVersionId: openapi.PtrString(versions[4]),
			})
			return err
		}},
	} {
		require.NoError(t, tc.change(), tc.name)
		s, ch := poll(t, c, clk, prev)
		assert.Equal(t, &mapping.RegistryChanges{Since: prev.Version, Others: true}, ch, tc.name)
		prev = s
		s, ch = poll(t, c, clk, prev)
		assert.False(t, ch.Others, "%s: read again unchanged", tc.name)
		prev = s
	}
}

func TestChangesAreNilOnAFullArtifactRefresh(t *testing.T) {
	t.Run("every snapshot", func(t *testing.T) {
		srv, c, clk, versions := changesClient(t, registryclient.LinkOptions{ArtifactRefresh: -1})
		snapshot(t, c)
		desc := "changed"
		_, err := srv.UpdateModelVersion(versions[0], func(v *openapi.ModelVersion) { v.Description = &desc })
		require.NoError(t, err)
		clk.Advance(time.Minute)
		s := snapshot(t, c)
		assert.True(t, s.ChangesOnly)
		assert.Equal(t, 5, s.VersionLists)
		assert.Nil(t, s.Changes)
	})
	t.Run("refresh elapsed", func(t *testing.T) {
		_, c, clk, _ := changesClient(t, registryclient.LinkOptions{ArtifactRefresh: 5 * time.Minute})
		first := snapshot(t, c)
		clk.Advance(5 * time.Minute)
		s := snapshot(t, c)
		assert.True(t, s.ChangesOnly)
		assert.Equal(t, 5, s.VersionLists)
		assert.Nil(t, s.Changes)
		assert.Equal(t, first.Version, s.Version)
		_, ch := poll(t, c, clk, s)
		assert.Empty(t, ch.Artifacts)
	})
	t.Run("an artifact the links cannot place", func(t *testing.T) {
		srv, c, clk, versions := changesClient(t, registryclient.LinkOptions{})
		first := snapshot(t, c)
		// A new artifact of a version already read: only reading every
		// version's list finds where it is.
		_, err := srv.AddModelArtifact(versions[1], openapi.ModelArtifact{Name: openapi.PtrString("second"), Uri: openapi.PtrString("s3://bucket/second")})
		require.NoError(t, err)
		clk.Advance(time.Minute)
		s := snapshot(t, c)
		assert.True(t, s.ChangesOnly)
		assert.Equal(t, 5, s.VersionLists)
		assert.Len(t, s.VersionArtifacts[versions[1]], 2)
		assert.Nil(t, s.Changes)
		_, ch := poll(t, c, clk, s)
		assert.Equal(t, &mapping.RegistryChanges{Since: s.Version}, ch)
		assert.NotEqual(t, first.Version, s.Version)
	})
}

// Without any artifact no nested list is read; a version published since
// the last snapshot still has an entry of its own, empty.
func TestChangesNameNewVersionsOfARegistryWithoutArtifacts(t *testing.T) {
	srv, ts := newServer(t, fakeregistry.Options{Clock: registryClock().Now})
	versions := seed(t, srv, 5, false)
	c := registryclient.NewWithLinks(ts.URL, registryclient.Options{PageSize: 4}, registryclient.LinkOptions{ListRefresh: time.Hour})
	clk := newFakeClock()
	registryclient.SetClock(c, clk.Now)
	first := snapshot(t, c)
	_, err := srv.UpdateModelVersion(versions[0], func(v *openapi.ModelVersion) { v.SetState(openapi.MODELVERSIONSTATE_ARCHIVED) })
	require.NoError(t, err)
	archived, ch := poll(t, c, clk, first)
	assert.Equal(t, &mapping.RegistryChanges{Since: first.Version, ModelVersions: []string{versions[0]}}, ch)
	assert.NotContains(t, archived.VersionArtifacts, versions[0])

	_, err = srv.UpdateModelVersion(versions[0], func(v *openapi.ModelVersion) { v.SetState(openapi.MODELVERSIONSTATE_LIVE) })
	require.NoError(t, err)
	mv := versionOf(t, srv, versions[4])
	added, err := srv.AddModelVersion(openapi.ModelVersion{Name: "v2", RegisteredModelId: mv.GetRegisteredModelId()})
	require.NoError(t, err)
	s, ch := poll(t, c, clk, archived)
	assert.Zero(t, s.VersionLists)
	assert.Equal(t, &mapping.RegistryChanges{
		Since:         archived.Version,
		ModelVersions: []string{versions[0], added.GetId()},
		Artifacts:     []string{versions[0], added.GetId()},
	}, ch)
}

// A snapshot whose lists another snapshot of the same client replaced
// while it read them cannot say which one it was merged into.
func TestChangesAreNilWhenAnotherSnapshotFinishesMeanwhile(t *testing.T) {
	srv := fakeregistry.New(fakeregistry.Options{Clock: registryClock().Now})
	versions := seed(t, srv, 5, true)
	var gate atomic.Int32 // 1: hold the next request for inference service changes
	held, release := make(chan struct{}), make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == fakeregistry.RegistryBasePath+"/inference_services" && r.URL.Query().Has("filterQuery") && gate.CompareAndSwap(1, 2) {
			close(held)
			<-release
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	c := registryclient.NewWithLinks(ts.URL, registryclient.Options{PageSize: 4},
		registryclient.LinkOptions{ListRefresh: time.Hour, ArtifactRefresh: time.Hour})
	clk := newFakeClock()
	registryclient.SetClock(c, clk.Now)
	first := snapshot(t, c)

	desc := "changed"
	_, err := srv.UpdateModelVersion(versions[2], func(v *openapi.ModelVersion) { v.Description = &desc })
	require.NoError(t, err)
	clk.Advance(time.Minute)
	gate.Store(1)
	type result struct {
		s   *registryclient.Snapshot
		err error
	}
	slow := make(chan result, 1)
	go func() {
		s, err := c.Snapshot(context.Background())
		slow <- result{s, err}
	}()
	<-held
	fast, ch := poll(t, c, clk, first)
	assert.Equal(t, []string{versions[2]}, ch.ModelVersions)
	close(release)
	r := <-slow
	require.NoError(t, r.err)
	assert.True(t, r.s.ChangesOnly)
	assert.Nil(t, r.s.Changes, "the lists may have been merged into the first snapshot's or the fast one's")
	assert.Equal(t, fast.Version, r.s.Version)
	_, ch = poll(t, c, clk, r.s)
	assert.Empty(t, ch.ModelVersions)
}

// randomModel is a registered model of the randomized test, with its versions
// and their artifacts.
type randomModel struct {
	id       string
	versions []string
}

// TestChangesNameEverythingThatDiffers makes random changes of every kind,
// several at once, and checks every snapshot that carries Changes against
// the one before it: every registered model and version that differs is
// named, and only those; every published version whose artifacts differ
// is in Artifacts.
func TestChangesNameEverythingThatDiffers(t *testing.T) {
	srv, ts := newServer(t, fakeregistry.Options{Clock: registryClock().Now})
	seed(t, srv, 12, true)
	c := registryclient.NewWithLinks(ts.URL, registryclient.Options{PageSize: 5},
		registryclient.LinkOptions{ListRefresh: time.Hour, ArtifactRefresh: time.Hour})
	clk := newFakeClock()
	registryclient.SetClock(c, clk.Now)
	prev := snapshot(t, c)

	var models []randomModel
	byModel := map[string]int{}
	for _, v := range prev.ModelVersions {
		if _, ok := byModel[v.RegisteredModelID]; !ok {
			byModel[v.RegisteredModelID] = len(models)
			models = append(models, randomModel{id: v.RegisteredModelID})
		}
		m := &models[byModel[v.RegisteredModelID]]
		m.versions = append(m.versions, v.ID)
	}
	arts := make([]string, 0, len(prev.ModelArtifacts))
	for _, a := range prev.ModelArtifacts {
		arts = append(arts, a.ID)
	}
	isvcs := []string{prev.InferenceServices[0].ID}
	envs := []string{prev.ServingEnvironments[0].ID}

	rng := rand.New(rand.NewPCG(1, 2))
	n := 0
	next := func() string { n++; return fmt.Sprintf("%d", n) }
	anyVersion := func() (randomModel, string) {
		m := models[rng.IntN(len(models))]
		return m, m.versions[rng.IntN(len(m.versions))]
	}
	toggle := func(archived bool) string {
		if archived {
			return registrymodel.StateLive
		}
		return registrymodel.StateArchived
	}
	changes := []func(){
		func() { // a new model, version and artifact
			rm, err := srv.AddRegisteredModel(openapi.RegisteredModel{Name: "random-" + next()})
			require.NoError(t, err)
			mv, err := srv.AddModelVersion(openapi.ModelVersion{Name: "v1", RegisteredModelId: rm.GetId()})
			require.NoError(t, err)
			a, err := srv.AddModelArtifact(mv.GetId(), openapi.ModelArtifact{Uri: openapi.PtrString("s3://random/" + next())})
			require.NoError(t, err)
			models = append(models, randomModel{id: rm.GetId(), versions: []string{mv.GetId()}})
			arts = append(arts, a.GetId())
		},
		func() { // a new version, with or without an artifact, of a model
			i := rng.IntN(len(models))
			mv, err := srv.AddModelVersion(openapi.ModelVersion{Name: "v-" + next(), RegisteredModelId: models[i].id})
			require.NoError(t, err)
			models[i].versions = append(models[i].versions, mv.GetId())
			if rng.IntN(2) == 0 {
				a, err := srv.AddModelArtifact(mv.GetId(), openapi.ModelArtifact{Uri: openapi.PtrString("s3://random/" + next())})
				require.NoError(t, err)
				arts = append(arts, a.GetId())
			}
		},
		func() { // a version's description
			_, v := anyVersion()
			_, err := srv.UpdateModelVersion(v, func(mv *openapi.ModelVersion) { mv.Description = openapi.PtrString("d" + next()) })
			require.NoError(t, err)
		},
		func() { // a version archived or restored
			_, v := anyVersion()
			_, err := srv.UpdateModelVersion(v, func(mv *openapi.ModelVersion) {
				mv.SetState(openapi.ModelVersionState(toggle(mv.GetState() == openapi.MODELVERSIONSTATE_ARCHIVED)))
			})
			require.NoError(t, err)
		},
		func() { // a registered model archived or restored
			m, _ := anyVersion()
			_, err := srv.UpdateRegisteredModel(m.id, func(rm *openapi.RegisteredModel) {
				rm.SetState(openapi.RegisteredModelState(toggle(rm.GetState() == openapi.REGISTEREDMODELSTATE_ARCHIVED)))
			})
			require.NoError(t, err)
		},
		func() { // a registered model's description
			m, _ := anyVersion()
			_, err := srv.UpdateRegisteredModel(m.id, func(rm *openapi.RegisteredModel) { rm.Description = openapi.PtrString("d" + next()) })
			require.NoError(t, err)
		},
		func() { // an artifact's uri
			_, err := srv.UpdateModelArtifact(arts[rng.IntN(len(arts))], func(a *openapi.ModelArtifact) { a.Uri = openapi.PtrString("s3://random/" + next()) })
			require.NoError(t, err)
		},
		func() { // an artifact's state
			_, err := srv.UpdateModelArtifact(arts[rng.IntN(len(arts))], func(a *openapi.ModelArtifact) { a.SetState(openapi.ARTIFACTSTATE_LIVE) })
			require.NoError(t, err)
		},
		func() { // an inference service changed or added
			if rng.IntN(2) == 0 {
				_, err := srv.UpdateInferenceService(isvcs[rng.IntN(len(isvcs))], func(is *openapi.InferenceService) { is.Description = openapi.PtrString("d" + next()) })
				require.NoError(t, err)
				return
			}
			m, v := anyVersion()
			is, err := srv.AddInferenceService(openapi.InferenceService{
				Name: openapi.PtrString("isvc-" + next()), RegisteredModelId: m.id,
				ServingEnvironmentId: envs[rng.IntN(len(envs))], ModelVersionId: openapi.PtrString(v),
			})
			require.NoError(t, err)
			isvcs = append(isvcs, is.GetId())
		},
		func() { // a serving environment changed or added
			if rng.IntN(2) == 0 {
				_, err := srv.UpdateServingEnvironment(envs[rng.IntN(len(envs))], func(e *openapi.ServingEnvironment) { e.Description = openapi.PtrString("d" + next()) })
				require.NoError(t, err)
				return
			}
			e, err := srv.AddServingEnvironment(openapi.ServingEnvironment{Name: "env-" + next()})
			require.NoError(t, err)
			envs = append(envs, e.GetId())
		},
	}

	const rounds = 40
	withChanges, linkedFromChanges := 0, 0
	for round := range rounds {
		for range rng.IntN(4) { // none to three changes
			changes[rng.IntN(len(changes))]()
		}
		if round%10 == 9 {
			// A new artifact of a version already read, which only a full
			// refresh can place: a snapshot without Changes.
			_, v := anyVersion()
			a, err := srv.AddModelArtifact(v, openapi.ModelArtifact{Uri: openapi.PtrString("s3://random/" + next())})
			require.NoError(t, err)
			arts = append(arts, a.GetId())
		}
		clk.Advance(time.Minute)
		s := snapshot(t, c)
		require.True(t, s.ChangesOnly, "round %d", round)
		if s.Changes != nil {
			withChanges++
			checkChanges(t, round, prev, s)
			if s.VersionLists < len(s.VersionArtifacts) {
				linkedFromChanges++
			}
		}
		// However it linked them (from the changes, or reading every
		// version's list), the client links what a fresh one does.
		fresh, err := registryclient.New(ts.URL, registryclient.Options{PageSize: 5}).Snapshot(context.Background())
		require.NoError(t, err)
		assert.Equal(t, fresh.VersionArtifacts, s.VersionArtifacts, "round %d: a fresh client links the same artifacts", round)
		assert.Equal(t, fresh.ModelVersions, s.ModelVersions, "round %d", round)
		prev = s
	}
	assert.GreaterOrEqual(t, withChanges, rounds*2/3, "most snapshots carry Changes")
	assert.GreaterOrEqual(t, linkedFromChanges, rounds/2, "most link their artifacts from the changes alone")
}

// checkChanges checks s.Changes against what differs from prev.
func checkChanges(t *testing.T, round int, prev, s *registryclient.Snapshot) {
	t.Helper()
	ch := s.Changes
	assert.Equal(t, prev.Version, ch.Since, "round %d", round)
	rmID := func(x *registrymodel.RegisteredModel) string { return x.ID }
	mvID := func(x *registrymodel.ModelVersion) string { return x.ID }
	isID := func(x *registrymodel.InferenceService) string { return x.ID }
	envID := func(x *registrymodel.ServingEnvironment) string { return x.ID }
	// Exactly those that differ, in ID order.
	assert.Equal(t, differing(prev.RegisteredModels, s.RegisteredModels, rmID), ch.RegisteredModels, "round %d: registered models", round)
	assert.Equal(t, differing(prev.ModelVersions, s.ModelVersions, mvID), ch.ModelVersions, "round %d: model versions", round)
	assert.Equal(t, len(differing(prev.InferenceServices, s.InferenceServices, isID)) > 0 ||
		len(differing(prev.ServingEnvironments, s.ServingEnvironments, envID)) > 0, ch.Others, "round %d: others", round)

	assert.Equal(t, sortedIDs(ch.Artifacts), ch.Artifacts, "round %d: artifacts in ID order", round)
	named := map[string]bool{}
	for _, id := range ch.Artifacts {
		assert.False(t, named[id], "round %d: %s named twice", round, id)
		named[id] = true
		assert.Contains(t, s.VersionArtifacts, id, "round %d: only published versions", round)
	}
	for v, arts := range s.VersionArtifacts {
		if !sameArtifacts(prev.VersionArtifacts[v], arts) || prev.VersionArtifacts[v] == nil {
			assert.True(t, named[v], "round %d: the artifacts of version %s differ", round, v)
		}
	}
}

// differing returns, in ID order, the ids of the objects of now that old
// has not, or not as they are.
func differing[T any](old, now []T, id func(*T) string) []string {
	was := make(map[string]*T, len(old))
	for i := range old {
		was[id(&old[i])] = &old[i]
	}
	var out []string
	for i := range now {
		if o, ok := was[id(&now[i])]; !ok || !reflect.DeepEqual(o, &now[i]) {
			out = append(out, id(&now[i]))
		}
	}
	return sortedIDs(out)
}

func sortedIDs(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b string) int {
		if registrymodel.LessID(a, b) {
			return -1
		}
		if registrymodel.LessID(b, a) {
			return 1
		}
		return 0
	})
	return out
}

func sameArtifacts(a, b []*registrymodel.ModelArtifact) bool {
	return slices.EqualFunc(a, b, func(x, y *registrymodel.ModelArtifact) bool { return reflect.DeepEqual(*x, *y) })
}
