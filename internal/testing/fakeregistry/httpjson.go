package fakeregistry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/kubeflow/model-registry/pkg/openapi"
)

// maxBodyBytes bounds request bodies; registry objects are small.
const maxBodyBytes = 4 << 20

const contentTypeJSON = "application/json"

// listResponse is the envelope every list endpoint of both specs uses
// (BaseResourceList plus items); its JSON equals the generated *List types.
type listResponse[T any] struct {
	NextPageToken string `json:"nextPageToken"`
	PageSize      int32  `json:"pageSize"`
	Size          int32  `json:"size"`
	Items         []T    `json:"items"`
}

func newList[T any](items []T, pageSize int, next string) listResponse[T] {
	if items == nil {
		items = []T{}
	}
	return listResponse[T]{NextPageToken: next, PageSize: int32(pageSize), Size: int32(len(items)), Items: items}
}

// writeJSON encodes v before writing anything, so an encoding failure still
// produces a well-formed 500 instead of a truncated 200.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("encoding the response failed: %v", err))
		return
	}
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError writes the spec's Error schema: code is the status text, as the
// upstream server does, message says what to fix.
func writeError(w http.ResponseWriter, status int, msg string) {
	body, _ := json.Marshal(openapi.Error{Code: http.StatusText(status), Message: msg})
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeErr(w http.ResponseWriter, err error) {
	writeError(w, statusOf(err), err.Error())
}

// decodeStrict decodes exactly one JSON value into dst and rejects fields
// the target schema does not have, as the upstream server does.
func decodeStrict(r *http.Request, dst any) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, invalidf("reading the request body failed: %v", err)
	}
	if len(raw) > maxBodyBytes {
		return nil, invalidf("request body is larger than %d bytes", maxBodyBytes)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, invalidf("request body is empty: send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return nil, invalidf("request body is not a valid object for this endpoint: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalidf("request body must hold exactly one JSON object")
	}
	return raw, nil
}

// convert copies the fields src and dst share by their JSON names (the
// generated Create/Update types are subsets of the full types).
func convert[D any](src any) (D, error) {
	var dst D
	b, err := json.Marshal(src)
	if err != nil {
		return dst, fmt.Errorf("encoding %T: %w", src, err)
	}
	if err := json.Unmarshal(b, &dst); err != nil {
		return dst, fmt.Errorf("decoding into %T: %w", dst, err)
	}
	return dst, nil
}
