package location

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/httpcheck"
)

// forged are headers a remote caller may set to look local.
var forged = map[string]string{
	"X-Forwarded-For":  "127.0.0.1",
	"X-Real-Ip":        "127.0.0.1",
	"Forwarded":        "for=127.0.0.1;host=localhost;proto=http",
	"X-Forwarded-Host": "localhost",
	"Host":             "localhost:9090",
}

func forge(r *http.Request) {
	for k, v := range forged {
		if k == "Host" {
			r.Host = v
			continue
		}
		r.Header.Set(k, v)
	}
}

func TestForgedForwardingHeadersDoNotOpenTheWriteAPI(t *testing.T) {
	for _, token := range []string{"", "s3cret"} {
		ts := newTestService(t, newFakeStorage(nil), func(c *Config) { c.Token = token })
		ts.load(t)
		ts.upsert(t, "keep__v1", doc("keep", 1))
		before := ts.ix.Snapshot()
		b, _ := json.Marshal(doc("a", 2))
		for _, tc := range []struct{ method, target string }{
			{http.MethodPost, "/upsert?key=a__v1"}, {http.MethodDelete, "/remove?key=keep__v1"}, {http.MethodPost, "/remove?key=keep__v1"},
		} {
			for _, addr := range []string{"10.1.2.3:40000", "[fd00::1]:40000", "0.0.0.0:40000"} {
				w := ts.do(tc.method, tc.target, bytes.NewReader(b), forge, func(r *http.Request) { r.RemoteAddr = addr },
					header("Authorization", "Bearer not-the-token"))
				want := http.StatusForbidden
				if token != "" {
					want = http.StatusUnauthorized
				}
				assert.Equal(t, want, w.Code, "token %q %s %s from %s", token, tc.method, tc.target, addr)
				httpcheck.ErrorMessage(t, w)
				assert.Same(t, before, ts.ix.Snapshot(), "nothing changed")
			}
		}
	}
}

func TestTokenNeverInLogsOrResponses(t *testing.T) {
	const token = "tok-9f8e7d6c5b4a"
	logs := &httpcheck.LogBuffer{}
	ts := newTestService(t, newFakeStorage(nil), func(c *Config) {
		c.Token = token
		c.Log = logs.Logger()
		c.MaxBodyBytes = 512
	})
	// The router logs too (access log, panics), as main wires it.
	router := httpserver.NewRouter(httpserver.RouterOptions{Service: "location", Log: logs.Logger()})
	ts.Mount(router)
	ts.h = router
	ts.load(t)

	good, _ := json.Marshal(doc("a", 1))
	auth := header("Authorization", "Bearer "+token)
	authLower := header("Authorization", "bearer "+token+" ")
	var bodies []string
	for _, tc := range []struct {
		method, target, body string
		mods                 []func(*http.Request)
		code                 int
	}{
		{http.MethodPost, "/upsert?key=a__v1", string(good), []func(*http.Request){remote, auth}, 200},
		{http.MethodPost, "/upsert?key=a__v1", string(good), []func(*http.Request){remote, authLower}, 200},
		{http.MethodPost, "/upsert?key=a__v1", string(good), []func(*http.Request){remote, header("Authorization", "Bearer "+token+"x")}, 401},
		{http.MethodPost, "/upsert?key=a__v1", string(good), []func(*http.Request){remote, header("Authorization", "Basic "+token)}, 401},
		{http.MethodPost, "/upsert?key=bad/" + token, string(good), []func(*http.Request){remote, auth}, 400},
		{http.MethodPost, "/upsert?key=a__v1", `{"body":`, []func(*http.Request){remote, auth}, 400},
		{http.MethodPost, "/upsert?key=a__v1", strings.Repeat(" ", 600), []func(*http.Request){remote, auth}, 413},
		{http.MethodDelete, "/remove?key=a__v1", "", []func(*http.Request){remote, auth}, 200},
		{http.MethodGet, "/models/" + "x", "", []func(*http.Request){remote, auth}, 404},
		{http.MethodGet, "/list", "", []func(*http.Request){remote, auth}, 200},
	} {
		w := ts.do(tc.method, tc.target, strings.NewReader(tc.body), tc.mods...)
		assert.Equal(t, tc.code, w.Code, "%s %s: %s", tc.method, tc.target, w.Body.String())
		bodies = append(bodies, w.Body.String())
		for k, v := range w.Header() {
			assert.NotContains(t, strings.Join(v, ","), token, "response header %s", k)
		}
	}
	for _, b := range bodies {
		// The key a caller sends is echoed; the configured token is not
		// unless the caller put it there itself.
		if !strings.Contains(b, "bad/") {
			assert.NotContains(t, b, token)
		}
	}
	out := logs.String()
	require.NotEmpty(t, out, "the requests were logged")
	assert.Contains(t, out, `"path"="/upsert"`, "access log lines are there")
	assert.NotContains(t, out, token, "the token never reaches the logs")
}

func TestBodyOneByteOverTheLimit(t *testing.T) {
	rec, _ := json.Marshal(doc("a", 1))
	limit := int64(len(rec)) + 10
	require.Equal(t, int64(192), limit, "the fixture record changed")
	ts := newTestService(t, newFakeStorage(nil), func(c *Config) { c.MaxBodyBytes = limit })
	ts.load(t)
	atLimit := string(rec) + strings.Repeat(" ", 10)
	over := atLimit + " "
	chunked := func(r *http.Request) { r.ContentLength = -1; r.TransferEncoding = []string{"chunked"} }

	assert.Equal(t, http.StatusOK, ts.do(http.MethodPost, "/upsert?key=a__v1", strings.NewReader(atLimit)).Code)
	assert.Equal(t, http.StatusOK, ts.do(http.MethodPost, "/upsert?key=a__v2", strings.NewReader(atLimit), chunked).Code)
	before := ts.ix.Snapshot()
	for _, mods := range [][]func(*http.Request){nil, {chunked}} {
		w := ts.do(http.MethodPost, "/upsert?key=b__v1", strings.NewReader(over), mods...)
		assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
		assert.Contains(t, httpcheck.ErrorMessage(t, w), "192")
		assert.Same(t, before, ts.ix.Snapshot())
	}
}
