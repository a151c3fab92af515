package mapping

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/types"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
)

// cacheWorld is a registry and its InferenceServices that a test changes
// round after round, stamping every change as a registry and the API
// server would.
type cacheWorld struct {
	reg     RegistrySnapshot
	servers []Server
	cards   map[string]string // catalog model name -> card
	stamp   registrymodel.Epoch
	rv      int
}

func newCacheWorld(n int) *cacheWorld {
	w := &cacheWorld{reg: RegistrySnapshot{Name: "mr", Version: "1", VersionArtifacts: map[string][]*registrymodel.ModelArtifact{},
		ServingEnvironments: []registrymodel.ServingEnvironment{{ID: "1", Name: "team", LastUpdateTimeSinceEpoch: 1}}},
		cards: map[string]string{}, stamp: 1000}
	for i := range n {
		rmID := fmt.Sprint(100 + i)
		// Every fifth model's name sanitizes like the one before it: their
		// records collide and one is renamed.
		name := fmt.Sprintf("model %d", i-i%5/4)
		if i%5 == 4 {
			name = fmt.Sprintf("model-%d", i-1)
		}
		w.reg.RegisteredModels = append(w.reg.RegisteredModels, registrymodel.RegisteredModel{ID: rmID, Name: name,
			Properties: props("Owner", "group:ai"), LastUpdateTimeSinceEpoch: w.next()})
		for v := range 2 {
			w.addVersion(rmID, fmt.Sprintf("v%d", v+1), i%3 == 0)
		}
	}
	return w
}

func (w *cacheWorld) next() registrymodel.Epoch {
	w.stamp++
	return w.stamp
}

func (w *cacheWorld) addVersion(rmID, name string, deployed bool) {
	id := fmt.Sprint(10_000 + len(w.reg.ModelVersions))
	w.reg.ModelVersions = append(w.reg.ModelVersions, registrymodel.ModelVersion{ID: id, Name: name, RegisteredModelID: rmID,
		CreateTimeSinceEpoch: fmt.Sprint(w.stamp), LastUpdateTimeSinceEpoch: w.next()})
	card := "catalog-" + id
	w.cards["g/"+card] = "# " + card
	w.reg.VersionArtifacts[id] = []*registrymodel.ModelArtifact{{ID: id + "0", URI: "s3://b/" + id, ModelSourceKind: "catalog",
		ModelSourceClass: "src", ModelSourceGroup: "g", ModelSourceName: card, LastUpdateTimeSinceEpoch: w.next()}}
	if !deployed {
		return
	}
	isID := fmt.Sprint(50_000 + len(w.reg.InferenceServices))
	isName := "isvc-" + id
	w.reg.InferenceServices = append(w.reg.InferenceServices, registrymodel.InferenceService{ID: isID, Name: isName,
		RegisteredModelID: rmID, ModelVersionID: id, ServingEnvironmentID: "1", LastUpdateTimeSinceEpoch: w.next()})
	s := isvc("team", isName, map[string]string{LabelInferenceServiceID: isID}, nil, true)
	w.rv++
	s.ResourceVersion, s.UID = fmt.Sprint(w.rv), types.UID("uid-"+isName)
	w.servers = append(w.servers, Server{InferenceService: s})
}

func (w *cacheWorld) inputs() Inputs {
	return Inputs{Registries: []RegistrySnapshot{w.reg}, Servers: w.servers, ModelCard: func(source, name string) (string, bool) {
		c, ok := w.cards[name]
		return c, ok && source == "src"
	}}
}

// change makes one random change, stamped.
func (w *cacheWorld) change(r *rand.Rand) string {
	versions := w.reg.ModelVersions
	switch r.IntN(6) {
	case 0:
		v := &versions[r.IntN(len(versions))]
		v.Description, v.LastUpdateTimeSinceEpoch = fmt.Sprint("changed ", w.stamp), w.next()
		return "version " + v.ID + " described"
	case 1:
		rm := &w.reg.RegisteredModels[r.IntN(len(w.reg.RegisteredModels))]
		rm.Properties, rm.LastUpdateTimeSinceEpoch = props("Owner", fmt.Sprint("group:team-", w.stamp)), w.next()
		return "model " + rm.ID + " owner"
	case 2:
		rm := w.reg.RegisteredModels[r.IntN(len(w.reg.RegisteredModels))]
		w.addVersion(rm.ID, "v1", r.IntN(2) == 0) // a name its model already has: renamed
		return "version added to " + rm.ID
	case 3:
		if len(w.servers) == 0 {
			return "nothing"
		}
		s := &w.servers[r.IntN(len(w.servers))]
		c := s.InferenceService.DeepCopy()
		c.Annotations = map[string]string{annDescription: fmt.Sprint("served ", w.stamp)}
		w.rv++
		c.ResourceVersion = fmt.Sprint(w.rv)
		s.InferenceService = c
		return "InferenceService " + c.Name + " described"
	case 4:
		v := &versions[r.IntN(len(versions))]
		v.State, v.LastUpdateTimeSinceEpoch = registrymodel.StateArchived, w.next()
		return "version " + v.ID + " archived"
	default:
		v := versions[r.IntN(len(versions))]
		name := v.Name
		for k := range w.cards {
			if k == "g/catalog-"+v.ID {
				name = k
			}
		}
		w.cards[name] = fmt.Sprint("# card changed at ", w.stamp)
		w.next()
		return "card of " + v.ID + " changed"
	}
}

// A build given a Cache gives what a build without one gives, round after
// round of changes: the same records (an Output without a Body carries
// the hash of the record the build without a Cache makes), the same
// problems; and it encodes only the versions whose inputs changed.
func TestABuildWithACacheGivesWhatABuildWithoutOneGives(t *testing.T) {
	w := newCacheWorld(40)
	cache := NewCache()
	r := rand.New(rand.NewPCG(1, 2))
	opts := Options{}
	for round := range 60 {
		what := "nothing changed"
		switch {
		case round == 0:
			what = "first build"
		case round%10 == 5:
			opts.DefaultOwner = fmt.Sprint("group:owner-", round) // every record depends on it
			what = "default owner changed"
		case round%4 != 0:
			what = w.change(r)
		}
		in := w.inputs()
		plain, plainProblems := Build(in, Options{DefaultOwner: opts.DefaultOwner})
		withCache := opts
		withCache.Cache = cache
		cached, cachedProblems := Build(in, withCache)
		require.Equal(t, plainProblems, cachedProblems, "round %d (%s): problems", round, what)
		require.Len(t, cached, len(plain), "round %d (%s)", round, what)
		encoded := 0
		for i := range plain {
			p, c := &plain[i], &cached[i]
			require.Equal(t, p.Key, c.Key, "round %d (%s)", round, what)
			assert.Equal(t, p.RecordHash(), c.RecordHash(), "round %d (%s): %s", round, what, p.Key)
			assert.Equal(t, p.ModelCard, c.ModelCard, "round %d (%s): %s", round, what, p.Key)
			if c.Body != nil {
				encoded++
				assert.Equal(t, string(p.Body), string(c.Body), "round %d (%s): %s", round, what, p.Key)
			}
		}
		switch {
		case round == 0 || what == "default owner changed":
			assert.Equal(t, len(plain), encoded, "round %d (%s): everything is encoded", round, what)
		case what == "nothing changed":
			assert.Zero(t, encoded, "round %d: nothing is encoded again", round)
		default:
			assert.Less(t, encoded, 6, "round %d (%s): only what changed is encoded", round, what)
		}
		assert.Equal(t, len(plain), cache.Len(), "round %d: the cache holds the versions of this build only", round)
	}
}

// Without timestamps a version's inputs cannot be told unchanged: it is
// built every time.
func TestAVersionWithoutTimestampsIsAlwaysBuilt(t *testing.T) {
	w := newCacheWorld(3)
	for i := range w.reg.ModelVersions {
		w.reg.ModelVersions[i].LastUpdateTimeSinceEpoch = 0
	}
	cache := NewCache()
	for range 2 {
		outs, _ := Build(w.inputs(), Options{Cache: cache})
		for _, o := range outs {
			assert.NotNil(t, o.Body, o.Key)
		}
	}
	assert.Zero(t, cache.Len())
}
