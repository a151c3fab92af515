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

func FuzzEntityName(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := EntityName(s)
		if ok != ValidEntityName(got) {
			t.Fatalf("EntityName(%q) = %q, %v: validity %v", s, got, ok, ValidEntityName(got))
		}
		if ok != (got != "") {
			t.Fatalf("EntityName(%q) = %q, %v", s, got, ok)
		}
		if ValidEntityName(s) && got != s {
			t.Fatalf("EntityName changed the valid name %q into %q", s, got)
		}
		if again, _ := EntityName(got); again != got {
			t.Fatalf("EntityName is not idempotent: %q -> %q -> %q", s, got, again)
		}
	})
}

func FuzzTag(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Tag(s)
		if ok != ValidTag(got) || ok != (got != "") {
			t.Fatalf("Tag(%q) = %q, %v: validity %v", s, got, ok, ValidTag(got))
		}
		if ValidTag(s) && got != s {
			t.Fatalf("Tag changed the valid tag %q into %q", s, got)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("Tag(%q) = %q is not UTF-8", s, got)
		}
	})
}

func FuzzAnnotationKey(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := AnnotationKey(s)
		if ok != ValidAnnotationKey(got) || ok != (got != "") {
			t.Fatalf("AnnotationKey(%q) = %q, %v: validity %v", s, got, ok, ValidAnnotationKey(got))
		}
		if ValidAnnotationKey(s) && got != s {
			t.Fatalf("AnnotationKey changed the valid key %q into %q", s, got)
		}
	})
}

func FuzzValidatorsAgreeWithRegexps(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
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
