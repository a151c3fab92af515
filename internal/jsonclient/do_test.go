package jsonclient_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/jsonclient"
)

// ownService is how pkg/storageclient and pkg/locationclient configure the
// client: the http.Client's Timeout bounds a request, answers are read whole.
func ownService(name, base string, h *http.Client, token string) *jsonclient.Client {
	return jsonclient.New(name, base, jsonclient.Options{
		Token:        token,
		HTTPClient:   h,
		Timeout:      jsonclient.NoTimeout,
		MaxBodyBytes: jsonclient.NoBodyLimit,
	})
}

func TestDoSendsJSONBodyAndTokenAndDecodes(t *testing.T) {
	var got struct {
		method, path, query, ctype, accept, auth, body string
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.method, got.path, got.query = r.Method, r.URL.Path, r.URL.RawQuery
		got.ctype, got.accept, got.auth, got.body = r.Header.Get("Content-Type"), r.Header.Get("Accept"), r.Header.Get("Authorization"), string(b)
		_, _ = w.Write([]byte(`{"n":7}`))
	}))
	t.Cleanup(ts.Close)

	c := ownService("storage-rest", ts.URL+"/", ts.Client(), "s3cret")
	var out struct{ N int }
	require.NoError(t, c.Do(context.Background(), http.MethodPost, "/upsert?key=a", []byte(`{"x":1}`), &out))
	assert.Equal(t, 7, out.N)
	assert.Equal(t, http.MethodPost, got.method)
	assert.Equal(t, "/upsert", got.path)
	assert.Equal(t, "key=a", got.query)
	assert.Equal(t, "application/json", got.ctype)
	assert.Empty(t, got.accept, "Do sends no Accept header, as before")
	assert.Equal(t, "Bearer s3cret", got.auth)
	assert.JSONEq(t, `{"x":1}`, got.body)

	// No body: no Content-Type; no token: no Authorization; nil out discards.
	c = ownService("location", ts.URL, ts.Client(), "")
	require.NoError(t, c.Do(context.Background(), http.MethodDelete, "/remove?key=a", nil, nil))
	assert.Equal(t, http.MethodDelete, got.method)
	assert.Empty(t, got.ctype)
	assert.Empty(t, got.auth)
	assert.Empty(t, got.body)
}

func TestDoStatusError(t *testing.T) {
	long := strings.Repeat("x", 600)
	cases := map[string]struct {
		body, want string
	}{
		"json error":     {`{"error":"key must not be empty"}`, "key must not be empty"},
		"plain body":     {"  no such key \n", "no such key"},
		"json, no error": {`{"message":"m"}`, `{"message":"m"}`},
		"long body":      {long, strings.Repeat("x", 512) + "..."},
		"token echoed":   {`{"error":"bad token s3cret"}`, "bad token [REDACTED]"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ts := serve(t, http.StatusBadRequest, tc.body)
			c := ownService("storage-rest", ts.URL, ts.Client(), "s3cret")
			err := c.Do(context.Background(), http.MethodGet, "/fetch?key=k", nil, &struct{}{})
			var se *jsonclient.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, jsonclient.StatusError{Method: http.MethodGet, URL: ts.URL + "/fetch?key=k", Code: http.StatusBadRequest, Message: tc.want}, *se)
			assert.Equal(t, http.StatusBadRequest, se.StatusCode())
			assert.Equal(t, "GET "+ts.URL+"/fetch?key=k: HTTP 400: "+tc.want, err.Error())
		})
	}
}

func TestDoOtherErrorsNameTheService(t *testing.T) {
	ts := serve(t, http.StatusOK, `not json`)
	c := ownService("location", ts.URL, ts.Client(), "")
	err := c.Do(context.Background(), http.MethodGet, "/list", nil, &struct{}{})
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "decoding location answer to GET /list: "), err.Error())
	var se *json.SyntaxError
	assert.ErrorAs(t, err, &se)

	ts.Close()
	err = c.Do(context.Background(), http.MethodGet, "/list", nil, nil)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "location at "+ts.URL+": "), err.Error())

	err = c.Do(context.Background(), "BAD METHOD", "/list", nil, nil)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "building request BAD METHOD /list: "), err.Error())
}

func TestDoTimeoutIsTheHTTPClients(t *testing.T) {
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); ts.Close() })

	h := ts.Client()
	h.Timeout = 50 * time.Millisecond
	c := ownService("location", ts.URL, h, "")
	start := time.Now()
	err := c.Do(context.Background(), http.MethodGet, "/list", nil, nil)
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
	var ne interface{ Timeout() bool }
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())

	// The caller's context bounds it too.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = ownService("location", ts.URL, ts.Client(), "").Do(ctx, http.MethodGet, "/list", nil, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestDoReadsBodiesBeyondTheDefaultCapWithNoBodyLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 64 MiB of loopback HTTP; skipped under -short only (make test and CI run it)")
	}
	big := `{"s":"` + strings.Repeat("x", jsonclient.DefaultMaxBodyBytes) + `"}`
	ts := serve(t, http.StatusOK, big)
	var out struct{ S string }
	require.NoError(t, ownService("storage-rest", ts.URL, ts.Client(), "").Do(context.Background(), http.MethodGet, "/records", nil, &out))
	assert.Len(t, out.S, jsonclient.DefaultMaxBodyBytes)
}

func TestDoHonoursABodyCap(t *testing.T) {
	ts := serve(t, http.StatusOK, `{"s":"`+strings.Repeat("x", 300)+`"}`)
	c := jsonclient.New("storage-rest", ts.URL, jsonclient.Options{HTTPClient: ts.Client(), MaxBodyBytes: 256})
	err := c.Do(context.Background(), http.MethodGet, "/records", nil, &struct{}{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "response larger than 256 bytes")
}

func TestBadBaseURLIsReportedByEveryRequest(t *testing.T) {
	c := jsonclient.New("storage-rest", "localhost:7070", jsonclient.Options{})
	err := c.Do(context.Background(), http.MethodGet, "/list", nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "storage-rest URL")
	assert.Contains(t, err.Error(), "scheme must be http or https")
	err2 := c.Get(context.Background(), "list", "/list", nil, nil)
	require.Error(t, err2)
	assert.Equal(t, err.Error(), err2.Error())
}
