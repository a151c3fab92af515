package index

import (
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/backstage/entity"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// Document is one record as served at its URI. It keeps only what serving
// and comparing a later write need, not the record, and computes its URIs
// from Key: at 90,000 records each 16 bytes held per record is 1.4 MiB.
type Document struct {
	Key string
	// Representation's Body is the record's body, not a copy.
	Representation
	updated record.Epoch
	// ents is what the record's catalog-info YAML URI serves; nil in
	// record.CatalogInfoYAMLFormat, where that is the document itself.
	ents *entities
	// card is the record's model card: its bytes are what /modelcard
	// serves.
	card string
	// cardKey is the record's ModelCardKey, nil for its own key (almost
	// every record), and reconciler its ReconcilerType, for the usual
	// values a string shared by every record: two pointers keep the
	// struct at 128 bytes instead of 144.
	cardKey, reconciler *string
}

// URI is where the document is served: its key's URI in the index's
// format, which the document's media type tells.
func (d *Document) URI() string {
	file := record.FileJSON
	if d.contentType == &yamlType {
		file = record.FileYAML
	}
	return uriOf("", d.Key, file)
}

// EntitiesURI is the URI of the record's catalog-info YAML: its directory
// plus /catalog-info.yaml (its own URI in record.CatalogInfoYAMLFormat).
func (d *Document) EntitiesURI() string { return uriOf("", d.Key, record.FileYAML) }

// Entities returns what the record's catalog-info YAML URI serves, or an
// error saying why it serves nothing.
func (d *Document) Entities() (*Representation, error) {
	e := d.ents
	if e == nil {
		return &d.Representation, nil
	}
	if e.err != nil {
		return nil, *e.err
	}
	// Rendered from d's body: a Document shares ents only with the
	// documents that share its body.
	e.once.Do(func() {
		doc, err := checkEntities(d.Body)
		var y []byte
		if err == nil {
			y, err = entity.YAML(*doc)
		}
		if err != nil {
			// Unreachable: the body was checked and is never modified.
			panic("index: rendering checked entities: " + err.Error())
		}
		rep := newRepresentation(y, &yamlType)
		e.rep = &rep
	})
	return e.rep, nil
}

// sameContent is record.Record.SameContent against what d kept of its
// record.
func (d *Document) sameContent(rec *record.Record) bool {
	held := d.record()
	return held.SameContent(rec)
}

// contentHash is the record.HashOf d's record, which the index's digest
// counts.
func (d *Document) contentHash() record.Hash {
	held := d.record()
	return record.HashOf(d.Key, &held)
}

// record is what d kept of its record: all SameContent compares.
func (d *Document) record() record.Record {
	held := record.Record{Body: d.Body, ReconcilerType: *d.reconciler, ModelCard: d.card}
	if d.cardKey != nil {
		held.ModelCardKey = *d.cardKey
	}
	return held
}

// cardKeyOf is the key the document's model card is served under, or ""
// when d is nil or carries no card.
func cardKeyOf(key string, d *Document) string {
	switch {
	case d == nil || d.card == "":
		return ""
	case d.cardKey != nil:
		return *d.cardKey
	}
	return key
}

// The usual reconciler types, shared by every record that has one.
var (
	noType       = ""
	kubeflowType = record.TypeKubeflow
	kserveType   = record.TypeKServe
)

// internType is where a document keeps a record's ReconcilerType: every
// record sends its own copy of the same few bytes.
func internType(t string) *string {
	switch t {
	case "":
		return &noType
	case record.TypeKubeflow:
		return &kubeflowType
	case record.TypeKServe:
		return &kserveType
	}
	return optional(t)
}

// optional is s, or nil when s is empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	p := new(string) // here, not at each call as &s would be
	*p = s
	return p
}
