package fakeregistry

import (
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/kubeflow/model-registry/pkg/openapi"
)

// idPattern is the spec's pattern for entity ids.
var idPattern = regexp.MustCompile(`^[1-9][0-9]{0,8}$`)

// maxID is the largest id idPattern allows.
const maxID = 999_999_999

var intValuePattern = regexp.MustCompile(`^-?([1-9][0-9]{0,8}|0)$`)

const modelArtifactType = "model-artifact"

// resource is what the generated registry types have in common.
type resource interface {
	GetId() string
	SetId(string)
	GetCreateTimeSinceEpoch() string
	SetCreateTimeSinceEpoch(string)
	GetLastUpdateTimeSinceEpoch() string
	SetLastUpdateTimeSinceEpoch(string)
}

// registry is the in-memory Model Registry: one table per entity type, all
// guarded by mu.
type registry struct {
	mu        sync.Mutex
	clock     func() time.Time
	lastMS    int64
	lastID    int64
	models    *table[openapi.RegisteredModel]
	versions  *table[openapi.ModelVersion]       // parent: registered model
	artifacts *table[openapi.ModelArtifact]      // parent: model version, 0 when unattached
	envs      *table[openapi.ServingEnvironment] //
	services  *table[openapi.InferenceService]   // parent: serving environment
}

func newRegistry(clock func() time.Time) *registry {
	return &registry{
		clock:     clock,
		models:    newTable[openapi.RegisteredModel]("RegisteredModel", "", true),
		versions:  newTable[openapi.ModelVersion]("ModelVersion", "RegisteredModel", true),
		artifacts: newTable[openapi.ModelArtifact]("ModelArtifact", "ModelVersion", true),
		envs:      newTable[openapi.ServingEnvironment]("ServingEnvironment", "", true),
		services:  newTable[openapi.InferenceService]("InferenceService", "ServingEnvironment", true),
	}
}

// now is the clock in milliseconds, never going backwards.
func (r *registry) now() int64 {
	ms := r.clock().UnixMilli()
	if ms < r.lastMS {
		ms = r.lastMS
	}
	r.lastMS = ms
	return ms
}

func (r *registry) addModel(m openapi.RegisteredModel) (*row[openapi.RegisteredModel], error) {
	if m.State == nil {
		m.SetState(openapi.REGISTEREDMODELSTATE_LIVE)
	}
	md, err := r.modelMeta(&m)
	if err != nil {
		return nil, err
	}
	return insertRow(r, r.models, m, md)
}

func (r *registry) updateModel(id int64, change func(*openapi.RegisteredModel) error) (*row[openapi.RegisteredModel], error) {
	return updateRow(r, r.models, id, change, func(_, m *openapi.RegisteredModel, _ int64) (meta, error) {
		return r.modelMeta(m)
	})
}

func (r *registry) modelMeta(m *openapi.RegisteredModel) (meta, error) {
	if m.Name == "" {
		return meta{}, invalidf("RegisteredModel: name is required")
	}
	if m.State != nil && !m.State.IsValid() {
		return meta{}, invalidf("RegisteredModel %q: state %q is not LIVE or ARCHIVED", m.Name, *m.State)
	}
	if err := checkCustomProperties("RegisteredModel "+strconv.Quote(m.Name), m.CustomProperties); err != nil {
		return meta{}, err
	}
	return meta{name: m.Name, ext: m.GetExternalId()}, nil
}

func (r *registry) addVersion(v openapi.ModelVersion) (*row[openapi.ModelVersion], error) {
	if v.State == nil {
		v.SetState(openapi.MODELVERSIONSTATE_LIVE)
	}
	md, err := r.versionMeta(&v)
	if err != nil {
		return nil, err
	}
	return insertRow(r, r.versions, v, md)
}

func (r *registry) updateVersion(id int64, change func(*openapi.ModelVersion) error) (*row[openapi.ModelVersion], error) {
	return updateRow(r, r.versions, id, change, func(old, v *openapi.ModelVersion, _ int64) (meta, error) {
		if v.RegisteredModelId != old.RegisteredModelId {
			return meta{}, invalidf("ModelVersion %s: registeredModelId cannot be changed", old.GetId())
		}
		return r.versionMeta(v)
	})
}

func (r *registry) versionMeta(v *openapi.ModelVersion) (meta, error) {
	if v.Name == "" {
		return meta{}, invalidf("ModelVersion: name is required")
	}
	what := "ModelVersion " + strconv.Quote(v.Name)
	rmID, err := parseRefID(what, "registeredModelId", v.RegisteredModelId)
	if err != nil {
		return meta{}, err
	}
	if _, ok := r.models.get(rmID); !ok {
		return meta{}, invalidf("%s: registeredModelId %d names no RegisteredModel: create the registered model first", what, rmID)
	}
	if v.State != nil && !v.State.IsValid() {
		return meta{}, invalidf("%s: state %q is not LIVE or ARCHIVED", what, *v.State)
	}
	if err := checkCustomProperties(what, v.CustomProperties); err != nil {
		return meta{}, err
	}
	return meta{parent: rmID, name: v.Name, ext: v.GetExternalId()}, nil
}

// addArtifact creates a model artifact, attached to version versionID
// unless it is 0.
func (r *registry) addArtifact(a openapi.ModelArtifact, versionID int64) (*row[openapi.ModelArtifact], error) {
	if a.ArtifactType == nil {
		a.SetArtifactType(modelArtifactType)
	}
	if a.State == nil {
		a.SetState(openapi.ARTIFACTSTATE_UNKNOWN)
	}
	md, err := r.artifactMeta(&a, versionID)
	if err != nil {
		return nil, err
	}
	return insertRow(r, r.artifacts, a, md)
}

// updateArtifact changes artifact id and attaches it to versionID (-1 keeps
// its current version).
func (r *registry) updateArtifact(id, versionID int64, change func(*openapi.ModelArtifact) error) (*row[openapi.ModelArtifact], error) {
	return updateRow(r, r.artifacts, id, change, func(_, a *openapi.ModelArtifact, parent int64) (meta, error) {
		if versionID >= 0 {
			parent = versionID
		}
		return r.artifactMeta(a, parent)
	})
}

func (r *registry) artifactMeta(a *openapi.ModelArtifact, versionID int64) (meta, error) {
	what := "ModelArtifact " + strconv.Quote(a.GetName())
	if t := a.GetArtifactType(); t != modelArtifactType {
		return meta{}, invalidf("%s: artifactType %q is not supported here: only %q", what, t, modelArtifactType)
	}
	if a.Name != nil && *a.Name == "" {
		return meta{}, invalidf("ModelArtifact: name must not be empty when set")
	}
	if versionID != 0 {
		if _, ok := r.versions.get(versionID); !ok {
			return meta{}, notFoundf("%s: ModelVersion %d does not exist", what, versionID)
		}
	}
	if a.State != nil && !a.State.IsValid() {
		return meta{}, invalidf("%s: state %q is not a valid ArtifactState", what, *a.State)
	}
	if err := checkCustomProperties(what, a.CustomProperties); err != nil {
		return meta{}, err
	}
	return meta{parent: versionID, name: a.GetName(), ext: a.GetExternalId()}, nil
}

func (r *registry) addEnv(e openapi.ServingEnvironment) (*row[openapi.ServingEnvironment], error) {
	md, err := r.envMeta(&e)
	if err != nil {
		return nil, err
	}
	return insertRow(r, r.envs, e, md)
}

func (r *registry) updateEnv(id int64, change func(*openapi.ServingEnvironment) error) (*row[openapi.ServingEnvironment], error) {
	return updateRow(r, r.envs, id, change, func(_, e *openapi.ServingEnvironment, _ int64) (meta, error) {
		return r.envMeta(e)
	})
}

func (r *registry) envMeta(e *openapi.ServingEnvironment) (meta, error) {
	if e.Name == "" {
		return meta{}, invalidf("ServingEnvironment: name is required (the namespace the models are served in)")
	}
	if err := checkCustomProperties("ServingEnvironment "+strconv.Quote(e.Name), e.CustomProperties); err != nil {
		return meta{}, err
	}
	return meta{name: e.Name, ext: e.GetExternalId()}, nil
}

func (r *registry) addService(s openapi.InferenceService) (*row[openapi.InferenceService], error) {
	if s.DesiredState == nil {
		s.SetDesiredState(openapi.INFERENCESERVICESTATE_DEPLOYED)
	}
	md, err := r.serviceMeta(&s)
	if err != nil {
		return nil, err
	}
	return insertRow(r, r.services, s, md)
}

func (r *registry) updateService(id int64, change func(*openapi.InferenceService) error) (*row[openapi.InferenceService], error) {
	return updateRow(r, r.services, id, change, func(old, s *openapi.InferenceService, _ int64) (meta, error) {
		if s.RegisteredModelId != old.RegisteredModelId || s.ServingEnvironmentId != old.ServingEnvironmentId {
			return meta{}, invalidf("InferenceService %s: registeredModelId and servingEnvironmentId cannot be changed", old.GetId())
		}
		return r.serviceMeta(s)
	})
}

func (r *registry) serviceMeta(s *openapi.InferenceService) (meta, error) {
	what := "InferenceService " + strconv.Quote(s.GetName())
	if s.Name != nil && *s.Name == "" {
		return meta{}, invalidf("InferenceService: name must not be empty when set")
	}
	rmID, err := parseRefID(what, "registeredModelId", s.RegisteredModelId)
	if err != nil {
		return meta{}, err
	}
	if _, ok := r.models.get(rmID); !ok {
		return meta{}, invalidf("%s: registeredModelId %d names no RegisteredModel", what, rmID)
	}
	envID, err := parseRefID(what, "servingEnvironmentId", s.ServingEnvironmentId)
	if err != nil {
		return meta{}, err
	}
	if _, ok := r.envs.get(envID); !ok {
		return meta{}, invalidf("%s: servingEnvironmentId %d names no ServingEnvironment: create it first", what, envID)
	}
	if s.ModelVersionId != nil {
		mvID, err := parseRefID(what, "modelVersionId", *s.ModelVersionId)
		if err != nil {
			return meta{}, err
		}
		mv, ok := r.versions.get(mvID)
		if !ok {
			return meta{}, invalidf("%s: modelVersionId %d names no ModelVersion", what, mvID)
		}
		if mv.parent != rmID {
			return meta{}, invalidf("%s: ModelVersion %d belongs to RegisteredModel %d, not to registeredModelId %d", what, mvID, mv.parent, rmID)
		}
	}
	if s.DesiredState != nil && !s.DesiredState.IsValid() {
		return meta{}, invalidf("%s: desiredState %q is not DEPLOYED or UNDEPLOYED", what, *s.DesiredState)
	}
	if err := checkCustomProperties(what, s.CustomProperties); err != nil {
		return meta{}, err
	}
	return meta{parent: envID, name: s.GetName(), ext: s.GetExternalId()}, nil
}

// latestVersion is the most recently created version of a registered model,
// which an InferenceService without modelVersionId serves.
func (r *registry) latestVersion(rmID int64) (*row[openapi.ModelVersion], bool) {
	kids := r.versions.childView(rmID, sortSpec{by: OrderByCreateTime})
	if len(kids) == 0 {
		return nil, false
	}
	return kids[len(kids)-1], true
}

// insertRow stamps obj with a new id and its times and stores it.
// Preset times are kept (seeding history through the Go API); the HTTP API
// never passes any.
func insertRow[T any, P interface {
	*T
	resource
}](r *registry, t *table[T], obj T, m meta) (*row[T], error) {
	p := P(&obj)
	if p.GetId() != "" {
		return nil, invalidf("%s: id is assigned by the server, leave it empty", t.kind)
	}
	created, err := parseTime(t.kind, "createTimeSinceEpoch", p.GetCreateTimeSinceEpoch())
	if err != nil {
		return nil, err
	}
	updated, err := parseTime(t.kind, "lastUpdateTimeSinceEpoch", p.GetLastUpdateTimeSinceEpoch())
	if err != nil {
		return nil, err
	}
	if created == 0 {
		created = r.now()
	}
	if updated < created {
		updated = created
	}
	if r.lastID >= maxID {
		return nil, invalidf("%s: the registry is full (%d entities)", t.kind, maxID)
	}
	id := r.lastID + 1
	p.SetId(strconv.FormatInt(id, 10))
	p.SetCreateTimeSinceEpoch(strconv.FormatInt(created, 10))
	p.SetLastUpdateTimeSinceEpoch(strconv.FormatInt(updated, 10))
	rw := &row[T]{meta: m, id: id, created: created, updated: updated, obj: obj}
	if err := t.insert(rw); err != nil {
		return nil, err
	}
	r.lastID = id
	return rw, nil
}

// updateRow applies change to a copy of entity id, validates it with metaOf
// (old value, new value, current parent) and stores it. id, createTime and a
// name once set are immutable; lastUpdateTime strictly increases.
func updateRow[T any, P interface {
	*T
	resource
}](r *registry, t *table[T], id int64, change func(*T) error, metaOf func(old, cur *T, parent int64) (meta, error)) (*row[T], error) {
	rw, err := t.existing(id)
	if err != nil {
		return nil, err
	}
	obj := deepCopy(rw.obj)
	if err := change(&obj); err != nil {
		return nil, err
	}
	p, old := P(&obj), P(&rw.obj)
	if p.GetId() != old.GetId() || p.GetCreateTimeSinceEpoch() != old.GetCreateTimeSinceEpoch() {
		return nil, invalidf("%s %d: id and createTimeSinceEpoch cannot be changed", t.kind, id)
	}
	m, err := metaOf(&rw.obj, &obj, rw.parent)
	if err != nil {
		return nil, err
	}
	if rw.name != "" && m.name != rw.name {
		return nil, invalidf("%s %d: name %q cannot be changed once set", t.kind, id, rw.name)
	}
	updated := max(r.now(), rw.updated+1)
	p.SetLastUpdateTimeSinceEpoch(strconv.FormatInt(updated, 10))
	if err := t.replace(rw, obj, m, updated); err != nil {
		return nil, err
	}
	return rw, nil
}

// parseRefID parses a reference to another entity held in field.
func parseRefID(what, field, v string) (int64, error) {
	if v == "" {
		return 0, invalidf("%s: %s is required", what, field)
	}
	if !idPattern.MatchString(v) {
		return 0, invalidf("%s: %s %q is not an id (a decimal number without leading zeros)", what, field, v)
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return n, nil
}

// parsePathID parses an id from a URL; anything malformed cannot name an
// entity, so it is reported as not found.
func parsePathID(kind, v string) (int64, error) {
	if !idPattern.MatchString(v) {
		return 0, notFoundf("%s %q does not exist: ids are decimal numbers", kind, v)
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return n, nil
}

func parseTime(kind, field, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, invalidf("%s: %s %q must be milliseconds since the epoch", kind, field, v)
	}
	return n, nil
}

// checkCustomProperties requires each value to hold exactly one typed value
// and fills in its metadataType, which Go callers tend to leave out.
func checkCustomProperties(what string, props *map[string]openapi.MetadataValue) error {
	if props == nil {
		return nil
	}
	for k, v := range *props {
		if k == "" {
			return invalidf("%s: customProperties keys must not be empty", what)
		}
		n := 0
		if v.MetadataStringValue != nil {
			n++
			v.MetadataStringValue.MetadataType = "MetadataStringValue"
		}
		if v.MetadataIntValue != nil {
			n++
			v.MetadataIntValue.MetadataType = "MetadataIntValue"
			if !intValuePattern.MatchString(v.MetadataIntValue.IntValue) {
				return invalidf("%s: customProperties[%q].int_value %q must be a decimal int32 in a string", what, k, v.MetadataIntValue.IntValue)
			}
		}
		if v.MetadataDoubleValue != nil {
			n++
			v.MetadataDoubleValue.MetadataType = "MetadataDoubleValue"
		}
		if v.MetadataBoolValue != nil {
			n++
			v.MetadataBoolValue.MetadataType = "MetadataBoolValue"
		}
		if v.MetadataStructValue != nil {
			n++
			v.MetadataStructValue.MetadataType = "MetadataStructValue"
		}
		if v.MetadataProtoValue != nil {
			n++
			v.MetadataProtoValue.MetadataType = "MetadataProtoValue"
		}
		if n != 1 {
			return invalidf(`%s: customProperties[%q] must hold exactly one value with a known metadataType, e.g. {"metadataType": "MetadataStringValue", "string_value": "x"}`, what, k)
		}
	}
	return nil
}
