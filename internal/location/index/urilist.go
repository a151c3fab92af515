package index

import (
	"encoding/json"
	"io"
	"iter"
	"slices"
	"sort"
	"unsafe"
)

// The /list body is kept as pre-encoded chunks of sorted URIs, so that
// serving it is a few writes of ready bytes and a write to the index
// re-encodes one chunk (about chunkTarget URIs) instead of the whole list.
const (
	chunkTarget = 64
	chunkMax    = 2 * chunkTarget
)

var (
	listPrefix = []byte(`{"uris":[`)
	listSuffix = []byte(`]}`)
	listComma  = []byte(`,`)
)

// uriList is an immutable sorted set of URIs with its /list encoding.
type uriList struct {
	chunks []*uriChunk
	n      int
	size   int // bytes of the encoded /list body
}

type uriChunk struct {
	uris []string // sorted, never empty once published; views of enc
	enc  []byte   // the uris as JSON strings joined by ','
}

func newURIList(sorted []string) uriList {
	l := uriList{n: len(sorted)}
	for len(sorted) > 0 {
		k := min(chunkTarget, len(sorted))
		l.chunks = append(l.chunks, newChunk(sorted[:k:k]))
		sorted = sorted[k:]
	}
	l.size = l.measure()
	return l
}

// newChunk encodes uris, which it takes over: each URI is then a view of
// its bytes in enc, so that a chunk holds one copy of its URIs, not two.
func newChunk(uris []string) *uriChunk {
	// Room for every URI, so that enc never moves and no view is left
	// pointing to an earlier copy; one that needs escaping (none from a
	// valid key does) is given the most it can take, 6 bytes a byte.
	size := max(len(uris)-1, 0)
	for _, u := range uris {
		if needsEscape(u) {
			size += 6 * len(u)
		}
		size += len(u) + 2
	}
	c := &uriChunk{uris: uris, enc: make([]byte, 0, size)}
	for i, u := range uris {
		if i > 0 {
			c.enc = append(c.enc, ',')
		}
		start := len(c.enc)
		c.enc = appendJSONString(c.enc, u)
		// An escaped URI keeps its own string.
		if v := c.enc[start+1 : len(c.enc)-1]; string(v) == u && len(v) > 0 {
			uris[i] = unsafe.String(&v[0], len(v))
		}
	}
	return c
}

func (l *uriList) measure() int {
	size := len(listPrefix) + len(listSuffix)
	for i, c := range l.chunks {
		if i > 0 {
			size += len(listComma)
		}
		size += len(c.enc)
	}
	return size
}

// writeTo writes the /list body: {"uris":[...]} with an empty array, never
// null, when there is nothing to list.
func (l *uriList) writeTo(w io.Writer) (int64, error) {
	var total int64
	write := func(b []byte) error {
		n, err := w.Write(b)
		total += int64(n)
		return err
	}
	if err := write(listPrefix); err != nil {
		return total, err
	}
	for i, c := range l.chunks {
		if i > 0 {
			if err := write(listComma); err != nil {
				return total, err
			}
		}
		if err := write(c.enc); err != nil {
			return total, err
		}
	}
	return total, write(listSuffix)
}

// chunkFor is the index of the chunk that holds u or would hold it.
func (l *uriList) chunkFor(u string) int {
	i := sort.Search(len(l.chunks), func(i int) bool {
		c := l.chunks[i].uris
		return c[len(c)-1] >= u
	})
	return min(i, len(l.chunks)-1)
}

func (l *uriList) contains(u string) bool {
	if len(l.chunks) == 0 {
		return false
	}
	_, found := slices.BinarySearch(l.chunks[l.chunkFor(u)].uris, u)
	return found
}

func (l *uriList) all() iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, c := range l.chunks {
			for _, u := range c.uris {
				if !yield(u) {
					return
				}
			}
		}
	}
}

// edit starts a batch of additions and removals on top of l.
func (l uriList) edit() *listEdit {
	return &listEdit{base: l, present: map[string]bool{}}
}

// listEdit collects the batch's changes and applies them once, in done.
type listEdit struct {
	base    uriList
	present map[string]bool // uri -> whether it is listed after the batch
}

func (e *listEdit) add(u string)    { e.present[u] = true }
func (e *listEdit) remove(u string) { e.present[u] = false }

func (e *listEdit) done() uriList {
	var adds, dels []string
	for u, p := range e.present {
		if p != e.base.contains(u) {
			if p {
				adds = append(adds, u)
			} else {
				dels = append(dels, u)
			}
		}
	}
	if len(adds)+len(dels) == 0 {
		return e.base
	}
	slices.Sort(adds)
	slices.Sort(dels)
	// A large batch (the initial load, a reload after an outage) is cheaper
	// to lay out afresh than chunk by chunk.
	if e.base.n == 0 || (len(adds)+len(dels))*16 > e.base.n {
		return e.rebuild(adds, dels)
	}
	l := e.patch(adds, dels)
	// Many removals leave small chunks behind; re-chunk before the chunk
	// table grows far beyond what the count needs.
	if len(l.chunks) > 2*(l.n/chunkTarget)+8 {
		return newURIList(slices.Collect(l.all()))
	}
	return l
}

// rebuild merges the base list, minus dels, with adds (both sorted).
func (e *listEdit) rebuild(adds, dels []string) uriList {
	out := make([]string, 0, e.base.n+len(adds)-len(dels))
	for u := range e.base.all() {
		if len(dels) > 0 && dels[0] == u {
			dels = dels[1:]
			continue
		}
		for len(adds) > 0 && adds[0] < u {
			out = append(out, adds[0])
			adds = adds[1:]
		}
		out = append(out, u)
	}
	out = append(out, adds...)
	return newURIList(out)
}

// patch copies and re-encodes only the chunks the changes fall into.
func (e *listEdit) patch(adds, dels []string) uriList {
	chunks := slices.Clone(e.base.chunks)
	owned := make(map[int]bool)
	route := e.base // chunk boundaries of the base route every change
	own := func(i int) *uriChunk {
		if !owned[i] {
			chunks[i] = &uriChunk{uris: slices.Clone(chunks[i].uris)}
			owned[i] = true
		}
		return chunks[i]
	}
	for _, u := range adds {
		c := own(route.chunkFor(u))
		i, _ := slices.BinarySearch(c.uris, u)
		c.uris = slices.Insert(c.uris, i, u)
	}
	for _, u := range dels {
		c := own(route.chunkFor(u))
		if i, ok := slices.BinarySearch(c.uris, u); ok {
			c.uris = slices.Delete(c.uris, i, i+1)
		}
	}
	l := uriList{n: e.base.n + len(adds) - len(dels), chunks: make([]*uriChunk, 0, len(chunks)+1)}
	for i, c := range chunks {
		if !owned[i] {
			l.chunks = append(l.chunks, c)
			continue
		}
		for len(c.uris) > chunkMax {
			l.chunks = append(l.chunks, newChunk(c.uris[:chunkTarget:chunkTarget]))
			c.uris = c.uris[chunkTarget:]
		}
		if len(c.uris) > 0 {
			l.chunks = append(l.chunks, newChunk(c.uris))
		}
	}
	l.size = l.measure()
	return l
}

// appendJSONString appends s as a JSON string. URIs built from valid keys
// only hold characters that need no escaping; anything else takes the
// encoder's path.
func appendJSONString(b []byte, s string) []byte {
	if needsEscape(s) {
		enc, _ := json.Marshal(s)
		return append(b, enc...)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// needsEscape reports whether s may encode as more than s quoted.
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return true
		}
	}
	return false
}
