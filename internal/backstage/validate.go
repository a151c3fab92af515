// Package backstage holds the validity rules Backstage applies to what the
// catalog ingests, and sanitizers that turn arbitrary strings (registry
// names, labels, Kubernetes annotations) into values that pass them.
//
// Backstage drops an entity that breaks any of these rules, and both
// generations of the RHDH model-catalog plugin only strip whitespace from
// what the connector sends, so every name, tag and annotation key the
// connector emits must already pass them. The rules mirror
// @backstage/catalog-model (KubernetesValidatorFunctions and
// CommonValidatorFunctions).
package backstage

import (
	"strings"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// Length limits Backstage enforces.
const (
	// MaxNameLength is the longest entity name (and annotation key name part).
	MaxNameLength = 63
	// MaxTagLength is the longest tag.
	MaxTagLength = 63
	// MaxPrefixLength is the longest annotation key prefix (a DNS subdomain).
	MaxPrefixLength = 253
	// MaxLabelLength is the longest label of a DNS subdomain.
	MaxLabelLength = 63
)

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isNameSeparator(c byte) bool {
	return c == '-' || c == '_' || c == '.'
}

// isTagChar is a character allowed in a tag between dashes.
func isTagChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == ':' || c == '+' || c == '#'
}

// isLowerAlnum is a character allowed in a DNS label between dashes.
func isLowerAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// ValidEntityName reports whether s is a valid entity name: 1-63 characters,
// runs of [a-zA-Z0-9] separated by exactly one of '-', '_' or '.'. The
// character rule is record.ValidSegment's: a record key segment is an
// entity name without the length limit, and pkg/record, which cannot import
// this package, owns it.
func ValidEntityName(s string) bool {
	return len(s) <= MaxNameLength && record.ValidSegment(s)
}

// ValidTag reports whether s is a valid tag: 1-63 characters matching
// ^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$.
func ValidTag(s string) bool {
	if len(s) == 0 || len(s) > MaxTagLength {
		return false
	}
	prevDash := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isTagChar(c):
			prevDash = false
		case c == '-':
			if prevDash {
				return false
			}
			prevDash = true
		default:
			return false
		}
	}
	return !prevDash
}

// validDNSLabel reports whether s matches ^[a-z0-9]+(-+[a-z0-9]+)*$ with at
// most 63 characters (Backstage allows several dashes in a row here).
func validDNSLabel(s string) bool {
	if len(s) == 0 || len(s) > MaxLabelLength {
		return false
	}
	if s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLowerAlnum(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

// ValidDNSSubdomain reports whether s is 1-253 characters of dot-separated
// valid DNS labels.
func ValidDNSSubdomain(s string) bool {
	if len(s) == 0 || len(s) > MaxPrefixLength {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if !validDNSLabel(l) {
			return false
		}
	}
	return true
}

// ValidAnnotationKey reports whether s is a valid annotation key: an entity
// name, optionally preceded by a DNS subdomain prefix and a single '/'.
func ValidAnnotationKey(s string) bool {
	prefix, name, found := strings.Cut(s, "/")
	if !found {
		return ValidEntityName(s)
	}
	return ValidDNSSubdomain(prefix) && ValidEntityName(name)
}

// ValidEntityRef reports whether s parses as a Backstage entity reference
// [<kind>:][<namespace>/]<name> with no empty part, which is what
// Backstage's parseEntityRef requires of spec.owner. Like Backstage it does
// not constrain the characters of the parts (owners such as "kube:admin" or
// "jane@example.com" come from OpenShift user names), but it refuses
// leading or trailing whitespace and control characters, which no user
// or group name holds.
func ValidEntityRef(s string) bool {
	if s == "" || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\uFFFD' {
			return false
		}
	}
	colon := strings.IndexByte(s, ':')
	slash := strings.IndexByte(s, '/')
	if slash != -1 && slash < colon {
		colon = -1
	}
	if colon == 0 || slash == colon+1 {
		return false // empty kind or empty namespace
	}
	name := s[max(colon+1, slash+1):]
	return name != ""
}
