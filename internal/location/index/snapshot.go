package index

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
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

	docs   pmap[*Document] // by key
	byURI  pmap[*Document] // by URI of the format
	gone   pmap[*Document] // removed, by key, served until expires
	owners pmap[[]string]  // card key -> sorted keys of records carrying a card for it
	cards  pmap[*Card]     // by card key
	list   uriList
	loc    *location // the root Location, rendered on first use

	listContentLength []string
}

// jsonContentType is shared by every /list response; never modified.
var jsonContentType = []string{record.MediaTypeJSON}

// Loaded reports whether the first load from storage-rest has succeeded.
func (s *Snapshot) Loaded() bool { return s.loaded }

// Format is the document format of the index.
func (s *Snapshot) Format() record.Format { return s.format }

// Len is the number of records listed.
func (s *Snapshot) Len() int { return s.docs.len() }

// CardCount is the number of model cards served.
func (s *Snapshot) CardCount() int { return s.cards.len() }

// URIs returns the listed URIs in order (a copy; /list uses WriteList).
func (s *Snapshot) URIs() []string { return slices.Collect(s.list.all()) }

// SetListHeaders sets the Content-Type and Content-Length of the /list body.
func (s *Snapshot) SetListHeaders(h http.Header) {
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = s.listContentLength
}

// WriteList writes the pre-encoded /list body, {"uris":[...]}.
func (s *Snapshot) WriteList(w io.Writer) (int64, error) { return s.list.writeTo(w) }

// Document returns the document at uri (with or without its leading
// slash), or nil. A document removed moments ago is still returned for a
// grace period, though no longer listed.
func (s *Snapshot) Document(uri string) *Document {
	if d, ok := s.byURI.get(uri); ok {
		return d
	}
	if !strings.HasPrefix(uri, "/") {
		if d, ok := s.byURI.get("/" + uri); ok {
			return d
		}
	}
	key, file, err := record.KeyFromURI(uri)
	if err != nil || file != s.format.File() {
		return nil
	}
	return s.removed(key)
}

// DocumentByKey returns the document stored under key, or nil; like
// Document it still finds a document removed moments ago.
func (s *Snapshot) DocumentByKey(key string) *Document {
	if d, ok := s.docs.get(key); ok {
		return d
	}
	return s.removed(key)
}

func (s *Snapshot) removed(key string) *Document {
	if s.gone.len() == 0 {
		return nil
	}
	d, ok := s.gone.get(key)
	if !ok || !s.now().Before(d.expires) {
		return nil
	}
	return d
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
func (s *Snapshot) EntitiesDocument(uri string) *Document {
	key, file, err := record.KeyFromURI(uri)
	if err != nil || file != record.FileYAML {
		return nil
	}
	return s.DocumentByKey(key)
}

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
		for u := range s.list.all() {
			d, ok := s.byURI.get(u)
			if !ok || d.ents.err != nil {
				continue
			}
			targets = append(targets, "."+d.ents.uri)
		}
		slices.Sort(targets)
		body := entity.MarshalLocation(LocationName, locationDescription, targets)
		s.loc.targets, s.loc.rep = targets, newRepresentation(body, record.MediaTypeYAML)
	})
}
