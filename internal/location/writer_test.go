package location

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
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

	res, err := c.UpsertBatch(ctx, []locationclient.BatchItem{
		{Key: "a__v1", Record: ptr(doc("a", 1))},
		{Key: "granite__v1", Record: ptr(doc("granite", 2))},
		{Key: "bad/key", Record: ptr(doc("b", 1))},
	})
	require.NoError(t, err)
	require.Len(t, res, 3)
	assert.Equal(t, locationclient.BatchResult{Key: "a__v1", Status: "created"}, res[0])
	assert.Equal(t, "ignored", res[1].Status, "older than the granite record held")
	assert.NotEmpty(t, res[1].Message)
	require.NoError(t, res[1].Err())
	var ie *locationclient.ItemError
	require.ErrorAs(t, res[2].Err(), &ie)
	assert.Equal(t, http.StatusBadRequest, ie.StatusCode())
	assert.Contains(t, ie.Message, "invalid key")
	uris, err = c.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"/a/v1/model-catalog.json", "/granite/v1/model-catalog.json"}, uris)
}

func ptr[T any](v T) *T { return &v }

func batchBody(t *testing.T, items ...any) *strings.Reader {
	t.Helper()
	b, err := json.Marshal(map[string]any{"items": items})
	require.NoError(t, err)
	return strings.NewReader(string(b))
}

func item(key string, rec any) map[string]any { return map[string]any{"key": key, "record": rec} }

func batchResults(t *testing.T, w *httptest.ResponseRecorder) []BatchItemResult {
	t.Helper()
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	var res BatchResult
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &res))
	return res.Results
}

func TestUpsertBatchAnswersEachItemAsUpsertWould(t *testing.T) {
	var logs logLines
	ts := newTestService(t, newFakeStorage(map[string]record.Record{
		"same__v1": doc("same", 10), "newer__v1": doc("newer", 50), "old__v1": doc("old", 10),
	}), func(c *Config) { c.Log = logs.logger(0) })
	ts.load(t)
	logs.reset()

	noBody := record.Record{LastUpdateTimeSinceEpoch: 9}
	w := ts.do(http.MethodPost, "/upsertbatch", batchBody(t,
		item("a__v1", doc("a", 1)),
		item("same__v1", doc("same", 10)),
		item("newer__v1", doc("stale", 20)),
		item("old__v1", doc("fresh", 20)),
		item("a/b", doc("x", 1)),
		item("bad__v1", noBody),
		item("epoch__v1", json.RawMessage(`{"body":"`+b64("{}")+`","lastUpdateTimeSinceEpoch":"soon"}`)),
		item("a__v1", doc("again", 2)),
		item("", doc("x", 1)),
		map[string]any{"key": "norecord__v1"},
	))
	res := batchResults(t, w)
	lines := logs.info()
	require.Len(t, res, 10, "one result per item, at its index")
	assert.Equal(t, BatchItemResult{Key: "a__v1", Status: "created"}, res[0])
	assert.Equal(t, BatchItemResult{Key: "same__v1", Status: "unchanged"}, res[1])
	assert.Equal(t, "ignored", res[2].Status)
	assert.Contains(t, res[2].Message, "older than the 50 held")
	assert.Zero(t, res[2].Code)
	assert.Equal(t, BatchItemResult{Key: "old__v1", Status: "updated"}, res[3])
	for i, key := range []string{"a/b", "bad__v1", "epoch__v1", "a__v1", "", "norecord__v1"} {
		r := res[4+i]
		assert.Equal(t, key, r.Key)
		assert.Equal(t, http.StatusBadRequest, r.Code, "%s: %+v", key, r)
		assert.NotEmpty(t, r.Error, key)
		assert.Empty(t, r.Status, key)
	}
	assert.Contains(t, res[7].Error, "more than once", "a key twice in one batch: the later item is refused")
	assert.Contains(t, res[8].Error, "key is required")
	assert.Contains(t, res[9].Error, "no record")

	// A refused item says what POST /upsert says for it alone.
	for _, i := range []int{4, 5} {
		alone := ts.upsert(t, res[i].Key, []record.Record{doc("x", 1), noBody}[i-4])
		assert.Equal(t, res[i].Code, alone.Code)
		assert.Equal(t, httpcheck.ErrorMessage(t, alone), res[i].Error)
	}
	alone := ts.do(http.MethodPost, "/upsert?key=epoch__v1", strings.NewReader(`{"body":"`+b64("{}")+`","lastUpdateTimeSinceEpoch":"soon"}`))
	assert.Equal(t, res[6].Code, alone.Code)
	assert.Equal(t, httpcheck.ErrorMessage(t, alone), res[6].Error)

	snap := ts.ix.Snapshot()
	assert.Contains(t, string(snap.DocumentByKey("a__v1").Body), `"a"`, "the first a__v1 is kept")
	assert.Contains(t, string(snap.DocumentByKey("newer__v1").Body), `"newer"`, "the stale write changed nothing")
	assert.Contains(t, string(snap.DocumentByKey("old__v1").Body), `"fresh"`)
	assert.Nil(t, snap.DocumentByKey("bad__v1"))

	// Counted per item, as POST /upsert counts (the three /upsert calls
	// above are rejected too).
	assert.Equal(t, 1.0, testutil.ToFloat64(ts.wr.m.upserts.WithLabelValues("created")))
	assert.Equal(t, 1.0, testutil.ToFloat64(ts.wr.m.upserts.WithLabelValues("updated")))
	assert.Equal(t, 1.0, testutil.ToFloat64(ts.wr.m.upserts.WithLabelValues("unchanged")))
	assert.Equal(t, 1.0, testutil.ToFloat64(ts.wr.m.upserts.WithLabelValues("ignored")))
	assert.Equal(t, 1.0, testutil.ToFloat64(ts.wr.m.staleWrites))
	assert.Equal(t, 6.0+3.0, testutil.ToFloat64(ts.wr.m.upserts.WithLabelValues("rejected")))
	assert.Equal(t, 6.0+3.0, testutil.ToFloat64(ts.wr.m.errors.WithLabelValues(errBadRequest)))

	// One line for the batch, plus the stale write, which is rare and
	// says writes arrive out of order; nothing per record.
	require.Len(t, lines, 2, "%q", lines)
	assert.Contains(t, lines[0], "ignored a stale write")
	assert.Contains(t, lines[1], "applied a batch of records")
	for _, kv := range []string{`"items":10`, `"created":1`, `"updated":1`, `"unchanged":1`, `"ignored":1`, `"rejected":6`, `"firstRejection":`} {
		assert.Contains(t, lines[1], kv)
	}
}

func TestUpsertBatchLogsRecordsAtV1Only(t *testing.T) {
	var logs logLines
	ts := newTestService(t, newFakeStorage(nil), func(c *Config) { c.Log = logs.logger(1) })
	ts.load(t)
	logs.reset()
	res := batchResults(t, ts.do(http.MethodPost, "/upsertbatch", batchBody(t, item("a__v1", doc("a", 1)), item("b__v1", doc("b", 1)))))
	require.Len(t, res, 2)
	assert.Equal(t, 1, logs.count(0, "applied a batch"))
	assert.Equal(t, 0, logs.count(0, "record created"), "not per record at info")
	assert.Equal(t, 2, logs.count(1, "record created"), "per record at V(1)")
	assert.Equal(t, []string{"/a/v1/model-catalog.json", "/b/v1/model-catalog.json"}, ts.list(t))
}

func TestUpsertBatchRefusesWhatIsNotABatch(t *testing.T) {
	ts := newTestService(t, newFakeStorage(map[string]record.Record{"m__v1": doc("m", 5)}), func(c *Config) { c.MaxBodyBytes = 1024 })
	ts.load(t)
	before := ts.ix.Snapshot()
	big := batchBody(t, item("big__v1", record.Record{Body: []byte(`{"x":"` + strings.Repeat("a", 2000) + `"}`), LastUpdateTimeSinceEpoch: 7}))
	bigBody, _ := io.ReadAll(big)
	chunked := func(r *http.Request) { r.ContentLength = -1 }
	for _, tc := range []struct {
		name, body string
		mods       []func(*http.Request)
		code       int
		msg        string
	}{
		{"empty body", "", nil, http.StatusBadRequest, "empty"},
		{"blank body", " \n", nil, http.StatusBadRequest, "empty"},
		{"malformed JSON", `{"items":[`, nil, http.StatusBadRequest, "not a batch"},
		{"JSON array", `[]`, nil, http.StatusBadRequest, "not a batch"},
		{"items not a list", `{"items":{}}`, nil, http.StatusBadRequest, "not a batch"},
		{"no items", `{}`, nil, http.StatusBadRequest, "no items"},
		{"null items", `{"items":null}`, nil, http.StatusBadRequest, "no items"},
		{"trailing data", `{"items":[]}{}`, nil, http.StatusBadRequest, "not a batch"},
		{"too large", string(bigBody), nil, http.StatusRequestEntityTooLarge, "more than the 1024 bytes accepted: send at most 1024 bytes, or raise --max-body-bytes (MAX_BODY_BYTES)"},
		{"too large, chunked", string(bigBody), []func(*http.Request){chunked}, http.StatusRequestEntityTooLarge, "more than the 1024 bytes accepted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := ts.do(http.MethodPost, "/upsertbatch", strings.NewReader(tc.body), tc.mods...)
			assert.Equal(t, tc.code, w.Code, w.Body.String())
			assert.Contains(t, httpcheck.ErrorMessage(t, w), tc.msg)
			assert.Same(t, before, ts.ix.Snapshot(), "nothing changed")
		})
	}
	// As on POST /upsert, a body announced too large is refused before
	// the handler runs; every other refusal counts once.
	assert.Equal(t, 9.0, testutil.ToFloat64(ts.wr.m.upserts.WithLabelValues("rejected")))
	assert.Equal(t, 9.0, testutil.ToFloat64(ts.wr.m.errors.WithLabelValues(errBadRequest)))

	assert.Empty(t, batchResults(t, ts.do(http.MethodPost, "/upsertbatch", strings.NewReader(`{"items":[]}`))), "an empty batch is answered")
}

func TestUpsertBatchIsLoopbackOrToken(t *testing.T) {
	body := func() *strings.Reader { return batchBody(t, item("a__v1", doc("a", 1))) }
	t.Run("no token configured", func(t *testing.T) {
		ts := newTestService(t, newFakeStorage(nil), nil)
		ts.load(t)
		for _, mods := range [][]func(*http.Request){{remote}, {remote, header("Authorization", "Bearer anything")}, {remote, forge}} {
			w := ts.do(http.MethodPost, "/upsertbatch", body(), mods...)
			assert.Equal(t, http.StatusForbidden, w.Code)
			httpcheck.ErrorMessage(t, w)
		}
		assert.Empty(t, ts.list(t), "nothing changed")
		assert.Len(t, batchResults(t, ts.do(http.MethodPost, "/upsertbatch", body())), 1, "loopback")
	})
	t.Run("token configured", func(t *testing.T) {
		ts := newTestService(t, newFakeStorage(nil), func(c *Config) { c.Token = "s3cret" })
		ts.load(t)
		for _, mods := range [][]func(*http.Request){{remote}, {remote, header("Authorization", "Bearer wrong")}, {remote, forge}} {
			w := ts.do(http.MethodPost, "/upsertbatch", body(), mods...)
			assert.Equal(t, http.StatusUnauthorized, w.Code)
			assert.NotContains(t, httpcheck.ErrorMessage(t, w), "s3cret")
		}
		assert.Empty(t, ts.list(t), "nothing changed")
		res := batchResults(t, ts.do(http.MethodPost, "/upsertbatch", body(), remote, header("Authorization", "Bearer s3cret")))
		assert.Equal(t, []BatchItemResult{{Key: "a__v1", Status: "created"}}, res)
	})
}

// logLines collects log lines with their V level.
type logLines struct {
	mu    sync.Mutex
	lines []loggedLine
}

type loggedLine struct {
	v    int
	text string
}

func (l *logLines) logger(verbosity int) logr.Logger {
	return funcr.NewJSON(func(obj string) {
		var m struct {
			V int `json:"v"`
		}
		_ = json.Unmarshal([]byte(obj), &m)
		l.mu.Lock()
		defer l.mu.Unlock()
		l.lines = append(l.lines, loggedLine{v: m.V, text: obj})
	}, funcr.Options{Verbosity: verbosity, LogInfoLevel: ptr("v")})
}

func (l *logLines) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = nil
}

// count counts the lines at level v that contain substr.
func (l *logLines) count(v int, substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.lines {
		if s.v == v && strings.Contains(s.text, substr) {
			n++
		}
	}
	return n
}

// info returns the lines logged at info.
func (l *logLines) info() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.lines {
		if s.v == 0 {
			out = append(out, s.text)
		}
	}
	return out
}
