// Package locationclient is the Go client of the location service: its
// write API (what storage-rest forwards) and the read API RHDH uses.
package locationclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/jsonclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// DefaultURL is where location listens inside the pod (BRIDGE_URL).
const DefaultURL = "http://localhost:9090"

// StatusError is a non-2xx answer; Message is the service's JSON error.
type StatusError = jsonclient.StatusError

// Client calls location.
type Client struct {
	c *jsonclient.Client
}

// Option configures a Client.
type Option func(*jsonclient.Options)

// WithToken sends "Authorization: Bearer <token>".
func WithToken(token string) Option { return func(o *jsonclient.Options) { o.Token = token } }

// WithHTTPClient replaces the default client (10s timeout); nil keeps it.
func WithHTTPClient(h *http.Client) Option {
	return func(o *jsonclient.Options) {
		if h != nil {
			o.HTTPClient = h
		}
	}
}

// New returns a client for the location service at baseURL.
func New(baseURL string, opts ...Option) *Client {
	// The http.Client's Timeout bounds each request (WithHTTPClient
	// replaces it) and answers are read whole.
	o := jsonclient.Options{
		HTTPClient:   &http.Client{Timeout: 10 * time.Second},
		Timeout:      jsonclient.NoTimeout,
		MaxBodyBytes: jsonclient.NoBodyLimit,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return &Client{c: jsonclient.New("location", baseURL, o)}
}

// Upsert hands location the current record of key.
func (c *Client) Upsert(ctx context.Context, key string, rec *record.Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encoding record %s: %w", key, err)
	}
	return c.c.Do(ctx, http.MethodPost, "/upsert?"+url.Values{"key": {key}}.Encode(), b, nil)
}

// BatchItem is one record of POST /upsertbatch: the key POST /upsert takes
// in its query and the record it takes as its body.
type BatchItem struct {
	Key    string         `json:"key"`
	Record *record.Record `json:"record"`
}

// BatchResult is location's answer for one item of a batch: Status (and
// Message for an ignored write) as POST /upsert answers, or Code and Error
// when location refused the item, Code being the HTTP status POST /upsert
// would have answered for that record alone.
type BatchResult struct {
	Key     string `json:"key"`
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	Code    int    `json:"code,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Err is the item's refusal as an *ItemError, nil when location took it.
func (r *BatchResult) Err() error {
	if r.Code == 0 && r.Error == "" {
		return nil
	}
	return &ItemError{Key: r.Key, Code: r.Code, Message: r.Error}
}

// ItemError is location's refusal of one item of a batch. StatusCode is
// what POST /upsert would have answered for it alone, so callers classify
// it as they classify a StatusError.
type ItemError struct {
	Key     string
	Code    int
	Message string
}

func (e *ItemError) Error() string {
	return fmt.Sprintf("location refused record %s: HTTP %d: %s", e.Key, e.Code, e.Message)
}

// StatusCode is the HTTP status of the refusal.
func (e *ItemError) StatusCode() int { return e.Code }

// ErrBatchNotSupported is returned by UpsertBatch when location has no
// POST /upsertbatch (a location older than storage-rest): send the records
// one by one with Upsert instead.
var ErrBatchNotSupported = errors.New("location has no batch API (POST /upsertbatch)")

// IsNotSupported reports whether err says location lacks the batch API.
func IsNotSupported(err error) bool { return errors.Is(err, ErrBatchNotSupported) }

// UpsertBatch hands location several records with one request (POST
// /upsertbatch), an item's result at its index. The error is for the
// request as a whole (nothing is known of any item): a *StatusError, a
// transport error, or ErrBatchNotSupported (wrapping the 404 or 405 of a
// location without the route, whose catch-all GET route answers 405 to a
// POST).
func (c *Client) UpsertBatch(ctx context.Context, items []BatchItem) ([]BatchResult, error) {
	b, err := json.Marshal(struct {
		Items []BatchItem `json:"items"`
	}{items})
	if err != nil {
		return nil, fmt.Errorf("encoding a batch of %d records: %w", len(items), err)
	}
	var res struct {
		Results []BatchResult `json:"results"`
	}
	if err := c.c.Do(ctx, http.MethodPost, "/upsertbatch", b, &res); err != nil {
		var se *StatusError
		if errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusMethodNotAllowed) {
			return nil, fmt.Errorf("%w: %w", ErrBatchNotSupported, err)
		}
		return nil, err
	}
	if len(res.Results) != len(items) {
		return nil, fmt.Errorf("location answered %d results for a batch of %d records", len(res.Results), len(items))
	}
	return res.Results, nil
}

// Remove tells location that key is gone.
func (c *Client) Remove(ctx context.Context, key string) error {
	return c.c.Do(ctx, http.MethodDelete, "/remove?"+url.Values{"key": {key}}.Encode(), nil, nil)
}

// List returns the URIs location serves, as RHDH sees them.
func (c *Client) List(ctx context.Context) ([]string, error) {
	var res record.URIList
	if err := c.c.Do(ctx, http.MethodGet, "/list", nil, &res); err != nil {
		return nil, err
	}
	return res.URIs, nil
}
