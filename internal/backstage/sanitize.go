package backstage

import "strings"

// EntityName turns s into a valid entity name. Letters and digits are kept
// (case included); a single '-', '_' or '.' between them is kept; any other
// run of characters (spaces, Unicode, control characters, several
// separators in a row) becomes one '-'. Separators at the ends are dropped
// and the result is cut to 63 characters without ending on a separator. It
// reports false when no letter or digit is left.
func EntityName(s string) (string, bool) {
	var b strings.Builder
	b.Grow(min(len(s), MaxNameLength))
	var runFirst byte // first byte of the current run of non-alphanumerics
	runLen := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) {
			if runLen == 0 {
				runFirst = c
			}
			runLen++
			continue
		}
		if runLen > 0 && b.Len() > 0 {
			if b.Len()+2 > MaxNameLength {
				break
			}
			sep := byte('-')
			if runLen == 1 && isNameSeparator(runFirst) {
				sep = runFirst
			}
			b.WriteByte(sep)
		}
		runLen = 0
		if b.Len()+1 > MaxNameLength {
			break
		}
		b.WriteByte(c)
	}
	out := b.String()
	return out, out != ""
}

// Tag turns s into a valid tag: ASCII letters are lower-cased, [a-z0-9:+#]
// are kept and every run of other characters (including '-', '_', '.',
// spaces and Unicode) becomes one '-'. Dashes at the ends are dropped and
// the result is cut to 63 characters. It reports false when nothing is left.
func Tag(s string) (string, bool) {
	out := dashedRuns(s, isTagChar, MaxTagLength)
	return out, out != ""
}

// dashedRuns is what tags and DNS labels share: s lower-cased (ASCII), the
// runs of the characters keep accepts joined by single dashes (each run of
// other characters is one gap, the gaps at the ends dropped), and cut to at
// most maxLen characters without ending on a dash.
func dashedRuns(s string, keep func(byte) bool, maxLen int) string {
	var b strings.Builder
	b.Grow(min(len(s), maxLen))
	gap := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if !keep(c) {
			gap = true
			continue
		}
		if gap && b.Len() > 0 {
			if b.Len()+2 > maxLen {
				break
			}
			b.WriteByte('-')
		}
		gap = false
		if b.Len()+1 > maxLen {
			break
		}
		b.WriteByte(c)
	}
	return b.String()
}

// AnnotationKey turns s into a valid annotation key. The part after the last
// '/' is sanitized as an entity name; the part before it as a DNS subdomain
// (lower-cased, invalid characters to '-', empty labels dropped, at most 253
// characters). A prefix with nothing valid left is dropped. It reports false
// when the name part has nothing valid left. A valid key is returned as is.
func AnnotationKey(s string) (string, bool) {
	if ValidAnnotationKey(s) {
		return s, true
	}
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return EntityName(s)
	}
	name, ok := EntityName(s[i+1:])
	if !ok {
		return "", false
	}
	prefix := dnsSubdomain(s[:i])
	if prefix == "" {
		return name, true
	}
	return prefix + "/" + name, true
}

// dnsSubdomain sanitizes s into a DNS subdomain, or "" when nothing is left.
func dnsSubdomain(s string) string {
	var out strings.Builder
	for _, raw := range strings.Split(s, ".") {
		l := dnsLabel(raw)
		if l == "" {
			continue
		}
		extra := len(l)
		if out.Len() > 0 {
			extra++
		}
		if out.Len()+extra > MaxPrefixLength {
			break
		}
		if out.Len() > 0 {
			out.WriteByte('.')
		}
		out.WriteString(l)
		if out.Len() >= MaxPrefixLength {
			break
		}
	}
	return out.String()
}

// dnsLabel sanitizes s into a DNS label, or "" when nothing is left.
func dnsLabel(s string) string { return dashedRuns(s, isLowerAlnum, MaxLabelLength) }
