package pipeline

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registryclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
)

// fakeCatalog answers the model card of the catalog models it holds and
// records what it was asked.
type fakeCatalog struct {
	cards map[[2]string]string
	asked [][2]string
}

func (f *fakeCatalog) Card(_ context.Context, sourceID, name string) (string, bool, error) {
	f.asked = append(f.asked, [2]string{sourceID, name})
	c, ok := f.cards[[2]string{sourceID, name}]
	return c, ok, nil
}

// fakeArtifactRegistry serves one model whose version's artifact came from the
// catalog, described by art.
type fakeArtifactRegistry struct{ art registrymodel.ModelArtifact }

func (r fakeArtifactRegistry) Snapshot(context.Context) (*registryclient.Snapshot, error) {
	rmID, mvID, artID := "1", "100", "1000"
	r.art.ID = artID
	return &registryclient.Snapshot{RegistrySnapshot: mapping.RegistrySnapshot{
		RegisteredModels: []registrymodel.RegisteredModel{{ID: rmID, Name: "granite"}},
		ModelVersions:    []registrymodel.ModelVersion{{ID: mvID, Name: "v1", RegisteredModelID: rmID}},
		VersionArtifacts: map[string][]*registrymodel.ModelArtifact{mvID: {&r.art}},
	}}, nil
}

// The card fetched from the catalog is the card shown: the pipeline and the
// mapping name a catalog model the same way (one rule), whatever shape the
// registry gives its source fields.
func TestTheCatalogCardFetchedIsTheCardShown(t *testing.T) {
	for name, art := range map[string]registrymodel.ModelArtifact{
		"group and name apart": {ModelSourceKind: "catalog", ModelSourceClass: "validated",
			ModelSourceGroup: "ibm-granite", ModelSourceName: "granite-8b"},
		"a name that already carries its group": {ModelSourceKind: "catalog", ModelSourceClass: "validated",
			ModelSourceGroup: "ibm-granite", ModelSourceName: "ibm-granite/granite-8b"},
		"spaces around the fields": {ModelSourceKind: "catalog", ModelSourceClass: " validated ",
			ModelSourceGroup: " ibm-granite ", ModelSourceName: " granite-8b "},
		"no kind given": {ModelSourceClass: "validated",
			ModelSourceGroup: "ibm-granite", ModelSourceName: "granite-8b"},
	} {
		cat := &fakeCatalog{cards: map[[2]string]string{{"validated", "ibm-granite/granite-8b"}: "# Granite 8B"}}
		store := newFakeStore()
		p := New(Config{
			Discoverer: &fakeDiscovery{res: discovery.Result{
				Registries: []discovery.Endpoint{{Name: "r", URL: "http://r"}},
				Catalog:    &discovery.Endpoint{Name: "c", URL: "http://c"},
			}},
			NewRegistry: func(discovery.Endpoint) RegistryReader { return fakeArtifactRegistry{art} },
			NewCatalog:  func(discovery.Endpoint) CardReader { return cat },
			Store:       store,
		})
		_, err := p.Sync(context.Background())
		require.NoError(t, err, name)
		assert.Equal(t, [][2]string{{"validated", "ibm-granite/granite-8b"}}, cat.asked, "%s: the catalog is asked for the model", name)
		recs, _ := store.Records(context.Background())
		assert.Equal(t, "# Granite 8B", recs["granite__v1"].ModelCard, "%s: the card fetched is shown", name)
	}

	// An artifact from elsewhere (a URI, a Hugging Face import) has no
	// catalog card and costs no catalog request.
	cat := &fakeCatalog{}
	p := New(Config{
		Discoverer: &fakeDiscovery{res: discovery.Result{
			Registries: []discovery.Endpoint{{Name: "r", URL: "http://r"}},
			Catalog:    &discovery.Endpoint{Name: "c", URL: "http://c"},
		}},
		NewRegistry: func(discovery.Endpoint) RegistryReader {
			return fakeArtifactRegistry{registrymodel.ModelArtifact{ModelSourceKind: "hf", ModelSourceClass: "hub", ModelSourceName: "x/y"}}
		},
		NewCatalog: func(discovery.Endpoint) CardReader { return cat },
		Store:      newFakeStore(),
	})
	_, err := p.Sync(context.Background())
	require.NoError(t, err)
	assert.Empty(t, cat.asked, "no catalog request for a model that is not from the catalog")
}
