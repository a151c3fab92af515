package location

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/httpcheck"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/locationclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

func result(t *testing.T, w *httptest.ResponseRecorder) WriteResult {
	t.Helper()
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	var res WriteResult
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &res))
	return res
}

func TestUpsertOutcomes(t *testing.T) {
	ts := newTestService(t, newFakeStorage(nil), nil)
	ts.load(t)

	assert.Equal(t, WriteResult{Key: "m__v1", Status: "created"}, result(t, ts.upsert(t, "m__v1", doc("a", 10))))
	assert.Equal(t, WriteResult{Key: "m__v1", Status: "unchanged"}, result(t, ts.upsert(t, "m__v1", doc("a", 10))))
	assert.Equal(t, WriteResult{Key: "m__v1", Status: "updated"}, result(t, ts.upsert(t, "m__v1", doc("b", 20))))
	stale := result(t, ts.upsert(t, "m__v1", doc("old", 15)))
	assert.Equal(t, "ignored", stale.Status)
	assert.Contains(t, stale.Message, "older")
	assert.Contains(t, ts.do(http.MethodGet, "/m/v1/model-catalog.json", nil).Body.String(), `"b"`, "the stale write changed nothing")

	// The original wrote lastUpdateTimeSinceEpoch as a string.
	w := ts.do(http.MethodPost, "/upsert?key=m__v1", strings.NewReader(`{"body":"`+b64(`{"models":[]}`)+`","lastUpdateTimeSinceEpoch":"30","locationId":"x"}`))
	assert.Equal(t, "updated", result(t, w).Status, "string epoch and unknown bookkeeping fields are accepted")

	assert.Equal(t, 1.0, testutil.ToFloat64(ts.wr.m.upserts.WithLabelValues("created")))
	assert.Equal(t, 2.0, testutil.ToFloat64(ts.wr.m.upserts.WithLabelValues("updated")))
	assert.Equal(t, 1.0, testutil.ToFloat64(ts.wr.m.upserts.WithLabelValues("ignored")))
	assert.Equal(t, 1.0, testutil.ToFloat64(ts.wr.m.staleWrites))
	assert.Equal(t, 1.0, testutil.ToFloat64(ts.wr.m.upserts.WithLabelValues("unchanged")))
}

func b64(s string) string {
	b, _ := json.Marshal([]byte(s))
	return strings.Trim(string(b), `"`)
}

func TestRemove(t *testing.T) {
	ts := newTestService(t, newFakeStorage(map[string]record.Record{"a__v1": doc("a", 1), "b__v1": doc("b", 1)}), nil)
	ts.load(t)
	// The same shape as storage-rest's /remove: {"removed": [...]}.
	removed := func(w *httptest.ResponseRecorder) string {
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
		return w.Body.String()
	}
	assert.Equal(t, `{"removed":["a__v1"]}`, removed(ts.do(http.MethodDelete, "/remove?key=a__v1", nil)))
	assert.Equal(t, `{"removed":[]}`, removed(ts.do(http.MethodDelete, "/remove?key=a__v1", nil)), "absent: an empty list")
	assert.Equal(t, `{"removed":["b__v1"]}`, removed(ts.do(http.MethodPost, "/remove?key=b__v1", nil)), "POST /remove too")
	assert.Empty(t, ts.list(t))
	assert.Equal(t, 2.0, testutil.ToFloat64(ts.wr.m.removes.WithLabelValues("removed")))
	assert.Equal(t, 1.0, testutil.ToFloat64(ts.wr.m.removes.WithLabelValues("absent")))
}

func TestWriteAPIIsLoopbackOrToken(t *testing.T) {
	body := func() *strings.Reader {
		b, _ := json.Marshal(doc("a", 1))
		return strings.NewReader(string(b))
	}
	t.Run("no token configured", func(t *testing.T) {
		ts := newTestService(t, newFakeStorage(nil), nil)
		ts.load(t)
		w := ts.do(http.MethodPost, "/upsert?key=a__v1", body(), remote)
		assert.Equal(t, http.StatusForbidden, w.Code)
		httpcheck.ErrorMessage(t, w)
		w = ts.do(http.MethodPost, "/upsert?key=a__v1", body(), remote, header("Authorization", "Bearer anything"))
		assert.Equal(t, http.StatusForbidden, w.Code)
		w = ts.do(http.MethodDelete, "/remove?key=a__v1", nil, remote)
		assert.Equal(t, http.StatusForbidden, w.Code)
		assert.Empty(t, ts.list(t), "nothing changed")
		w = ts.do(http.MethodPost, "/upsert?key=a__v1", body(), func(r *http.Request) { r.RemoteAddr = "[::1]:5000" })
		assert.Equal(t, http.StatusOK, w.Code, "IPv6 loopback")
		// Reads are open to everyone: RHDH sends its own service token.
		w = ts.do(http.MethodGet, "/list", nil, remote, header("Authorization", "Bearer backstage-token"))
		assert.Equal(t, http.StatusOK, w.Code)
	})
	t.Run("token configured", func(t *testing.T) {
		ts := newTestService(t, newFakeStorage(nil), func(c *Config) { c.Token = "s3cret" })
		ts.load(t)
		w := ts.do(http.MethodPost, "/upsert?key=a__v1", body(), remote)
		assert.Equal(t, http.StatusUnauthorized, w.Code)
		assert.NotContains(t, httpcheck.ErrorMessage(t, w), "s3cret")
		w = ts.do(http.MethodPost, "/upsert?key=a__v1", body(), remote, header("Authorization", "Bearer wrong"))
		assert.Equal(t, http.StatusUnauthorized, w.Code)
		assert.Empty(t, ts.list(t), "nothing changed")
		w = ts.do(http.MethodPost, "/upsert?key=a__v1", body(), remote, header("Authorization", "Bearer s3cret"))
		assert.Equal(t, http.StatusOK, w.Code)
		w = ts.do(http.MethodDelete, "/remove?key=a__v1", nil, remote, header("Authorization", "Bearer s3cret"))
		assert.JSONEq(t, `{"removed":["a__v1"]}`, w.Body.String())
		w = ts.do(http.MethodPost, "/upsert?key=b__v1", body())
		assert.Equal(t, http.StatusOK, w.Code, "loopback needs no token")
	})
}

func TestBadWritesAreRefusedAndChangeNothing(t *testing.T) {
	ts := newTestService(t, newFakeStorage(map[string]record.Record{"m__v1": doc("m", 5)}), func(c *Config) { c.MaxBodyBytes = 1024 })
	ts.load(t)
	before := ts.ix.Snapshot()
	valid, _ := json.Marshal(doc("n", 6))
	big, _ := json.Marshal(record.Record{Body: []byte(`{"x":"` + strings.Repeat("a", 2000) + `"}`), LastUpdateTimeSinceEpoch: 7})
	chunked := func(r *http.Request) { r.ContentLength = -1 } // no Content-Length: the read must hit the cap

	for _, tc := range []struct {
		name, method, target, body string
		mods                       []func(*http.Request)
		code                       int
		msg                        string
	}{
		{"missing key", http.MethodPost, "/upsert", string(valid), nil, http.StatusBadRequest, "key is required"},
		{"empty key", http.MethodPost, "/upsert?key=", string(valid), nil, http.StatusBadRequest, "key is required"},
		{"slash in key", http.MethodPost, "/upsert?key=a/b", string(valid), nil, http.StatusBadRequest, "invalid key"},
		{"dotdot key", http.MethodPost, "/upsert?key=..", string(valid), nil, http.StatusBadRequest, "invalid key"},
		{"triple underscore", http.MethodPost, "/upsert?key=a___b", string(valid), nil, http.StatusBadRequest, "invalid key"},
		{"empty body", http.MethodPost, "/upsert?key=m__v1", "", nil, http.StatusBadRequest, "empty"},
		{"malformed JSON", http.MethodPost, "/upsert?key=m__v1", `{"body":`, nil, http.StatusBadRequest, "not a record"},
		{"trailing data", http.MethodPost, "/upsert?key=m__v1", string(valid) + `{}`, nil, http.StatusBadRequest, "not a record"},
		{"JSON array", http.MethodPost, "/upsert?key=m__v1", `[]`, nil, http.StatusBadRequest, "not a record"},
		{"null record", http.MethodPost, "/upsert?key=m__v1", `null`, nil, http.StatusBadRequest, "empty body"},
		{"record without body", http.MethodPost, "/upsert?key=m__v1", `{"lastUpdateTimeSinceEpoch":9}`, nil, http.StatusBadRequest, "empty body"},
		{"body not JSON", http.MethodPost, "/upsert?key=m__v1", `{"body":"` + b64("models: []") + `","lastUpdateTimeSinceEpoch":9}`, nil, http.StatusBadRequest, "not a JSON object"},
		{"bad epoch", http.MethodPost, "/upsert?key=m__v1", `{"body":"` + b64("{}") + `","lastUpdateTimeSinceEpoch":"soon"}`, nil, http.StatusBadRequest, "lastUpdateTimeSinceEpoch"},
		{"too large", http.MethodPost, "/upsert?key=m__v1", string(big), nil, http.StatusRequestEntityTooLarge, "more than the 1024 bytes accepted: send at most 1024 bytes, or raise --max-body-bytes (MAX_BODY_BYTES)"},
		{"too large, chunked", http.MethodPost, "/upsert?key=m__v1", string(big), []func(*http.Request){chunked}, http.StatusRequestEntityTooLarge, "more than the 1024 bytes accepted"},
		{"remove without key", http.MethodDelete, "/remove", "", nil, http.StatusBadRequest, "key is required"},
		{"remove bad key", http.MethodDelete, "/remove?key=a/b", "", nil, http.StatusBadRequest, "invalid key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := ts.do(tc.method, tc.target, strings.NewReader(tc.body), tc.mods...)
			assert.Equal(t, tc.code, w.Code, w.Body.String())
			assert.Contains(t, httpcheck.ErrorMessage(t, w), tc.msg)
			assert.Same(t, before, ts.ix.Snapshot(), "nothing changed")
		})
	}
	// The body announced as too large is refused by httpserver.LimitBody
	// before the handler runs, so it is the one case not counted here.
	assert.Equal(t, 14.0, testutil.ToFloat64(ts.wr.m.upserts.WithLabelValues("rejected")))
	assert.Equal(t, 2.0, testutil.ToFloat64(ts.wr.m.removes.WithLabelValues("rejected")))
	assert.Equal(t, 16.0, testutil.ToFloat64(ts.wr.m.errors.WithLabelValues(errBadRequest)))
}

// storage-rest forwards with pkg/locationclient: the write API must be
// exactly what it sends.
func TestLocationClientAgainstTheService(t *testing.T) {
	ts := newTestService(t, newFakeStorage(nil), nil)
	ts.load(t)
	srv := httptest.NewServer(ts.h)
	defer srv.Close()
	c := locationclient.New(srv.URL)
	ctx := context.Background()

	rec := withCard(doc("granite", 3), "", "# card")
	rec.ReconcilerType = record.TypeKubeflow
	require.NoError(t, c.Upsert(ctx, "granite__v1", &rec))
	require.NoError(t, c.Upsert(ctx, "mnist__v1", ptr(doc("mnist", 1))))
	uris, err := c.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"/granite/v1/model-catalog.json", "/mnist/v1/model-catalog.json"}, uris)
	assert.Equal(t, "# card", ts.do(http.MethodGet, "/modelcard?key=granite__v1", nil).Body.String())

	require.NoError(t, c.Remove(ctx, "mnist__v1"))
	require.NoError(t, c.Remove(ctx, "mnist__v1"), "removing an absent key is not an error")
	uris, err = c.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"/granite/v1/model-catalog.json"}, uris)

	err = c.Upsert(ctx, "bad/key", &rec)
	var se *locationclient.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusBadRequest, se.Code)
	assert.Contains(t, se.Message, "invalid key")
}

func ptr[T any](v T) *T { return &v }
