package location

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// Writers create, update and remove records continuously while readers
// poll as RHDH does: GET /list, then every URI it names, in both plugin
// generations' forms. No listed URI may ever answer anything but 200.
// Run with -race.
func TestListedURIsNeverFailUnderConcurrentWrites(t *testing.T) {
	const nKeys = 60
	keys := make([]string, nKeys)
	initial := map[string]record.Record{}
	for i := range keys {
		keys[i] = fmt.Sprintf("model-%02d__v%d.0", i, i%3)
		if i%2 == 0 {
			initial[keys[i]] = withCard(doc(keys[i], 1), "", "# "+keys[i])
		}
	}
	ts := newTestService(t, newFakeStorage(initial), nil)
	ts.load(t)

	var (
		clock      atomic.Int64
		writersWG  sync.WaitGroup
		readersWG  sync.WaitGroup
		writing    atomic.Bool
		fetched    atomic.Int64
		writes     atomic.Int64
		failuresMu sync.Mutex
		failures   []string
	)
	clock.Store(1)
	fail := func(format string, args ...any) {
		failuresMu.Lock()
		defer failuresMu.Unlock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	writing.Store(true)
	for w := 0; w < 2; w++ {
		writersWG.Add(1)
		go func(seed uint64) {
			defer writersWG.Done()
			rng := rand.New(rand.NewPCG(seed, 7))
			for i := 0; i < 600; i++ {
				k := keys[rng.IntN(nKeys)]
				var code int
				if rng.IntN(3) == 0 {
					code = ts.do(http.MethodDelete, "/remove?key="+k, nil).Code
				} else {
					b, _ := json.Marshal(withCard(doc(fmt.Sprint(k, i), clock.Add(1)), "", fmt.Sprint("# ", k, i)))
					code = ts.do(http.MethodPost, "/upsert?key="+k, strings.NewReader(string(b))).Code
				}
				if code != http.StatusOK {
					fail("write of %s: HTTP %d", k, code)
				}
				writes.Add(1)
			}
		}(uint64(w))
	}
	for r := 0; r < 3; r++ {
		readersWG.Add(1)
		go func(r int) {
			defer readersWG.Done()
			for polls := 0; writing.Load() || polls < 5; polls++ {
				w := ts.do(http.MethodGet, "/list", nil)
				if w.Code != http.StatusOK {
					fail("GET /list: HTTP %d", w.Code)
					return
				}
				var l record.URIList
				if err := json.Unmarshal(w.Body.Bytes(), &l); err != nil || l.URIs == nil {
					fail("GET /list: %v %q", err, w.Body.String())
					return
				}
				for i, uri := range l.URIs {
					key, _, err := record.KeyFromURI(uri)
					if err != nil {
						fail("listed %q is not a valid URI: %v", uri, err)
						continue
					}
					path := []string{uri, "/models/" + uri, "/models/" + key}[(i+r)%3]
					if got := ts.do(http.MethodGet, path, nil); got.Code != http.StatusOK {
						fail("listed %s, then GET %s: HTTP %d %s", uri, path, got.Code, got.Body.String())
					}
					fetched.Add(1)
				}
			}
		}(r)
	}
	writersWG.Wait()
	writing.Store(false)
	readersWG.Wait()

	require.Empty(t, failures)
	assert.EqualValues(t, 1200, writes.Load())
	assert.Positive(t, fetched.Load())

	// Once quiet, /list, the documents and the cards agree exactly.
	snap := ts.ix.Snapshot()
	uris := ts.list(t)
	assert.Equal(t, snap.Len(), len(uris))
	for _, uri := range uris {
		key, _, err := record.KeyFromURI(uri)
		require.NoError(t, err)
		d := snap.DocumentByKey(key)
		require.NotNil(t, d, key)
		assert.Equal(t, uri, d.URI())
		assert.Equal(t, http.StatusOK, ts.do(http.MethodGet, "/modelcard?key="+key, nil).Code, key)
	}
	assert.Equal(t, len(uris), snap.CardCount(), "every listed record has its card; removed ones have none")
}
