package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// RequireTool returns the path of a command a test needs (jq, curl,
// bash). Missing, it fails the test under CI=true, since .ci/run installs
// every tool the tests use, and skips it elsewhere, saying why the tool
// is needed.
func RequireTool(t testing.TB, tool, why string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed: CI must install it (%s)", tool, why)
	}
	t.Skipf("%s not found: install %s to run this test (%s)", tool, tool, why)
	return ""
}
