package index

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
	"unsafe"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// MarkdownContentType is what model cards are served as.
const MarkdownContentType = "text/markdown; charset=utf-8"

// Representation is a body ready to serve: its strong ETag and header
// values are computed once, when the snapshot holding it is built.
type Representation struct {
	Body []byte
	// ETag is the quoted, strong entity tag: a hash of Body.
	ETag string
	// Header values shared, read-only, by every response (a one-element
	// slice whose capacity is its length, so Header.Add cannot write into it).
	contentType, contentLength, etag []string
}

func newRepresentation(body []byte, contentType string) Representation {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	return Representation{
		Body:          body,
		ETag:          etag,
		contentType:   []string{contentType},
		contentLength: []string{strconv.Itoa(len(body))},
		etag:          []string{etag},
	}
}

// SetHeaders sets Content-Type, Content-Length and ETag without allocating.
func (r *Representation) SetHeaders(h http.Header) {
	h["Content-Type"] = r.contentType
	h["Content-Length"] = r.contentLength
	h["Etag"] = r.etag
}

// SetETag sets only the ETag, as a 304 answer carries it without a body.
func (r *Representation) SetETag(h http.Header) {
	h["Etag"] = r.etag
}

// Document is one record as served at its URI.
type Document struct {
	Key string
	URI string
	Representation
	rec record.Record
	// ents is what the record's catalog-info YAML URI serves.
	ents *entities
	// expires is set on a removed document that is still served, unlisted,
	// so that a reader who listed it just before the removal gets it.
	expires time.Time
}

// Card is a model card as served at /modelcard?key=Key.
type Card struct {
	Key string
	Representation
}

// stringBytes is s's own bytes, not a copy: a model card is served from
// the memory of the record that holds it instead of a second copy (at
// 10,000 records with cards of 2 KiB, 7 MiB less, twice that at the
// collector's peak). Safe because a Representation's Body is never
// written to, only sent.
func stringBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
