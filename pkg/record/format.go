package record

import (
	"fmt"
	"strings"
)

// Format is the document format the normalizer writes, named by the
// NORMALIZER_FORMAT variable that all three binaries read: it decides how
// a record's body is encoded, the file name that ends the record's URI
// (File) and the media type location serves the body as (MediaType).
// pkg/record is its one owner; mapping, location and storage-rest use
// these values rather than spelling them again.
type Format string

// The two values of NORMALIZER_FORMAT, spelled as they are documented.
const (
	// JSONArrayFormat is the model-catalog JSON document, the default.
	JSONArrayFormat Format = "JsonArrayFormat"
	// CatalogInfoYAMLFormat is the legacy Backstage catalog-info YAML.
	CatalogInfoYAMLFormat Format = "CatalogInfoYamlFormat"
)

// Media types documents are served as, one per format.
const (
	MediaTypeJSON = "application/json"
	MediaTypeYAML = "application/yaml"
)

// FormatChoices names the two values, for help texts.
const FormatChoices = string(JSONArrayFormat) + " or " + string(CatalogInfoYAMLFormat)

// ParseFormat reads a NORMALIZER_FORMAT value. The one rule all three
// binaries apply: surrounding spaces are ignored, the value is matched
// without regard to case, and an empty value means JSONArrayFormat. The
// result is always one of the two constants, spelled as documented.
func ParseFormat(s string) (Format, error) {
	switch t := strings.TrimSpace(s); {
	case t == "", strings.EqualFold(t, string(JSONArrayFormat)):
		return JSONArrayFormat, nil
	case strings.EqualFold(t, string(CatalogInfoYAMLFormat)):
		return CatalogInfoYAMLFormat, nil
	}
	return "", fmt.Errorf("NORMALIZER_FORMAT %q is not supported: use %s (the default) or %s", s, JSONArrayFormat, CatalogInfoYAMLFormat)
}

// File is the document file name that ends the URIs of records in this
// format: FileYAML for CatalogInfoYAMLFormat, else FileJSON.
func (f Format) File() string {
	if f == CatalogInfoYAMLFormat {
		return FileYAML
	}
	return FileJSON
}

// MediaType is the Content-Type documents of this format are served as:
// MediaTypeYAML for CatalogInfoYAMLFormat, else MediaTypeJSON.
func (f Format) MediaType() string {
	if f == CatalogInfoYAMLFormat {
		return MediaTypeYAML
	}
	return MediaTypeJSON
}
