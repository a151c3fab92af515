// Package httpjson is the read side shared by the model registry and model
// catalog clients: GET a JSON document from an RHOAI REST API with a bearer
// token, TLS verified against the system roots plus an optional CA bundle,
// a per-request timeout, request metrics and errors that name the server and
// endpoint but never the token. It also pages through the list endpoints both
// APIs share (pageSize / nextPageToken).
package httpjson

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-logr/logr"
)

// DefaultTimeout bounds one request (connect, headers and body) when
// Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// DefaultMaxBodyBytes caps one response body. A page of 100 registry entities
// or one catalog model card is far below it; anything larger is a
// misconfigured URL (or a hostile server), not data we want in memory.
const DefaultMaxBodyBytes = 64 << 20

// Options configure a Client.
type Options struct {
	// Token is sent as "Authorization: Bearer <Token>" when not empty.
	Token string
	// CAPEM is a PEM bundle trusted in addition to the system roots.
	CAPEM []byte
	// InsecureSkipTLSVerify turns TLS verification off; only an explicit
	// setting may do so, never a missing CA.
	InsecureSkipTLSVerify bool
	// Timeout bounds each request; DefaultTimeout when zero.
	Timeout time.Duration
	// HTTPClient replaces the client built from CAPEM and
	// InsecureSkipTLSVerify (tests, or a caller-managed transport).
	HTTPClient *http.Client
	// Metrics counts requests by endpoint and outcome; nil counts nothing.
	Metrics Metrics
	// Logger receives debug lines (V(1)) per request.
	Logger logr.Logger
	// MaxBodyBytes caps a response body; DefaultMaxBodyBytes when zero.
	MaxBodyBytes int64
}

// Client GETs JSON from one server.
type Client struct {
	service string
	base    string
	http    *http.Client
	token   string
	timeout time.Duration
	metrics Metrics
	log     logr.Logger
	maxBody int64
	// initErr is a configuration problem found by New (bad URL, CA bundle
	// without a certificate); every request returns it so that it cannot
	// be missed and TLS is never silently weakened.
	initErr error
}

// New returns a client for baseURL (scheme://host[:port][/prefix]); service
// names the kind of server in errors ("model registry", "model catalog").
// Configuration errors are reported by every request rather than here so
// that a constructor can be used in wiring code without error plumbing.
func New(service, baseURL string, opts Options) *Client {
	c := &Client{
		service: service,
		base:    strings.TrimRight(strings.TrimSpace(baseURL), "/"),
		token:   opts.Token,
		timeout: opts.Timeout,
		metrics: opts.Metrics,
		log:     opts.Logger,
		maxBody: opts.MaxBodyBytes,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBodyBytes
	}
	if c.metrics == nil {
		c.metrics = nopMetrics{}
	}
	if err := checkBaseURL(c.base); err != nil {
		c.initErr = fmt.Errorf("%s URL %q: %w", service, c.base, err)
		return c
	}
	if opts.HTTPClient != nil {
		c.http = opts.HTTPClient
		return c
	}
	hc, err := newHTTPClient(opts)
	if err != nil {
		c.initErr = fmt.Errorf("%s %s: %w", service, c.base, err)
		return c
	}
	c.http = hc
	return c
}

// BaseURL is the server's base URL without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

func checkBaseURL(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("scheme must be http or https (for example http://127.0.0.1:8080)")
	}
	if u.Host == "" {
		return errors.New("no host")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("a base URL takes no query or fragment")
	}
	if u.User != nil {
		return errors.New("credentials in the URL are not supported: use the token")
	}
	return nil
}

func newHTTPClient(opts Options) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case opts.InsecureSkipTLSVerify:
		cfg.InsecureSkipVerify = true // explicit opt-in only
	case len(opts.CAPEM) > 0:
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(opts.CAPEM) {
			return nil, errors.New("the CA bundle holds no PEM certificate: fix the CA (ca.crt) given to the connector")
		}
		cfg.RootCAs = pool
	}
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr}, nil
}

// Get fetches path (which starts with "/") with query and decodes the 2xx
// JSON answer into out. endpoint is the low-cardinality name used for
// metrics and errors ("registered_models", "sources/{source_id}/models/...").
func (c *Client) Get(ctx context.Context, endpoint, path string, query url.Values, out any) error {
	if c.initErr != nil {
		return c.initErr
	}
	start := time.Now()
	outcome, err := c.get(ctx, endpoint, path, query, out)
	c.metrics.ObserveRequest(endpoint, outcome)
	c.log.V(1).Info("GET", "service", c.service, "url", c.base, "path", path,
		"endpoint", endpoint, "outcome", outcome, "duration", time.Since(start))
	return err
}

func (c *Client) get(ctx context.Context, endpoint, path string, query url.Values, out any) (Outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return OutcomeTransportError, c.fail(endpoint, path, OutcomeTransportError, 0, "building the request", err)
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		o := classify(err)
		return o, c.fail(endpoint, path, o, 0, "", err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
	}()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		o := classify(err)
		return o, c.fail(endpoint, path, o, resp.StatusCode, "reading the response body", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return OutcomeHTTPError, c.fail(endpoint, path, OutcomeHTTPError, resp.StatusCode, errorMessage(data), nil)
	}
	if int64(len(data)) > c.maxBody {
		return OutcomeDecodeError, c.fail(endpoint, path, OutcomeDecodeError, resp.StatusCode,
			fmt.Sprintf("response larger than %d bytes", c.maxBody), nil)
	}
	if out == nil {
		return OutcomeOK, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return OutcomeDecodeError, c.fail(endpoint, path, OutcomeDecodeError, resp.StatusCode,
			"the response is not the expected JSON ("+snippet(data)+")", err)
	}
	return OutcomeOK, nil
}

// DecodeError reports a 2xx answer whose JSON is well-formed but does not
// have the shape the API promises; callers that validate beyond
// json.Unmarshal use it so the error reads like the others.
func (c *Client) DecodeError(endpoint, path, detail string) error {
	return c.fail(endpoint, path, OutcomeDecodeError, http.StatusOK, detail, nil)
}

func (c *Client) fail(endpoint, path string, o Outcome, status int, detail string, err error) *Error {
	return &Error{
		Service:    c.service,
		BaseURL:    c.base,
		Endpoint:   endpoint,
		Path:       path,
		Outcome:    o,
		StatusCode: status,
		Detail:     c.redact(detail),
		Timeout:    c.timeout,
		Err:        err,
	}
}

// redact removes the token from text that came from the server: a proxy
// that echoes request headers must not leak it into logs.
func (c *Client) redact(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "[REDACTED]")
}

func classify(err error) Outcome {
	if errors.Is(err, context.DeadlineExceeded) {
		return OutcomeTimeout
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return OutcomeTimeout
	}
	return OutcomeTransportError
}

// errorMessage extracts the server's message: the registry and catalog
// answer {"code": ..., "message": ...}; our own services {"error": ...}.
func errorMessage(data []byte) string {
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(data, &e) == nil {
		switch {
		case e.Message != "":
			return truncate(e.Message)
		case e.Error != "":
			return truncate(e.Error)
		}
	}
	return snippet(data)
}

func snippet(data []byte) string {
	s := strings.Join(strings.Fields(string(data)), " ")
	if s == "" {
		return "empty body"
	}
	return truncate(s)
}

func truncate(s string) string {
	const maxLen = 300
	if len(s) > maxLen {
		return s[:maxLen] + "..."
	}
	return s
}
