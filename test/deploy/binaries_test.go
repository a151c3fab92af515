package deploy

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The images ship what cmd/ links; the fakes and the suites must never be
// in it (a fake registry in a sidecar would be a silent wrong answer), nor
// KServe's API module, which links the cloud SDKs (docs/benchmarks.md).
func TestBinariesLinkNoTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "../../cmd/...").CombinedOutput()
	require.NoError(t, err, "go list -deps ./cmd/...: %s", out)
	const module = "github.com/redhat-ai-dev/rhoai-rhdh-connector/"
	deps := strings.Fields(string(out))
	require.Contains(t, deps, module+"internal/store", "go list answered something else: %s", out)
	for _, p := range deps {
		require.False(t, strings.HasPrefix(p, module+"internal/testing/") || strings.HasPrefix(p, module+"test/"),
			"a binary links %s: test helpers and fakes belong in tests only", p)
		require.False(t, strings.HasPrefix(p, "github.com/kserve/kserve/"),
			"a binary links %s: use internal/kserve/v1beta1 (KServe's module links the cloud SDKs)", p)
	}
}
