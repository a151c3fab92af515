package registryclient

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/fieldhash"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/jsonclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
)

// DefaultListRefresh is how often a Client reads the five top-level lists
// whole, whatever their timestamps say.
const DefaultListRefresh = 10 * time.Minute

// changeOverlap is how far before the newest lastUpdateTimeSinceEpoch it
// holds a Client asks again: a write the registry stamped before another
// but committed after it is still read. Objects changed within it are read
// again on every poll, and found unchanged.
const changeOverlap = 30 * time.Second

// filterSupport is what a Client knows of the registry's filterQuery on
// lastUpdateTimeSinceEpoch (model registry v0.3 and later).
type filterSupport uint8

const (
	filterUnknown filterSupport = iota
	filterWorks
	// filterMissing: the registry refused the parameter (HTTP 400) or
	// ignored it (it answered objects older than asked for). Every poll
	// then reads the lists whole, which the page memos keep cheap.
	filterMissing
)

// topList is one of the five top-level lists and what the Client keeps of
// it between snapshots.
type topList[T any] struct {
	endpoint string
	id       func(*T) string
	updated  func(*T) registrymodel.Epoch
	// memo serves the pages of whole reads that the registry sends again
	// byte for byte. Once a poll has merged changes into the list, its
	// pages would hold on to the list before them, so they are let go.
	memo jsonclient.PageMemo[T]

	mu   sync.Mutex
	last listState[T] // from the last good snapshot
}

// listState is a list as one snapshot left it.
type listState[T any] struct {
	items []T // in ID order; shared with the snapshots that hold it: never changed
	// newest is the newest lastUpdateTimeSinceEpoch among items.
	newest registrymodel.Epoch
	// digest changes whenever items do: a hash of the pages of the last
	// whole read and of every change read since.
	digest [sha256.Size]byte
	// readAt is when the list was last read whole; zero before the first.
	readAt time.Time
}

// listRead is one snapshot's read of a list: its state if the snapshot
// succeeds, and what the read learned.
type listRead[T any] struct {
	state  listState[T]
	whole  bool
	filter filterSupport
	reused int // pages the memo served
	// changed holds, for a read of changes, the ids of the objects the
	// merge replaced or added, in ID order: what a sync must look at again
	// (Snapshot.Changes). Objects read again unchanged are not among them.
	changed []string
}

func (l *topList[T]) current() listState[T] {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

func (l *topList[T]) commit(r *listRead[T]) {
	l.mu.Lock()
	l.last = r.state
	l.mu.Unlock()
	if !r.whole {
		l.memo.Forget()
	}
}

// read reads the list into *out: whole on the first snapshot, every
// refresh and while the registry does not filter; otherwise only the
// objects changed since the last snapshot, merged into its list.
func (l *topList[T]) read(ctx context.Context, c *Client, filter filterSupport, now time.Time, count func(), out *listRead[T]) func() error {
	return func() error {
		last := l.current()
		whole := filter == filterMissing || last.readAt.IsZero() || c.listRefresh < 0 || now.Sub(last.readAt) >= c.listRefresh
		if !whole {
			done, err := l.readChanges(ctx, c, last, count, out)
			if done || err != nil {
				return err
			}
		}
		return l.readWhole(ctx, c, now, count, out)
	}
}

func (l *topList[T]) list(c *Client, count func(), pages *fieldhash.Hash, filterQuery string) jsonclient.List {
	q := url.Values{"orderBy": {"ID"}, "sortOrder": {"ASC"}}
	if filterQuery != "" {
		q.Set("filterQuery", filterQuery)
	}
	return jsonclient.List{
		Endpoint:  l.endpoint,
		Path:      APIPath + "/" + l.endpoint,
		Query:     q,
		PageSize:  c.pageSize,
		OnRequest: count,
		OnPage:    func(raw []byte) { pages.Bytes(raw) },
	}
}

func (l *topList[T]) readWhole(ctx context.Context, c *Client, now time.Time, count func(), out *listRead[T]) error {
	pages := fieldhash.New()
	items, err := jsonclient.ListAllMemo(ctx, c.api, l.list(c, count, pages, ""), l.id, &l.memo)
	if err != nil {
		return err
	}
	if items == nil {
		items = []T{}
	}
	out.whole, out.state = true, listState[T]{items: items, newest: l.newest(items), readAt: now}
	out.state.digest = pages.Sum()
	out.reused = l.memo.Reused()
	return nil
}

// readChanges asks for the objects changed since last. done is false when
// the registry turned out not to filter, and the list must be read whole.
func (l *topList[T]) readChanges(ctx context.Context, c *Client, last listState[T], count func(), out *listRead[T]) (done bool, err error) {
	since := last.newest - registrymodel.Epoch(changeOverlap.Milliseconds())
	pages := fieldhash.New()
	changed, err := jsonclient.ListAll(ctx, c.api, l.list(c, count, pages, fmt.Sprintf("lastUpdateTimeSinceEpoch >= %d", since)), l.id)
	var e *jsonclient.Error
	switch {
	case errors.As(err, &e) && e.StatusCode == http.StatusBadRequest:
		out.filter = filterMissing
		return false, nil
	case err != nil:
		return false, err
	}
	for i := range changed {
		if l.updated(&changed[i]) < since {
			out.filter = filterMissing
			return false, nil
		}
	}
	out.filter = filterWorks
	items, named := mergeChanges(last.items, changed, l.id)
	if len(items) > 0 {
		gone, err := l.lostNewest(ctx, c, count, &items[len(items)-1])
		if err != nil || gone {
			return false, err
		}
	}
	out.state = listState[T]{items: items, newest: max(last.newest, l.newest(changed)), digest: last.digest, readAt: last.readAt}
	out.changed = named
	if len(named) > 0 {
		read := pages.Sum()
		h := fieldhash.New()
		_, _ = h.Write(last.digest[:])
		_, _ = h.Write(read[:])
		out.state.digest = h.Sum()
	}
	return true, nil
}

// lostNewest reports whether the registry no longer has held, the object
// of the highest id the list holds, as it is or newer: asking for changes
// cannot see a registry emptied or restored from an older backup behind
// the same address, and this one-object request can. The list is then
// read whole, and an empty answer goes through the caller's confirmation
// as any other. An object created or changed since the changes were read
// is no loss: the next poll reads it.
func (l *topList[T]) lostNewest(ctx context.Context, c *Client, count func(), held *T) (bool, error) {
	var p struct {
		Items []T `json:"items"`
	}
	count()
	q := url.Values{"orderBy": {"ID"}, "sortOrder": {"DESC"}, "pageSize": {"1"}}
	if err := c.api.Get(ctx, l.endpoint, APIPath+"/"+l.endpoint, q, &p); err != nil {
		return false, err
	}
	if len(p.Items) == 0 {
		return true, nil
	}
	return lost(l.id(&p.Items[0]), l.updated(&p.Items[0]), l.id(held), l.updated(held)), nil
}

// lost says whether the registry's object of the highest id (top) shows
// that it lost held, the one the client holds.
func lost(topID string, topUpdated registrymodel.Epoch, heldID string, heldUpdated registrymodel.Epoch) bool {
	if topID == heldID {
		return topUpdated < heldUpdated
	}
	return registrymodel.LessID(topID, heldID)
}

func (l *topList[T]) newest(items []T) registrymodel.Epoch {
	var n registrymodel.Epoch
	for i := range items {
		n = max(n, l.updated(&items[i]))
	}
	return n
}

// mergeChanges returns old with changed applied, and the ids of the
// objects that made a difference, in ID order: an object of changed
// replaces the one of its id, or joins the list in ID order. old is never
// modified; it is returned as it is, with no ids, when nothing in changed
// differs from it (objects read again within changeOverlap).
func mergeChanges[T any](old, changed []T, id func(*T) string) ([]T, []string) {
	if len(changed) == 0 {
		return old, nil
	}
	byID := make(map[string]int, len(changed))
	for i := range changed {
		byID[id(&changed[i])] = i
	}
	var (
		out   []T
		named []string
	)
	for i := range old {
		j, ok := byID[id(&old[i])]
		if !ok {
			continue
		}
		delete(byID, id(&old[i]))
		if reflect.DeepEqual(&old[i], &changed[j]) {
			continue
		}
		if out == nil {
			out = slices.Clone(old)
		}
		out[i] = changed[j]
		named = append(named, id(&old[i]))
	}
	if len(byID) == 0 && out == nil {
		return old, nil
	}
	if out == nil {
		out = slices.Clone(old)
	}
	// New objects take higher ids than any before them: appended in ID
	// order, they need no sort of the whole list.
	sorted := true
	for i := range changed {
		if _, added := byID[id(&changed[i])]; added {
			if n := len(out); n > 0 && !registrymodel.LessID(id(&out[n-1]), id(&changed[i])) {
				sorted = false
			}
			out = append(out, changed[i])
			named = append(named, id(&changed[i]))
		}
	}
	if !sorted {
		// By index: a comparison taking the objects by value would copy
		// both to the heap on every call.
		sort.SliceStable(out, func(i, j int) bool { return registrymodel.LessID(id(&out[i]), id(&out[j])) })
		sort.Slice(named, func(i, j int) bool { return registrymodel.LessID(named[i], named[j]) })
	}
	return out, named
}

// learned is what a Client knows of the filter after a read that found f.
func learned(known, f filterSupport) filterSupport {
	if known == filterMissing || f == filterUnknown {
		return known
	}
	return f
}
