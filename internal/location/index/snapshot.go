package index

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/backstage/entity"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// Snapshot is one immutable state of the index. A request takes one
// snapshot and answers from it alone, so /list and the documents it names
// always agree.
type Snapshot struct {
	format record.Format
	loaded bool
	now    func() time.Time

	docs pmap[*Document] // by key
	gone pmap[removed]   // by key
	// owners maps a card key to the sorted keys of the records carrying a
	// card for it under another key; a record's card under its own key
	// (the usual case) is found through docs.
	owners pmap[[]string]
	cards  pmap[*Card] // by card key
	list   uriList
	loc    *location // the root Location, rendered on first use
	// digest is record.Digest of the records listed, as storage-rest
	// answers GET /digest for what it holds.
	digest record.Digest

	listContentLength []string
}

// removed is a document no longer listed, still served until expires, so
// that a reader who listed it just before the removal gets it.
type removed struct {
	doc     *Document
	expires time.Time
}

// Loaded reports whether the first load from storage-rest has succeeded.
func (s *Snapshot) Loaded() bool { return s.loaded }

// Format is the document format of the index.
func (s *Snapshot) Format() record.Format { return s.format }

// Digest is the record.Digest of the records listed, in storage-rest's
// notation: equal to its GET /digest when both hold the same records.
func (s *Snapshot) Digest() string { return s.digest.String() }

// Len is the number of records listed.
func (s *Snapshot) Len() int { return s.docs.len() }

// CardCount is the number of model cards served.
func (s *Snapshot) CardCount() int { return s.cards.len() }

// URIs returns the listed URIs in order (a copy; /list uses WriteList).
func (s *Snapshot) URIs() []string { return slices.Collect(s.list.all()) }

// SetListHeaders sets the Content-Type and Content-Length of the /list body.
func (s *Snapshot) SetListHeaders(h http.Header) {
	h["Content-Type"] = jsonType[:]
	h["Content-Length"] = s.listContentLength
}

// WriteList writes the pre-encoded /list body, {"uris":[...]}.
func (s *Snapshot) WriteList(w io.Writer) (int64, error) { return s.list.writeTo(w) }

// Document returns the document at uri (with or without its leading
// slash), or nil. A document removed moments ago is still returned for a
// grace period, though no longer listed.
func (s *Snapshot) Document(uri string) *Document { return s.atURI(uri, s.format.File()) }

// DocumentByKey returns the document stored under key, or nil; like
// Document it still finds a document removed moments ago.
func (s *Snapshot) DocumentByKey(key string) *Document {
	if d, ok := s.docs.get(key); ok {
		return d
	}
	return s.stillServed(s.gone.get(key))
}

// atURI returns the document whose URI ending in file is uri, with or
// without its leading slash. URIs are not stored: the key is spelled from
// uri on the stack, so that serving a document allocates nothing, and the
// document found is returned only if uri is exactly its URI.
func (s *Snapshot) atURI(uri, file string) *Document {
	var buf [record.MaxKeyLength]byte
	key, ok := appendKey(buf[:0], uri, file)
	if !ok {
		return nil
	}
	d, ok := s.docs.getBytes(key)
	if !ok {
		d = s.stillServed(s.gone.getBytes(key))
	}
	if d == nil || !isURIOf(uri, d.Key, file) {
		return nil
	}
	return d
}

// stillServed is the document of a removed one still in its grace period.
func (s *Snapshot) stillServed(r removed, ok bool) *Document {
	if !ok || !s.now().Before(r.expires) {
		return nil
	}
	return r.doc
}

// Card returns the model card served under key, or nil.
func (s *Snapshot) Card(key string) *Card {
	c, _ := s.cards.get(key)
	return c
}

func (s *Snapshot) setListLength() {
	s.listContentLength = []string{strconv.Itoa(s.list.size)}
}

// EntitiesDocument returns the document whose catalog-info YAML is at uri
// (with or without its leading slash), or nil. Like Document it still
// finds a document removed moments ago.
func (s *Snapshot) EntitiesDocument(uri string) *Document { return s.atURI(uri, record.FileYAML) }

// Location returns the root Location entity: its targets are the
// catalog-info YAML of every listed record that has entities to serve,
// relative to the Location's own URL ("./mnist/v1/catalog-info.yaml"),
// sorted. It is rendered once per snapshot, when first asked for.
func (s *Snapshot) Location() *Representation {
	s.renderLocation()
	return &s.loc.rep
}

// Targets returns the targets of the root Location, in order (a copy).
func (s *Snapshot) Targets() []string {
	s.renderLocation()
	return slices.Clone(s.loc.targets)
}

func (s *Snapshot) renderLocation() {
	s.loc.once.Do(func() {
		targets := make([]string, 0, s.docs.len())
		for key, d := range s.docs.all() {
			if d.ents != nil && d.ents.err != nil {
				continue
			}
			targets = append(targets, uriOf(".", key, record.FileYAML))
		}
		slices.Sort(targets)
		body := entity.MarshalLocation(LocationName, locationDescription, targets)
		s.loc.targets, s.loc.rep = targets, newRepresentation(body, &yamlType)
	})
}
