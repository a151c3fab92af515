package locationclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/locationclient"
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
