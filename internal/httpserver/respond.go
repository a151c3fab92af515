package httpserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error string `json:"error"`
}

// Status is the body of /healthz and /readyz when all is well, on all
// three binaries.
type Status struct {
	Status string `json:"status"`
}

// StatusOK is {"status":"ok"}.
var StatusOK = Status{Status: "ok"}

// Marshal encodes v as JSON without HTML escaping: messages and documents
// are read by people and programs, not embedded in HTML, so "<token>"
// stays "<token>" rather than "\u003ctoken\u003e".
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := Marshal(v)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "encoding response: %v", err)
		return
	}
	WriteRawJSON(w, status, b)
}

// WriteRawJSON writes an already encoded JSON body.
func WriteRawJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// WriteError writes {"error": "..."} with the given status.
func WriteError(w http.ResponseWriter, status int, format string, args ...any) {
	WriteRawJSON(w, status, errorJSON(format, args...))
}

func errorJSON(format string, args ...any) []byte {
	b, _ := Marshal(ErrorBody{Error: fmt.Sprintf(format, args...)})
	return b
}
