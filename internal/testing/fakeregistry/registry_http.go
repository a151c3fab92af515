package fakeregistry

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/kubeflow/model-registry/pkg/openapi"
)

// artifactTypes is the spec's ArtifactTypeQueryParam enum.
var artifactTypes = []string{"model-artifact", "doc-artifact", "dataset-artifact", "metric", "parameter"}

// registryAPI serves the Model Registry REST API from a registry.
type registryAPI struct {
	reg    *registry
	faults *faultSet
	paging pagingDefaults
}

func (a *registryAPI) routes(r chi.Router) {
	const b = RegistryBasePath
	reg := a.reg
	r.Get(b+"/registered_models", listHandler(a, reg.models, nil, false))
	r.Post(b+"/registered_models", createHandler[openapi.RegisteredModelCreate](a, http.StatusCreated, reg.addModel))
	r.Get(b+"/registered_model", findHandler(a, reg.models, false))
	r.Get(b+"/registered_models/{registeredmodelId}", getHandler(a, reg.models, "registeredmodelId", same[openapi.RegisteredModel]))
	r.Patch(b+"/registered_models/{registeredmodelId}", patchHandler[openapi.RegisteredModelUpdate](a, "RegisteredModel", "registeredmodelId", a.reg.updateModel))
	r.Get(b+"/registered_models/{registeredmodelId}/versions", listHandler(a, reg.versions, parentIn(reg.models, "registeredmodelId"), false))
	// The full ModelVersion schema, as the spec says: its read-only fields
	// are ignored and the path names the model.
	r.Post(b+"/registered_models/{registeredmodelId}/versions", createChildHandler[openapi.ModelVersion](a, reg.models, "registeredmodelId",
		parentField[openapi.ModelVersion]{name: "registeredModelId", what: "registered model", field: func(v *openapi.ModelVersion) *string {
			v.Id, v.CreateTimeSinceEpoch, v.LastUpdateTimeSinceEpoch = nil, nil, nil
			return &v.RegisteredModelId
		}}, reg.addVersion))

	r.Get(b+"/model_versions", listHandler(a, reg.versions, nil, false))
	r.Post(b+"/model_versions", createHandler[openapi.ModelVersionCreate](a, http.StatusCreated, reg.addVersion))
	r.Get(b+"/model_version", findHandler(a, reg.versions, true))
	r.Get(b+"/model_versions/{modelversionId}", getHandler(a, reg.versions, "modelversionId", same[openapi.ModelVersion]))
	r.Patch(b+"/model_versions/{modelversionId}", patchHandler[openapi.ModelVersionUpdate](a, "ModelVersion", "modelversionId", a.reg.updateVersion))
	r.Get(b+"/model_versions/{modelversionId}/artifacts", listHandler(a, reg.artifacts, parentIn(reg.versions, "modelversionId"), true))
	r.Post(b+"/model_versions/{modelversionId}/artifacts", a.upsertVersionArtifact)

	r.Get(b+"/model_artifacts", listHandler(a, reg.artifacts, nil, false))
	r.Post(b+"/model_artifacts", createHandler[openapi.ModelArtifactCreate](a, http.StatusCreated, func(m openapi.ModelArtifact) (*row[openapi.ModelArtifact], error) {
		return reg.addArtifact(m, 0) // 0: in no version yet
	}))
	r.Get(b+"/model_artifact", findHandler(a, reg.artifacts, true))
	r.Get(b+"/model_artifacts/{modelartifactId}", getHandler(a, reg.artifacts, "modelartifactId", same[openapi.ModelArtifact]))
	r.Patch(b+"/model_artifacts/{modelartifactId}", patchHandler[openapi.ModelArtifactUpdate](a, "ModelArtifact", "modelartifactId", func(id int64, change func(*openapi.ModelArtifact) error) (*row[openapi.ModelArtifact], error) {
		return reg.updateArtifact(id, -1, change)
	}))
	r.Get(b+"/artifacts", listHandler(a, reg.artifacts, nil, true))
	r.Get(b+"/artifacts/{id}", getHandler(a, reg.artifacts, "id", asArtifact))

	r.Get(b+"/serving_environments", listHandler(a, reg.envs, nil, false))
	r.Post(b+"/serving_environments", createHandler[openapi.ServingEnvironmentCreate](a, http.StatusCreated, reg.addEnv))
	r.Get(b+"/serving_environment", findHandler(a, reg.envs, false))
	r.Get(b+"/serving_environments/{servingenvironmentId}", getHandler(a, reg.envs, "servingenvironmentId", same[openapi.ServingEnvironment]))
	r.Patch(b+"/serving_environments/{servingenvironmentId}", patchHandler[openapi.ServingEnvironmentUpdate](a, "ServingEnvironment", "servingenvironmentId", a.reg.updateEnv))
	r.Get(b+"/serving_environments/{servingenvironmentId}/inference_services", listHandler(a, reg.services, parentIn(reg.envs, "servingenvironmentId"), false))
	r.Post(b+"/serving_environments/{servingenvironmentId}/inference_services", createChildHandler[openapi.InferenceServiceCreate](a, reg.envs, "servingenvironmentId",
		parentField[openapi.InferenceService]{name: "servingEnvironmentId", what: "serving environment", field: func(s *openapi.InferenceService) *string {
			return &s.ServingEnvironmentId
		}}, reg.addService))

	r.Get(b+"/inference_services", listHandler(a, reg.services, nil, false))
	// 200, not 201: the spec's createInferenceService declares only 200.
	r.Post(b+"/inference_services", createHandler[openapi.InferenceServiceCreate](a, http.StatusOK, reg.addService))
	r.Get(b+"/inference_service", findHandler(a, reg.services, true))
	r.Get(b+"/inference_services/{inferenceserviceId}", getHandler(a, reg.services, "inferenceserviceId", same[openapi.InferenceService]))
	r.Patch(b+"/inference_services/{inferenceserviceId}", patchHandler[openapi.InferenceServiceUpdate](a, "InferenceService", "inferenceserviceId", a.reg.updateService))
	r.Get(b+"/inference_services/{inferenceserviceId}/model", a.serviceModel)
	r.Get(b+"/inference_services/{inferenceserviceId}/version", a.serviceVersion)
}

func same[T any](v T) T { return v }

// patchHandler applies a JSON merge patch of the spec's update schema U to
// the T whose id is in the path parameter param.
func patchHandler[U, T any](a *registryAPI, kind, param string, update func(int64, func(*T) error) (*row[T], error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r, kind, param)
		if !ok {
			return
		}
		_, raw, ok := decodeCreate[U, U](w, r)
		if !ok {
			return
		}
		a.respond(w, http.StatusOK, func() (any, error) {
			return obj(update(id, patchWith[T](raw)))
		})
	}
}

// parentFromPath sets *field, the parent reference of an object created
// under its parent's path, to the path's id; a body that names another
// parent is a 400.
func parentFromPath(w http.ResponseWriter, field *string, name, what string, id int64) bool {
	want := strconv.FormatInt(id, 10)
	if *field != "" && *field != want {
		writeError(w, http.StatusBadRequest, name+" "+strconv.Quote(*field)+" differs from the "+what+" in the path ("+want+"): leave it out or make them equal")
		return false
	}
	*field = want
	return true
}

func asArtifact(v openapi.ModelArtifact) openapi.Artifact {
	return openapi.Artifact{ModelArtifact: &v}
}

// parentRef resolves the parent entity a nested path names; it runs under
// the registry lock.
type parentRef func(*http.Request) (int64, error)

func parentIn[P any](t *table[P], param string) parentRef {
	return func(r *http.Request) (int64, error) {
		id, err := parsePathID(t.kind, chi.URLParam(r, param))
		if err != nil {
			return 0, err
		}
		_, err = t.existing(id)
		return id, err
	}
}

// listHandler serves a list endpoint: the whole table, or the children of
// the parent the path names. artifacts enables the artifactType parameter;
// artifact lists need no wrapping, as the Artifact oneOf encodes exactly as
// the model artifact it holds.
func listHandler[T any](a *registryAPI, t *table[T], parent parentRef, artifacts bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		lq, f, err := parseFilteredList(q, a.paging)
		if err != nil {
			writeErr(w, err)
			return
		}
		none := false
		if at := q.Get("artifactType"); artifacts && at != "" {
			if !slices.Contains(artifactTypes, at) {
				writeError(w, http.StatusBadRequest, "artifactType "+strconv.Quote(at)+" is not one of model-artifact, doc-artifact, dataset-artifact, metric, parameter")
				return
			}
			none = at != modelArtifactType // only model artifacts are stored
		}
		if mode, _ := a.faults.take(r.URL.Path, isEmptyList); mode == FaultEmptyList {
			none = true
		}
		name, ext := q.Get("name"), q.Get("externalId")
		var keep func(*row[T]) bool
		if name != "" || ext != "" || f != nil {
			match := func(rw *row[T]) bool { return f == nil || f.match(toFilterObject(rw.obj)) }
			if byTime, ok := updatedFilter(f); ok {
				match = func(rw *row[T]) bool { return byTime(rw.updated) }
			}
			keep = func(rw *row[T]) bool {
				return (name == "" || rw.name == name) && (ext == "" || rw.ext == ext) && match(rw)
			}
		}

		a.reg.mu.Lock()
		var rows []*row[T]
		if parent != nil {
			pid, err := parent(r)
			if err != nil {
				a.reg.mu.Unlock()
				writeErr(w, err)
				return
			}
			rows = t.childView(pid, lq.spec)
		} else {
			rows = t.view(lq.spec)
		}
		var page []*row[T]
		next := ""
		if !none {
			page, next = pageRows(rows, lq, keep)
		}
		items, err := encodedRows(page)
		a.reg.mu.Unlock()
		if err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, newList(items, lq.size, next))
	}
}

func isEmptyList(m FaultMode) bool { return m == FaultEmptyList }

func getHandler[T, O any](a *registryAPI, t *table[T], param string, wrap func(T) O) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := parsePathID(t.kind, chi.URLParam(r, param))
		if err != nil {
			writeErr(w, err)
			return
		}
		a.reg.mu.Lock()
		rw, ok := t.get(id)
		var obj T
		if ok {
			obj = rw.obj
		}
		a.reg.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, t.kind+" "+strconv.FormatInt(id, 10)+" does not exist")
			return
		}
		writeJSON(w, http.StatusOK, wrap(obj))
	}
}

// findHandler serves the find endpoints (?name=&externalId=&parentResourceId=).
// badRequest says whether the spec declares 400 for the endpoint; where it
// does not, a request that cannot match anything is answered 404.
func findHandler[T any](a *registryAPI, t *table[T], badRequest bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		name, ext, parentS := q.Get("name"), q.Get("externalId"), q.Get("parentResourceId")
		unusable := http.StatusNotFound
		if badRequest {
			unusable = http.StatusBadRequest
		}
		if name == "" && ext == "" {
			writeError(w, unusable, "to find a "+t.kind+" pass name or externalId (with parentResourceId, names are unique per parent)")
			return
		}
		var parent int64
		if parentS != "" {
			if !idPattern.MatchString(parentS) {
				writeError(w, unusable, "parentResourceId "+strconv.Quote(parentS)+" is not an id")
				return
			}
			parent, _ = strconv.ParseInt(parentS, 10, 64)
		}
		a.reg.mu.Lock()
		var found []*row[T]
		switch {
		case ext != "":
			if rw, ok := t.byExternalID(ext); ok && (name == "" || rw.name == name) && (parentS == "" || rw.parent == parent) {
				found = append(found, rw)
			}
		case parentS != "" || t.parentKind == "":
			if rw, ok := t.byName(parent, name); ok {
				found = append(found, rw)
			}
		default:
			for _, rw := range t.ordered {
				if rw.name == name {
					found = append(found, rw)
				}
			}
		}
		var obj T
		if len(found) == 1 {
			obj = found[0].obj
		}
		a.reg.mu.Unlock()
		switch {
		case len(found) == 0:
			writeError(w, http.StatusNotFound, "no "+t.kind+" matches name="+strconv.Quote(name)+" externalId="+strconv.Quote(ext)+" parentResourceId="+strconv.Quote(parentS))
		case len(found) > 1:
			writeError(w, unusable, strconv.Itoa(len(found))+" "+t.kind+"s are named "+strconv.Quote(name)+": pass parentResourceId to pick one")
		default:
			writeJSON(w, http.StatusOK, obj)
		}
	}
}

// respond runs do under the registry lock and writes its value or error.
func (a *registryAPI) respond(w http.ResponseWriter, status int, do func() (any, error)) {
	a.reg.mu.Lock()
	v, err := do()
	a.reg.mu.Unlock()
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, status, v)
}

// decodeCreate decodes a request body of schema type In and converts it to
// the stored type T.
func decodeCreate[In, T any](w http.ResponseWriter, r *http.Request) (T, []byte, bool) {
	var in In
	var out T
	raw, err := decodeStrict(r, &in)
	if err == nil {
		out, err = convert[T](in)
	}
	if err != nil {
		writeErr(w, asInvalid(err))
		return out, nil, false
	}
	return out, raw, true
}

func asInvalid(err error) error {
	if statusOf(err) == http.StatusInternalServerError {
		return invalidf("%v", err)
	}
	return err
}

// patchWith applies a PATCH body: fields present replace stored ones
// (customProperties as a whole, so properties can be removed), null clears.
func patchWith[T any](raw []byte) func(*T) error {
	return func(obj *T) error {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return invalidf("request body is not a JSON object: %v", err)
		}
		if _, ok := fields["customProperties"]; ok {
			reflect.ValueOf(obj).Elem().FieldByName("CustomProperties").SetZero()
		}
		if err := json.Unmarshal(raw, obj); err != nil {
			return invalidf("request body does not fit %T: %v", *obj, err)
		}
		return nil
	}
}

func pathID(w http.ResponseWriter, r *http.Request, kind, param string) (int64, bool) {
	id, err := parsePathID(kind, chi.URLParam(r, param))
	if err != nil {
		writeErr(w, err)
		return 0, false
	}
	return id, true
}

// createHandler answers a POST that creates one T from its create schema
// In, with status (201, or 200 where the spec declares only that).
func createHandler[In, T any](a *registryAPI, status int, add func(T) (*row[T], error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, _, ok := decodeCreate[In, T](w, r)
		if !ok {
			return
		}
		a.respond(w, status, func() (any, error) { return obj(add(v)) })
	}
}

// parentField is how a child's create body names its parent: field finds
// it in the body (json name; what it refers to, for the error message).
type parentField[T any] struct {
	field      func(*T) *string
	name, what string
}

// createChildHandler answers a POST that creates one T from its schema In
// under the parent the path names (param, a row of parents): 404 when the
// parent does not exist, 400 when the body names another.
func createChildHandler[In, T, P any](a *registryAPI, parents *table[P], param string, parent parentField[T], add func(T) (*row[T], error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		parentID, ok := pathID(w, r, parents.kind, param)
		if !ok {
			return
		}
		v, _, ok := decodeCreate[In, T](w, r)
		if !ok {
			return
		}
		if !parentFromPath(w, parent.field(&v), parent.name, parent.what, parentID) {
			return
		}
		a.respond(w, http.StatusCreated, func() (any, error) {
			if _, err := parents.existing(parentID); err != nil {
				return nil, err
			}
			return obj(add(v))
		})
	}
}

// upsertVersionArtifact attaches an artifact to a version: with an id it
// updates and attaches that artifact (200), without one it creates it (201).
func (a *registryAPI) upsertVersionArtifact(w http.ResponseWriter, r *http.Request) {
	vid, ok := pathID(w, r, "ModelVersion", "modelversionId")
	if !ok {
		return
	}
	var art openapi.Artifact
	raw, err := decodeStrict(r, &art)
	if err != nil {
		writeErr(w, err)
		return
	}
	if art.ModelArtifact == nil {
		writeError(w, http.StatusBadRequest, `only artifacts with "artifactType": "model-artifact" are supported`)
		return
	}
	var ma openapi.ModelArtifact
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ma); err != nil {
		writeError(w, http.StatusBadRequest, "request body is not a valid ModelArtifact: "+err.Error())
		return
	}
	if ma.Id == nil {
		ma.CreateTimeSinceEpoch, ma.LastUpdateTimeSinceEpoch = nil, nil
		a.respond(w, http.StatusCreated, func() (any, error) {
			if _, err := a.reg.versions.existing(vid); err != nil {
				return nil, err
			}
			return artifactObj(a.reg.addArtifact(ma, vid))
		})
		return
	}
	aid, err := parsePathID("ModelArtifact", *ma.Id)
	if err != nil {
		writeErr(w, err)
		return
	}
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields) // decoded above already
	for _, k := range []string{"id", "createTimeSinceEpoch", "lastUpdateTimeSinceEpoch"} {
		delete(fields, k) // read-only
	}
	patch, _ := json.Marshal(fields)
	a.respond(w, http.StatusOK, func() (any, error) {
		if _, err := a.reg.versions.existing(vid); err != nil {
			return nil, err
		}
		if _, ok := a.reg.artifacts.get(aid); !ok {
			return nil, notFoundf("ModelArtifact %d does not exist: leave id out to create a new artifact", aid)
		}
		return artifactObj(a.reg.updateArtifact(aid, vid, patchWith[openapi.ModelArtifact](patch)))
	})
}

func (a *registryAPI) serviceModel(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "InferenceService", "inferenceserviceId")
	if !ok {
		return
	}
	a.respond(w, http.StatusOK, func() (any, error) {
		svc, err := a.reg.services.existing(id)
		if err != nil {
			return nil, err
		}
		rmID, _ := strconv.ParseInt(svc.obj.RegisteredModelId, 10, 64)
		rm, ok := a.reg.models.get(rmID)
		if !ok {
			return nil, notFoundf("InferenceService %d: RegisteredModel %d does not exist", id, rmID)
		}
		return rm.obj, nil
	})
}

// serviceVersion is the version an InferenceService serves: its
// modelVersionId, else the latest version of its registered model.
func (a *registryAPI) serviceVersion(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "InferenceService", "inferenceserviceId")
	if !ok {
		return
	}
	a.respond(w, http.StatusOK, func() (any, error) {
		svc, err := a.reg.services.existing(id)
		if err != nil {
			return nil, err
		}
		if mv := svc.obj.ModelVersionId; mv != nil {
			mvID, _ := strconv.ParseInt(*mv, 10, 64)
			v, ok := a.reg.versions.get(mvID)
			if !ok {
				return nil, notFoundf("InferenceService %d: ModelVersion %d does not exist", id, mvID)
			}
			return v.obj, nil
		}
		rmID, _ := strconv.ParseInt(svc.obj.RegisteredModelId, 10, 64)
		v, ok := a.reg.latestVersion(rmID)
		if !ok {
			return nil, notFoundf("InferenceService %d serves no ModelVersion: RegisteredModel %d has no versions", id, rmID)
		}
		return v.obj, nil
	})
}

func obj[T any](r *row[T], err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return r.obj, nil
}

func artifactObj(r *row[openapi.ModelArtifact], err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return asArtifact(r.obj), nil
}
