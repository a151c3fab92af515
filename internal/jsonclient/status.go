package jsonclient

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// StatusError is a non-2xx answer from one of our own services (Do);
// Message is the service's JSON error.
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

// maxStatusMessage caps StatusError.Message.
const maxStatusMessage = 512

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

// statusMessage is our services' {"error": ...}, else the trimmed body.
func statusMessage(data []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(data))
	if json.Unmarshal(data, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	if len(msg) > maxStatusMessage {
		msg = msg[:maxStatusMessage] + "..."
	}
	return msg
}
