package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrInvalidRecord is wrapped by every error about a record's content; key
// errors wrap ErrInvalidKey instead.
var ErrInvalidRecord = errors.New("invalid record")

// Validate reports why rec cannot be stored and served under key, where
// file (FileJSON or FileYAML) says which document format the body holds.
// storage-rest refuses what it reports and location refuses to serve it:
// one rule, so that nothing is stored that RHDH would never see.
func Validate(key, file string, rec *Record) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if len(bytes.TrimSpace(rec.Body)) == 0 {
		return fmt.Errorf("%w: record %q has an empty body: it must hold the model-catalog document", ErrInvalidRecord, key)
	}
	if file == FileJSON {
		// RHDH parses each document as a JSON object; anything else fails
		// its whole poll.
		if !json.Valid(rec.Body) || bytes.TrimSpace(rec.Body)[0] != '{' {
			return fmt.Errorf("%w: record %q: body is not a JSON object, as the JSON document format (NORMALIZER_FORMAT=JsonArrayFormat) requires; a normalizer that writes catalog-info YAML needs NORMALIZER_FORMAT=CatalogInfoYamlFormat on every sidecar",
				ErrInvalidRecord, key)
		}
	}
	if rec.ModelCardKey != "" {
		if err := ValidateKey(rec.ModelCardKey); err != nil {
			return fmt.Errorf("%w: record %q: modelCardKey: %w", ErrInvalidRecord, key, err)
		}
	}
	return nil
}
