package startup

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/go-logr/logr"
)

// The Go runtime does not know the container's memory limit: left alone
// it lets the heap grow to twice what is live before collecting, and a
// sidecar near its limit is OOM-killed although half its memory is
// garbage. SetMemoryLimit gives the runtime a soft limit of
// memoryLimitShare of the container's limit, so it collects harder as it
// nears it.
const memoryLimitShare = 0.9

// SoftMemoryLimit is the Go runtime's soft memory limit SetMemoryLimit
// gives a binary whose container may use limit bytes; benchmarks that
// stand for a container set GOMEMLIMIT to it.
func SoftMemoryLimit(limit int64) int64 { return int64(float64(limit) * memoryLimitShare) }

// CgroupRoot is where the container's cgroup is mounted.
const CgroupRoot = "/sys/fs/cgroup"

// SetMemoryLimit sets the Go runtime's soft memory limit from the
// container's memory limit (cgroup v2 memory.max, or v1
// memory/memory.limit_in_bytes under root), unless GOMEMLIMIT is set
// (the runtime has read it then) or there is no limit. It logs what it
// did.
func SetMemoryLimit(log logr.Logger, root string, getenv func(string) string) {
	if v := getenv("GOMEMLIMIT"); v != "" {
		log.V(1).Info("memory limit from GOMEMLIMIT", "GOMEMLIMIT", v)
		return
	}
	limit, file, err := containerMemoryLimit(root)
	switch {
	case err != nil:
		log.V(1).Info("no container memory limit found; the Go runtime collects garbage by GOGC alone", "reason", err.Error())
	case limit <= 0:
		log.V(1).Info("the container has no memory limit; the Go runtime collects garbage by GOGC alone", "file", file)
	default:
		soft := SoftMemoryLimit(limit)
		debug.SetMemoryLimit(soft)
		log.Info("the Go runtime keeps its memory under 90% of the container's limit (set GOMEMLIMIT to choose another)",
			"containerLimitMiB", limit>>20, "goMemLimitMiB", soft>>20, "file", file)
	}
}

// containerMemoryLimit reads the memory limit of the cgroup under root:
// 0 when unlimited.
func containerMemoryLimit(root string) (limit int64, file string, err error) {
	for _, f := range []string{"memory.max", filepath.Join("memory", "memory.limit_in_bytes")} {
		file = filepath.Join(root, f)
		b, err := os.ReadFile(file)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return 0, file, fmt.Errorf("reading %s: %w", file, err)
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			return 0, file, nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, file, fmt.Errorf("%s holds %q, not a number of bytes", file, s)
		}
		// cgroup v1 says "no limit" with a number near the largest int64.
		if n >= 1<<62 {
			return 0, file, nil
		}
		return n, file, nil
	}
	return 0, "", fmt.Errorf("neither %s/memory.max nor %s/memory/memory.limit_in_bytes exists (not in a container?)", root, root)
}
