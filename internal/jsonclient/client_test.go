package jsonclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/jsonclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakemetrics"
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
		c := jsonclient.New("model registry", ts.URL, jsonclient.Options{})
		err := c.Get(context.Background(), "things", "/api/things", nil, &struct{}{})
		require.Error(t, err)
		for _, w := range tc.want {
			assert.Contains(t, err.Error(), w)
		}
		assert.True(t, strings.HasPrefix(err.Error(), "model registry "+ts.URL+": GET /api/things: "), err.Error())
		var he *jsonclient.Error
		require.ErrorAs(t, err, &he)
		assert.Equal(t, tc.status, he.StatusCode)
		assert.Equal(t, tc.status == http.StatusNotFound, he.NotFound())
	}
}

func TestOversizedBodyIsRefused(t *testing.T) {
	ts := serve(t, http.StatusOK, `{"items":[`+strings.Repeat(`{"id":"1"},`, 100)+`{}]}`)
	c := jsonclient.New("model catalog", ts.URL, jsonclient.Options{MaxBodyBytes: 256})
	err := c.Get(context.Background(), "x", "/x", nil, &map[string]any{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "response larger than 256 bytes")
}

func TestClampPageSize(t *testing.T) {
	assert.Equal(t, jsonclient.DefaultPageSize, jsonclient.ClampPageSize(0))
	assert.Equal(t, jsonclient.DefaultPageSize, jsonclient.ClampPageSize(-3))
	assert.Equal(t, 7, jsonclient.ClampPageSize(7))
	assert.Equal(t, jsonclient.MaxPageSize, jsonclient.ClampPageSize(jsonclient.MaxPageSize+1))
}

func TestGetTimeout(t *testing.T) {
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); ts.Close() })

	c := jsonclient.New("model registry", ts.URL, jsonclient.Options{HTTPClient: ts.Client(), Timeout: 50 * time.Millisecond})
	err := c.Get(context.Background(), "things", "/api/things", nil, nil)
	var he *jsonclient.Error
	require.ErrorAs(t, err, &he)
	assert.Equal(t, jsonclient.OutcomeTimeout, he.Outcome)
	assert.Equal(t, 50*time.Millisecond, he.Timeout)
	assert.Contains(t, err.Error(), "no complete answer within 50ms")
}

func TestGetSendsAcceptAndTokenAndCounts(t *testing.T) {
	var accept, auth string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accept, auth = r.Header.Get("Accept"), r.Header.Get("Authorization")
		_, _ = w.Write([]byte(`{"items":[]}`))
	}))
	t.Cleanup(ts.Close)
	m := &fakemetrics.Requests{}
	c := jsonclient.New("model catalog", ts.URL, jsonclient.Options{Token: "t0k", Metrics: m})
	require.NoError(t, c.Get(context.Background(), "things", "/api/things", nil, &map[string]any{}))
	assert.Equal(t, "application/json", accept)
	assert.Equal(t, "Bearer t0k", auth)
	assert.Equal(t, []string{"things ok"}, m.Seen())
}
