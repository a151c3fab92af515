package backstage

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	"", "mnist", "Granite 3.1 8B", "ibm-granite/granite-3.1-8b-instruct", "a__b", "-._-",
	"rhdh.io/model-granite", "Example.COM/Some Key", "café", "日本語", "\x00\x7f\xff",
	strings.Repeat("ab-", 40), strings.Repeat("é", 100), "a/b/c", "c++#:",
}

// addFuzzSeeds gives f the seeds every target here starts from.
func addFuzzSeeds(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
}

// checkSanitized fails t unless what sanitize makes of s is valid exactly
// when it reports ok, is empty exactly when it does not, and is s itself
// when s was already valid; it returns what sanitize made of s. name and
// noun say which sanitizer and what it makes in the failure messages.
func checkSanitized(t *testing.T, name, noun string, sanitize func(string) (string, bool), valid func(string) bool, s string) string {
	t.Helper()
	got, ok := sanitize(s)
	if ok != valid(got) || ok != (got != "") {
		t.Fatalf("%s(%q) = %q, %v: validity %v", name, s, got, ok, valid(got))
	}
	if valid(s) && got != s {
		t.Fatalf("%s changed the valid %s %q into %q", name, noun, s, got)
	}
	return got
}

func FuzzEntityName(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		got := checkSanitized(t, "EntityName", "name", EntityName, ValidEntityName, s)
		if again, _ := EntityName(got); again != got {
			t.Fatalf("EntityName is not idempotent: %q -> %q -> %q", s, got, again)
		}
	})
}

func FuzzTag(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		got := checkSanitized(t, "Tag", "tag", Tag, ValidTag, s)
		if !utf8.ValidString(got) {
			t.Fatalf("Tag(%q) = %q is not UTF-8", s, got)
		}
	})
}

func FuzzAnnotationKey(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		checkSanitized(t, "AnnotationKey", "key", AnnotationKey, ValidAnnotationKey, s)
	})
}

func FuzzValidatorsAgreeWithRegexps(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		if ValidEntityName(s) != refName(s) {
			t.Fatalf("ValidEntityName(%q) = %v, regexp says %v", s, ValidEntityName(s), refName(s))
		}
		if ValidTag(s) != refTag(s) {
			t.Fatalf("ValidTag(%q) = %v, regexp says %v", s, ValidTag(s), refTag(s))
		}
		if ValidAnnotationKey(s) != refAnnotationKey(s) {
			t.Fatalf("ValidAnnotationKey(%q) = %v, reference says %v", s, ValidAnnotationKey(s), refAnnotationKey(s))
		}
	})
}
