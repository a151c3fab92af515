package locationclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/locationclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

func TestClientSendsTokenAndReturnsStatusError(t *testing.T) {
	var auth, method string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth, method = r.Header.Get("Authorization"), r.Method
		if r.URL.Path == "/list" {
			_, _ = w.Write([]byte(`{"uris":["u"]}`))
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("loading"))
	}))
	t.Cleanup(ts.Close)

	c := locationclient.New(ts.URL, locationclient.WithToken("tok"), locationclient.WithHTTPClient(ts.Client()))
	uris, err := c.List(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"u"}, uris)
	assert.Equal(t, "Bearer tok", auth)

	err = c.Remove(context.Background(), "k")
	assert.Equal(t, http.MethodDelete, method)
	var se *locationclient.StatusError
	require.True(t, errors.As(err, &se), err)
	assert.Equal(t, locationclient.StatusError{Method: http.MethodDelete, URL: ts.URL + "/remove?key=k", Code: http.StatusServiceUnavailable, Message: "loading"}, *se)
}

func TestUpsertBatchSendsItemsAndDecodesResults(t *testing.T) {
	var method, path, contentType string
	var body map[string]any
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, path, contentType = r.Method, r.URL.Path, r.Header.Get("Content-Type")
		assert.NoError(t, json.NewDecoder(r.Body).Decode(&body))
		_, _ = w.Write([]byte(`{"results":[{"key":"a","status":"created"},{"key":"b","status":"ignored","message":"older"},{"key":"c","code":400,"error":"invalid record"}]}`))
	}))
	t.Cleanup(ts.Close)

	c := locationclient.New(ts.URL)
	res, err := c.UpsertBatch(context.Background(), []locationclient.BatchItem{
		{Key: "a", Record: &record.Record{Body: []byte(`{"models":[]}`), LastUpdateTimeSinceEpoch: 3, ModelCard: "# a"}},
		{Key: "b", Record: &record.Record{Body: []byte(`{}`), LastUpdateTimeSinceEpoch: 1}},
		{Key: "c", Record: &record.Record{}},
	})
	require.NoError(t, err)
	assert.Equal(t, http.MethodPost, method)
	assert.Equal(t, "/upsertbatch", path)
	assert.Equal(t, "application/json", contentType)
	items, ok := body["items"].([]any)
	require.True(t, ok, "the body is {\"items\": [...]}: %v", body)
	require.Len(t, items, 3)
	first := items[0].(map[string]any)
	assert.Equal(t, "a", first["key"])
	rec := first["record"].(map[string]any)
	assert.Equal(t, "eyJtb2RlbHMiOltdfQ==", rec["body"], "the record as POST /upsert takes it: body in base64")
	assert.Equal(t, "# a", rec["modelCard"])

	assert.Equal(t, []locationclient.BatchResult{
		{Key: "a", Status: "created"},
		{Key: "b", Status: "ignored", Message: "older"},
		{Key: "c", Code: http.StatusBadRequest, Error: "invalid record"},
	}, res)
	require.NoError(t, res[0].Err())
	require.NoError(t, res[1].Err(), "an ignored write is an answer, not an error")
	var ie *locationclient.ItemError
	require.ErrorAs(t, res[2].Err(), &ie)
	assert.Equal(t, locationclient.ItemError{Key: "c", Code: http.StatusBadRequest, Message: "invalid record"}, *ie)
	var sc interface{ StatusCode() int }
	require.ErrorAs(t, res[2].Err(), &sc, "classified like a StatusError")
	assert.Equal(t, http.StatusBadRequest, sc.StatusCode())
}

func TestUpsertBatchTellsALocationWithoutTheBatchAPI(t *testing.T) {
	for _, tc := range []struct {
		code        int
		unsupported bool
	}{
		{http.StatusNotFound, true},
		{http.StatusMethodNotAllowed, true}, // an older location: its GET /* route answers 405 to a POST
		{http.StatusBadRequest, false},
		{http.StatusRequestEntityTooLarge, false},
		{http.StatusServiceUnavailable, false},
	} {
		t.Run(http.StatusText(tc.code), func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.code)
				_, _ = w.Write([]byte(`{"error":"no"}`))
			}))
			t.Cleanup(ts.Close)
			_, err := locationclient.New(ts.URL).UpsertBatch(context.Background(), []locationclient.BatchItem{{Key: "a", Record: &record.Record{}}})
			require.Error(t, err)
			assert.Equal(t, tc.unsupported, locationclient.IsNotSupported(err))
			var se *locationclient.StatusError
			require.ErrorAs(t, err, &se, "the answer stays readable")
			assert.Equal(t, tc.code, se.Code)
		})
	}
	_, err := locationclient.New("http://127.0.0.1:1").UpsertBatch(context.Background(), []locationclient.BatchItem{{Key: "a", Record: &record.Record{}}})
	require.Error(t, err)
	assert.False(t, locationclient.IsNotSupported(err), "an unreachable location is not one without the batch API")
}

func TestUpsertBatchRefusesAnAnswerOfTheWrongLength(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"results":[{"key":"a","status":"created"}]}`))
	}))
	t.Cleanup(ts.Close)
	_, err := locationclient.New(ts.URL).UpsertBatch(context.Background(), []locationclient.BatchItem{
		{Key: "a", Record: &record.Record{}}, {Key: "b", Record: &record.Record{}},
	})
	require.ErrorContains(t, err, "1 results for a batch of 2")
}
