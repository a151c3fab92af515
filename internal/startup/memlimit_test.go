package startup

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func cgroup(t *testing.T, file, content string) string {
	t.Helper()
	root := t.TempDir()
	p := filepath.Join(root, file)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return root
}

func TestContainerMemoryLimit(t *testing.T) {
	for name, c := range map[string]struct {
		file, content string
		want          int64
		err           string
	}{
		"cgroup v2 limit":     {file: "memory.max", content: "536870912\n", want: 512 << 20},
		"cgroup v2 unlimited": {file: "memory.max", content: "max\n"},
		"cgroup v1 limit":     {file: "memory/memory.limit_in_bytes", content: "1073741824", want: 1 << 30},
		"cgroup v1 unlimited": {file: "memory/memory.limit_in_bytes", content: "9223372036854771712"},
		"garbage":             {file: "memory.max", content: "lots", err: `holds "lots"`},
		"no cgroup":           {file: "other", content: "", err: "not in a container"},
	} {
		got, _, err := containerMemoryLimit(cgroup(t, c.file, c.content))
		if c.err != "" {
			assert.ErrorContains(t, err, c.err, name)
			continue
		}
		require.NoError(t, err, name)
		assert.Equal(t, c.want, got, name)
	}
}

func TestSetMemoryLimitFollowsTheContainer(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	noEnv := func(string) string { return "" }

	SetMemoryLimit(logr.Discard(), cgroup(t, "memory.max", "1073741824"), noEnv)
	gib := float64(1 << 30)
	assert.Equal(t, int64(gib*memoryLimitShare), debug.SetMemoryLimit(-1), "90% of a 1 GiB container")

	debug.SetMemoryLimit(before)
	SetMemoryLimit(logr.Discard(), cgroup(t, "memory.max", "1073741824"), func(k string) string {
		if k == "GOMEMLIMIT" {
			return "300MiB"
		}
		return ""
	})
	assert.Equal(t, before, debug.SetMemoryLimit(-1), "GOMEMLIMIT set: the runtime's own reading stands")

	SetMemoryLimit(logr.Discard(), cgroup(t, "memory.max", "max"), noEnv)
	assert.Equal(t, before, debug.SetMemoryLimit(-1), "no limit: nothing set")
}
