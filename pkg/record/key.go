package record

import (
	"errors"
	"fmt"
	"strings"
)

// A key names one record. It is also a ConfigMap binaryData key and maps one
// to one onto the URI that location lists:
//
//	key  mnist__v1.2          <->  /mnist/v1.2/model-catalog.json
//	key  granite-8b           <->  /granite-8b/model-catalog.json
//
// A key is one or more segments joined by "__". Each segment is a Backstage
// entity name: runs of [A-Za-z0-9] separated by exactly one of "-", "_" or
// ".". A segment therefore never holds "__" nor starts or ends with "_", so
// splitting on "__" is unambiguous even when names hold "_", "-" or ".", and
// no segment can be "." or "..".

// SegmentSeparator joins the segments of a key.
const SegmentSeparator = "__"

// MaxKeyLength is the longest key: a ConfigMap key is at most 253 characters.
const MaxKeyLength = 253

// Document file names at the end of a URI, one per output format.
const (
	FileJSON = "model-catalog.json"
	FileYAML = "catalog-info.yaml"
)

// ErrInvalidKey is wrapped by every key validation error.
var ErrInvalidKey = errors.New("invalid key")

// ValidSegment reports whether s is a valid key segment (a Backstage entity
// name's character rules, without the length limit).
func ValidSegment(s string) bool {
	if s == "" {
		return false
	}
	prevSep := true // no separator at the start
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			prevSep = false
		case c == '-' || c == '_' || c == '.':
			if prevSep {
				return false
			}
			prevSep = true
		default:
			return false
		}
	}
	return !prevSep
}

// ValidateKey returns nil when key is a valid record key, else an error that
// says what is wrong with it.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: key is empty", ErrInvalidKey)
	}
	if len(key) > MaxKeyLength {
		return fmt.Errorf("%w: key is %d characters, at most %d allowed", ErrInvalidKey, len(key), MaxKeyLength)
	}
	for _, seg := range strings.Split(key, SegmentSeparator) {
		if !ValidSegment(seg) {
			return fmt.Errorf("%w: %q: segments joined by %q must each be letters and digits separated by single '-', '_' or '.' (no '/', no '..', no spaces)",
				ErrInvalidKey, key, SegmentSeparator)
		}
	}
	return nil
}

// KeyFromSegments builds a key from its segments (for example model and
// version names that are already valid Backstage names).
func KeyFromSegments(segments ...string) (string, error) {
	key := strings.Join(segments, SegmentSeparator)
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	return key, nil
}

// Segments splits a valid key into its segments.
func Segments(key string) ([]string, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	return strings.Split(key, SegmentSeparator), nil
}

// URI is the path location lists for key, ending in file (FileJSON or
// FileYAML).
func URI(key, file string) (string, error) {
	segs, err := Segments(key)
	if err != nil {
		return "", err
	}
	return "/" + strings.Join(segs, "/") + "/" + file, nil
}

// KeyFromURI is the inverse of URI: it accepts the URI with or without its
// leading slash and returns the key and the file name it ends in.
func KeyFromURI(uri string) (key, file string, err error) {
	p := strings.TrimPrefix(uri, "/")
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "", "", fmt.Errorf("%w: uri %q must be /<segment>[/<segment>...]/<file>", ErrInvalidKey, uri)
	}
	file = p[i+1:]
	if file != FileJSON && file != FileYAML {
		return "", "", fmt.Errorf("%w: uri %q must end in /%s or /%s", ErrInvalidKey, uri, FileJSON, FileYAML)
	}
	segs := strings.Split(p[:i], "/")
	for _, s := range segs {
		if !ValidSegment(s) {
			return "", "", fmt.Errorf("%w: uri %q has an invalid path segment %q", ErrInvalidKey, uri, s)
		}
	}
	key = strings.Join(segs, SegmentSeparator)
	if err := ValidateKey(key); err != nil {
		return "", "", err
	}
	return key, file, nil
}
