package jsonclient

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Error is a failed request. Its text names the server, the endpoint and
// what a platform engineer can do about it; it never contains the token.
type Error struct {
	// Service is the kind of server ("model registry", "model catalog").
	Service string
	// BaseURL is the server's base URL.
	BaseURL string
	// Endpoint is the metrics name of the endpoint.
	Endpoint string
	// Path is the request path without the query.
	Path string
	// Outcome classifies the failure as it is counted in the metrics.
	Outcome Outcome
	// StatusCode is the HTTP status, 0 when no answer came.
	StatusCode int
	// Detail is the server's message or what was wrong with the answer.
	Detail string
	// Page is the 1-based page of a paged list, 0 for a single GET.
	Page int
	// Timeout is the per-request timeout that applied, 0 or less for none.
	Timeout time.Duration
	// Err is the underlying transport or decoding error, if any.
	Err error
}

func (e *Error) Error() string {
	where := fmt.Sprintf("%s %s: GET %s", e.Service, e.BaseURL, e.Path)
	if e.Page > 0 {
		where += fmt.Sprintf(" (page %d)", e.Page)
	}
	switch e.Outcome {
	case OutcomeHTTPError:
		msg := fmt.Sprintf("%s: HTTP %d", where, e.StatusCode)
		if e.Detail != "" {
			msg += ": " + e.Detail
		}
		if h := statusHint(e.StatusCode); h != "" {
			msg += " (" + h + ")"
		}
		return msg
	case OutcomeTimeout:
		within := "in time"
		if e.Timeout > 0 {
			within = "within " + e.Timeout.String()
		}
		return fmt.Sprintf("%s: no complete answer %s (check that the server is reachable from the connector's pod and healthy, or raise the timeout)", where, within)
	case OutcomeDecodeError:
		msg := where + ": " + e.Detail
		if e.Err == nil {
			return msg
		}
		return msg + ": " + e.Err.Error() + " (check that the URL points at the " + e.Service + " REST API)"
	default:
		msg := where
		if e.Detail != "" {
			msg += ": " + e.Detail
		}
		if e.Err != nil {
			msg += ": " + e.Err.Error()
		}
		var unknownCA x509.UnknownAuthorityError
		var hostname x509.HostnameError
		switch {
		case errors.As(e.Err, &unknownCA):
			msg += " (the server certificate is not signed by a trusted CA: give the connector the CA bundle that signed it)"
		case errors.As(e.Err, &hostname):
			msg += " (the server certificate does not name this host: use the host the certificate was issued for)"
		}
		return msg
	}
}

func (e *Error) Unwrap() error { return e.Err }

// NotFound says the server answered 404.
func (e *Error) NotFound() bool {
	return e.Outcome == OutcomeHTTPError && e.StatusCode == http.StatusNotFound
}

func statusHint(code int) string {
	switch {
	case code == http.StatusUnauthorized:
		return "the server rejected the bearer token: check the token the connector sends (KFMR_TOKEN or the service account token)"
	case code == http.StatusForbidden:
		return "the token lacks permission: bind the connector's service account to the registry's user role"
	case code == http.StatusNotFound:
		return "not found: check the URL and the name"
	case code >= 500:
		return "server-side failure: check the server's logs; the connector retries on the next sync"
	}
	return ""
}
