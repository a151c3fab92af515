package index

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// ErrInvalidRecord is wrapped by every error about a record's content; key
// errors wrap record.ErrInvalidKey instead.
var ErrInvalidRecord = errors.New("invalid record")

// maxCardKeyLength bounds the model card key (a query parameter value).
const maxCardKeyLength = 1024

// Validate reports why rec cannot be served under key in format f. A
// document that RHDH cannot parse would fail its whole poll, so such a
// record is refused rather than listed.
func Validate(f Format, key string, rec *record.Record) error {
	if err := record.ValidateKey(key); err != nil {
		return err
	}
	if len(rec.Body) == 0 {
		return fmt.Errorf("%w: record %q has an empty body: the normalizer must send the document in the record's body field", ErrInvalidRecord, key)
	}
	if f == JSONArray {
		if !json.Valid(rec.Body) || bytes.TrimSpace(rec.Body)[0] != '{' {
			return fmt.Errorf("%w: record %q: body is not a JSON object, as NORMALIZER_FORMAT=%s requires; if the normalizer writes %s, set NORMALIZER_FORMAT=%s on location too",
				ErrInvalidRecord, key, JSONArray, CatalogInfoYAML, CatalogInfoYAML)
		}
	}
	if len(rec.ModelCardKey) > maxCardKeyLength || !utf8.ValidString(rec.ModelCardKey) {
		return fmt.Errorf("%w: record %q: modelCardKey must be valid UTF-8 of at most %d bytes", ErrInvalidRecord, key, maxCardKeyLength)
	}
	return nil
}
