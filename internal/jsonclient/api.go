package jsonclient

import (
	"net/http"
	"time"

	"github.com/go-logr/logr"
)

// APIOptions configure a client of one of the RHOAI REST APIs that Get and
// ListAll read (a model registry, the model catalog): how to reach it, what
// to count, and the page size of its lists.
type APIOptions struct {
	// Token is sent as a bearer token (KFMR_TOKEN, else the service account
	// token). It never appears in errors or logs.
	Token string
	// CAPEM is a PEM CA bundle trusted in addition to the system roots.
	CAPEM []byte
	// InsecureSkipTLSVerify turns TLS verification off; explicit only.
	InsecureSkipTLSVerify bool
	// Timeout bounds each request; DefaultTimeout when zero or negative:
	// unlike Options.Timeout, these APIs are never read without one.
	Timeout time.Duration
	// PageSize is the list page size; ClampPageSize applies.
	PageSize int
	// HTTPClient replaces the client built from CAPEM/InsecureSkipTLSVerify.
	HTTPClient *http.Client
	// Metrics counts requests by endpoint and outcome; nil for none.
	Metrics Metrics
	// Logger receives a debug line (V(1)) per request.
	Logger logr.Logger
}

// NewAPI returns a client for the API at baseURL, service naming it in
// errors (see New), and the page size its lists are to use.
func NewAPI(service, baseURL string, opts APIOptions) (c *Client, pageSize int) {
	return New(service, baseURL, Options{
		Token:                 opts.Token,
		CAPEM:                 opts.CAPEM,
		InsecureSkipTLSVerify: opts.InsecureSkipTLSVerify,
		Timeout:               max(opts.Timeout, 0), // negative means the default here, as zero does
		HTTPClient:            opts.HTTPClient,
		Metrics:               opts.Metrics,
		Logger:                opts.Logger,
	}), ClampPageSize(opts.PageSize)
}
