package mapping

import (
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// Defaults applied when Options leave a field empty (and when the configured
// value is itself unusable).
const (
	DefaultOwner           = "rhdh-rhoai-bridge"
	DefaultLifecycle       = "development"
	DefaultLocationBaseURL = "http://localhost:9090"
)

// Options tune Build. The zero value uses the defaults.
type Options struct {
	// DefaultOwner is the owner when no property, annotation or registered
	// model owner names one (DEFAULT_OWNER).
	DefaultOwner string
	// DefaultLifecycle is the lifecycle when no property or annotation names
	// one (DEFAULT_LIFECYCLE).
	DefaultLifecycle string
	// Format selects the encoding of Output.Body (NORMALIZER_FORMAT; read
	// it with record.ParseFormat). Empty means record.JSONArrayFormat; a
	// value record.ParseFormat refuses is a problem, and JSON is written.
	Format record.Format
	// LocationBaseURL is where the 0.7.x plugin reaches the location service;
	// model card links are <LocationBaseURL>/modelcard?key=<key>.
	LocationBaseURL string
	// DashboardURL returns the base URL of the OpenShift AI dashboard
	// (https://<host>), "" when there is none: then no dashboard links are
	// published. Build calls it once. nil means no dashboard.
	DashboardURL func() string
	// Cache, when set, lets a build encode only the registry versions
	// whose inputs changed since the last build given it; see Cache. nil
	// builds every record with its Body.
	Cache *Cache
}
