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

// Hash is a record's content hash under its key: two records have the same
// Hash exactly when SameContent holds (but for SHA-256 collisions). A
// holder that only needs to tell whether a record changed keeps its Hash
// instead of its body.
type Hash [sha256.Size]byte

// HashOf is the Hash of rec under key.
func HashOf(key string, rec *Record) Hash { return contentHash(key, rec) }

// Add counts rec under key in the digest.
func (d *Digest) Add(key string, rec *Record) { d.AddHash(contentHash(key, rec)) }

// Remove takes rec under key out of the digest; rec must be what was added.
func (d *Digest) Remove(key string, rec *Record) { d.RemoveHash(contentHash(key, rec)) }

// AddHash counts a record by its Hash.
func (d *Digest) AddHash(h Hash) {
	d.xor(h)
	d.n++
}

// RemoveHash takes a record out by its Hash; h must be what was added.
func (d *Digest) RemoveHash(h Hash) {
	d.xor(h)
	d.n--
}

// Len is the number of records counted.
func (d *Digest) Len() int { return d.n }

// String is the digest as storage-rest answers it: the record count and
// the hex sum.
func (d *Digest) String() string {
	return fmt.Sprintf("%d:%s", d.n, hex.EncodeToString(d.sum[:]))
}

func (d *Digest) xor(h Hash) {
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
func contentHash(key string, rec *Record) Hash {
	h := sha256.New()
	var n [8]byte
	for _, f := range [][]byte{[]byte(key), rec.Body, []byte(rec.ReconcilerType), []byte(rec.CardKey("")), []byte(rec.ModelCard)} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write(f)
	}
	var out Hash
	h.Sum(out[:0])
	return out
}
