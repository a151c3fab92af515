package jsonclient

import (
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
