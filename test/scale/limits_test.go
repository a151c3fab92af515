package scale

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
)

// containerLimits plays the sidecars' memory limits: each binary gets the
// soft memory limit it would set itself under that limit (GOMEMLIMIT, 90%
// of it, as internal/startup does from the cgroup), and a peak above the
// limit fails the benchmark, since the kernel would have killed it.
type containerLimits map[string]int64 // peak name ("normalizer") -> bytes

// binaries maps the names peaks are reported by to the binaries' names.
var binaries = map[string]string{"normalizer": "rhoai-normalizer", "storage": "storage-rest", "location": "location"}

// parseContainerLimits reads SCALE_CONTAINER_LIMITS, e.g.
// "rhoai-normalizer=1Gi,storage-rest=512Mi,location=256Mi"; "" sets none.
func parseContainerLimits(s string) (containerLimits, error) {
	out := containerLimits{}
	for _, kv := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		bin, q, ok := strings.Cut(kv, "=")
		name := ""
		for n, b := range binaries {
			if b == bin {
				name = n
			}
		}
		if !ok || name == "" {
			return nil, fmt.Errorf("SCALE_CONTAINER_LIMITS: %q is not <binary>=<quantity> with binary rhoai-normalizer, storage-rest or location", kv)
		}
		v, err := resource.ParseQuantity(q)
		if err != nil {
			return nil, fmt.Errorf("SCALE_CONTAINER_LIMITS: %s: %w", bin, err)
		}
		out[name] = v.Value()
	}
	return out, nil
}

// env is each binary's GOMEMLIMIT.
func (l containerLimits) env() map[string][]string {
	out := map[string][]string{}
	for name, limit := range l {
		out[binaries[name]] = []string{fmt.Sprintf("GOMEMLIMIT=%d", limit/10*9)}
	}
	return out
}

// check fails b when a peak (MiB) went over its binary's limit.
func (l containerLimits) check(b *testing.B, peakMiB map[string]float64) {
	for name, limit := range l {
		if peakMiB[name]*(1<<20) > float64(limit) {
			b.Errorf("%s peaked at %.0f MiB, over its container limit of %d MiB: in a pod it would be OOM-killed", binaries[name], peakMiB[name], limit>>20)
		}
	}
}

func TestParseContainerLimits(t *testing.T) {
	l, err := parseContainerLimits("rhoai-normalizer=1Gi, location=256Mi")
	if err != nil {
		t.Fatal(err)
	}
	if l["normalizer"] != 1<<30 || l["location"] != 256<<20 || len(l) != 2 {
		t.Fatalf("got %v", l)
	}
	if got := l.env()["location"]; len(got) != 1 || got[0] != fmt.Sprintf("GOMEMLIMIT=%d", (256<<20)/10*9) {
		t.Fatalf("location's env: %v", got)
	}
	for _, bad := range []string{"normalizer=1Gi", "location", "location=lots"} {
		if _, err := parseContainerLimits(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
