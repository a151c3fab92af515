package index

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/backstage/entity"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// LocationName is the metadata.name of the root Location entity served at
// LocationURI, whose targets are the catalog-info YAML of every record.
const LocationName = "rhoai-model-catalog"

// LocationURI is where the root Location entity is served.
const LocationURI = "/" + record.FileYAML

const locationDescription = "AI models registered and served on OpenShift AI, published by the OpenShift AI connector for Red Hat Developer Hub"

// entities is a record's Backstage entities as catalog-info YAML, served
// at uri (the record's directory plus /catalog-info.yaml). It is checked
// when a body is stored (once per body, shared by every snapshot holding
// it) and, in record.JSONArrayFormat, rendered when first asked for: a
// location that only RHDH's plugin reads never pays for the YAML. It is
// served as record.MediaTypeYAML, like the root Location.
type entities struct {
	uri string
	// err says why the record has no entities to serve (a body that is not
	// a model-catalog document, or entities Backstage would reject); such a
	// record is no target of the root Location.
	err error
	// body is the record's checked JSON document (the record's own bytes,
	// not a copy), rendered into rep once.
	body []byte
	once sync.Once
	rep  Representation
}

// newEntities checks the entities of key's body in format f. In
// record.CatalogInfoYAMLFormat the body already is that YAML, served as
// stored.
func newEntities(f record.Format, key string, body []byte, doc *Representation) *entities {
	uri, err := record.URI(key, record.FileYAML)
	if err != nil {
		// Unreachable: the key was validated before.
		panic("index: key validated but has no URI: " + err.Error())
	}
	e := &entities{uri: uri}
	if f == record.CatalogInfoYAMLFormat {
		e.rep = *doc
		e.once.Do(func() {})
		return e
	}
	if _, e.err = checkEntities(body); e.err == nil {
		e.body = body
	}
	return e
}

// checkEntities decodes a model-catalog JSON document and refuses entities
// Backstage would reject: listing them would get errors in Backstage and,
// for an entity without a name, fail the whole root Location's processing.
func checkEntities(body []byte) (*modelcatalog.Document, error) {
	var doc modelcatalog.Document
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("the document is not a model-catalog document: %w", err)
	}
	ents := entity.Entities(doc)
	if len(ents) == 0 {
		return nil, errors.New("the document has no model and no model server")
	}
	if err := entity.ValidateAll(ents); err != nil {
		return nil, fmt.Errorf("Backstage would reject its entities: %w", err) //nolint:staticcheck // ST1005: "Backstage" is a proper noun
	}
	return &doc, nil
}

// Entities returns what the record's catalog-info YAML URI serves, or an
// error saying why it serves nothing.
func (d *Document) Entities() (*Representation, error) {
	e := d.ents
	if e.err != nil {
		return nil, e.err
	}
	e.once.Do(func() {
		doc, err := checkEntities(e.body)
		var y []byte
		if err == nil {
			y, err = entity.YAML(*doc)
		}
		if err != nil {
			// Unreachable: the body was checked and is never modified.
			panic("index: rendering checked entities: " + err.Error())
		}
		e.rep = newRepresentation(y, record.MediaTypeYAML)
	})
	return &e.rep, nil
}

// EntitiesURI is the URI of the record's catalog-info YAML: its directory
// plus /catalog-info.yaml (its own URI in record.CatalogInfoYAMLFormat).
func (d *Document) EntitiesURI() string { return d.ents.uri }

// location is the root Location of one snapshot, rendered on first use.
type location struct {
	once    sync.Once
	targets []string
	rep     Representation
}
