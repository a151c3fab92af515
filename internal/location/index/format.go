package index

import (
	"fmt"
	"strings"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// Format is the document format the normalizer writes (NORMALIZER_FORMAT):
// it decides the file name at the end of each listed URI and the
// Content-Type documents are served with. Bodies are served as stored.
type Format string

// The two formats of NORMALIZER_FORMAT.
const (
	JSONArray       Format = "JsonArrayFormat"
	CatalogInfoYAML Format = "CatalogInfoYamlFormat"
)

// ParseFormat reads a NORMALIZER_FORMAT value; empty means JSONArray.
func ParseFormat(s string) (Format, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return JSONArray, nil
	case strings.EqualFold(s, string(JSONArray)):
		return JSONArray, nil
	case strings.EqualFold(s, string(CatalogInfoYAML)):
		return CatalogInfoYAML, nil
	}
	return "", fmt.Errorf("NORMALIZER_FORMAT %q is not supported: use %s (the default) or %s", s, JSONArray, CatalogInfoYAML)
}

// File is the file name that ends the URIs of this format.
func (f Format) File() string {
	if f == CatalogInfoYAML {
		return record.FileYAML
	}
	return record.FileJSON
}

// ContentType is the media type documents of this format are served as.
func (f Format) ContentType() string {
	if f == CatalogInfoYAML {
		return YAMLContentType
	}
	return "application/json"
}
