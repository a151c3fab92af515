package httpjson_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registryclient/httpjson"
)

func serve(t *testing.T, status int, body string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestStatusErrorsCarryServerMessageAndHint(t *testing.T) {
	cases := []struct {
		status int
		body   string
		want   []string
	}{
		{http.StatusForbidden, `{"code":"403","message":"user cannot get registered models"}`, []string{"HTTP 403", "user cannot get registered models", "bind the connector's service account"}},
		{http.StatusNotFound, `<html>nope</html>`, []string{"HTTP 404", "<html>nope</html>", "check the URL"}},
		{http.StatusBadGateway, ``, []string{"HTTP 502", "empty body", "retries on the next sync"}},
	}
	for _, tc := range cases {
		ts := serve(t, tc.status, tc.body)
		c := httpjson.New("model registry", ts.URL, httpjson.Options{})
		err := c.Get(context.Background(), "things", "/api/things", nil, &struct{}{})
		require.Error(t, err)
		for _, w := range tc.want {
			assert.Contains(t, err.Error(), w)
		}
		assert.True(t, strings.HasPrefix(err.Error(), "model registry "+ts.URL+": GET /api/things: "), err.Error())
		var he *httpjson.Error
		require.ErrorAs(t, err, &he)
		assert.Equal(t, tc.status, he.StatusCode)
		assert.Equal(t, tc.status == http.StatusNotFound, he.NotFound())
	}
}

func TestOversizedBodyIsRefused(t *testing.T) {
	ts := serve(t, http.StatusOK, `{"items":[`+strings.Repeat(`{"id":"1"},`, 100)+`{}]}`)
	c := httpjson.New("model catalog", ts.URL, httpjson.Options{MaxBodyBytes: 256})
	err := c.Get(context.Background(), "x", "/x", nil, &map[string]any{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "response larger than 256 bytes")
}

func TestClampPageSize(t *testing.T) {
	assert.Equal(t, httpjson.DefaultPageSize, httpjson.ClampPageSize(0))
	assert.Equal(t, httpjson.DefaultPageSize, httpjson.ClampPageSize(-3))
	assert.Equal(t, 7, httpjson.ClampPageSize(7))
	assert.Equal(t, httpjson.MaxPageSize, httpjson.ClampPageSize(httpjson.MaxPageSize+1))
}
