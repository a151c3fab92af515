package mapping

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/backstage"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

const modelNameAnnotation = modelcatalog.AnnotationModelName

// draft is one record before names are made unique and it is encoded.
type draft struct {
	// identity names the source object; it orders drafts and seeds the
	// hash that disambiguates colliding names.
	identity  string
	typ       string
	segments  []string
	server    *serverDraft
	models    []*modelDraft
	modelCard string
	// version is set on the draft of a registry version until it is
	// encoded: only its names are made before, its model and model server
	// when it is encoded (finishVersion). Built at once, every version's
	// model and server were most of a full build's memory.
	version *versionDraft
}

// versionDraft is what a registry version's record is built from, and the
// names it asks for.
type versionDraft struct {
	registry string
	rm       *registrymodel.RegisteredModel
	v        *registrymodel.ModelVersion
	arts     []*registrymodel.ModelArtifact
	// srv is its model server: nil for none, and for one whose name
	// Backstage cannot take (reported when the draft is made).
	srv                                   *Server
	modelName, serverName, serverIdentity string
	// entry is what the Index keeps of the version; nil when not indexed.
	entry *versionEntry
}

type serverDraft struct {
	// identity is "InferenceService <namespace>/<name>": an InferenceService
	// is the model server of one record at most.
	identity string
	ms       modelcatalog.ModelServer
}

type modelDraft struct {
	identity string
	m        modelcatalog.Model
	// cardLinks asks for TechDocs annotations pointing at the record's
	// model card once the key is final.
	cardLinks bool
}

type nsName struct{ namespace, name string }

func (n nsName) String() string { return n.namespace + "/" + n.name }

// builder holds the state of one Build call.
type builder struct {
	owner, lifecycle string
	format           record.Format
	baseURL          string
	// dashboard is the OpenShift AI dashboard's base URL, "" for none.
	dashboard string
	modelCard func(sourceID, name string) (string, bool)

	problems []Problem
	servers  []*Server // sorted by namespace/name, one per InferenceService
	byRef    map[nsName]*Server
	// claimed InferenceServices belong to a model registry and are never
	// published on their own.
	claimed map[nsName]bool
	// serving InferenceServices are already some version's model server.
	serving       map[nsName]string
	registryNames map[string]bool
	drafts        []*draft
	// standalone are the InferenceServices mapped on their own (addKServeOnly),
	// with their draft, nil when none was made.
	standalone map[nsName]*draft
	// cache is Options.Cache as this build uses it; nil for none.
	cache *buildCache
	// indexing: the build leaves an Index (BuildIndexed), and
	// registryIndexes collects what it keeps of each registry.
	indexing        bool
	registryIndexes map[string]*registryIndex
}

// Build maps what the sources report to the records to publish. It is pure
// and deterministic: the same inputs in any order give the same outputs,
// sorted by key, with byte-identical bodies. Problems lists what could not
// be used as it was (sorted); outputs are always valid. Given
// Options.Cache, the records of registry versions whose inputs did not
// change since the Cache's last build come out without a Body, as their
// hash (see Cache).
func Build(in Inputs, opts Options) ([]Output, []Problem) {
	outputs, problems, _ := buildAll(in, opts, false)
	return outputs, problems
}

// BuildIndexed is Build, and also returns the Index that lets Rebuild map
// a change of InferenceServices without mapping everything again.
func BuildIndexed(in Inputs, opts Options) ([]Output, []Problem, *Index) {
	return buildAll(in, opts, true)
}

func buildAll(in Inputs, opts Options, indexed bool) ([]Output, []Problem, *Index) {
	b := newBuilder(in, opts)
	if indexed {
		b.indexing, b.registryIndexes = true, map[string]*registryIndex{}
	}
	registries := b.uniqueRegistries(in.Registries)
	for i := range registries {
		b.addRegistry(&registries[i])
	}
	b.claimRegistryLabelled(len(registries) > 0)
	b.addKServeOnly()
	var ix *Index
	if indexed {
		ix = newIndex(b, registries, opts)
	}
	b.assignNames()
	if ix != nil {
		ix.countRenamed(b)
	}
	b.startCache(opts.Cache)
	outputs := b.encodeAll()
	b.finishCache()
	sortProblems(b.problems)
	if ix != nil {
		ix.finish(b, outputs)
	}
	return outputs, b.problems, ix
}

func sortProblems(problems []Problem) {
	sort.Slice(problems, func(i, j int) bool {
		p, q := problems[i], problems[j]
		if p.Object != q.Object {
			return p.Object < q.Object
		}
		if p.Field != q.Field {
			return p.Field < q.Field
		}
		return p.Message < q.Message
	})
}

func newBuilder(in Inputs, opts Options) *builder {
	b := &builder{
		modelCard:     in.ModelCard,
		byRef:         map[nsName]*Server{},
		claimed:       map[nsName]bool{},
		serving:       map[nsName]string{},
		registryNames: map[string]bool{},
		standalone:    map[nsName]*draft{},
	}
	b.owner = DefaultOwner
	if o := strings.TrimSpace(opts.DefaultOwner); o != "" {
		if backstage.ValidEntityRef(o) {
			b.owner = o
		} else {
			b.problem("options", "DEFAULT_OWNER", fmt.Sprintf("%q is not a Backstage entity reference ([kind:][namespace/]name); using %q", opts.DefaultOwner, DefaultOwner))
		}
	}
	b.lifecycle = DefaultLifecycle
	if l := strings.TrimSpace(opts.DefaultLifecycle); l != "" {
		if validText(l) {
			b.lifecycle = l
		} else {
			b.problem("options", "DEFAULT_LIFECYCLE", fmt.Sprintf("%q holds control characters; using %q", opts.DefaultLifecycle, DefaultLifecycle))
		}
	}
	if f, err := record.ParseFormat(string(opts.Format)); err == nil {
		b.format = f
	} else {
		b.format = record.JSONArrayFormat
		b.problem("options", "NORMALIZER_FORMAT", fmt.Sprintf("unknown format %q; using %s", opts.Format, record.JSONArrayFormat))
	}
	b.baseURL = strings.TrimRight(strings.TrimSpace(opts.LocationBaseURL), "/")
	if b.baseURL == "" {
		b.baseURL = DefaultLocationBaseURL
	}
	b.dashboard = b.dashboardBase(opts)
	b.intakeServers(in.Servers)
	return b
}

// problem records a problem that does not keep the object from being
// published (Rejected ones are recorded where the object is dropped).
func (b *builder) problem(object, field, message string) {
	b.problems = append(b.problems, Problem{Object: object, Field: field, Message: message})
}

// intakeServers keeps one Server per InferenceService, leaving out those
// being deleted (they count as vanished).
func (b *builder) intakeServers(servers []Server) {
	type cand struct {
		ref nsName
		key string // ref.String(), the sort key
		fp  string // fingerprint, only computed for a ref passed twice
		s   *Server
	}
	cands := make([]cand, 0, len(servers))
	for i := range servers {
		s := &servers[i]
		if s.InferenceService == nil || s.InferenceService.DeletionTimestamp != nil {
			continue
		}
		ref := nsName{s.InferenceService.Namespace, s.InferenceService.Name}
		cands = append(cands, cand{ref: ref, key: ref.String(), s: s})
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].key < cands[j].key })
	// A ref passed more than once: order its copies by content, so that the
	// one used does not depend on the input order. Encoding every server
	// for that cost a sixth of a build.
	for i := 0; i < len(cands); {
		j := i + 1
		for j < len(cands) && cands[j].ref == cands[i].ref {
			j++
		}
		if j-i > 1 {
			dup := cands[i:j]
			for k := range dup {
				dup[k].fp = fingerprint(dup[k].s)
			}
			sort.Slice(dup, func(x, y int) bool { return dup[x].fp < dup[y].fp })
		}
		i = j
	}
	for _, c := range cands {
		if _, dup := b.byRef[c.ref]; dup {
			b.problem("InferenceService "+c.key, "", "was passed more than once with different content; one copy is used")
			continue
		}
		b.byRef[c.ref] = c.s
		b.servers = append(b.servers, c.s)
	}
}

// fingerprint orders otherwise equal objects so that input order never
// matters.
func fingerprint(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(data)
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// validText accepts a trimmed, non-empty string without control characters.
func validText(s string) bool {
	if s == "" || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// httpURL accepts absolute http(s) URLs with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return (scheme == "http" || scheme == "https") && u.Host != ""
}

// pickOwner returns the first candidate that is a valid owner reference,
// reporting those that are not; the builder's default closes the list.
func (b *builder) pickOwner(object string, cands ...entry) string {
	for _, c := range cands {
		if c.value == "" {
			continue
		}
		if backstage.ValidEntityRef(c.value) {
			return c.value
		}
		b.problem(object, c.field, fmt.Sprintf("owner %q is not a Backstage entity reference ([kind:][namespace/]name); ignored", c.value))
	}
	return b.owner
}

func (b *builder) pickLifecycle(object string, cands ...entry) string {
	for _, c := range cands {
		if c.value == "" {
			continue
		}
		if validText(c.value) {
			return c.value
		}
		b.problem(object, c.field, fmt.Sprintf("lifecycle %q holds control characters; ignored", c.value))
	}
	return b.lifecycle
}

// apiType reads the API Type property: lower-cased, default openapi.
func (b *builder) apiType(object string, md metadata) string {
	e, ok := md.get(keyAPIType)
	if !ok {
		return modelcatalog.APITypeOpenAPI
	}
	t := strings.ToLower(e.value)
	if modelcatalog.ValidAPIType(t) {
		return t
	}
	b.problem(object, e.field, fmt.Sprintf("API type %q is not one of openapi, asyncapi, graphql, grpc; using openapi", e.value))
	return modelcatalog.APITypeOpenAPI
}

// tags sanitizes tag candidates, reporting those with nothing valid left,
// and returns them sorted without duplicates.
func (b *builder) tags(object, field string, raw []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range raw {
		t, ok := backstage.Tag(r)
		if !ok {
			b.problem(object, field, fmt.Sprintf("tag %q has no letter or digit Backstage accepts; dropped", r))
			continue
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// techDocs applies a TechDocs property to a model that has no model card.
func (b *builder) techDocs(object string, md metadata, m *modelcatalog.Model) {
	e, ok := md.get(keyTechDocs)
	if !ok {
		return
	}
	if !httpURL(e.value) {
		b.problem(object, e.field, fmt.Sprintf("TechDocs %q is not an http(s) URL; ignored", e.value))
		return
	}
	setAnnotation(&m.Annotations, modelcatalog.AnnotationTechDocs, e.value)
	setAnnotation(&m.Annotations, modelcatalog.AnnotationTechDocsLower, e.value)
}

func setAnnotation(m *map[string]string, k, v string) {
	if *m == nil {
		*m = map[string]string{}
	}
	(*m)[k] = v
}

// modelFields sets the optional model fields every source maps the same way.
func modelFields(md metadata, m *modelcatalog.Model) {
	m.HowToUseURL = md.value(keyHowToUse)
	m.Ethics = md.value(keyEthics)
	m.Support = md.value(keySupport)
	m.Training = md.value(keyTraining)
	m.Usage = md.value(keyUsage)
}

// serverName is the model server name of an InferenceService, reporting
// one Backstage cannot take (its model server is then not published).
func (b *builder) serverName(object string, isvc *v1beta1.InferenceService) (string, bool) {
	name, ok := backstage.EntityName(isvc.Name)
	if !ok {
		b.skip(object, "", ReasonInvalidName, fmt.Sprintf("InferenceService name %q has no letter or digit Backstage accepts; its model server is not published", isvc.Name))
	}
	return name, ok
}

// serverBase builds the model server of InferenceService s, named name: URLs,
// authentication, API, the annotations copied from the InferenceService,
// the Kubernetes plugin annotations and the fact tags. Owner, lifecycle
// and description are the caller's.
func (b *builder) serverBase(object string, s *Server, md metadata, name string) modelcatalog.ModelServer {
	isvc := s.InferenceService
	ref := nsName{isvc.Namespace, isvc.Name}
	ms := modelcatalog.ModelServer{Name: name}
	auth := s.AuthEnabled || strings.EqualFold(strings.TrimSpace(isvc.Annotations[AnnotationEnableAuth]), "true")
	ms.Authentication = &auth
	ms.HomepageURL = md.value(keyHomepageURL)
	setDashboardLink(&ms, b.serverDashboardURL(isvc.Namespace, isvc.Name))

	apiURL, externalURL, serviceURL := endpoints(s)
	setAnnotation(&ms.Annotations, modelcatalog.AnnotationInternalServiceURL, serviceURL)
	if externalURL != "" {
		setAnnotation(&ms.Annotations, modelcatalog.AnnotationExternalRouteURL, externalURL)
	}
	for _, k := range copiedServerAnnotations {
		if v := strings.TrimSpace(isvc.Annotations[k]); v != "" {
			setAnnotation(&ms.Annotations, k, v)
		}
	}
	setKubernetesAnnotations(&ms, isvc)
	ms.Tags = b.factTags(object, isvc)

	api := &modelcatalog.API{URL: apiURL, Type: b.apiType(object, md)}
	api.Spec = md.value(keyAPISpec)
	if api.Spec == "" {
		api.Spec = placeholderSpec(ref, api.Type, api.URL)
	}
	ms.API = api
	return ms
}

// placeholderSpec stands in for a missing API Spec: a minimal OpenAPI
// document naming the server URL (so the API definition tab renders), or a
// note saying how to provide the real one.
func placeholderSpec(ref nsName, apiType, apiURL string) string {
	const how = `No API definition was provided: set the "API Spec" property on the model version, or the modelcatalogbridge.rhdh.io/apispec annotation on the InferenceService.`
	if apiType != modelcatalog.APITypeOpenAPI {
		return how
	}
	type info struct {
		Title       string `json:"title"`
		Version     string `json:"version"`
		Description string `json:"description"`
	}
	type server struct {
		URL string `json:"url"`
	}
	doc := struct {
		OpenAPI string         `json:"openapi"`
		Info    info           `json:"info"`
		Servers []server       `json:"servers"`
		Paths   map[string]any `json:"paths"`
	}{
		OpenAPI: "3.0.3",
		Info:    info{Title: ref.String(), Version: "unknown", Description: how},
		Servers: []server{{URL: apiURL}},
		Paths:   map[string]any{},
	}
	data, _ := json.Marshal(doc) // cannot fail: only strings and maps
	return string(data)
}

// recordKey builds a key from segments that are already entity names.
func recordKey(segments []string) (string, error) {
	return record.KeyFromSegments(segments...)
}
