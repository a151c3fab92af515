package storagerest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/storagerest"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/httpcheck"
)

func forgedRequest(method, target, body, remoteAddr string, hdr ...string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.RemoteAddr = remoteAddr
	r.Host = "localhost:7070"
	r.Header.Set("X-Forwarded-For", "127.0.0.1")
	r.Header.Set("X-Real-Ip", "127.0.0.1")
	r.Header.Set("Forwarded", "for=127.0.0.1;host=localhost")
	r.Header.Set("X-Forwarded-Host", "localhost")
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	return r
}

func TestForgedForwardingHeadersDoNotOpenTheAPI(t *testing.T) {
	for _, token := range []string{"", "s3cret"} {
		s := seeded()
		h, _ := newHandler(t, s, func(o *storagerest.Options) { o.Token = token })
		recs, writes := s.state()
		for _, tc := range []struct{ method, target, body string }{
			{http.MethodPost, "/upsert?key=new&type=kubeflow", recordJSON(mnist, 1)},
			{http.MethodPost, "/currentkeyset", "[]"},
			{http.MethodPost, "/currentkeyset?key=", ""},
			{http.MethodDelete, "/remove?key=a__v1", ""},
			{http.MethodGet, "/fetch?key=a__v1", ""},
			{http.MethodGet, "/records", ""},
		} {
			for _, addr := range []string{"10.1.2.3:40000", "[fd00::1]:40000", "0.0.0.0:1"} {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, forgedRequest(tc.method, tc.target, tc.body, addr, "Authorization", "Bearer wrong"))
				want := http.StatusForbidden
				if token != "" {
					want = http.StatusUnauthorized
				}
				assert.Equal(t, want, w.Code, "token %q: %s %s from %s", token, tc.method, tc.target, addr)
				httpcheck.ErrorMessage(t, w)
				assert.NotContains(t, w.Body.String(), "a__v1", "nothing stored leaks")
			}
		}
		checkUnchanged(t, "forged requests", s, recs, writes)
	}
}

func TestTokenNeverInLogsOrResponses(t *testing.T) {
	const token = "tok-1a2b3c4d5e6f"
	logs := &httpcheck.LogBuffer{}
	s := seeded()
	h, _ := newHandler(t, s, func(o *storagerest.Options) {
		o.Token = token
		o.Log = logs.Logger()
		o.MaxBodyBytes = 512
	})
	remote := "10.1.2.3:40000"
	bearer := []string{"Authorization", "Bearer " + token}
	for _, tc := range []struct {
		method, target, body string
		hdr                  []string
		code                 int
	}{
		{http.MethodPost, "/upsert?key=m&type=kserve", recordJSON(mnist, 1), bearer, 200},
		{http.MethodPost, "/upsert?key=m&type=kubeflow", recordJSON(mnist, 1), []string{"Authorization", "Bearer " + token + "x"}, 401},
		{http.MethodPost, "/upsert?key=m&type=kubeflow", recordJSON(mnist, 1), []string{"Authorization", "Basic " + token}, 401},
		{http.MethodPost, "/upsert?key=m&type=bad", recordJSON(mnist, 1), bearer, 400},
		{http.MethodPost, "/upsert?key=m&type=kubeflow", `{"body":`, bearer, 400},
		{http.MethodPost, "/upsert?key=m&type=kubeflow", strings.Repeat(" ", 600), bearer, 413},
		{http.MethodPost, "/currentkeyset", `["m"]`, bearer, 200},
		{http.MethodGet, "/fetch?key=m", "", bearer, 200},
		{http.MethodGet, "/fetch?key=nope", "", bearer, 404},
		{http.MethodDelete, "/remove?key=m", "", bearer, 200},
		{http.MethodGet, "/nowhere", "", bearer, 404},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, forgedRequest(tc.method, tc.target, tc.body, remote, tc.hdr...))
		assert.Equal(t, tc.code, w.Code, "%s %s: %s", tc.method, tc.target, w.Body.String())
		assert.NotContains(t, w.Body.String(), token, "%s %s", tc.method, tc.target)
		for k, v := range w.Header() {
			assert.NotContains(t, strings.Join(v, ","), token, "response header %s", k)
		}
	}
	out := logs.String()
	require.Contains(t, out, `"path"="/upsert"`, "the requests were logged")
	assert.NotContains(t, out, token, "the token never reaches the logs")
}

func TestBodyOneByteOverTheLimit(t *testing.T) {
	body := recordJSON(mnist, 1)
	limit := int64(len(body)) + 4
	s := newFakeStore()
	h, _ := newHandler(t, s, func(o *storagerest.Options) { o.MaxBodyBytes = limit })
	atLimit := body + "    "
	for _, chunked := range []bool{false, true} {
		send := func(target, b string) *httptest.ResponseRecorder {
			r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(b))
			r.RemoteAddr = "127.0.0.1:40000"
			if chunked {
				r.ContentLength = -1
				r.TransferEncoding = []string{"chunked"}
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w
		}
		assert.Equal(t, http.StatusOK, send("/upsert?key=m&type=kubeflow", atLimit).Code, "chunked %v", chunked)
		recs, writes := s.state()
		w := send("/upsert?key=n&type=kubeflow", atLimit+" ")
		assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code, "chunked %v", chunked)
		httpcheck.ErrorMessage(t, w)
		w = send("/currentkeyset", `[`+strings.Repeat(`"m",`, int(limit)/4)+`"m"]`)
		assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code, "chunked %v", chunked)
		httpcheck.ErrorMessage(t, w)
		checkUnchanged(t, "bodies over the limit", s, recs, writes)
	}
}
