package normalize

import (
	"fmt"
	"strings"
)

// Defaults applied when Options leave a field empty (and when the configured
// value is itself unusable).
const (
	DefaultOwner           = "rhdh-rhoai-bridge"
	DefaultLifecycle       = "development"
	DefaultLocationBaseURL = "http://localhost:9090"
)

// Format is the encoding of Output.Body (the NORMALIZER_FORMAT variable).
type Format string

const (
	// JsonArrayFormat is the model-catalog JSON document, the documented
	// format.
	JsonArrayFormat Format = "JsonArrayFormat" //nolint:revive // the documented value's spelling
	// CatalogInfoYamlFormat is the legacy Backstage catalog-info YAML.
	CatalogInfoYamlFormat Format = "CatalogInfoYamlFormat"
)

// ParseFormat reads a NORMALIZER_FORMAT value; "" means JsonArrayFormat.
func ParseFormat(s string) (Format, error) {
	switch strings.TrimSpace(s) {
	case "", string(JsonArrayFormat):
		return JsonArrayFormat, nil
	case string(CatalogInfoYamlFormat):
		return CatalogInfoYamlFormat, nil
	}
	return "", fmt.Errorf("unknown output format %q: set NORMALIZER_FORMAT to %s or %s", s, JsonArrayFormat, CatalogInfoYamlFormat)
}

// Options tune Build. The zero value uses the defaults.
type Options struct {
	// DefaultOwner is the owner when no property, annotation or registered
	// model owner names one (DEFAULT_OWNER).
	DefaultOwner string
	// DefaultLifecycle is the lifecycle when no property or annotation names
	// one (DEFAULT_LIFECYCLE).
	DefaultLifecycle string
	// Format selects the encoding of Output.Body.
	Format Format
	// LocationBaseURL is where the 0.7.x plugin reaches the location service;
	// model card links are <LocationBaseURL>/modelcard?key=<key>.
	LocationBaseURL string
	// DashboardURL returns the base URL of the OpenShift AI dashboard
	// (https://<host>), "" when there is none: then no dashboard links are
	// published. Build calls it once. nil means no dashboard.
	DashboardURL func() string
}
