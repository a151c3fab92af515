package jsonclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
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

// ListAll follows nextPageToken until the server reports no further page
// and returns every item. id extracts an item's id ("" when it has none);
// a repeated token or a repeated id means the server's paging does not
// advance, which fails the whole list rather than looping or returning a
// partial result.
func ListAll[T any](ctx context.Context, c *Client, l List, id func(*T) string) ([]T, error) {
	var all []T
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
		var env page[T]
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
		// An empty page ends the list even with a token: some servers hand
		// out a token whenever a page is full, and the page after it is
		// empty.
		if env.NextPageToken == "" || len(items) == 0 {
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
