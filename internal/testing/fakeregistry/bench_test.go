package fakeregistry

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/stretchr/testify/require"
)

// listAll walks every page of registered models with get, decoding each
// page into a *List, and returns the number of items and requests.
func listAll[L any, P interface {
	*L
	GetNextPageToken() string
	GetSize() int32
}](b *testing.B, get func(query string) []byte) (items, requests int) {
	q := url.Values{"pageSize": {"100"}}
	for {
		var page L
		l := P(&page)
		require.NoError(b, json.Unmarshal(get(q.Encode()), l))
		items += int(l.GetSize())
		requests++
		if l.GetNextPageToken() == "" {
			return items, requests
		}
		q.Set("nextPageToken", l.GetNextPageToken())
	}
}

func seed10k(b *testing.B) *Server {
	s := New(Options{})
	_, err := Generate(s, 10_000, GenOptions{Seed: 1, MaxVersions: 1, DeployedShare: -1})
	require.NoError(b, err)
	return s
}

// BenchmarkListRegisteredModels10k lists 10,000 registered models with
// pageSize 100 over real HTTP (loopback), decoding every page with the
// upstream client types, as the connector does.
func BenchmarkListRegisteredModels10k(b *testing.B) {
	s := seed10k(b)
	hs := httptest.NewServer(s)
	defer hs.Close()
	get := func(query string) []byte {
		resp, err := http.Get(hs.URL + rmPath + "?" + query)
		require.NoError(b, err)
		defer func() { _ = resp.Body.Close() }()
		require.Equal(b, http.StatusOK, resp.StatusCode)
		var raw json.RawMessage
		require.NoError(b, json.NewDecoder(resp.Body).Decode(&raw))
		return raw
	}
	b.ReportAllocs()
	b.ResetTimer()
	var items, requests int
	for range b.N {
		items, requests = listAll[openapi.RegisteredModelList](b, get)
	}
	require.Equal(b, 10_000, items)
	b.ReportMetric(float64(requests), "requests/op")
}

// envelope is a list page without its items: decoding it costs little, so
// the handler benchmark measures the server's own share.
type envelope struct {
	NextPageToken string `json:"nextPageToken"`
	Size          int32  `json:"size"`
}

func (e *envelope) GetNextPageToken() string { return e.NextPageToken }
func (e *envelope) GetSize() int32           { return e.Size }

// BenchmarkListRegisteredModels10kHandler is the same walk in process
// (no network) and without decoding the items: the server's own share.
func BenchmarkListRegisteredModels10kHandler(b *testing.B) {
	s := seed10k(b)
	get := func(query string) []byte {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, rmPath+"?"+query, nil))
		require.Equal(b, http.StatusOK, rec.Code)
		return rec.Body.Bytes()
	}
	b.ReportAllocs()
	b.ResetTimer()
	var items, requests int
	for range b.N {
		items, requests = listAll[envelope](b, get)
	}
	require.Equal(b, 10_000, items)
	b.ReportMetric(float64(requests), "requests/op")
}

// BenchmarkGenerate50k generates 50,000 registered models with their
// versions, artifacts, catalog models and inference services.
func BenchmarkGenerate50k(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		s := New(Options{})
		res, err := Generate(s, 50_000, GenOptions{Seed: 1})
		require.NoError(b, err)
		b.ReportMetric(float64(res.ModelVersions+res.ModelArtifacts+res.InferenceServices+res.CatalogModels+res.RegisteredModels), "entities/op")
	}
}
