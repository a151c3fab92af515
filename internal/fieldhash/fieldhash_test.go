package fieldhash_test

import (
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/fieldhash"
)

func sum(fields ...string) [fieldhash.Size]byte {
	h := fieldhash.New()
	for _, f := range fields {
		h.String(f)
	}
	return h.Sum()
}

func TestFieldsDoNotShiftIntoEachOther(t *testing.T) {
	assert.NotEqual(t, sum("ab", "c"), sum("a", "bc"))
	assert.NotEqual(t, sum("", "x"), sum("x", ""))
	assert.Equal(t, sum("a", "bc"), sum("a", "bc"))

	h1, h2 := fieldhash.New(), fieldhash.New()
	h1.Bytes([]byte("abc"))
	h2.String("abc")
	assert.Equal(t, h1.Sum(), h2.Sum(), "bytes and strings hash alike")
}

// The digest is SHA-256 of the length-prefixed fields, however long they
// are and however the buffer splits them: digests stored before the
// buffer (a registry snapshot's Version, say) stay the same.
func TestDigestIsSHA256OfTheFields(t *testing.T) {
	fields := []string{"", "a", strings.Repeat("x", 4090), strings.Repeat("y", 9000), "tail"}
	want := sha256.New()
	h := fieldhash.New()
	for i, f := range fields {
		want.Write(binary.BigEndian.AppendUint64(nil, uint64(len(f))))
		want.Write([]byte(f))
		want.Write(binary.BigEndian.AppendUint64(nil, uint64(i)))
		want.Write([]byte{byte(i)})
		h.String(f)
		h.Uint(uint64(i))
		_, _ = h.Write([]byte{byte(i)})
	}
	big := []byte(strings.Repeat("z", 5000))
	want.Write(binary.BigEndian.AppendUint64(nil, uint64(len(big))))
	want.Write(big)
	h.Bytes(big)
	var expected [fieldhash.Size]byte
	want.Sum(expected[:0])
	assert.Equal(t, expected, h.Sum())

	h.Reset()
	h.String("a")
	h.String("bc")
	assert.Equal(t, sum("a", "bc"), h.Sum(), "Reset starts a new digest")
}

func BenchmarkShortFields(b *testing.B) {
	h := fieldhash.New()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h.Reset()
		for j := 0; j < 16; j++ {
			h.String("model-version-12345")
			h.Uint(uint64(j))
		}
		_ = h.Sum()
	}
}
