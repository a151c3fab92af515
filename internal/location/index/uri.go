package index

import (
	"strings"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// uriOf is prefix followed by record.URI(key, file), for a key already
// validated, built in one allocation: URIs are computed when asked for
// rather than stored, and the root Location computes one per record.
func uriOf(prefix, key, file string) string {
	var b strings.Builder
	b.Grow(len(prefix) + 1 + len(key) + 1 + len(file))
	b.WriteString(prefix)
	b.WriteByte('/')
	for {
		seg, rest, more := strings.Cut(key, record.SegmentSeparator)
		b.WriteString(seg)
		b.WriteByte('/')
		if !more {
			break
		}
		key = rest
	}
	b.WriteString(file)
	return b.String()
}

// isURIOf reports whether uri, with or without its leading slash, is
// exactly record.URI(key, file), without building it: a document is
// served at its own URI only, whatever else a parser might map to its key.
func isURIOf(uri, key, file string) bool {
	uri = strings.TrimPrefix(uri, "/")
	for {
		seg, rest, more := strings.Cut(key, record.SegmentSeparator)
		if len(uri) <= len(seg) || uri[:len(seg)] != seg || uri[len(seg)] != '/' {
			return false
		}
		uri = uri[len(seg)+1:]
		if !more {
			return uri == file
		}
		key = rest
	}
}

// appendKey appends to b the key that uri, with or without its leading
// slash and ending in /file, names if it is a key's URI; it reports false
// when uri cannot be one, from its shape or its length. isURIOf then
// checks the key found.
func appendKey(b []byte, uri, file string) ([]byte, bool) {
	dir, ok := strings.CutSuffix(strings.TrimPrefix(uri, "/"), file)
	if !ok || len(dir) < 2 || dir[len(dir)-1] != '/' {
		return b, false
	}
	dir = dir[:len(dir)-1]
	for {
		seg, rest, more := strings.Cut(dir, "/")
		if len(b)+len(seg) > record.MaxKeyLength {
			return b, false
		}
		b = append(b, seg...)
		if !more {
			return b, true
		}
		b = append(b, record.SegmentSeparator...)
		dir = rest
	}
}
