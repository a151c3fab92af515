package jsonclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
)

// MaxPageSize is the largest pageSize both APIs accept: their specs
// declare it as a string matching ^[1-9][0-9]{0,8}$.
const MaxPageSize = 999_999_999

// DefaultPageSize is used when a caller asks for no particular size.
const DefaultPageSize = 100

// maxPages stops a server whose tokens never repeat but never end either.
const maxPages = 100_000

// ClampPageSize maps 0 or less to DefaultPageSize and caps at MaxPageSize.
func ClampPageSize(n int) int {
	switch {
	case n <= 0:
		return DefaultPageSize
	case n > MaxPageSize:
		return MaxPageSize
	}
	return n
}

// List describes one paged list request.
type List struct {
	// Endpoint is the metrics and error name of the endpoint.
	Endpoint string
	// Path is the request path.
	Path string
	// Query holds the parameters sent with every page besides pageSize and
	// nextPageToken (orderBy, sortOrder, artifactType, ...).
	Query url.Values
	// PageSize is sent as pageSize.
	PageSize int
	// OnRequest is called once per request sent; nil to not count.
	OnRequest func()
	// OnPage is called with each page's JSON as received, after it
	// decoded; nil to not look. The slice is only valid during the call.
	OnPage func(raw []byte)
}

// page is the list shape both APIs share (BaseResourceList + items).
type page[T any] struct {
	Items         []T
	NextPageToken string
	raw           []byte
	// memo, when set, answers a page whose bytes it already decoded.
	memo *PageMemo[T]
	sum  [sha256.Size]byte
	// reused says the page came from memo.
	reused bool
}

// decodeRaw decodes a page from the bytes the server sent, unless memo
// already holds a page with those exact bytes.
func (p *page[T]) decodeRaw(data []byte) error {
	p.raw = data
	if p.memo != nil {
		p.sum = sha256.Sum256(data)
		if m, ok := p.memo.lookup(p.sum); ok {
			p.Items, p.NextPageToken, p.reused = m.items, m.next, true
			return nil
		}
	}
	// One pass for the usual page; only a page without items (absent or
	// null, which must be told apart) is read a second time.
	var fast struct {
		Items         []T    `json:"items"`
		NextPageToken string `json:"nextPageToken"`
	}
	if err := json.Unmarshal(data, &fast); err != nil {
		return err
	}
	if fast.Items != nil {
		p.Items, p.NextPageToken = fast.Items, fast.NextPageToken
		return nil
	}
	return json.Unmarshal(data, p)
}

// UnmarshalJSON insists on the items field, so that a JSON answer from the
// wrong service (say "{}") is a decode error rather than an empty registry.
// A null items is an empty page.
func (p *page[T]) UnmarshalJSON(data []byte) error {
	var env struct {
		Items         json.RawMessage `json:"items"`
		NextPageToken string          `json:"nextPageToken"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return err
	}
	if len(env.Items) == 0 {
		return errors.New(`the list has no "items" field`)
	}
	p.NextPageToken = env.NextPageToken
	p.raw = data
	p.Items = nil
	if bytes.Equal(bytes.TrimSpace(env.Items), []byte("null")) {
		return nil
	}
	if err := json.Unmarshal(env.Items, &p.Items); err != nil {
		return fmt.Errorf("items: %w", err)
	}
	return nil
}

// PageMemo remembers the pages of the last complete list read through it,
// by the SHA-256 of their bytes, so that a page the server sends again
// byte for byte is not decoded again: a poll of an unchanged registry then
// costs hashing, not JSON decoding. It holds only the last complete list's
// pages (a failed list leaves them as they were), and their items share
// memory with the slice that list returned, so callers must not change
// the items they are handed. The zero value is ready; it is safe for
// concurrent use.
type PageMemo[T any] struct {
	mu    sync.Mutex
	pages map[[sha256.Size]byte]memoPage[T]
	// reused counts the pages the last complete list took from the memo.
	reused int
	// items is how many items the last complete list had.
	items int
}

type memoPage[T any] struct {
	items []T
	next  string
}

func (m *PageMemo[T]) lookup(sum [sha256.Size]byte) (memoPage[T], bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.pages[sum]
	return p, ok
}

// size is how many items the last complete list had: the next list is
// usually as long, and a slice grown by doubling up to a registry's
// 100,000 versions would hold up to twice the room it needs (0 for a nil
// memo).
func (m *PageMemo[T]) size() int {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.items
}

// Reused is how many pages the last complete list took from the memo
// instead of decoding them.
func (m *PageMemo[T]) Reused() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reused
}

// Forget lets go of the pages, which share memory with the list that
// left them: a caller that keeps a newer list instead need not hold both.
// The next list still starts with the room the last one needed.
func (m *PageMemo[T]) Forget() {
	m.mu.Lock()
	m.pages, m.reused = nil, 0
	m.mu.Unlock()
}

// remember replaces the memo with a complete list's pages: sums[i] is
// page i's, holding all[ends[i-1]:ends[i]].
func (m *PageMemo[T]) remember(all []T, sums [][sha256.Size]byte, ends []int, nexts []string, reused int) {
	pages := make(map[[sha256.Size]byte]memoPage[T], len(sums))
	start := 0
	for i, sum := range sums {
		pages[sum] = memoPage[T]{items: all[start:ends[i]:ends[i]], next: nexts[i]}
		start = ends[i]
	}
	m.mu.Lock()
	m.pages, m.reused, m.items = pages, reused, len(all)
	m.mu.Unlock()
}

// ListAll follows nextPageToken until the server reports no further page
// and returns every item. id extracts an item's id ("" when it has none);
// a repeated token or a repeated id means the server's paging does not
// advance, which fails the whole list rather than looping or returning a
// partial result.
func ListAll[T any](ctx context.Context, c *Client, l List, id func(*T) string) ([]T, error) {
	return ListAllMemo(ctx, c, l, id, nil)
}

// ListAllMemo is ListAll that takes the pages memo holds instead of
// decoding them again, and leaves this list's pages in memo when it
// completes; nil memo is ListAll.
func ListAllMemo[T any](ctx context.Context, c *Client, l List, id func(*T) string, memo *PageMemo[T]) ([]T, error) {
	all := make([]T, 0, memo.size())
	var sums [][sha256.Size]byte
	var ends []int
	var nexts []string
	reused := 0
	seenTokens := map[string]bool{}
	seenIDs := map[string]bool{}
	token := ""
	for pageNo := 1; ; pageNo++ {
		if pageNo > maxPages {
			return nil, pagingError(c, l, pageNo, fmt.Sprintf("more than %d pages: the server's paging does not end", maxPages))
		}
		q := url.Values{}
		for k, v := range l.Query {
			q[k] = append([]string(nil), v...)
		}
		q.Set("pageSize", strconv.Itoa(ClampPageSize(l.PageSize)))
		if token != "" {
			q.Set("nextPageToken", token)
		}
		if l.OnRequest != nil {
			l.OnRequest()
		}
		env := page[T]{memo: memo}
		if err := c.Get(ctx, l.Endpoint, l.Path, q, &env); err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.Page = pageNo
			}
			return nil, err
		}
		if l.OnPage != nil {
			l.OnPage(env.raw)
		}
		items := env.Items
		for i := range items {
			if ident := id(&items[i]); ident != "" {
				if seenIDs[ident] {
					return nil, pagingError(c, l, pageNo, fmt.Sprintf("id %s was already on an earlier page: the server's paging does not advance", ident))
				}
				seenIDs[ident] = true
			}
		}
		all = append(all, items...)
		if memo != nil {
			if env.reused {
				reused++
			}
			sums, ends, nexts = append(sums, env.sum), append(ends, len(all)), append(nexts, env.NextPageToken)
		}
		// An empty page ends the list even with a token: some servers hand
		// out a token whenever a page is full, and the page after it is
		// empty.
		if env.NextPageToken == "" || len(items) == 0 {
			if memo != nil {
				memo.remember(all, sums, ends, nexts, reused)
			}
			return all, nil
		}
		if seenTokens[env.NextPageToken] {
			return nil, pagingError(c, l, pageNo, "the nextPageToken was already used: the server's paging does not advance")
		}
		seenTokens[env.NextPageToken] = true
		token = env.NextPageToken
	}
}

func pagingError(c *Client, l List, pageNo int, detail string) error {
	e := c.fail(l.Endpoint, l.Path, OutcomeDecodeError, 200, detail, nil)
	e.Page = pageNo
	return e
}
