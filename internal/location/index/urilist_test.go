package index

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

func listBody(t *testing.T, l uriList) string {
	t.Helper()
	var b strings.Builder
	n, err := l.writeTo(&b)
	require.NoError(t, err)
	require.EqualValues(t, l.size, n, "size must match what writeTo writes (it is the Content-Length)")
	return b.String()
}

func wantBody(t *testing.T, set map[string]bool) string {
	t.Helper()
	uris := []string{}
	for u := range set {
		uris = append(uris, u)
	}
	slices.Sort(uris)
	b, err := json.Marshal(record.URIList{URIs: uris})
	require.NoError(t, err)
	return string(b)
}

func TestURIListEmptyIsAnEmptyArray(t *testing.T) {
	var l uriList
	l.size = l.measure()
	assert.Equal(t, `{"uris":[]}`, listBody(t, l))
	assert.False(t, l.contains("/a/model-catalog.json"))
}

// Random batches of every size exercise both the chunk-by-chunk patch
// (small batches) and the rebuild (large ones), chunk splits and the
// re-chunking after many removals; every result must equal encoding the
// reference set from scratch, and earlier lists must never change.
func TestURIListEditsMatchAReferenceSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ref := map[string]bool{}
	var l uriList
	l.size = l.measure()
	type version struct {
		l    uriList
		body string
	}
	var history []version
	for round := 0; round < 400; round++ {
		e := l.edit()
		batch := 1 + rng.IntN(8)
		if round%50 == 0 {
			batch = 300 + rng.IntN(300)
		}
		for i := 0; i < batch; i++ {
			u := fmt.Sprintf("/m%04d/v%d/model-catalog.json", rng.IntN(3000), rng.IntN(3))
			// Bias towards additions early, removals later.
			if rng.IntN(400) > round {
				e.add(u)
				ref[u] = true
			} else {
				e.remove(u)
				delete(ref, u)
			}
		}
		l = e.done()
		require.Equal(t, len(ref), l.n)
		body := listBody(t, l)
		require.Equal(t, wantBody(t, ref), body, "round %d", round)
		for _, c := range l.chunks {
			require.NotEmpty(t, c.uris)
			require.LessOrEqual(t, len(c.uris), chunkMax)
		}
		history = append(history, version{l, body})
	}
	for i, v := range history {
		require.Equal(t, v.body, listBody(t, v.l), "list of round %d changed after later edits", i)
	}
	for u := range ref {
		assert.True(t, l.contains(u), u)
	}
}

func TestURIListAddThenRemoveInOneBatchIsNoChange(t *testing.T) {
	l := newURIList([]string{"/a/model-catalog.json"})
	e := l.edit()
	e.add("/b/model-catalog.json")
	e.remove("/b/model-catalog.json")
	got := e.done()
	assert.Equal(t, `{"uris":["/a/model-catalog.json"]}`, listBody(t, got))
	assert.Same(t, l.chunks[0], got.chunks[0], "an edit that changes nothing copies nothing")
}

func TestAppendJSONStringEscapesWhatNeedsIt(t *testing.T) {
	for _, s := range []string{"/a/b.json", `/q"x`, `/b\s`, "/tab\t", "/<&>", "/é"} {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(appendJSONString(nil, s)), s)
	}
}

// One-at-a-time edits take the patch path: insertions into one region must
// split its chunk, and removals that leave many small chunks must trigger
// a re-chunk.
func TestURIListSplitsGrowingChunksAndRechunksAfterRemovals(t *testing.T) {
	ref := map[string]bool{}
	var all []string
	for i := 0; i < 2000; i += 2 {
		u := fmt.Sprintf("/m%05d/model-catalog.json", i)
		all = append(all, u)
		ref[u] = true
	}
	l := newURIList(all)
	chunksBefore := len(l.chunks)
	for i := 0; i < 300; i++ { // all land in one chunk
		u := fmt.Sprintf("/m00002x%03d/model-catalog.json", i)
		e := l.edit()
		e.add(u)
		ref[u] = true
		l = e.done()
		require.Equal(t, wantBody(t, ref), listBody(t, l))
	}
	assert.Greater(t, len(l.chunks), chunksBefore, "growing chunks must have been split")
	maxChunks := 0
	for _, u := range slices.Sorted(maps.Keys(ref)) {
		if strings.HasSuffix(u, "0/model-catalog.json") {
			continue
		}
		e := l.edit()
		e.remove(u)
		delete(ref, u)
		l = e.done()
		maxChunks = max(maxChunks, len(l.chunks))
		require.LessOrEqual(t, len(l.chunks), 2*(l.n/chunkTarget)+8, "fragmented list was not re-chunked")
	}
	require.Equal(t, wantBody(t, ref), listBody(t, l))
	assert.Greater(t, maxChunks, len(l.chunks), "removals must have merged chunks")
}

// A chunk holds its URIs once: each is a view of its bytes in the /list
// encoding, except one that needed escaping there.
func TestURIListChunksHoldEachURIOnce(t *testing.T) {
	uris := []string{"/a/model-catalog.json", "/b<c>/model-catalog.json", "/d/model-catalog.json"}
	l := newURIList(slices.Clone(uris))
	e := l.edit()
	e.add("/c/model-catalog.json")
	l = e.done()
	for _, c := range l.chunks {
		encStart := uintptr(unsafe.Pointer(unsafe.SliceData(c.enc)))
		for _, u := range c.uris {
			p := uintptr(unsafe.Pointer(unsafe.StringData(u)))
			inEnc := p >= encStart && p < encStart+uintptr(len(c.enc))
			assert.Equal(t, !strings.Contains(u, "<"), inEnc, u)
		}
	}
	assert.Equal(t, []string{"/a/model-catalog.json", "/b<c>/model-catalog.json", "/c/model-catalog.json", "/d/model-catalog.json"}, slices.Collect(l.all()))
	assert.Equal(t, `{"uris":["/a/model-catalog.json","/b\u003cc\u003e/model-catalog.json","/c/model-catalog.json","/d/model-catalog.json"]}`, listBody(t, l))
}
