package location

import "strings"

// noneMatch reports whether an If-None-Match header value matches etag (a
// quoted strong tag), using the weak comparison RFC 9110 prescribes for
// If-None-Match: W/"x" matches "x", "*" matches anything, and the value
// may list several tags separated by commas.
func noneMatch(header, etag string) bool {
	want := strings.Trim(etag, `"`)
	s := header
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return false
		}
		if s[0] == '*' {
			return true
		}
		s = strings.TrimPrefix(s, "W/")
		if s == "" || s[0] != '"' {
			return false // malformed: match nothing, serve the body
		}
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return false
		}
		if s[1:1+end] == want {
			return true
		}
		s = s[end+2:]
	}
}
