package fieldhash_test

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/fieldhash"
)

func TestFieldsDoNotShiftIntoEachOther(t *testing.T) {
	sum := func(fields ...string) [sha256.Size]byte {
		h := sha256.New()
		for _, f := range fields {
			fieldhash.String(h, f)
		}
		var out [sha256.Size]byte
		h.Sum(out[:0])
		return out
	}
	assert.NotEqual(t, sum("ab", "c"), sum("a", "bc"))
	assert.NotEqual(t, sum("", "x"), sum("x", ""))
	assert.Equal(t, sum("a", "bc"), sum("a", "bc"))

	h1, h2 := sha256.New(), sha256.New()
	fieldhash.Bytes(h1, []byte("abc"))
	fieldhash.String(h2, "abc")
	assert.Equal(t, h1.Sum(nil), h2.Sum(nil), "bytes and strings hash alike")
}
