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

// entities is what a record's catalog-info YAML URI serves, in
// record.JSONArrayFormat: its Backstage entities, checked when a body is
// stored (once per body, shared by every document holding it) and
// rendered when first asked for, from the document's body: a location
// that only RHDH's plugin reads never pays for the YAML. It is served as
// record.MediaTypeYAML, like the root Location. It is held for every
// record, hence its few fields.
type entities struct {
	once sync.Once
	rep  *Representation // once rendered
	// err, when set, says why the record has no entities to serve (a body
	// that is not a model-catalog document, or entities Backstage would
	// reject); such a record is no target of the root Location. A pointer,
	// as few records have one: the struct is 32 bytes instead of 48.
	err *error
}

// newEntities checks the entities of a body in format f; nil in
// record.CatalogInfoYAMLFormat, where the body already is that YAML.
func newEntities(f record.Format, body []byte) *entities {
	if f == record.CatalogInfoYAMLFormat {
		return nil
	}
	e := &entities{}
	if _, err := checkEntities(body); err != nil {
		e.err = new(error) // here, not at each call as &err would be
		*e.err = err
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

// location is the root Location of one snapshot, rendered on first use.
type location struct {
	once    sync.Once
	targets []string
	rep     Representation
}
