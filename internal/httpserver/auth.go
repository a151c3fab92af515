package httpserver

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
)

// FromLoopback reports whether the request came over a loopback connection,
// that is from a container of the same pod. Forwarding headers are ignored on
// purpose: they are set by whoever sends the request.
func FromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// HasBearer reports whether the request carries "Authorization: Bearer
// <token>" with the given non-empty token (compared in constant time).
func HasBearer(r *http.Request, token string) bool {
	if token == "" {
		return false
	}
	h := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(h[len(prefix):])), []byte(token)) == 1
}

// LocalOrToken lets a request through when it comes from loopback or carries
// the bearer token; others get 401 (token configured) or 403 (not). The
// token never appears in the response or the logs.
func LocalOrToken(token string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if FromLoopback(r) || HasBearer(r, token) {
				next.ServeHTTP(w, r)
				return
			}
			if token == "" {
				WriteError(w, http.StatusForbidden, "this endpoint only accepts requests from inside the pod (loopback); configure a token to allow others")
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="rhoai-connector"`)
			WriteError(w, http.StatusUnauthorized, "missing or wrong bearer token: send Authorization: Bearer <token> as configured on this service")
		})
	}
}
