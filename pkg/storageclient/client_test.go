package storageclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/storageclient"
)

func TestClientSendsTokenAndReturnsStatusError(t *testing.T) {
	var auth string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		if r.URL.Path == "/list" {
			_, _ = w.Write([]byte(`{"keys":["a","b"]}`))
			return
		}
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"no record k"}`))
	}))
	t.Cleanup(ts.Close)

	c := storageclient.New(ts.URL+"/", storageclient.WithToken("tok"), storageclient.WithHTTPClient(nil))
	keys, err := c.List(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, keys)
	assert.Equal(t, "Bearer tok", auth)

	_, err = c.Fetch(context.Background(), "k")
	var se *storageclient.StatusError
	require.True(t, errors.As(err, &se), err)
	assert.Equal(t, http.StatusNotFound, se.Code)
	assert.Equal(t, "no record k", se.Message)
	assert.Equal(t, http.MethodGet, se.Method)
	assert.Equal(t, ts.URL+"/fetch?key=k", se.URL)
}
