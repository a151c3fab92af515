package index

import (
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// ErrInvalidRecord is wrapped by every error about a record's content; key
// errors wrap record.ErrInvalidKey instead.
var ErrInvalidRecord = record.ErrInvalidRecord

// Validate reports why rec cannot be served under key in format f: the
// rule storage-rest applies before it stores a record (record.Validate). A
// document that RHDH cannot parse would fail its whole poll, so such a
// record is refused rather than listed.
func Validate(f record.Format, key string, rec *record.Record) error {
	return record.Validate(key, f.File(), rec)
}
