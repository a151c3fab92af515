package index

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"unsafe"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// MarkdownContentType is what model cards are served as.
const MarkdownContentType = "text/markdown; charset=utf-8"

// Content-Type header values, one per media type served, shared read-only
// by every representation of that type instead of one slice per body.
var (
	jsonType     = [1]string{record.MediaTypeJSON}
	yamlType     = [1]string{record.MediaTypeYAML}
	markdownType = [1]string{MarkdownContentType}
)

// formatType is the Content-Type of documents in format f.
func formatType(f record.Format) *[1]string {
	if f.MediaType() == record.MediaTypeYAML {
		return &yamlType
	}
	return &jsonType
}

// Representation is a body ready to serve: its strong ETag and header
// values are computed once, when the snapshot holding it is built. It is
// never modified afterwards, which is what lets SetHeaders hand out its
// fields as header values (a copy hands out its own).
type Representation struct {
	Body []byte
	// ETag is the quoted, strong entity tag: a hash of Body.
	ETag          string
	contentLength [1]string
	contentType   *[1]string
}

func newRepresentation(body []byte, contentType *[1]string) Representation {
	sum := sha256.Sum256(body)
	// Content-Length and ETag share one allocation: at 90,000 records each
	// header value allocated alone costs about a MiB.
	var buf [20 + 2 + 2*16]byte
	b := strconv.AppendInt(buf[:0], int64(len(body)), 10)
	n := len(b)
	b = append(b, '"')
	b = hex.AppendEncode(b, sum[:16])
	b = append(b, '"')
	s := string(b)
	return Representation{Body: body, ETag: s[n:], contentLength: [1]string{s[:n]}, contentType: contentType}
}

// SetHeaders sets Content-Type, Content-Length and ETag without allocating.
// The values are one-element slices of r's own fields, whose capacity is
// their length, so Header.Add cannot write into r.
func (r *Representation) SetHeaders(h http.Header) {
	h["Content-Type"] = r.contentType[:]
	h["Content-Length"] = r.contentLength[:]
	r.SetETag(h)
}

// SetETag sets only the ETag, as a 304 answer carries it without a body.
func (r *Representation) SetETag(h http.Header) {
	// The ETag field itself as the header value, rather than a second
	// string header per representation.
	h["Etag"] = unsafe.Slice(&r.ETag, 1)
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
