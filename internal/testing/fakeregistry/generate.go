package fakeregistry

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/kubeflow/model-registry/pkg/openapi"
)

// GenOptions shape the data Generate creates. Zero values mean the
// defaults given; a negative share means none.
type GenOptions struct {
	// Seed makes the output deterministic: the same seed on an empty server
	// gives the same entities, ids and times.
	Seed int64
	// MaxVersions: each registered model gets 1..MaxVersions versions
	// (default 3).
	MaxVersions int
	// CatalogShare of the registered models are registered from the catalog:
	// their artifacts carry modelSource* fields naming a catalog model that
	// has a readme (default 0.3).
	CatalogShare float64
	// DeployedShare of the registered models have an inference service
	// (default 0.3).
	DeployedShare float64
	// ArchivedShare of registered models and of versions are ARCHIVED
	// (default 0.05).
	ArchivedShare float64
	// Namespaces is the number of serving environments (default 3).
	Namespaces int
	// Start is the createTimeSinceEpoch of the first entity; later ones are
	// a second apart (default 2025-01-01T00:00:00Z).
	Start time.Time
	// CatalogSourceID receives the catalog models; created when missing
	// (default "generated_models").
	CatalogSourceID string
}

// GenResult counts what Generate created.
type GenResult struct {
	RegisteredModels    int
	ModelVersions       int
	ModelArtifacts      int
	ServingEnvironments int
	InferenceServices   int
	CatalogModels       int
	// RegisteredModelIDs in creation order.
	RegisteredModelIDs []string
}

var (
	genAdjectives = []string{"fast", "tiny", "robust", "quantized", "sparse", "distilled", "instruct", "base"}
	genNouns      = []string{"llm", "classifier", "detector", "embedder", "forecaster", "translator", "summarizer", "ranker"}
	genOrgs       = []string{"ibm-granite", "mistralai", "meta-llama", "acme-ai", "red-hat"}
	genOwners     = []string{"team-ml", "user:default/jdoe", "group:default/data-science", "platform"}
	genLicenses   = []string{"apache-2.0", "mit", "llama3.1", "cc-by-4.0"}
	genRuntimes   = []string{"vllm-cuda-runtime", "ovms", "kserve-sklearnserver"}
	genFormats    = []string{"vLLM", "onnx", "pytorch", "sklearn"}
)

// Generate adds n registered models to s, each with versions, model
// artifacts (some registered from the catalog, with the matching catalog
// model), plus serving environments and inference services. Names vary on
// purpose (spaces, capitals, "/", overlong) so that consumers' name
// handling is exercised. It is deterministic for opts.Seed on an empty
// server and adds 50,000 models in well under a minute.
func Generate(s *Server, n int, opts GenOptions) (GenResult, error) {
	opts = genDefaults(opts)
	g := &generator{
		s:    s,
		opts: opts,
		rng:  rand.New(rand.NewPCG(uint64(opts.Seed), 0x6d6f64656c73)),
		t:    opts.Start.UnixMilli(),
	}
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	s.cat.mu.Lock()
	defer s.cat.mu.Unlock()
	if err := g.setup(); err != nil {
		return g.res, err
	}
	base := len(s.reg.models.ordered)
	for i := 0; i < n; i++ {
		if err := g.model(base + i); err != nil {
			return g.res, fmt.Errorf("generating registered model %d of %d: %w", i+1, n, err)
		}
	}
	return g.res, nil
}

func genDefaults(o GenOptions) GenOptions {
	if o.MaxVersions <= 0 {
		o.MaxVersions = 3
	}
	share := func(v *float64, def float64) {
		switch {
		case *v == 0:
			*v = def
		case *v < 0:
			*v = 0
		}
	}
	share(&o.CatalogShare, 0.3)
	share(&o.DeployedShare, 0.3)
	share(&o.ArchivedShare, 0.05)
	if o.Namespaces <= 0 {
		o.Namespaces = 3
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if o.CatalogSourceID == "" {
		o.CatalogSourceID = "generated_models"
	}
	return o
}

// generator holds one Generate run; the server's locks are held throughout.
type generator struct {
	s    *Server
	opts GenOptions
	rng  *rand.Rand
	t    int64 // time of the next entity, ms
	envs []int64
	res  GenResult
}

// stamp returns the next creation time and a last update time at or after it.
func (g *generator) stamp() (*string, *string) {
	c := g.t
	g.t += 1000
	u := c
	if g.rng.IntN(4) == 0 {
		u += int64(g.rng.IntN(86_400_000))
	}
	return ptr(strconv.FormatInt(c, 10)), ptr(strconv.FormatInt(u, 10))
}

func (g *generator) setup() error {
	if _, ok := g.s.cat.source(g.opts.CatalogSourceID); !ok {
		src := CatalogSource{ID: g.opts.CatalogSourceID, Name: "Generated Models", Labels: []string{"Generated"}}
		if _, err := g.s.cat.addSource(src); err != nil {
			return err
		}
	}
	for i := 0; i < g.opts.Namespaces; i++ {
		name := fmt.Sprintf("models-ns-%d", i)
		if r, ok := g.s.reg.envs.byName(0, name); ok {
			g.envs = append(g.envs, r.id)
			continue
		}
		c, u := g.stamp()
		r, err := g.s.reg.addEnv(openapi.ServingEnvironment{
			Name: name, Description: ptr("namespace " + name), CreateTimeSinceEpoch: c, LastUpdateTimeSinceEpoch: u,
		})
		if err != nil {
			return err
		}
		g.envs = append(g.envs, r.id)
		g.res.ServingEnvironments++
	}
	return nil
}

func (g *generator) modelName(k int) string {
	adj, noun := genAdjectives[g.rng.IntN(len(genAdjectives))], genNouns[g.rng.IntN(len(genNouns))]
	switch {
	case k%25 == 11:
		return strings.Repeat("very-long-model-name-", 4) + strconv.Itoa(k)
	case k%10 == 3:
		return fmt.Sprintf("%s %s Model %d", strings.ToUpper(adj[:1])+adj[1:], strings.ToUpper(noun), k)
	case k%10 == 7:
		return fmt.Sprintf("team_%s/%s.%d-FT", adj, noun, k)
	}
	return fmt.Sprintf("%s-%s-%d", adj, noun, k)
}

func (g *generator) model(k int) error {
	name := g.modelName(k)
	archived := g.rng.Float64() < g.opts.ArchivedShare
	fromCatalog := g.rng.Float64() < g.opts.CatalogShare
	c, u := g.stamp()
	rm := openapi.RegisteredModel{
		Name:                     name,
		Description:              ptr("Generated registered model " + name),
		CreateTimeSinceEpoch:     c,
		LastUpdateTimeSinceEpoch: u,
		State:                    ptr(openapi.REGISTEREDMODELSTATE_LIVE),
	}
	if archived {
		rm.State = ptr(openapi.REGISTEREDMODELSTATE_ARCHIVED)
	}
	if g.rng.IntN(10) < 6 {
		rm.Owner = ptr(genOwners[g.rng.IntN(len(genOwners))])
	}
	if g.rng.IntN(10) == 0 {
		rm.CustomProperties = &map[string]openapi.MetadataValue{"Owner": str(genOwners[g.rng.IntN(len(genOwners))])}
	}
	rmRow, err := g.s.reg.addModel(rm)
	if err != nil {
		return err
	}
	g.res.RegisteredModels++
	g.res.RegisteredModelIDs = append(g.res.RegisteredModelIDs, rmRow.obj.GetId())

	var org, cname string
	if fromCatalog {
		org = genOrgs[g.rng.IntN(len(genOrgs))]
		cname = fmt.Sprintf("%s-%s-%d", genAdjectives[g.rng.IntN(len(genAdjectives))], genNouns[g.rng.IntN(len(genNouns))], k)
		if err := g.catalogModel(org, cname); err != nil {
			return err
		}
	}

	nv := 1 + g.rng.IntN(g.opts.MaxVersions)
	var lastVersion int64
	for v := 1; v <= nv; v++ {
		vid, err := g.version(rmRow.id, name, v, org, cname)
		if err != nil {
			return err
		}
		lastVersion = vid
	}
	if !archived && g.rng.Float64() < g.opts.DeployedShare {
		return g.service(k, rmRow.id, lastVersion)
	}
	return nil
}

func (g *generator) catalogModel(org, cname string) error {
	full := org + "/" + cname
	license := genLicenses[g.rng.IntN(len(genLicenses))]
	c, u := g.stamp()
	_, err := g.s.cat.addModel(g.opts.CatalogSourceID, CatalogModel{
		Name:        full,
		Description: "Generated catalog model " + full,
		Readme: fmt.Sprintf("# %s\n\n%s is a generated model card.\n\n## Intended use\n\nText generation for tests.\n\n## License\n\n%s\n",
			full, cname, license),
		Provider:                 org,
		License:                  license,
		Language:                 []string{"en"},
		Tasks:                    []string{"text-generation"},
		LibraryName:              "transformers",
		CreateTimeSinceEpoch:     *c,
		LastUpdateTimeSinceEpoch: *u,
	})
	if err != nil {
		return err
	}
	g.res.CatalogModels++
	return nil
}

func (g *generator) version(rmID int64, model string, v int, org, cname string) (int64, error) {
	vname := fmt.Sprintf("v%d", v)
	if g.rng.IntN(5) == 0 {
		vname = fmt.Sprintf("%d.%d.0", v, g.rng.IntN(10))
	}
	props := map[string]openapi.MetadataValue{}
	pick := func(pct int) bool { return g.rng.IntN(100) < pct }
	if pick(50) {
		props["Owner"] = str(genOwners[g.rng.IntN(len(genOwners))])
	}
	if pick(30) {
		props["Lifecycle"] = str([]string{"production", "experimental", "deprecated"}[g.rng.IntN(3)])
	}
	if pick(20) {
		props["How to use"] = str("https://docs.example.com/models/" + strconv.FormatInt(rmID, 10))
	}
	if pick(20) {
		props["Homepage URL"] = str("https://example.com/models/" + strconv.FormatInt(rmID, 10))
	}
	if pick(15) {
		props["API Spec"] = str(`{"openapi":"3.0.0","info":{"title":"` + strings.ReplaceAll(model, `"`, "") + `","version":"` + vname + `"},"paths":{}}`)
		props["API Type"] = str("openapi")
	}
	if org == "" && pick(10) {
		props["TechDocs"] = str("https://github.com/example/models/tree/main/docs")
	}
	if pick(10) {
		props["License"] = str(genLicenses[g.rng.IntN(len(genLicenses))])
	}
	if pick(10) {
		props["Usage"] = str("Send a chat completion request to the model server.")
	}
	if pick(20) {
		props["accuracy"] = openapi.MetadataDoubleValueAsMetadataValue(&openapi.MetadataDoubleValue{DoubleValue: float64(g.rng.IntN(1000)) / 1000})
		props["epochs"] = openapi.MetadataIntValueAsMetadataValue(&openapi.MetadataIntValue{IntValue: strconv.Itoa(1 + g.rng.IntN(50))})
		props["validated"] = openapi.MetadataBoolValueAsMetadataValue(&openapi.MetadataBoolValue{BoolValue: pick(50)})
	}
	c, u := g.stamp()
	mv := openapi.ModelVersion{
		Name:                     vname,
		RegisteredModelId:        strconv.FormatInt(rmID, 10),
		Description:              ptr(fmt.Sprintf("Version %s of %s", vname, model)),
		Author:                   ptr(genOwners[g.rng.IntN(len(genOwners))]),
		State:                    ptr(openapi.MODELVERSIONSTATE_LIVE),
		CreateTimeSinceEpoch:     c,
		LastUpdateTimeSinceEpoch: u,
	}
	if g.rng.Float64() < g.opts.ArchivedShare {
		mv.State = ptr(openapi.MODELVERSIONSTATE_ARCHIVED)
	}
	if len(props) > 0 {
		mv.CustomProperties = &props
	}
	vr, err := g.s.reg.addVersion(mv)
	if err != nil {
		return 0, err
	}
	g.res.ModelVersions++

	c, u = g.stamp()
	ma := openapi.ModelArtifact{
		Name:                     ptr(vname + "-model"),
		ArtifactType:             ptr(modelArtifactType),
		State:                    ptr(openapi.ARTIFACTSTATE_LIVE),
		ModelFormatName:          ptr(genFormats[g.rng.IntN(len(genFormats))]),
		ModelFormatVersion:       ptr("1"),
		CreateTimeSinceEpoch:     c,
		LastUpdateTimeSinceEpoch: u,
	}
	if org != "" {
		ma.Uri = ptr(fmt.Sprintf("oci://registry.example.com/%s/%s:%s", org, cname, vname))
		ma.ModelSourceKind = ptr("catalog")
		ma.ModelSourceClass = ptr(g.opts.CatalogSourceID)
		ma.ModelSourceGroup = ptr(org)
		ma.ModelSourceName = ptr(cname)
		ma.ModelSourceId = ptr(vname)
	} else {
		ma.Uri = ptr(fmt.Sprintf("s3://models/%d/%s/", rmID, vname))
		ma.StorageKey = ptr("aws-connection-models")
		ma.StoragePath = ptr(fmt.Sprintf("%d/%s", rmID, vname))
	}
	if _, err := g.s.reg.addArtifact(ma, vr.id); err != nil {
		return 0, err
	}
	g.res.ModelArtifacts++
	return vr.id, nil
}

func (g *generator) service(k int, rmID, versionID int64) error {
	c, u := g.stamp()
	is := openapi.InferenceService{
		Name:                     ptr(fmt.Sprintf("isvc-%d", k)),
		RegisteredModelId:        strconv.FormatInt(rmID, 10),
		ServingEnvironmentId:     strconv.FormatInt(g.envs[g.rng.IntN(len(g.envs))], 10),
		Runtime:                  ptr(genRuntimes[g.rng.IntN(len(genRuntimes))]),
		DesiredState:             ptr(openapi.INFERENCESERVICESTATE_DEPLOYED),
		CreateTimeSinceEpoch:     c,
		LastUpdateTimeSinceEpoch: u,
	}
	if g.rng.IntN(10) != 0 { // else it serves the latest version implicitly
		is.ModelVersionId = ptr(strconv.FormatInt(versionID, 10))
	}
	if g.rng.IntN(10) == 0 {
		is.DesiredState = ptr(openapi.INFERENCESERVICESTATE_UNDEPLOYED)
	}
	if _, err := g.s.reg.addService(is); err != nil {
		return err
	}
	g.res.InferenceServices++
	return nil
}

func ptr[T any](v T) *T { return &v }

func str(s string) openapi.MetadataValue {
	return openapi.MetadataStringValueAsMetadataValue(&openapi.MetadataStringValue{StringValue: s, MetadataType: "MetadataStringValue"})
}
