package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// The extraction on a made-up page: which blocks count, how lines join,
// and that the once-shipped jq command broken across two lines is caught.
func TestDocExtraction(t *testing.T) {
	testenv.RequireTool(t, "bash", "the extraction asks bash -n where a pasted command ends")
	page := "# Page\n\n" +
		"```sh\n# a comment\nmake test   # trailing comment\ncurl -s http://localhost:9090/list \\\n  | jq .\n\n" +
		"oc get configmap x -o json | jq -r '.a |\n  .b'\nfor i in 1 2; do\n  echo $i\ndone\n```\n\n" +
		"```console\n$ curl http://localhost:7070/list\n{\"keys\": []}\n```\n\n" +
		"```\ngo test ./...\n```\n\n" +
		"```\nsync failed; retrying at the next interval\n```\n\n" +
		"```yaml\nkey: value\n```\n\n" +
		"```sh\noc get configmap bac-import-model -o json | jq -r '.binaryData | to_entries[]'\n  | jq -rR .\n```\n"
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "page.md"), []byte(page), 0o644))
	var st extractionStats
	cmds, err := extractCommands(dir, "page.md", &st)
	require.NoError(t, err)
	assert.Equal(t, extractionStats{ShellBlocks: 3, UnlabeledCommandBlocks: 1, SkippedBlocks: 2}, st)
	var joined []string
	for _, c := range cmds {
		joined = append(joined, c.Joined)
	}
	assert.Equal(t, []string{
		"make test # trailing comment",
		"curl -s http://localhost:9090/list | jq .",
		"oc get configmap x -o json | jq -r '.a |\n .b'",
		"for i in 1 2; do\n echo $i\ndone",
		"curl http://localhost:7070/list",
		"go test ./...",
		"oc get configmap bac-import-model -o json | jq -r '.binaryData | to_entries[]'",
		"| jq -rR .",
	}, joined)
	assert.Equal(t, 6, cmds[1].Line)
	for _, c := range cmds[:len(cmds)-1] {
		assert.Empty(t, c.SyntaxError, c.Joined)
	}
	assert.Contains(t, cmds[len(cmds)-1].SyntaxError, "syntax error", "a pipe on its own line fails when pasted")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "blank.md"), []byte("```sh\ncurl -s x \\ \n  -o y\n```\n"), 0o644))
	cmds, err = extractCommands(dir, "blank.md", &st)
	require.NoError(t, err)
	assert.Contains(t, cmds[0].SyntaxError, "followed by blanks")

	_, err = extractCommands(dir, "missing.md", &st)
	assert.Error(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "open.md"), []byte("```sh\necho 'open\n```\n"), 0o644))
	_, err = extractCommands(dir, "open.md", &st)
	assert.ErrorContains(t, err, "incomplete")
}

func TestDuplicateRecordHeaders(t *testing.T) {
	assert.Empty(t, duplicateHeader("=== a__v1 ===\n{}\n=== b__v1 ===\n{}\n"))
	assert.Equal(t, "=== a__v1 ===", duplicateHeader("=== a__v1 ===\n{}\n=== a__v1 ===\n{}\n"))
}
