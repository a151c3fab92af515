package storageclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/storageclient"
)

func answering(t *testing.T, status int, body string) *storageclient.Client {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/records", r.URL.Path)
		assert.Equal(t, "Bearer tok", r.Header.Get("Authorization"))
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	return storageclient.New(ts.URL, storageclient.WithToken("tok"))
}

func each(c *storageclient.Client) (map[string]record.Record, error) {
	got := map[string]record.Record{}
	err := c.EachRecord(context.Background(), func(key string, rec record.Record) error {
		got[key] = rec
		return nil
	})
	return got, err
}

// EachRecord yields what Records returns, one record at a time.
func TestEachRecordYieldsWhatRecordsReturns(t *testing.T) {
	set := record.RecordSet{Records: map[string]record.Record{
		"mnist__v1":   {Body: []byte(`{"models":[]}`), LastUpdateTimeSinceEpoch: 7, ReconcilerType: record.TypeKubeflow},
		"granite__v2": {Body: []byte(`{}`), ModelCard: "# Granite", ModelCardKey: "granite", LocationTarget: "/granite/v2/model-catalog.json"},
	}}
	b, err := json.Marshal(set)
	require.NoError(t, err)
	// Fields around "records" that a newer storage-rest might add are skipped.
	body := `{"count":2,"records":` + string(b[len(`{"records":`):len(b)-1]) + `,"more":{"x":[1,2]}}`
	c := answering(t, http.StatusOK, body)
	want, err := c.Records(context.Background())
	require.NoError(t, err)
	got, err := each(c)
	require.NoError(t, err)
	assert.Equal(t, set.Records, got)
	assert.Equal(t, want, got)
}

func TestEachRecordOfNoRecords(t *testing.T) {
	for _, body := range []string{`{"records":{}}`, `{"records":null}`, `{}`} {
		got, err := each(answering(t, http.StatusOK, body))
		require.NoError(t, err, body)
		assert.Empty(t, got, body)
	}
}

func TestEachRecordErrors(t *testing.T) {
	_, err := each(answering(t, http.StatusServiceUnavailable, `{"error":"ConfigMaps not synced yet"}`))
	var se *storageclient.StatusError
	require.True(t, errors.As(err, &se), err)
	assert.Equal(t, "ConfigMaps not synced yet", se.Message)

	for body, want := range map[string]string{
		`{"records":{"a__v1":{"body":"e30="},"b__v1":`: "the answer ends before its last record: unexpected EOF",
		`{"records":[]}`:                    `"records" is [, not an object`,
		`{"records":{"a__v1":{"body":12}}}`: `record "a__v1"`,
		`[]`:                                `expected {, got [`,
	} {
		_, err := each(answering(t, http.StatusOK, body))
		require.Error(t, err, body)
		assert.Contains(t, err.Error(), want, body)
		assert.Contains(t, err.Error(), "decoding storage-rest answer to GET /records", body)
	}

	// An error from yield stops the reading and comes back.
	stop := errors.New("enough")
	n := 0
	err = answering(t, http.StatusOK, `{"records":{"a__v1":{"body":"e30="},"b__v1":{"body":"e30="}}}`).
		EachRecord(context.Background(), func(string, record.Record) error { n++; return stop })
	require.ErrorIs(t, err, stop)
	assert.Equal(t, 1, n)
}
