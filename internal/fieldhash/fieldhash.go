// Package fieldhash writes fields into a hash length-prefixed, so that no
// two sequences of fields hash alike by shifting bytes from one field to
// the next ("ab","c" and "a","bc"). The digests that tell whether an input
// changed (a registry snapshot's, a sync's, a registry version's) are
// made of it.
package fieldhash

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// Size is the size of a digest.
const Size = sha256.Size

// flushAt is how much a Hash gathers before it writes to the digest: a
// 100,000-version build writes millions of short fields, and a Write per
// field (each allocating its bytes) cost a third of the build's time.
const flushAt = 4096

// Hash is a SHA-256 digest fed field by field. The bytes it digests are
// the same whatever the writes' sizes. It is not safe for concurrent use.
type Hash struct {
	h   hash.Hash
	buf []byte
}

// New returns an empty Hash.
func New() *Hash { return &Hash{h: sha256.New(), buf: make([]byte, 0, flushAt+64)} }

// Write adds p as it is, without a length (for digests and fixed-size
// values); it never fails.
func (x *Hash) Write(p []byte) (int, error) {
	if len(x.buf)+len(p) > flushAt {
		x.flush()
		if len(p) > flushAt {
			x.h.Write(p)
			return len(p), nil
		}
	}
	x.buf = append(x.buf, p...)
	return len(p), nil
}

// Bytes writes b, length-prefixed.
func (x *Hash) Bytes(b []byte) {
	x.Uint(uint64(len(b)))
	_, _ = x.Write(b)
}

// String writes s, length-prefixed.
func (x *Hash) String(s string) {
	x.Uint(uint64(len(s)))
	if len(x.buf)+len(s) > flushAt {
		x.flush()
	}
	if len(s) > flushAt {
		x.h.Write([]byte(s))
		return
	}
	x.buf = append(x.buf, s...)
}

// Uint writes n as 8 bytes.
func (x *Hash) Uint(n uint64) {
	if len(x.buf)+8 > flushAt {
		x.flush()
	}
	x.buf = binary.BigEndian.AppendUint64(x.buf, n)
}

// Sum returns the digest of everything written since New or Reset.
func (x *Hash) Sum() [Size]byte {
	x.flush()
	var out [Size]byte
	x.h.Sum(out[:0])
	return out
}

// Reset empties the Hash.
func (x *Hash) Reset() {
	x.h.Reset()
	x.buf = x.buf[:0]
}

func (x *Hash) flush() {
	if len(x.buf) > 0 {
		x.h.Write(x.buf)
		x.buf = x.buf[:0]
	}
}
