package fakeregistry

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Sort fields accepted in orderBy. The registry spec's OrderByField lists
// CREATE_TIME, LAST_UPDATE_TIME and ID; NAME is accepted as well, as the
// catalog spec and newer upstream servers do.
const (
	OrderByID             = "ID"
	OrderByName           = "NAME"
	OrderByCreateTime     = "CREATE_TIME"
	OrderByLastUpdateTime = "LAST_UPDATE_TIME"
)

// Sort directions accepted in sortOrder.
const (
	SortASC  = "ASC"
	SortDESC = "DESC"
)

var orderByFields = []string{OrderByID, OrderByName, OrderByCreateTime, OrderByLastUpdateTime}

// pageSizePattern is the spec's pattern for the pageSize query parameter.
var pageSizePattern = regexp.MustCompile(`^[1-9][0-9]{0,8}$`)

// sortSpec is one ordering of a table.
type sortSpec struct {
	by   string
	desc bool
}

// sortKey is a row's position in an ordering: numeric fields use n, string
// fields use s, and id breaks ties so the order is total.
type sortKey struct {
	N  int64  `json:"n,omitempty"`
	S  string `json:"s,omitempty"`
	ID int64  `json:"i"`
}

func compareKeys(a, b sortKey) int {
	switch {
	case a.N != b.N:
		if a.N < b.N {
			return -1
		}
		return 1
	case a.S != b.S:
		return strings.Compare(a.S, b.S)
	case a.ID != b.ID:
		if a.ID < b.ID {
			return -1
		}
		return 1
	}
	return 0
}

// cursor is what a nextPageToken carries: the ordering it belongs to and
// the key of the last item returned. The next page starts strictly after
// that key, so items added or removed meanwhile shift nothing.
type cursor struct {
	By   string  `json:"o"`
	Desc bool    `json:"d,omitempty"`
	Last sortKey `json:"k"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(token string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || json.Unmarshal(b, &c) != nil || !slices.Contains(orderByFields, c.By) {
		return c, invalidf("nextPageToken %q was not issued by this server: pass the nextPageToken of the previous page unchanged, or none for the first page", token)
	}
	return c, nil
}

// listQuery is a parsed list request: page size, ordering and where to
// resume.
type listQuery struct {
	size  int
	spec  sortSpec
	after *cursor
}

// pagingDefaults are the values used when a request leaves them out.
type pagingDefaults struct {
	pageSize    int
	maxPageSize int // 0: no limit
	orderBy     string
}

// parseFilteredList reads a list request that also takes filterQuery: its
// paging (parseListQuery) and its filter (parseFilter).
func parseFilteredList(q url.Values, d pagingDefaults) (listQuery, filter, error) {
	lq, err := parseListQuery(q, d)
	if err != nil {
		return listQuery{}, nil, err
	}
	f, err := parseFilter(q.Get("filterQuery"))
	if err != nil {
		return listQuery{}, nil, err
	}
	return lq, f, nil
}

// parseListQuery reads pageSize, orderBy, sortOrder and nextPageToken as the
// specs define them.
func parseListQuery(q url.Values, d pagingDefaults) (listQuery, error) {
	lq := listQuery{size: d.pageSize, spec: sortSpec{by: d.orderBy}}
	if v := q.Get("pageSize"); v != "" {
		if !pageSizePattern.MatchString(v) {
			return lq, invalidf("pageSize %q must be a positive integer", v)
		}
		n, _ := strconv.Atoi(v)
		lq.size = n
	}
	if d.maxPageSize > 0 && lq.size > d.maxPageSize {
		lq.size = d.maxPageSize
	}
	if v := q.Get("orderBy"); v != "" {
		if !slices.Contains(orderByFields, v) {
			return lq, invalidf("orderBy %q is not supported: use one of %s", v, strings.Join(orderByFields, ", "))
		}
		lq.spec.by = v
	}
	switch v := q.Get("sortOrder"); v {
	case "", SortASC:
	case SortDESC:
		lq.spec.desc = true
	default:
		return lq, invalidf("sortOrder %q is not supported: use ASC or DESC", v)
	}
	if v := q.Get("nextPageToken"); v != "" {
		c, err := decodeCursor(v)
		if err != nil {
			return lq, err
		}
		if c.By != lq.spec.by || c.Desc != lq.spec.desc {
			return lq, invalidf("nextPageToken belongs to orderBy=%s sortOrder=%s: repeat the orderBy and sortOrder of the first request", c.By, direction(c.Desc))
		}
		lq.after = &c
	}
	return lq, nil
}

func direction(desc bool) string {
	if desc {
		return SortDESC
	}
	return SortASC
}
