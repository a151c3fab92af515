package record

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
)

// FuzzRecordJSON: whatever a Record decodes from, its encoding decodes to
// the same Record, and encoding is stable (the store compares encodings).
func FuzzRecordJSON(f *testing.F) {
	for _, s := range []string{
		`{"body":"eyJtb2RlbHMiOltdfQ==","lastUpdateTimeSinceEpoch":"42"}`,
		`{"body":"eyJtb2RlbHMiOltdfQ==","lastUpdateTimeSinceEpoch":42,"reconcilerType":"kserve","modelCardKey":"k","modelCard":"# c","locationTarget":"/a/model-catalog.json"}`,
		`{"body":"","lastUpdateTimeSinceEpoch":""}`, `{"body":null,"lastUpdateTimeSinceEpoch":null}`, `{}`, `null`, `[]`,
		`{"body":"!!"}`, `{"lastUpdateTimeSinceEpoch":"-9223372036854775808"}`, `{"lastUpdateTimeSinceEpoch":"9223372036854775808"}`,
		`{"lastUpdateTimeSinceEpoch":1e3}`, `{"lastUpdateTimeSinceEpoch":" 7 "}`, `{"lastUpdateTimeSinceEpoch":"\u0037"}`,
		`{"modelCard":"\ud800"}`, `{"modelCard":"\u0000<>&"}`, `{"BODY":"eA=="}`, `{"body":"eA==","body":"eQ=="}`, "{\"modelCard\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Record
		if json.Unmarshal(data, &r) != nil {
			return
		}
		enc, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("%q decoded to %+v, which does not encode: %v", data, r, err)
		}
		var back Record
		if err := json.Unmarshal(enc, &back); err != nil {
			t.Fatalf("encoding %s does not decode: %v", enc, err)
		}
		if !reflect.DeepEqual(r, back) {
			t.Fatalf("round trip changed the record: %+v -> %s -> %+v", r, enc, back)
		}
		again, _ := json.Marshal(back)
		if !bytes.Equal(enc, again) {
			t.Fatalf("encoding is not stable: %s then %s", enc, again)
		}
		if !r.SameContent(&back) {
			t.Fatalf("a record has other content than its round trip: %+v", r)
		}
	})
}

// FuzzEpoch: an Epoch decodes from what it encodes to, from its number
// and from its quoted number; anything it accepts is an integer.
func FuzzEpoch(f *testing.F) {
	for _, s := range []string{`123`, `"456"`, `""`, `null`, `" 7 "`, `"x"`, `1.5`, `true`, `{}`, `-0`, `"+5"`, `"0x10"`, `"9223372036854775808"`, `"1_000"`, `"\u0031"`, ` 5 `} {
		f.Add([]byte(s), int64(0))
	}
	f.Add([]byte(`0`), int64(-9223372036854775808))
	f.Add([]byte(`0`), int64(9223372036854775807))
	f.Fuzz(func(t *testing.T, data []byte, n int64) {
		b, err := json.Marshal(Epoch(n))
		if err != nil || string(b) != `"`+strconv.FormatInt(n, 10)+`"` {
			t.Fatalf("Epoch(%d) encodes as %s (%v)", n, b, err)
		}
		for _, in := range [][]byte{b, []byte(strconv.FormatInt(n, 10))} {
			var e Epoch
			if err := json.Unmarshal(in, &e); err != nil || int64(e) != n {
				t.Fatalf("%s decodes to %d (%v), want %d", in, e, err, n)
			}
		}
		var e Epoch
		if json.Unmarshal(data, &e) != nil {
			return
		}
		enc, _ := json.Marshal(e)
		var back Epoch
		if err := json.Unmarshal(enc, &back); err != nil || back != e {
			t.Fatalf("%q -> %d -> %s -> %d (%v)", data, e, enc, back, err)
		}
	})
}
