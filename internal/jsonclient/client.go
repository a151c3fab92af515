// Package jsonclient is the one HTTP client helper of the connector: it
// sends a request to a JSON-over-HTTP API and decodes the JSON answer, with
// an optional bearer token, TLS verified against the system roots plus an
// optional CA bundle, a per-request timeout, a cap on the answer's size and
// errors that name the server but never the token.
//
// It has two entry points, one per kind of server:
//
//   - Get reads the RHOAI REST APIs (model registry, model catalog; used by
//     internal/registryclient and internal/catalogclient): GET only, counted
//     per endpoint and outcome in Metrics, failures as *Error with a hint
//     for the platform engineer. ListAll pages through their list
//     endpoints (pageSize / nextPageToken).
//   - Do calls the connector's own services (storage-rest, location; used
//     by pkg/storageclient and pkg/locationclient): any method with an
//     optional JSON body, a non-2xx answer as *StatusError.
//
// It lives in internal/ at the module root rather than in pkg/internal/ so
// that both internal/ and pkg/ may import it (Go only lets code under pkg/
// import pkg/internal/). It imports nothing beyond the standard library and
// logr, so programs that import pkg/storageclient stay light; the Prometheus
// adapter for Metrics is the subpackage prommetrics.
package jsonclient

import (
	"bytes"
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

// NoTimeout as Options.Timeout sets no per-request deadline: the caller's
// context and the http.Client's own Timeout are the only bounds.
const NoTimeout time.Duration = -1

// DefaultMaxBodyBytes caps one response body. A page of 100 registry entities
// or one catalog model card is far below it; anything larger is a
// misconfigured URL (or a hostile server), not data we want in memory.
const DefaultMaxBodyBytes = 64 << 20

// NoBodyLimit as Options.MaxBodyBytes reads answers of any size (our own
// services, whose record sets grow with the number of models).
const NoBodyLimit int64 = -1

// Options configure a Client.
type Options struct {
	// Token is sent as "Authorization: Bearer <Token>" when not empty.
	Token string
	// CAPEM is a PEM bundle trusted in addition to the system roots.
	CAPEM []byte
	// InsecureSkipTLSVerify turns TLS verification off; only an explicit
	// setting may do so, never a missing CA.
	InsecureSkipTLSVerify bool
	// Timeout bounds each request, the reading of the answer included;
	// DefaultTimeout when zero, none when negative (NoTimeout).
	Timeout time.Duration
	// HTTPClient replaces the client built from CAPEM and
	// InsecureSkipTLSVerify (tests, or a caller-managed transport).
	HTTPClient *http.Client
	// Metrics counts Get requests by endpoint and outcome; nil counts
	// nothing.
	Metrics Metrics
	// Logger receives a debug line (V(1)) per Get request.
	Logger logr.Logger
	// MaxBodyBytes caps a response body; DefaultMaxBodyBytes when zero,
	// no cap when negative (NoBodyLimit).
	MaxBodyBytes int64
}

// Client sends JSON requests to one server. It is safe for concurrent use.
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
// names the kind of server in errors ("model registry", "model catalog",
// "storage-rest", "location").
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
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody == 0 {
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
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	ans, f := c.exchange(ctx, http.MethodGet, target, nil, true)
	if f != nil {
		return f.outcome, c.fail(endpoint, path, f.outcome, f.status, f.step, f.err)
	}
	if ans.status < 200 || ans.status > 299 {
		return OutcomeHTTPError, c.fail(endpoint, path, OutcomeHTTPError, ans.status, errorMessage(ans.data), nil)
	}
	if ans.tooLarge {
		return OutcomeDecodeError, c.fail(endpoint, path, OutcomeDecodeError, ans.status,
			fmt.Sprintf("response larger than %d bytes", c.maxBody), nil)
	}
	if out == nil {
		return OutcomeOK, nil
	}
	var err error
	if d, ok := out.(rawDecoder); ok {
		err = d.decodeRaw(ans.data)
	} else {
		err = json.Unmarshal(ans.data, out)
	}
	if err != nil {
		return OutcomeDecodeError, c.fail(endpoint, path, OutcomeDecodeError, ans.status,
			"the response is not the expected JSON ("+snippet(ans.data)+")", err)
	}
	return OutcomeOK, nil
}

// rawDecoder is a destination that decodes the response bytes itself
// (a list page, which may skip decoding bytes it has seen).
type rawDecoder interface {
	decodeRaw(data []byte) error
}

// answer is a response read within the body cap.
type answer struct {
	status int
	data   []byte
	// tooLarge says the body exceeded the cap; data holds its first
	// maxBody+1 bytes.
	tooLarge bool
}

// The steps of a failure other than sending the request.
const (
	stepBuild = "building the request"
	stepRead  = "reading the response body"
)

// failure is a request that brought no complete answer.
type failure struct {
	outcome Outcome
	status  int    // the HTTP status when headers came, else 0
	step    string // what failed when it was not sending the request
	err     error
}

// exchange sends one request (body nil for none, sent as JSON otherwise)
// and reads the answer, both within the per-request timeout.
func (c *Client) exchange(ctx context.Context, method, target string, body []byte, acceptJSON bool) (*answer, *failure) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := c.newRequest(ctx, method, target, body, acceptJSON)
	if err != nil {
		return nil, &failure{outcome: OutcomeTransportError, step: stepBuild, err: err}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &failure{outcome: classify(err), err: err}
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
	}()
	var r io.Reader = resp.Body
	if c.maxBody > 0 {
		r = io.LimitReader(resp.Body, c.maxBody+1)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &failure{outcome: classify(err), status: resp.StatusCode, step: stepRead, err: err}
	}
	return &answer{
		status:   resp.StatusCode,
		data:     data,
		tooLarge: c.maxBody > 0 && int64(len(data)) > c.maxBody,
	}, nil
}

func (c *Client) newRequest(ctx context.Context, method, target string, body []byte, acceptJSON bool) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, err
	}
	if acceptJSON {
		req.Header.Set("Accept", "application/json")
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
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

// Stream is Do for a GET whose answer is read as it arrives: decode gets
// the body of a 2xx answer, so that an answer of every record need not be
// held whole beside what is decoded from it. Errors are Do's; an error
// decode returns is wrapped as a decoding error. The per-request timeout
// bounds the whole exchange, decode included.
func (c *Client) Stream(ctx context.Context, path string, decode func(io.Reader) error) error {
	if c.initErr != nil {
		return c.initErr
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := c.newRequest(ctx, http.MethodGet, c.base+path, nil, true)
	if err != nil {
		return fmt.Errorf("building request GET %s: %w", path, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s at %s: %w", c.service, c.base, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return &StatusError{Method: http.MethodGet, URL: c.base + path, Code: resp.StatusCode, Message: c.redact(statusMessage(data))}
	}
	var r io.Reader = resp.Body
	if c.maxBody > 0 {
		r = io.LimitReader(resp.Body, c.maxBody)
	}
	if err := decode(r); err != nil {
		return fmt.Errorf("decoding %s answer to GET %s: %w", c.service, path, err)
	}
	return nil
}

// Do sends method to path (which starts with "/" and may carry a query)
// with body as JSON (nil for none) and decodes a 2xx answer into out (nil to
// discard it). A non-2xx answer is a *StatusError whose Message is the
// service's {"error": ...} or else the body; other failures are wrapped
// errors naming the service. Do is not counted in Metrics.
func (c *Client) Do(ctx context.Context, method, path string, body []byte, out any) error {
	if c.initErr != nil {
		return c.initErr
	}
	ans, f := c.exchange(ctx, method, c.base+path, body, false)
	if f != nil {
		switch f.step {
		case "":
			return fmt.Errorf("%s at %s: %w", c.service, c.base, f.err)
		case stepBuild:
			return fmt.Errorf("building request %s %s: %w", method, path, f.err)
		default:
			return fmt.Errorf("reading %s answer to %s %s: %w", c.service, method, path, f.err)
		}
	}
	if ans.status < 200 || ans.status > 299 {
		return &StatusError{Method: method, URL: c.base + path, Code: ans.status, Message: c.redact(statusMessage(ans.data))}
	}
	if ans.tooLarge {
		return fmt.Errorf("reading %s answer to %s %s: response larger than %d bytes", c.service, method, path, c.maxBody)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(ans.data, out); err != nil {
		return fmt.Errorf("decoding %s answer to %s %s: %w", c.service, method, path, err)
	}
	return nil
}
