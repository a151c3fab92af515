package fakeregistry

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
)

// meta holds what a table indexes about an entity.
type meta struct {
	parent int64  // owning entity (nested lists, name scope); 0 when none
	name   string // unique within parent when set
	ext    string // externalId, unique within the table when set
	sid    string // string id (catalog sources); orders ID when set
}

// row is one stored entity. obj is never changed in place: an update stores
// a new value, so copies handed out earlier stay valid without the lock.
type row[T any] struct {
	meta
	id      int64
	created int64
	updated int64
	obj     T
	enc     []byte // obj's JSON, made on first listing; dropped on update
}

// encoded is r.obj as JSON, cached: the generated types encode through a
// map, which made that the largest cost of a list request.
func (r *row[T]) encoded() (json.RawMessage, error) {
	if r.enc == nil {
		b, err := json.Marshal(r.obj)
		if err != nil {
			return nil, fmt.Errorf("encoding entity %d: %w", r.id, err)
		}
		r.enc = b
	}
	return r.enc, nil
}

func (r *row[T]) key(by string) sortKey {
	switch by {
	case OrderByName:
		return sortKey{S: r.name, ID: r.id}
	case OrderByCreateTime:
		return sortKey{N: r.created, ID: r.id}
	case OrderByLastUpdateTime:
		return sortKey{N: r.updated, ID: r.id}
	}
	if r.sid != "" {
		return sortKey{S: r.sid, ID: r.id}
	}
	return sortKey{N: r.id, ID: r.id}
}

type nameKey struct {
	parent int64
	name   string
}

// table stores one entity type with the indexes that listing, nesting and
// uniqueness checks need. It does no locking: its owner does.
type table[T any] struct {
	kind        string // entity name in messages, e.g. "RegisteredModel"
	parentKind  string // owning entity name in messages, "" when names are global
	uniqueNames bool   // names are unique within a parent and indexed
	rows        map[int64]*row[T]
	ordered     []*row[T]           // ascending id (ids only grow)
	children    map[int64][]*row[T] // by parent, ascending id
	names       map[nameKey]int64
	exts        map[string]int64
	sorted      map[sortSpec][]*row[T] // cache, dropped on every write
}

func newTable[T any](kind, parentKind string, uniqueNames bool) *table[T] {
	return &table[T]{
		kind:        kind,
		parentKind:  parentKind,
		uniqueNames: uniqueNames,
		rows:        map[int64]*row[T]{},
		children:    map[int64][]*row[T]{},
		names:       map[nameKey]int64{},
		exts:        map[string]int64{},
		sorted:      map[sortSpec][]*row[T]{},
	}
}

func (t *table[T]) get(id int64) (*row[T], bool) {
	r, ok := t.rows[id]
	return r, ok
}

// existing is row id, or the API's 404 error naming the kind and id.
func (t *table[T]) existing(id int64) (*row[T], error) {
	r, ok := t.rows[id]
	if !ok {
		return nil, notFoundf("%s %d does not exist", t.kind, id)
	}
	return r, nil
}

func (t *table[T]) byName(parent int64, name string) (*row[T], bool) {
	id, ok := t.names[nameKey{parent, name}]
	if !ok {
		return nil, false
	}
	return t.rows[id], true
}

func (t *table[T]) byExternalID(ext string) (*row[T], bool) {
	id, ok := t.exts[ext]
	if !ok {
		return nil, false
	}
	return t.rows[id], true
}

// checkUnique fails when m's name or externalId is taken by another row
// than self.
func (t *table[T]) checkUnique(m meta, self int64) error {
	if t.uniqueNames && m.name != "" {
		if id, ok := t.names[nameKey{m.parent, m.name}]; ok && id != self {
			if t.parentKind != "" {
				return conflictf("%s named %q already exists in %s %d (id %d): choose another name", t.kind, m.name, t.parentKind, m.parent, id)
			}
			return conflictf("%s named %q already exists (id %d): choose another name", t.kind, m.name, id)
		}
	}
	if m.ext != "" {
		if id, ok := t.exts[m.ext]; ok && id != self {
			return conflictf("%s with externalId %q already exists (id %d): externalId must be unique", t.kind, m.ext, id)
		}
	}
	return nil
}

func (t *table[T]) insert(r *row[T]) error {
	if err := t.checkUnique(r.meta, r.id); err != nil {
		return err
	}
	t.rows[r.id] = r
	t.ordered = append(t.ordered, r)
	t.children[r.parent] = append(t.children[r.parent], r)
	t.index(r)
	clear(t.sorted)
	return nil
}

func (t *table[T]) index(r *row[T]) {
	if t.uniqueNames && r.name != "" {
		t.names[nameKey{r.parent, r.name}] = r.id
	}
	if r.ext != "" {
		t.exts[r.ext] = r.id
	}
}

func (t *table[T]) unindex(r *row[T]) {
	if t.uniqueNames && r.name != "" {
		delete(t.names, nameKey{r.parent, r.name})
	}
	if r.ext != "" {
		delete(t.exts, r.ext)
	}
}

// replace stores a new value for r with its new meta.
func (t *table[T]) replace(r *row[T], obj T, m meta, updated int64) error {
	if err := t.checkUnique(m, r.id); err != nil {
		return err
	}
	t.unindex(r)
	if m.parent != r.parent {
		kids := t.children[r.parent]
		if i := slices.Index(kids, r); i >= 0 {
			t.children[r.parent] = slices.Delete(kids, i, i+1)
		}
		kids = t.children[m.parent]
		i := sort.Search(len(kids), func(i int) bool { return kids[i].id > r.id })
		t.children[m.parent] = slices.Insert(kids, i, r)
	}
	r.meta, r.obj, r.updated, r.enc = m, obj, updated, nil
	t.index(r)
	clear(t.sorted)
	return nil
}

// view is every row in the given order; cached until the next write.
func (t *table[T]) view(spec sortSpec) []*row[T] {
	if v, ok := t.sorted[spec]; ok {
		return v
	}
	v := sortRows(t.ordered, spec)
	t.sorted[spec] = v
	return v
}

// childView is the rows owned by parent in the given order.
func (t *table[T]) childView(parent int64, spec sortSpec) []*row[T] {
	return sortRows(t.children[parent], spec)
}

// sortRows returns rows (in ascending id order) in spec's order.
func sortRows[T any](rows []*row[T], spec sortSpec) []*row[T] {
	if spec.by == OrderByID && !spec.desc && (len(rows) == 0 || rows[0].sid == "") {
		return rows
	}
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b *row[T]) int {
		c := compareKeys(a.key(spec.by), b.key(spec.by))
		if spec.desc {
			return -c
		}
		return c
	})
	return out
}

// pageRows returns the next page of rows (sorted by q.spec) that keep
// accepts, and the token of the page after it ("" when there is none).
func pageRows[T any](rows []*row[T], q listQuery, keep func(*row[T]) bool) ([]*row[T], string) {
	start := 0
	if q.after != nil {
		last := q.after.Last
		start = sort.Search(len(rows), func(i int) bool {
			c := compareKeys(rows[i].key(q.spec.by), last)
			if q.spec.desc {
				return c < 0
			}
			return c > 0
		})
	}
	out := make([]*row[T], 0, min(q.size, len(rows)-start))
	for _, r := range rows[start:] {
		if keep != nil && !keep(r) {
			continue
		}
		if len(out) == q.size {
			c := cursor{By: q.spec.by, Desc: q.spec.desc, Last: out[len(out)-1].key(q.spec.by)}
			return out, encodeCursor(c)
		}
		out = append(out, r)
	}
	return out, ""
}

// encodedRows returns the JSON of rows.
func encodedRows[T any](rows []*row[T]) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(rows))
	for i, r := range rows {
		b, err := r.encoded()
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// objects returns the stored values of rows (shallow copies: see row).
func objects[T any](rows []*row[T]) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = r.obj
	}
	return out
}
