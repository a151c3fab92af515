package store

import corev1 "k8s.io/api/core/v1"

// PatchBodies exposes patchBodies to the tests that run it against a real
// API server (package store_test, which owns the control plane).
func PatchBodies(base *corev1.ConfigMap, set map[string][]byte, del []string, labels map[string]string) ([][]byte, [][]string, error) {
	ch := &change{set: set, del: map[string]struct{}{}}
	if ch.set == nil {
		ch.set = map[string][]byte{}
	}
	for _, k := range del {
		ch.del[k] = struct{}{}
	}
	return patchBodies(base, ch, labels)
}

// MaxPatchBytes is the size at which a change is split into several patches.
const MaxPatchBytes = maxPatchBytes
