package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// SpecsDir is shared/specs beside the repository root (the directory with
// go.mod), where CI puts the upstream OpenAPI specs, schema and samples.
// When one of files is missing there the test is skipped, or fails under
// CI=true: CI must never pass by skipping.
func SpecsDir(t testing.TB, files ...string) string {
	t.Helper()
	dir, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	specs := filepath.Join(dir, "..", "shared", "specs")
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(specs, f)); err != nil {
			msg := "../shared/specs is missing (" + filepath.Join(specs, f) + " not found): the upstream specs must sit in shared/specs beside the repository"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return specs
}
