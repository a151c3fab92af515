// Package fieldhash writes fields into a hash length-prefixed, so that no
// two sequences of fields hash alike by shifting bytes from one field to
// the next ("ab","c" and "a","bc"). The digests that tell whether an input
// changed (a registry snapshot's, a sync's, a registry version's) are
// made of it.
package fieldhash

import (
	"encoding/binary"
	"hash"
)

// Bytes writes b, length-prefixed.
func Bytes(h hash.Hash, b []byte) {
	Uint(h, uint64(len(b)))
	h.Write(b)
}

// String writes s, length-prefixed.
func String(h hash.Hash, s string) {
	Uint(h, uint64(len(s)))
	h.Write([]byte(s))
}

// Uint writes n as 8 bytes.
func Uint(h hash.Hash, n uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	h.Write(b[:])
}
