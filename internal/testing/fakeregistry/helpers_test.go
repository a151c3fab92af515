package fakeregistry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/stretchr/testify/require"
)

// fakeClock advances one millisecond per reading, so times are distinct and
// deterministic.
type fakeClock struct{ ms int64 }

func (c *fakeClock) now() time.Time {
	c.ms++
	return time.UnixMilli(1_700_000_000_000 + c.ms)
}

// client talks HTTP to a server under test.
type client struct {
	t     testing.TB
	base  string
	token string
}

func newTestServer(t testing.TB, opts Options) (*Server, *client) {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = (&fakeClock{}).now
	}
	s := New(opts)
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		s.ClearFaults() // release hanging requests so Close returns
		hs.Close()
	})
	return s, &client{t: t, base: hs.URL, token: opts.Token}
}

// do sends a request; body is JSON-encoded unless it is a string or []byte.
func (c *client) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	resp := c.doCtx(context.Background(), method, path, body)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp.StatusCode, b
}

func (c *client) doCtx(ctx context.Context, method, path string, body any) *http.Response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	require.NoError(c.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	return resp
}

// getJSON GETs path, requires status 200 and decodes into out.
func (c *client) getJSON(path string, out any) {
	c.t.Helper()
	code, b := c.do(http.MethodGet, path, nil)
	require.Equal(c.t, http.StatusOK, code, "GET %s: %s", path, b)
	require.NoError(c.t, json.Unmarshal(b, out), "GET %s: %s", path, b)
}

// errorBody decodes the spec's Error schema.
func errorBody(t testing.TB, b []byte) openapi.Error {
	t.Helper()
	var e openapi.Error
	require.NoError(t, json.Unmarshal(b, &e), "%s", b)
	require.NotEmpty(t, e.Code, "%s", b)
	require.NotEmpty(t, e.Message, "%s", b)
	return e
}

func mustModel(t testing.TB, s *Server, name string) openapi.RegisteredModel {
	t.Helper()
	m, err := s.AddRegisteredModel(openapi.RegisteredModel{Name: name})
	require.NoError(t, err)
	return m
}

func mustVersion(t testing.TB, s *Server, rmID, name string) openapi.ModelVersion {
	t.Helper()
	v, err := s.AddModelVersion(openapi.ModelVersion{Name: name, RegisteredModelId: rmID})
	require.NoError(t, err)
	return v
}

// upstreamSpecs are the files of shared/specs (testenv.SpecsDir) the
// registry test server is checked against.
var upstreamSpecs = []string{"model-registry.openapi.yaml", "model-catalog.openapi.yaml", "catalog-sample-dev-catalog-sources.yaml"}

func itoa(n int) string { return strconv.Itoa(n) }

// waitFor and tick bound require.Eventually while a test waits for a
// request to reach the server; they measure nothing.
const (
	waitFor = 10 * time.Second
	tick    = time.Millisecond
)
