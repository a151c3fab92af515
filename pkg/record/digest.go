package record

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// Digest summarizes a set of records by what SameContent compares (key,
// body, reconciler type, model card and its key), so that two holders of
// records can tell cheaply whether they hold the same: storage-rest keeps
// one for what it stores and answers it at GET /digest, the normalizer keeps
// one for what it believes is stored, and only when they differ (a hand
// edit, a record written by someone else) does it read every record again.
// It ignores timestamps and locationTarget, is independent of order, and is
// updated in O(1) per change: the XOR of one SHA-256 per record.
type Digest struct {
	sum [sha256.Size]byte
	n   int
}

// Add counts rec under key in the digest.
func (d *Digest) Add(key string, rec *Record) {
	d.xor(contentHash(key, rec))
	d.n++
}

// Remove takes rec under key out of the digest; rec must be what was added.
func (d *Digest) Remove(key string, rec *Record) {
	d.xor(contentHash(key, rec))
	d.n--
}

// Len is the number of records counted.
func (d *Digest) Len() int { return d.n }

// String is the digest as storage-rest answers it: the record count and
// the hex sum.
func (d *Digest) String() string {
	return fmt.Sprintf("%d:%s", d.n, hex.EncodeToString(d.sum[:]))
}

func (d *Digest) xor(h [sha256.Size]byte) {
	for i := range d.sum {
		d.sum[i] ^= h[i]
	}
}

// DigestOf is the digest of a whole set of records.
func DigestOf(recs map[string]Record) Digest {
	var d Digest
	for k, r := range recs {
		d.Add(k, &r)
	}
	return d
}

// contentHash hashes what SameContent compares, each field length-prefixed
// so that no two records hash alike by shifting bytes between fields.
func contentHash(key string, rec *Record) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	for _, f := range [][]byte{[]byte(key), rec.Body, []byte(rec.ReconcilerType), []byte(rec.CardKey("")), []byte(rec.ModelCard)} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write(f)
	}
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}
