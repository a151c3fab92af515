// Package jsonhttp is the JSON-over-HTTP request logic the clients of our
// own services share.
package jsonhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Client sends JSON requests to one service.
type Client struct {
	// Service names the service in errors ("storage-rest", "location").
	Service string
	Base    string
	HTTP    *http.Client
	Token   string
}

// StatusError is a non-2xx answer; Message is the service's JSON error.
type StatusError struct {
	Method, URL string
	Code        int
	Message     string
}

// StatusCode is the HTTP status, for callers that classify errors without
// importing this package.
func (e *StatusError) StatusCode() int { return e.Code }

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.URL, e.Code, e.Message)
}

// Do sends body (nil for none) and decodes a 2xx answer into out (nil to
// discard it).
func (c *Client) Do(ctx context.Context, method, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return fmt.Errorf("building request %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s at %s: %w", c.Service, c.Base, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("reading %s answer to %s %s: %w", c.Service, method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		if len(msg) > 512 {
			msg = msg[:512] + "..."
		}
		return &StatusError{Method: method, URL: c.Base + path, Code: resp.StatusCode, Message: msg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decoding %s answer to %s %s: %w", c.Service, method, path, err)
	}
	return nil
}
