// Package locationclient is the Go client of the location service: its
// write API (what storage-rest forwards) and the read API RHDH uses.
package locationclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/internal/jsonhttp"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// DefaultURL is where location listens inside the pod (BRIDGE_URL).
const DefaultURL = "http://localhost:9090"

// StatusError is a non-2xx answer; Message is the service's JSON error.
type StatusError = jsonhttp.StatusError

// Client calls location.
type Client struct {
	c jsonhttp.Client
}

// Option configures a Client.
type Option func(*jsonhttp.Client)

// WithToken sends "Authorization: Bearer <token>".
func WithToken(token string) Option { return func(c *jsonhttp.Client) { c.Token = token } }

// WithHTTPClient replaces the default client (10s timeout).
func WithHTTPClient(h *http.Client) Option { return func(c *jsonhttp.Client) { c.HTTP = h } }

// New returns a client for the location service at baseURL.
func New(baseURL string, opts ...Option) *Client {
	c := &Client{c: jsonhttp.Client{Service: "location", Base: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Timeout: 10 * time.Second}}}
	for _, o := range opts {
		o(&c.c)
	}
	return c
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
