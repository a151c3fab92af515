package fakeregistry

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const rmPath = RegistryBasePath + "/registered_models"

// walk lists path page by page and returns every item in order.
func walk[T any](t *testing.T, c *client, path string, q url.Values, between func(page int)) []T {
	t.Helper()
	var all []T
	for page := 0; ; page++ {
		var l listResponse[T]
		c.getJSON(path+"?"+q.Encode(), &l)
		require.Len(t, l.Items, int(l.Size))
		if ps, err := strconv.Atoi(q.Get("pageSize")); err == nil {
			require.LessOrEqual(t, len(l.Items), ps)
			require.EqualValues(t, ps, l.PageSize)
		}
		all = append(all, l.Items...)
		if l.NextPageToken == "" {
			return all
		}
		require.NotEmpty(t, l.Items, "a page with a next token must not be empty")
		q.Set("nextPageToken", l.NextPageToken)
		if between != nil {
			between(page)
		}
		require.Less(t, page, 1000, "paging does not end")
	}
}

func ids[T any, P interface {
	*T
	GetId() string
}](items []T) []string {
	out := make([]string, len(items))
	for i := range items {
		out[i] = P(&items[i]).GetId()
	}
	return out
}

func TestPagingWalksEveryOrderWithoutGapsOrDuplicates(t *testing.T) {
	s, c := newTestServer(t, Options{})
	var want []string
	for i := 0; i < 57; i++ {
		// names not in id order, so NAME differs from ID order
		m := mustModel(t, s, fmt.Sprintf("model-%02d", (i*7)%57))
		want = append(want, m.GetId())
	}
	// update some so LAST_UPDATE_TIME differs from CREATE_TIME order
	for _, id := range []string{want[3], want[40], want[0]} {
		_, err := s.UpdateRegisteredModel(id, func(m *openapi.RegisteredModel) { m.SetDescription("changed") })
		require.NoError(t, err)
	}
	for _, by := range []string{OrderByID, OrderByName, OrderByCreateTime, OrderByLastUpdateTime} {
		for _, dir := range []string{SortASC, SortDESC} {
			t.Run(by+"_"+dir, func(t *testing.T) {
				q := url.Values{"pageSize": {"10"}, "orderBy": {by}, "sortOrder": {dir}}
				got := walk[openapi.RegisteredModel](t, c, rmPath, q, nil)
				require.ElementsMatch(t, want, ids(got), "every model exactly once")
				key := func(m openapi.RegisteredModel) string {
					id, _ := strconv.ParseInt(m.GetId(), 10, 64)
					switch by {
					case OrderByName:
						return m.Name + fmt.Sprintf("/%020d", id)
					case OrderByCreateTime:
						return m.GetCreateTimeSinceEpoch() + fmt.Sprintf("/%020d", id)
					case OrderByLastUpdateTime:
						return m.GetLastUpdateTimeSinceEpoch() + fmt.Sprintf("/%020d", id)
					}
					return fmt.Sprintf("%020d", id)
				}
				keys := make([]string, len(got))
				for i, m := range got {
					keys[i] = key(m)
				}
				sorted := slices.Clone(keys)
				slices.Sort(sorted)
				if dir == SortDESC {
					slices.Reverse(sorted)
				}
				require.Equal(t, sorted, keys)
			})
		}
	}
}

func TestPagingDefaultsAndSinglePage(t *testing.T) {
	s, c := newTestServer(t, Options{DefaultPageSize: 4, MaxPageSize: 6})
	for i := 0; i < 5; i++ {
		mustModel(t, s, "m"+itoa(i))
	}
	var l listResponse[openapi.RegisteredModel]
	c.getJSON(rmPath, &l)
	assert.EqualValues(t, 4, l.PageSize)
	assert.EqualValues(t, 4, l.Size)
	assert.NotEmpty(t, l.NextPageToken)

	c.getJSON(rmPath+"?pageSize=100", &l)
	assert.EqualValues(t, 6, l.PageSize, "pageSize capped by MaxPageSize")
	assert.EqualValues(t, 5, l.Size)
	assert.Empty(t, l.NextPageToken, "no token after the last page")
}

func TestPagingStaysStableWhileItemsAreAdded(t *testing.T) {
	s, c := newTestServer(t, Options{})
	var original []string
	for i := 0; i < 23; i++ {
		m := mustModel(t, s, "orig-"+itoa(i))
		original = append(original, m.GetId())
	}
	for _, tc := range []struct {
		by, dir  string
		newShown bool // whether items added mid-walk sort after the cursor
	}{
		{OrderByID, SortASC, true},
		{OrderByCreateTime, SortASC, true},
		{OrderByID, SortDESC, false},
		{OrderByName, SortASC, false},
	} {
		t.Run(tc.by+"_"+tc.dir, func(t *testing.T) {
			var added []string
			q := url.Values{"pageSize": {"5"}, "orderBy": {tc.by}, "sortOrder": {tc.dir}}
			got := ids(walk[openapi.RegisteredModel](t, c, rmPath, q, func(page int) {
				if page < 2 {
					name := fmt.Sprintf("added-%s-%s-%d", tc.by, tc.dir, page)
					if tc.by == OrderByName {
						name = fmt.Sprintf("0000-%d", page) // sorts before every name seen so far
					}
					m := mustModel(t, s, name)
					added = append(added, m.GetId())
				}
			}))
			seen := map[string]int{}
			for _, id := range got {
				seen[id]++
			}
			for _, id := range original {
				assert.Equal(t, 1, seen[id], "original model %s must be listed exactly once", id)
			}
			for _, id := range added {
				if tc.newShown {
					assert.Equal(t, 1, seen[id], "model %s added behind the cursor must be listed once", id)
				} else {
					assert.Zero(t, seen[id], "model %s added before the cursor is not listed", id)
				}
			}
			original = append(original, added...)
		})
	}
}

func TestListRejectsBadPagingParameters(t *testing.T) {
	s, c := newTestServer(t, Options{})
	for i := 0; i < 3; i++ {
		mustModel(t, s, "m"+itoa(i))
	}
	var l listResponse[openapi.RegisteredModel]
	c.getJSON(rmPath+"?pageSize=1&orderBy=NAME", &l)
	require.NotEmpty(t, l.NextPageToken)

	for _, q := range []string{
		"pageSize=0", "pageSize=-1", "pageSize=abc", "pageSize=01",
		"orderBy=SIZE", "orderBy=id", "sortOrder=UP", "sortOrder=asc",
		"nextPageToken=garbage",
		"nextPageToken=" + l.NextPageToken,                             // issued for NAME, asked with ID
		"orderBy=NAME&sortOrder=DESC&nextPageToken=" + l.NextPageToken, // other direction
		"filterQuery=" + url.QueryEscape("name = "),
		"filterQuery=" + url.QueryEscape("(name = 'x'"),
	} {
		code, b := c.do(http.MethodGet, rmPath+"?"+q, nil)
		assert.Equal(t, http.StatusBadRequest, code, "%s: %s", q, b)
		errorBody(t, b)
	}
}

func TestNestedListsAndParents(t *testing.T) {
	s, c := newTestServer(t, Options{})
	a, b := mustModel(t, s, "a"), mustModel(t, s, "b")
	a1, a2 := mustVersion(t, s, a.GetId(), "v1"), mustVersion(t, s, a.GetId(), "v2")
	b1 := mustVersion(t, s, b.GetId(), "v1")
	art, err := s.AddModelArtifact(a1.GetId(), openapi.ModelArtifact{Name: ptr("weights"), ExternalId: ptr("ext-1")})
	require.NoError(t, err)
	_, err = s.AddModelArtifact(b1.GetId(), openapi.ModelArtifact{Name: ptr("weights")})
	require.NoError(t, err, "artifact names are unique per version only")
	env, err := s.AddServingEnvironment(openapi.ServingEnvironment{Name: "ns1"})
	require.NoError(t, err)
	env2, err := s.AddServingEnvironment(openapi.ServingEnvironment{Name: "ns2"})
	require.NoError(t, err)
	is, err := s.AddInferenceService(openapi.InferenceService{Name: ptr("isvc"), RegisteredModelId: a.GetId(), ServingEnvironmentId: env.GetId(), ModelVersionId: ptr(a2.GetId())})
	require.NoError(t, err)
	_, err = s.AddInferenceService(openapi.InferenceService{Name: ptr("isvc"), RegisteredModelId: b.GetId(), ServingEnvironmentId: env2.GetId()})
	require.NoError(t, err)

	var vl listResponse[openapi.ModelVersion]
	c.getJSON(rmPath+"/"+a.GetId()+"/versions", &vl)
	assert.Equal(t, []string{a1.GetId(), a2.GetId()}, ids(vl.Items))
	c.getJSON(rmPath+"/"+a.GetId()+"/versions?name=v2", &vl)
	assert.Equal(t, []string{a2.GetId()}, ids(vl.Items))

	var all listResponse[openapi.ModelVersion]
	c.getJSON(RegistryBasePath+"/model_versions?pageSize=100", &all)
	assert.Equal(t, []string{a1.GetId(), a2.GetId(), b1.GetId()}, ids(all.Items))

	var al listResponse[openapi.Artifact]
	c.getJSON(RegistryBasePath+"/model_versions/"+a1.GetId()+"/artifacts", &al)
	require.Len(t, al.Items, 1)
	require.NotNil(t, al.Items[0].ModelArtifact)
	assert.Equal(t, art.GetId(), al.Items[0].ModelArtifact.GetId())
	c.getJSON(RegistryBasePath+"/model_versions/"+a1.GetId()+"/artifacts?artifactType=doc-artifact", &al)
	assert.Empty(t, al.Items)
	c.getJSON(RegistryBasePath+"/model_versions/"+a1.GetId()+"/artifacts?externalId=ext-1", &al)
	assert.Len(t, al.Items, 1)

	var il listResponse[openapi.InferenceService]
	c.getJSON(RegistryBasePath+"/serving_environments/"+env.GetId()+"/inference_services", &il)
	assert.Equal(t, []string{is.GetId()}, ids(il.Items))

	for _, p := range []string{
		rmPath + "/999/versions",
		rmPath + "/" + a1.GetId() + "/versions", // a version id is not a model id
		RegistryBasePath + "/model_versions/999/artifacts",
		RegistryBasePath + "/serving_environments/abc/inference_services",
		rmPath + "/999",
		RegistryBasePath + "/model_versions/" + a.GetId(),
	} {
		code, b := c.do(http.MethodGet, p, nil)
		assert.Equal(t, http.StatusNotFound, code, "%s: %s", p, b)
		errorBody(t, b)
	}
}

func TestFilterQuery(t *testing.T) {
	s, c := newTestServer(t, Options{})
	props := func(kv ...any) *map[string]openapi.MetadataValue {
		m := map[string]openapi.MetadataValue{}
		for i := 0; i < len(kv); i += 2 {
			switch v := kv[i+1].(type) {
			case string:
				m[kv[i].(string)] = str(v)
			case float64:
				m[kv[i].(string)] = openapi.MetadataDoubleValueAsMetadataValue(&openapi.MetadataDoubleValue{DoubleValue: v})
			case int:
				m[kv[i].(string)] = openapi.MetadataIntValueAsMetadataValue(&openapi.MetadataIntValue{IntValue: strconv.Itoa(v)})
			case bool:
				m[kv[i].(string)] = openapi.MetadataBoolValueAsMetadataValue(&openapi.MetadataBoolValue{BoolValue: v})
			}
		}
		return &m
	}
	add := func(name string, state openapi.RegisteredModelState, p *map[string]openapi.MetadataValue) string {
		m, err := s.AddRegisteredModel(openapi.RegisteredModel{Name: name, State: &state, CustomProperties: p, Owner: ptr("owner-" + name)})
		require.NoError(t, err)
		return m.GetId()
	}
	tf := add("tensorflow-model", openapi.REGISTEREDMODELSTATE_LIVE, props("framework", "tensorflow", "accuracy", 0.97, "epochs", 10, "mlflow.source.type", "notebook"))
	pt := add("pytorch-model", openapi.REGISTEREDMODELSTATE_LIVE, props("framework", "pytorch", "accuracy", 0.91, "epochs", 30, "validated", true))
	old := add("Old-Model", openapi.REGISTEREDMODELSTATE_ARCHIVED, props("framework", "pytorch"))

	for _, tc := range []struct {
		q    string
		want []string
	}{
		{`name = "tensorflow-model"`, []string{tf}},
		{`name='pytorch-model' AND state='LIVE'`, []string{pt}},
		{`state = 'ARCHIVED' OR name = "tensorflow-model"`, []string{tf, old}},
		{`state != 'ARCHIVED'`, []string{tf, pt}},
		{`name LIKE '%model'`, []string{tf, pt}},
		{`name ILIKE 'old%'`, []string{old}},
		{`name LIKE 'old%'`, nil},
		{`framework.string_value = "pytorch"`, []string{pt, old}},
		{`framework = 'pytorch' AND (state = 'LIVE')`, []string{pt}},
		{`accuracy > 0.95`, []string{tf}},
		{`accuracy.double_value <= 0.95`, []string{pt}},
		{`epochs.int_value >= 10`, []string{tf, pt}},
		{`epochs < 20`, []string{tf}},
		{`validated = true`, []string{pt}},
		{"`mlflow.source.type` = 'notebook'", []string{tf}},
		{`name IN ('pytorch-model', 'Old-Model', 'nope')`, []string{pt, old}},
		{`id = ` + pt, []string{pt}},
		{`id > ` + tf, []string{pt, old}},
		{`owner = 'owner-Old-Model'`, []string{old}},
		{`missing = 'x'`, nil},
		{`missing != 'x'`, nil},
	} {
		t.Run(tc.q, func(t *testing.T) {
			var l listResponse[openapi.RegisteredModel]
			c.getJSON(rmPath+"?filterQuery="+url.QueryEscape(tc.q), &l)
			assert.Equal(t, tc.want, nilIfEmpty(ids(l.Items)))
		})
	}

	// A lone comparison of lastUpdateTimeSinceEpoch is decided from the
	// row (updatedFilter) without encoding it: it must agree with the
	// object's field, as the general path reads it.
	var all listResponse[openapi.RegisteredModel]
	c.getJSON(rmPath, &all)
	require.Len(t, all.Items, 3)
	mid := all.Items[1].GetLastUpdateTimeSinceEpoch()
	midN, err := strconv.ParseInt(mid, 10, 64)
	require.NoError(t, err)
	for _, op := range []string{"=", "!=", "<>", "<", "<=", ">", ">="} {
		t.Run("lastUpdateTimeSinceEpoch "+op, func(t *testing.T) {
			general, err := parseFilter("lastUpdateTimeSinceEpoch " + op + " " + mid)
			require.NoError(t, err)
			fast, ok := updatedFilter(general)
			require.True(t, ok, "a lone comparison of the update time takes the fast path")
			var want []string
			for _, m := range all.Items {
				stamp, err := strconv.ParseInt(m.GetLastUpdateTimeSinceEpoch(), 10, 64)
				require.NoError(t, err)
				assert.Equal(t, general.match(toFilterObject(m)), fast(stamp), "model %s", m.GetId())
				if general.match(toFilterObject(m)) {
					want = append(want, m.GetId())
				}
			}
			var l listResponse[openapi.RegisteredModel]
			c.getJSON(rmPath+"?filterQuery="+url.QueryEscape(fmt.Sprintf("lastUpdateTimeSinceEpoch %s %d", op, midN)), &l)
			assert.Equal(t, want, nilIfEmpty(ids(l.Items)))
		})
	}
	for _, q := range []string{"lastUpdateTimeSinceEpoch >= 1 AND state = 'LIVE'", "name = 'x'", "lastUpdateTimeSinceEpoch = 'x'"} {
		f, err := parseFilter(q)
		require.NoError(t, err)
		_, ok := updatedFilter(f)
		assert.False(t, ok, "%s is evaluated on the object", q)
	}

	// the filter applies before paging: every page is full until the last
	var l listResponse[openapi.RegisteredModel]
	c.getJSON(rmPath+"?pageSize=1&filterQuery="+url.QueryEscape("framework = 'pytorch'"), &l)
	require.Equal(t, []string{pt}, ids(l.Items))
	c.getJSON(rmPath+"?pageSize=1&filterQuery="+url.QueryEscape("framework = 'pytorch'")+"&nextPageToken="+l.NextPageToken, &l)
	require.Equal(t, []string{old}, ids(l.Items))
	assert.Empty(t, l.NextPageToken)
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestCreateAndUpdateOverHTTP(t *testing.T) {
	_, c := newTestServer(t, Options{})
	code, b := c.do(http.MethodPost, rmPath, map[string]any{
		"name": "fraud", "owner": "team-a",
		"customProperties": map[string]any{"Owner": map[string]any{"metadataType": "MetadataStringValue", "string_value": "x"}},
	})
	require.Equal(t, http.StatusCreated, code, "%s", b)
	var m openapi.RegisteredModel
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Equal(t, "fraud", m.Name)
	assert.NotEmpty(t, m.GetId())
	assert.NotEmpty(t, m.GetCreateTimeSinceEpoch())
	assert.Equal(t, openapi.REGISTEREDMODELSTATE_LIVE, m.GetState(), "state defaults to LIVE")

	for _, bad := range []any{
		map[string]any{"name": "fraud"},              // duplicate: 409
		map[string]any{"owner": "x"},                 // no name
		map[string]any{"name": "y", "ext_id": 1},     // unknown field
		map[string]any{"name": "y", "id": "5"},       // id is not accepted on create
		map[string]any{"name": "y", "state": "GONE"}, // enum
		`{"name": "y"} {"name": "z"}`,                // two objects
		`not json`,                                   // garbage
		map[string]any{"name": "y", "customProperties": map[string]any{"k": map[string]any{"string_value": "no type"}}},
		map[string]any{"name": "y", "customProperties": map[string]any{"k": map[string]any{"metadataType": "MetadataIntValue", "int_value": "1.5"}}},
	} {
		code, b := c.do(http.MethodPost, rmPath, bad)
		want := http.StatusBadRequest
		if mm, ok := bad.(map[string]any); ok && len(mm) == 1 && mm["name"] == "fraud" {
			want = http.StatusConflict
		}
		assert.Equal(t, want, code, "%v: %s", bad, b)
		errorBody(t, b)
	}

	code, b = c.do(http.MethodPatch, rmPath+"/"+m.GetId(), map[string]any{
		"description":      "new",
		"customProperties": map[string]any{"Lifecycle": map[string]any{"metadataType": "MetadataStringValue", "string_value": "production"}},
	})
	require.Equal(t, http.StatusOK, code, "%s", b)
	var u openapi.RegisteredModel
	require.NoError(t, json.Unmarshal(b, &u))
	assert.Equal(t, "new", u.GetDescription())
	assert.Equal(t, "team-a", u.GetOwner(), "fields left out are kept")
	assert.Equal(t, []string{"Lifecycle"}, keysOf(u.GetCustomProperties()), "customProperties are replaced as a whole")
	assert.Equal(t, m.GetCreateTimeSinceEpoch(), u.GetCreateTimeSinceEpoch())
	assert.Greater(t, atoi64(u.GetLastUpdateTimeSinceEpoch()), atoi64(m.GetLastUpdateTimeSinceEpoch()))

	code, b = c.do(http.MethodPatch, rmPath+"/"+m.GetId(), map[string]any{"owner": nil, "state": "ARCHIVED"})
	require.Equal(t, http.StatusOK, code, "%s", b)
	u = openapi.RegisteredModel{}
	require.NoError(t, json.Unmarshal(b, &u))
	assert.False(t, u.HasOwner(), "null clears a field")
	assert.Equal(t, openapi.REGISTEREDMODELSTATE_ARCHIVED, u.GetState())

	for _, tc := range []struct {
		path string
		body any
		want int
	}{
		{rmPath + "/" + m.GetId(), map[string]any{"name": "renamed"}, http.StatusBadRequest},
		{rmPath + "/" + m.GetId(), map[string]any{"state": "GONE"}, http.StatusBadRequest},
		{rmPath + "/999", map[string]any{"description": "x"}, http.StatusNotFound},
		{rmPath + "/" + m.GetId(), "", http.StatusBadRequest},
	} {
		code, b := c.do(http.MethodPatch, tc.path, tc.body)
		assert.Equal(t, tc.want, code, "%v: %s", tc.body, b)
		errorBody(t, b)
	}

	// versions: nested create, flat create, duplicate name per model
	code, b = c.do(http.MethodPost, rmPath+"/"+m.GetId()+"/versions", map[string]any{"name": "v1", "registeredModelId": m.GetId()})
	require.Equal(t, http.StatusCreated, code, "%s", b)
	code, b = c.do(http.MethodPost, RegistryBasePath+"/model_versions", map[string]any{"name": "v1", "registeredModelId": m.GetId()})
	require.Equal(t, http.StatusConflict, code, "%s", b)
	code, b = c.do(http.MethodPost, RegistryBasePath+"/model_versions", map[string]any{"name": "v2", "registeredModelId": "999"})
	require.Equal(t, http.StatusBadRequest, code, "%s", b)
	code, b = c.do(http.MethodPost, rmPath+"/999/versions", map[string]any{"name": "v1", "registeredModelId": "999"})
	require.Equal(t, http.StatusNotFound, code, "%s", b)
	code, b = c.do(http.MethodPost, rmPath+"/"+m.GetId()+"/versions", map[string]any{"name": "v3", "registeredModelId": "12345"})
	require.Equal(t, http.StatusBadRequest, code, "%s", b)
}

func TestInferenceServicesCheckReferences(t *testing.T) {
	s, c := newTestServer(t, Options{})
	a, b := mustModel(t, s, "a"), mustModel(t, s, "b")
	av := mustVersion(t, s, a.GetId(), "v1")
	env, err := s.AddServingEnvironment(openapi.ServingEnvironment{Name: "ns"})
	require.NoError(t, err)
	p := RegistryBasePath + "/inference_services"
	for _, tc := range []struct {
		body map[string]any
		want int
	}{
		{map[string]any{"registeredModelId": a.GetId(), "servingEnvironmentId": env.GetId(), "modelVersionId": av.GetId()}, http.StatusOK}, // the spec declares 200
		{map[string]any{"registeredModelId": a.GetId()}, http.StatusBadRequest},
		{map[string]any{"registeredModelId": "999", "servingEnvironmentId": env.GetId()}, http.StatusBadRequest},
		{map[string]any{"registeredModelId": a.GetId(), "servingEnvironmentId": a.GetId()}, http.StatusBadRequest},
		{map[string]any{"registeredModelId": b.GetId(), "servingEnvironmentId": env.GetId(), "modelVersionId": av.GetId()}, http.StatusBadRequest},
		{map[string]any{"registeredModelId": a.GetId(), "servingEnvironmentId": env.GetId(), "desiredState": "RUNNING"}, http.StatusBadRequest},
	} {
		code, body := c.do(http.MethodPost, p, tc.body)
		assert.Equal(t, tc.want, code, "%v: %s", tc.body, body)
	}
	code, body := c.do(http.MethodPost, RegistryBasePath+"/serving_environments/"+env.GetId()+"/inference_services", map[string]any{"name": "x", "registeredModelId": b.GetId()})
	require.Equal(t, http.StatusCreated, code, "%s", body)
	var is openapi.InferenceService
	require.NoError(t, json.Unmarshal(body, &is))
	assert.Equal(t, env.GetId(), is.ServingEnvironmentId)
	assert.Equal(t, openapi.INFERENCESERVICESTATE_DEPLOYED, is.GetDesiredState())

	// /version serves the latest version when modelVersionId is unset
	bv1 := mustVersion(t, s, b.GetId(), "v1")
	bv2 := mustVersion(t, s, b.GetId(), "v2")
	_ = bv1
	var v openapi.ModelVersion
	c.getJSON(p+"/"+is.GetId()+"/version", &v)
	assert.Equal(t, bv2.GetId(), v.GetId())
	var m openapi.RegisteredModel
	c.getJSON(p+"/"+is.GetId()+"/model", &m)
	assert.Equal(t, b.GetId(), m.GetId())

	code, body = c.do(http.MethodPatch, p+"/"+is.GetId(), map[string]any{"desiredState": "UNDEPLOYED", "modelVersionId": bv1.GetId()})
	require.Equal(t, http.StatusOK, code, "%s", body)
	c.getJSON(p+"/"+is.GetId()+"/version", &v)
	assert.Equal(t, bv1.GetId(), v.GetId())
	code, body = c.do(http.MethodPatch, p+"/"+is.GetId(), map[string]any{"modelVersionId": av.GetId()})
	assert.Equal(t, http.StatusBadRequest, code, "a version of another model: %s", body)
	code, body = c.do(http.MethodPatch, p+"/"+is.GetId(), map[string]any{"servingEnvironmentId": env.GetId()})
	assert.Equal(t, http.StatusBadRequest, code, "not in InferenceServiceUpdate: %s", body)
}

func TestUpsertArtifactOnVersion(t *testing.T) {
	s, c := newTestServer(t, Options{})
	m := mustModel(t, s, "m")
	v1, v2 := mustVersion(t, s, m.GetId(), "v1"), mustVersion(t, s, m.GetId(), "v2")
	p := func(v openapi.ModelVersion) string {
		return RegistryBasePath + "/model_versions/" + v.GetId() + "/artifacts"
	}
	code, b := c.do(http.MethodPost, p(v1), map[string]any{"artifactType": "model-artifact", "name": "w", "uri": "s3://b/w"})
	require.Equal(t, http.StatusCreated, code, "%s", b)
	var art openapi.Artifact
	require.NoError(t, json.Unmarshal(b, &art))
	require.NotNil(t, art.ModelArtifact)
	id := art.ModelArtifact.GetId()

	code, b = c.do(http.MethodPost, p(v2), map[string]any{"artifactType": "model-artifact", "id": id, "uri": "s3://b/w2"})
	require.Equal(t, http.StatusOK, code, "upsert of an existing artifact: %s", b)
	var l listResponse[openapi.Artifact]
	c.getJSON(p(v1), &l)
	assert.Empty(t, l.Items, "moved away from v1")
	c.getJSON(p(v2), &l)
	require.Len(t, l.Items, 1)
	assert.Equal(t, "s3://b/w2", l.Items[0].ModelArtifact.GetUri())
	assert.Equal(t, "w", l.Items[0].ModelArtifact.GetName())

	for _, body := range []any{
		map[string]any{"artifactType": "doc-artifact", "uri": "x"},
		map[string]any{"uri": "x"},
		map[string]any{"artifactType": "model-artifact", "bogus": 1},
	} {
		code, b := c.do(http.MethodPost, p(v1), body)
		assert.Equal(t, http.StatusBadRequest, code, "%v: %s", body, b)
	}
	code, _ = c.do(http.MethodPost, p(v1), map[string]any{"artifactType": "model-artifact", "id": "999"})
	assert.Equal(t, http.StatusNotFound, code)
	code, _ = c.do(http.MethodPost, RegistryBasePath+"/model_versions/999/artifacts", map[string]any{"artifactType": "model-artifact"})
	assert.Equal(t, http.StatusNotFound, code)
}

func TestFindEndpoints(t *testing.T) {
	s, c := newTestServer(t, Options{})
	a, b := mustModel(t, s, "a"), mustModel(t, s, "b")
	av, err := s.AddModelVersion(openapi.ModelVersion{Name: "v1", RegisteredModelId: a.GetId(), ExternalId: ptr("ext-av")})
	require.NoError(t, err)
	bv := mustVersion(t, s, b.GetId(), "v1")

	var m openapi.RegisteredModel
	c.getJSON(RegistryBasePath+"/registered_model?name=b", &m)
	assert.Equal(t, b.GetId(), m.GetId())
	var v openapi.ModelVersion
	c.getJSON(RegistryBasePath+"/model_version?name=v1&parentResourceId="+b.GetId(), &v)
	assert.Equal(t, bv.GetId(), v.GetId())
	c.getJSON(RegistryBasePath+"/model_version?externalId=ext-av", &v)
	assert.Equal(t, av.GetId(), v.GetId())

	for _, tc := range []struct {
		q    string
		want int
	}{
		{"/model_version?name=v1", http.StatusBadRequest}, // ambiguous without parent
		{"/model_version", http.StatusBadRequest},
		{"/model_version?name=v9&parentResourceId=" + a.GetId(), http.StatusNotFound},
		{"/model_version?externalId=ext-av&parentResourceId=" + b.GetId(), http.StatusNotFound},
		{"/registered_model?name=zzz", http.StatusNotFound},
		{"/registered_model", http.StatusNotFound}, // the spec declares no 400 here
	} {
		code, body := c.do(http.MethodGet, RegistryBasePath+tc.q, nil)
		assert.Equal(t, tc.want, code, "%s: %s", tc.q, body)
		errorBody(t, body)
	}
}

func TestIDsComeFromOneSequence(t *testing.T) {
	s, c := newTestServer(t, Options{})
	m := mustModel(t, s, "m")
	v := mustVersion(t, s, m.GetId(), "v")
	assert.Equal(t, "1", m.GetId())
	assert.Equal(t, "2", v.GetId())
	code, _ := c.do(http.MethodGet, RegistryBasePath+"/model_versions/1", nil)
	assert.Equal(t, http.StatusNotFound, code, "a registered model id is not a version id")
}

func TestGoAPIHandsOutCopies(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	props := map[string]openapi.MetadataValue{"k": {MetadataStringValue: &openapi.MetadataStringValue{StringValue: "v"}}}
	in := openapi.RegisteredModel{Name: "m", Description: ptr("d"), CustomProperties: &props}
	m, err := s.AddRegisteredModel(in)
	require.NoError(t, err)
	assert.Equal(t, "MetadataStringValue", m.GetCustomProperties()["k"].MetadataStringValue.MetadataType, "metadataType filled in")
	*in.Description = "changed after add"
	props["k"].MetadataStringValue.StringValue = "changed"
	*m.Description = "changed the copy"
	got, ok := s.RegisteredModel(m.GetId())
	require.True(t, ok)
	assert.Equal(t, "d", got.GetDescription())
	assert.Equal(t, "v", got.GetCustomProperties()["k"].MetadataStringValue.StringValue)

	_, err = s.UpdateRegisteredModel(m.GetId(), func(rm *openapi.RegisteredModel) { rm.Name = "other" })
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = s.UpdateRegisteredModel("42", func(*openapi.RegisteredModel) {})
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = s.AddRegisteredModel(openapi.RegisteredModel{Name: "m"})
	assert.ErrorIs(t, err, ErrConflict)
	_, err = s.AddRegisteredModel(openapi.RegisteredModel{Name: "x", Id: ptr("7")})
	assert.ErrorIs(t, err, ErrInvalid)

	// preset times are kept for seeding history
	old, err := s.AddRegisteredModel(openapi.RegisteredModel{Name: "old", CreateTimeSinceEpoch: ptr("1000")})
	require.NoError(t, err)
	assert.Equal(t, "1000", old.GetCreateTimeSinceEpoch())
	assert.Equal(t, "1000", old.GetLastUpdateTimeSinceEpoch())
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func TestConcurrentWritesAndPagedReads(t *testing.T) {
	s, c := newTestServer(t, Options{})
	for i := 0; i < 50; i++ {
		mustModel(t, s, "base-"+itoa(i))
	}
	done := make(chan error, 1)
	go func() {
		for i := 0; i < 200; i++ {
			m, err := s.AddRegisteredModel(openapi.RegisteredModel{Name: "conc-" + itoa(i)})
			if err == nil {
				_, err = s.UpdateRegisteredModel(m.GetId(), func(m *openapi.RegisteredModel) { m.SetDescription("x") })
			}
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := 0; i < 5; i++ {
		got := walk[openapi.RegisteredModel](t, c, rmPath, url.Values{"pageSize": {"7"}}, nil)
		seen := map[string]bool{}
		for _, id := range ids(got) {
			require.False(t, seen[id], "model %s listed twice", id)
			seen[id] = true
		}
		require.GreaterOrEqual(t, len(got), 50)
	}
	require.NoError(t, <-done)
	var l listResponse[openapi.RegisteredModel]
	c.getJSON(rmPath+"?pageSize=1000", &l)
	assert.Len(t, l.Items, 250)
}

func TestGoAPIForEveryType(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	m := mustModel(t, s, "m")
	v := mustVersion(t, s, m.GetId(), "v")
	_, err := s.AddModelArtifact("999", openapi.ModelArtifact{})
	assert.ErrorIs(t, err, ErrNotFound)
	a, err := s.AddModelArtifact(v.GetId(), openapi.ModelArtifact{Uri: ptr("s3://x")})
	require.NoError(t, err)
	assert.Equal(t, modelArtifactType, a.GetArtifactType())
	a, err = s.UpdateModelArtifact(a.GetId(), func(a *openapi.ModelArtifact) { a.SetUri("s3://y") })
	require.NoError(t, err)
	got, ok := s.ModelArtifact(a.GetId())
	require.True(t, ok)
	assert.Equal(t, "s3://y", got.GetUri())

	v, err = s.UpdateModelVersion(v.GetId(), func(v *openapi.ModelVersion) { v.SetState(openapi.MODELVERSIONSTATE_ARCHIVED) })
	require.NoError(t, err)
	assert.Equal(t, openapi.MODELVERSIONSTATE_ARCHIVED, v.GetState())
	_, err = s.UpdateModelVersion(v.GetId(), func(v *openapi.ModelVersion) { v.RegisteredModelId = "1234" })
	assert.ErrorIs(t, err, ErrInvalid)

	e, err := s.AddServingEnvironment(openapi.ServingEnvironment{Name: "ns"})
	require.NoError(t, err)
	_, err = s.AddServingEnvironment(openapi.ServingEnvironment{Name: "ns"})
	assert.ErrorIs(t, err, ErrConflict)
	e, err = s.UpdateServingEnvironment(e.GetId(), func(e *openapi.ServingEnvironment) { e.SetDescription("d") })
	require.NoError(t, err)
	assert.Equal(t, "d", e.GetDescription())

	is, err := s.AddInferenceService(openapi.InferenceService{RegisteredModelId: m.GetId(), ServingEnvironmentId: e.GetId()})
	require.NoError(t, err)
	is, err = s.UpdateInferenceService(is.GetId(), func(is *openapi.InferenceService) {
		is.SetDesiredState(openapi.INFERENCESERVICESTATE_UNDEPLOYED)
	})
	require.NoError(t, err)
	got2, ok := s.InferenceService(is.GetId())
	require.True(t, ok)
	assert.Equal(t, openapi.INFERENCESERVICESTATE_UNDEPLOYED, got2.GetDesiredState())
	_, ok = s.InferenceService("nope")
	assert.False(t, ok)

	_, err = s.AddCatalogModel("nope", CatalogModel{Name: "a/b"})
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = s.AddCatalogSource(CatalogSource{ID: "src", Name: "Source"})
	require.NoError(t, err)
	cm, err := s.AddCatalogModel("src", CatalogModel{Name: "a/b", Readme: "# old"})
	require.NoError(t, err)
	_, err = s.AddCatalogModel("src", CatalogModel{Name: "a/b"})
	assert.ErrorIs(t, err, ErrConflict)
	cm2, err := s.UpdateCatalogModel("src", "a/b", func(m *CatalogModel) { m.Readme = "# new" })
	require.NoError(t, err)
	assert.Equal(t, "# new", cm2.Readme)
	assert.Greater(t, atoi64(cm2.LastUpdateTimeSinceEpoch), atoi64(cm.LastUpdateTimeSinceEpoch))
	_, err = s.UpdateCatalogModel("src", "a/b", func(m *CatalogModel) { m.Name = "c/d" })
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestListsShowUpdates(t *testing.T) {
	s, c := newTestServer(t, Options{})
	m := mustModel(t, s, "m")
	var l listResponse[openapi.RegisteredModel]
	c.getJSON(rmPath, &l) // caches the encoded model
	require.Len(t, l.Items, 1)
	assert.False(t, l.Items[0].HasDescription())
	_, err := s.UpdateRegisteredModel(m.GetId(), func(m *openapi.RegisteredModel) { m.SetDescription("after") })
	require.NoError(t, err)
	l = listResponse[openapi.RegisteredModel]{}
	c.getJSON(rmPath, &l)
	require.Len(t, l.Items, 1)
	assert.Equal(t, "after", l.Items[0].GetDescription())
}
