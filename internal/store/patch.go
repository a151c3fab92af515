package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Writes to an existing ConfigMap are JSON patches (RFC 6902) with a
// per-key precondition instead of an update against the whole object's
// resourceVersion. Each entry we set or delete is first tested against the
// value the plan was made from ("value": null tests that the entry is
// absent, as the API server's JSON patch implements it), so:
//
//   - a write conflicts only with a concurrent write of the same record,
//     never with other storage-rest processes writing other records nor
//     with an admin editing labels, annotations or other entries: under
//     contention every writer makes progress;
//   - a record's value is only replaced by one planned from it, so the
//     "lastUpdateTimeSinceEpoch never goes backwards" check made by the plan
//     still holds when the patch lands.
//
// A failed test, like a ConfigMap that would outgrow its limit, is answered
// 422 Unprocessable Entity; the Store re-reads and plans again.

// Bounds of one patch request: the API server refuses request bodies over
// 3 MiB and JSON patches of more than 10,000 operations.
const (
	maxPatchBytes = 2 << 20
	maxPatchOps   = 4000
)

// patchOp is one RFC 6902 operation. Value is kept raw so that a test for
// absence can say "value": null while a remove says nothing.
type patchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value,omitempty"`
}

var jsonNull = json.RawMessage("null")

// patchBodies returns the JSON patches that apply ch to the ConfigMap base
// was read as, and the keys each of them sets. Deletions come first, so a
// ConfigMap near its limit makes room before it grows. Large changes are
// split into several patches; each stands alone, since every operation
// carries its own precondition.
func patchBodies(base *corev1.ConfigMap, ch *change, labels map[string]string) ([][]byte, [][]string, error) {
	var groups []patchGroup

	// Labels first: they are small and ride along with the first patch.
	if missing := missingLabels(base.Labels, labels); len(missing) > 0 {
		var g patchGroup
		if base.Labels == nil {
			v, err := json.Marshal(missing)
			if err != nil {
				return nil, nil, fmt.Errorf("encoding labels: %w", err)
			}
			g.add(patchOp{Op: "test", Path: "/metadata/labels", Value: jsonNull})
			g.add(patchOp{Op: "add", Path: "/metadata/labels", Value: v})
		} else {
			for _, k := range sortedKeys(missing) {
				v, err := json.Marshal(missing[k])
				if err != nil {
					return nil, nil, fmt.Errorf("encoding label %s: %w", k, err)
				}
				g.add(patchOp{Op: "add", Path: "/metadata/labels/" + pointerEscape(k), Value: v})
			}
		}
		groups = append(groups, g)
	}

	sets := sortedKeys(ch.set)
	if len(base.BinaryData) == 0 {
		// No binaryData map to add entries to: create it whole, on the
		// condition that nobody else did in the meantime.
		if len(sets) > 0 {
			v, err := json.Marshal(ch.set)
			if err != nil {
				return nil, nil, fmt.Errorf("encoding records: %w", err)
			}
			g := patchGroup{keys: sets}
			g.add(patchOp{Op: "test", Path: "/binaryData", Value: jsonNull})
			g.add(patchOp{Op: "add", Path: "/binaryData", Value: v})
			groups = append(groups, g)
		}
		return chunk(groups)
	}

	for _, k := range sortedKeys(ch.del) {
		cur, ok := base.BinaryData[k]
		if !ok {
			continue
		}
		old, err := json.Marshal(cur)
		if err != nil {
			return nil, nil, fmt.Errorf("encoding record %s: %w", k, err)
		}
		path := "/binaryData/" + pointerEscape(k)
		var g patchGroup
		g.add(patchOp{Op: "test", Path: path, Value: old})
		g.add(patchOp{Op: "remove", Path: path})
		groups = append(groups, g)
	}
	for _, k := range sets {
		old := jsonNull
		if cur, ok := base.BinaryData[k]; ok {
			b, err := json.Marshal(cur)
			if err != nil {
				return nil, nil, fmt.Errorf("encoding record %s: %w", k, err)
			}
			old = b
		}
		v, err := json.Marshal(ch.set[k])
		if err != nil {
			return nil, nil, fmt.Errorf("encoding record %s: %w", k, err)
		}
		path := "/binaryData/" + pointerEscape(k)
		g := patchGroup{keys: []string{k}}
		g.add(patchOp{Op: "test", Path: path, Value: old})
		g.add(patchOp{Op: "add", Path: path, Value: v})
		groups = append(groups, g)
	}
	return chunk(groups)
}

// patchGroup is a write and the test that guards it: a patch is never
// split inside a group.
type patchGroup struct {
	ops   []patchOp
	bytes int
	// keys are the records the group sets.
	keys []string
}

func (g *patchGroup) add(o patchOp) {
	g.ops = append(g.ops, o)
	g.bytes += len(o.Path) + len(o.Value) + 32
}

// chunk packs groups into patches within the request bounds, in order.
func chunk(groups []patchGroup) ([][]byte, [][]string, error) {
	var bodies [][]byte
	var keys [][]string
	var ops []patchOp
	var ks []string
	size := 0
	flush := func() error {
		if len(ops) == 0 {
			return nil
		}
		b, err := json.Marshal(ops)
		if err != nil {
			return fmt.Errorf("encoding JSON patch: %w", err)
		}
		bodies = append(bodies, b)
		keys = append(keys, ks)
		ops, ks, size = nil, nil, 0
		return nil
	}
	for _, g := range groups {
		if len(ops) > 0 && (size+g.bytes > maxPatchBytes || len(ops)+len(g.ops) > maxPatchOps) {
			if err := flush(); err != nil {
				return nil, nil, err
			}
		}
		ops = append(ops, g.ops...)
		ks = append(ks, g.keys...)
		size += g.bytes
	}
	if err := flush(); err != nil {
		return nil, nil, err
	}
	return bodies, keys, nil
}

// missingLabels returns the labels of want that have has not, or has with
// another value.
func missingLabels(has, want map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range want {
		if cur, ok := has[k]; !ok || cur != v {
			out[k] = v
		}
	}
	return out
}

// pointerEscape escapes a map key for a JSON pointer (RFC 6901).
func pointerEscape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
