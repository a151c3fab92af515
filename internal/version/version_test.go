package version

import (
	"runtime"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStringNamesVersionCommitAndGo(t *testing.T) {
	defer func(v, c string) { Version, Commit = v, c }(Version, Commit)
	Version, Commit = "v9.8.7", "0123abcd"
	s := String("location")
	for _, want := range []string{"location", "v9.8.7", "0123abcd", runtime.Version()} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, "\n")
	assert.Equal(t, []any{"version", "v9.8.7", "commit", "0123abcd", "goVersion", runtime.Version()}, KeysAndValues())
}

func TestBuildInfoGauge(t *testing.T) {
	defer func(v, c string) { Version, Commit = v, c }(Version, Commit)
	Version, Commit = "v1.0.0", "deadbeef"
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(Collector()))
	want := `# HELP rhoai_connector_build_info Always 1; the labels say which build of the connector is running.
# TYPE rhoai_connector_build_info gauge
rhoai_connector_build_info{commit="deadbeef",goversion="` + runtime.Version() + `",version="v1.0.0"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want), MetricName))
}
