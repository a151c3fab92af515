// Package locationclient is the Go client of the location service: its
// write API (what storage-rest forwards) and the read API RHDH uses.
package locationclient

import (
	"context"
	"encoding/json"
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
