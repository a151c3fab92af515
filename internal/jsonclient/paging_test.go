package jsonclient_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/jsonclient"
)

type item struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// pagedServer serves its pages in order, nextPageToken "p<i>" leading to
// page i; a page can be changed or made to fail between lists.
type pagedServer struct {
	mu    sync.Mutex
	pages []string
	fail  int // page index answered 500, -1 for none
}

func (s *pagedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := 0
	if tok := r.URL.Query().Get("nextPageToken"); tok != "" {
		_, _ = fmt.Sscanf(tok, "p%d", &i)
	}
	if i == s.fail {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"message":"down"}`))
		return
	}
	_, _ = w.Write([]byte(s.pages[i]))
}

func (s *pagedServer) set(i int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages[i] = body
}

func (s *pagedServer) failPage(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = i
}

func listThings(t *testing.T, c *jsonclient.Client, memo *jsonclient.PageMemo[item]) ([]item, error) {
	t.Helper()
	return jsonclient.ListAllMemo(context.Background(), c, jsonclient.List{Endpoint: "things", Path: "/things", PageSize: 2},
		func(x *item) string { return x.ID }, memo)
}

func TestPageMemoDecodesOnlyPagesThatChanged(t *testing.T) {
	srv := &pagedServer{fail: -1, pages: []string{
		`{"items":[{"id":"1","value":"a"},{"id":"2","value":"b"}],"nextPageToken":"p1"}`,
		`{"items":[{"id":"3","value":"c"},{"id":"4","value":"d"}],"nextPageToken":"p2"}`,
		`{"items":[{"id":"5","value":"e"}],"nextPageToken":""}`,
	}}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c := jsonclient.New("model registry", ts.URL, jsonclient.Options{})
	memo := &jsonclient.PageMemo[item]{}

	first, err := listThings(t, c, memo)
	require.NoError(t, err)
	assert.Equal(t, []item{{"1", "a"}, {"2", "b"}, {"3", "c"}, {"4", "d"}, {"5", "e"}}, first)
	assert.Equal(t, 0, memo.Reused(), "nothing to reuse on the first list")

	again, err := listThings(t, c, memo)
	require.NoError(t, err)
	assert.Equal(t, first, again)
	assert.Equal(t, 3, memo.Reused(), "every page came back byte for byte")
	assert.Equal(t, len(again), cap(again), "a list as long as the last one takes no more room than it needs")

	srv.set(1, `{"items":[{"id":"3","value":"C"},{"id":"4","value":"d"}],"nextPageToken":"p2"}`)
	changed, err := listThings(t, c, memo)
	require.NoError(t, err)
	assert.Equal(t, []item{{"1", "a"}, {"2", "b"}, {"3", "C"}, {"4", "d"}, {"5", "e"}}, changed)
	assert.Equal(t, 2, memo.Reused(), "only the changed page is decoded")

	// A failed list leaves the memo as the last complete list left it: the
	// page changed back is decoded, not taken from a half-read list.
	srv.set(1, `{"items":[{"id":"3","value":"c"},{"id":"4","value":"d"}],"nextPageToken":"p2"}`)
	srv.failPage(2)
	_, err = listThings(t, c, memo)
	require.Error(t, err)
	assert.Equal(t, 2, memo.Reused(), "a failed list does not count")
	srv.failPage(-1)
	back, err := listThings(t, c, memo)
	require.NoError(t, err)
	assert.Equal(t, first, back)
	assert.Equal(t, 2, memo.Reused(), "the page changed back was decoded: the failed list left nothing behind")
}

func TestPagesWithoutItemsAreToldApart(t *testing.T) {
	for name, tc := range map[string]struct {
		body    string
		want    []item
		wantErr string
	}{
		"null items is an empty list": {body: `{"items":null}`, want: nil},
		"empty items":                 {body: `{"items":[]}`, want: []item{}},
		"no items field is an error":  {body: `{"size":0}`, wantErr: `no "items" field`},
		"items not a list":            {body: `{"items":{"id":"1"}}`, wantErr: "not the expected JSON"},
	} {
		t.Run(name, func(t *testing.T) {
			ts := serve(t, http.StatusOK, tc.body)
			c := jsonclient.New("model registry", ts.URL, jsonclient.Options{})
			for _, memo := range []*jsonclient.PageMemo[item]{nil, {}, {}} {
				got, err := listThings(t, c, memo)
				if tc.wantErr != "" {
					require.Error(t, err)
					assert.Contains(t, err.Error(), tc.wantErr)
					continue
				}
				require.NoError(t, err)
				assert.Equal(t, len(tc.want), len(got))
			}
		})
	}
}
