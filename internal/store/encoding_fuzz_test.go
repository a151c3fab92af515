package store

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

// FuzzDecodeRecord: a binaryData value either fails to decode or yields a
// canonical encoding that decodes to the same record and is its own
// canonical form; a value already canonical is returned as is.
func FuzzDecodeRecord(f *testing.F) {
	for _, s := range []string{
		`{"body":"eyJtb2RlbHMiOltdfQ==","lastUpdateTimeSinceEpoch":"42"}`,
		`{"body":"eyJtb2RlbHMiOltdfQ==","lastUpdateTimeSinceEpoch":42,"locationId":"x"}`,
		`{"body":"eyJtb2RlbHMiOltdfQ==","lastUpdateTimeSinceEpoch":"42","reconcilerType":"kserve","modelCardKey":"k","modelCard":"# c","locationTarget":"/k/model-catalog.json"}`,
		`{ "lastUpdateTimeSinceEpoch" : "1" , "body" : "eA==" }`, `{}`, `null`, `[]`, `"x"`, ``, `{"body":"!!"}`,
		`{"lastUpdateTimeSinceEpoch":"9223372036854775808"}`, `{"modelCard":"<&>\u2028"}`, "{\"modelCard\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rec, canon, err := decodeRecord(raw)
		if err != nil {
			if canon != nil {
				t.Fatalf("decodeRecord(%q) failed but returned an encoding", raw)
			}
			return
		}
		enc, err := encodeRecord(&rec)
		if err != nil || !bytes.Equal(enc, canon) {
			t.Fatalf("decodeRecord(%q): canonical %s, encodeRecord gives %s (%v)", raw, canon, enc, err)
		}
		rec2, canon2, err := decodeRecord(canon)
		if err != nil || !reflect.DeepEqual(rec, rec2) || !bytes.Equal(canon, canon2) {
			t.Fatalf("canonical %s is not stable: %+v -> %+v, %s (%v)", canon, rec, rec2, canon2, err)
		}
		if bytes.Equal(raw, canon) && &raw[0] != &canon[0] {
			t.Fatalf("decodeRecord(%q) copied an already canonical value", raw)
		}
		if entrySize("k", canon) != 1+len(canon) {
			t.Fatalf("entrySize")
		}
	})
}

// FuzzConfigMapIndex: a ConfigMap name (a DNS subdomain: the API server
// allows no other) is the primary or one spill ConfigMap, never both, and
// spill names parse back to their number.
func FuzzConfigMapIndex(f *testing.F) {
	for _, s := range []string{"bac-import-model", "bac-import-model-1", "bac-import-model-01", "bac-import-model-0", "bac-import-model-100000",
		"bac-import-model-100001", "bac-import-model-", "bac-import-model--1", "bac-import-model-+1", "bac-import-model-1-1", "other", ""} {
		f.Add(DefaultName, s)
	}
	f.Add("a", "a-9999999999999999999999")
	f.Fuzz(func(t *testing.T, primary, name string) {
		n, ok := configMapIndex(primary, name)
		if len(validation.IsDNS1123Subdomain(name)) > 0 {
			return
		}
		if !ok {
			if name == primary {
				t.Fatalf("the primary %q is not recognised", primary)
			}
			return
		}
		switch {
		case n == 0 && name != primary:
			t.Fatalf("%q taken for the primary %q", name, primary)
		case n > 0 && (spillName(primary, n) != name || n > maxSpillSuffix):
			t.Fatalf("%q parsed as spill %d of %q, whose name is %q", name, n, primary, spillName(primary, n))
		case n < 0:
			t.Fatalf("%q parsed as %d", name, n)
		}
		if n > 0 && !strings.HasSuffix(name, "-"+strconv.Itoa(n)) {
			t.Fatalf("%q parsed as %d", name, n)
		}
	})
}
