// Package version holds what the build stamped into the binary: the
// release version and the git commit, set with
//
//	go build -ldflags "-X github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/version.Version=v1.2.3 \
//	                   -X github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/version.Commit=abc123"
//
// (the Makefile's build target and the Dockerfiles do), and the Go version
// it was built with. Every binary prints them for --version, logs them on
// start and exports them as the rhoai_connector_build_info gauge.
package version

import (
	"fmt"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
)

// Set by -ldflags -X at build time; plain `go build` leaves the defaults.
var (
	Version = "dev"
	Commit  = "unknown"
)

// GoVersion is the Go release the binary was built with.
func GoVersion() string { return runtime.Version() }

// String is the --version output of the named binary, one line.
func String(binary string) string {
	return fmt.Sprintf("%s version %s, commit %s, built with %s", binary, Version, Commit, GoVersion())
}

// KeysAndValues are the log fields of the start-up line.
func KeysAndValues() []any {
	return []any{"version", Version, "commit", Commit, "goVersion", GoVersion()}
}

// MetricName is the build information gauge's name.
const MetricName = "rhoai_connector_build_info"

// Collector returns the gauge rhoai_connector_build_info{version,commit,goversion} 1.
func Collector() prometheus.Collector {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: MetricName,
		Help: "Always 1; the labels say which build of the connector is running.",
	}, []string{"version", "commit", "goversion"})
	g.WithLabelValues(Version, Commit, GoVersion()).Set(1)
	return g
}
