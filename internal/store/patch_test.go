package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/store"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// applyPatches sends the patches that bring base to set/del, as the Store
// does, and returns the result of the last one.
func applyPatches(t *testing.T, ns string, base *corev1.ConfigMap, set map[string][]byte, del ...string) (*corev1.ConfigMap, error) {
	t.Helper()
	bodies, _, err := store.PatchBodies(base, set, del, nil)
	require.NoError(t, err)
	var res *corev1.ConfigMap
	for _, b := range bodies {
		res, err = kube(t).CoreV1().ConfigMaps(ns).Patch(context.Background(), base.Name, types.JSONPatchType, b, metav1.PatchOptions{})
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// The per-key preconditions of the Store's patches, against the real API
// server: a write conflicts only with a concurrent write of the same entry.
func TestPatchConflictsOnlyOnTheSameRecord(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "store")
	ctx := context.Background()
	cms := kube(t).CoreV1().ConfigMaps(ns)
	base, err := cms.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "cm"},
		BinaryData: map[string][]byte{"a": []byte("1"), "b": []byte("2")},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	// Someone else writes after we read base: an annotation, entry b, a
	// new entry c.
	other := base.DeepCopy()
	other.Annotations = map[string]string{"example.com/edited": "yes"}
	other.BinaryData["b"] = []byte("3")
	other.BinaryData["c"] = []byte("4")
	_, err = cms.Update(ctx, other, metav1.UpdateOptions{})
	require.NoError(t, err)

	res, err := applyPatches(t, ns, base, map[string][]byte{"a": []byte("new"), "d": []byte("5")})
	require.NoError(t, err, "writes of other entries do not conflict, whatever the resourceVersion")
	assert.Equal(t, map[string][]byte{"a": []byte("new"), "b": []byte("3"), "c": []byte("4"), "d": []byte("5")}, res.BinaryData)
	assert.Equal(t, "yes", res.Annotations["example.com/edited"], "the other writer's annotation stays")

	for name, tc := range map[string]struct {
		set map[string][]byte
		del []string
	}{
		"replacing an entry changed since": {set: map[string][]byte{"b": []byte("x")}},
		"adding an entry added since":      {set: map[string][]byte{"c": []byte("x")}},
		"deleting an entry changed since":  {del: []string{"a"}},
	} {
		_, err := applyPatches(t, ns, base, tc.set, tc.del...)
		require.Error(t, err, name)
		assert.True(t, apierrors.IsInvalid(err), "%s: a failed precondition is 422, which the Store re-plans on: %v", name, err)
	}
	now, err := cms.Get(ctx, "cm", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, res.BinaryData, now.BinaryData, "a refused patch changes nothing")

	res, err = applyPatches(t, ns, now, nil, "a", "absent")
	require.NoError(t, err, "deleting from a fresh read works; an absent key is no precondition")
	assert.NotContains(t, res.BinaryData, "a")
}

func TestPatchCreatesBinaryDataAndLabelsOnlyIfStillAbsent(t *testing.T) {
	ns := testenv.NewNamespace(t, apiServer, "store")
	ctx := context.Background()
	cms := kube(t).CoreV1().ConfigMaps(ns)
	base, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	labels := map[string]string{store.LabelStore: "cm"}

	bodies, keys, err := store.PatchBodies(base, map[string][]byte{"k": []byte("v")}, nil, labels)
	require.NoError(t, err)
	require.Len(t, bodies, 1)
	assert.Equal(t, [][]string{{"k"}}, keys)
	res, err := cms.Patch(ctx, "cm", types.JSONPatchType, bodies[0], metav1.PatchOptions{})
	require.NoError(t, err)
	assert.Equal(t, []byte("v"), res.BinaryData["k"])
	assert.Equal(t, "cm", res.Labels[store.LabelStore])

	// The same patch, planned from the same (now stale) read, must not
	// replace what is there.
	_, err = cms.Patch(ctx, "cm", types.JSONPatchType, bodies[0], metav1.PatchOptions{})
	require.Error(t, err)
	assert.True(t, apierrors.IsInvalid(err), "%v", err)
}

func TestLargeChangesAreSplitIntoPatchesThatStandAlone(t *testing.T) {
	base := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}, BinaryData: map[string][]byte{"old": []byte("x")}}
	big := bytes.Repeat([]byte("r"), store.MaxPatchBytes/2)
	set := map[string][]byte{"a": big, "b": big, "c": big}
	bodies, keys, err := store.PatchBodies(base, set, []string{"old"}, nil)
	require.NoError(t, err)
	require.Greater(t, len(bodies), 1, "%d bytes of base64 do not go in one request", 3*len(big)*4/3)
	var all []string
	for i, b := range bodies {
		assert.LessOrEqual(t, len(b), store.MaxPatchBytes+len(big), "patch %d", i)
		var ops []map[string]any
		require.NoError(t, json.Unmarshal(b, &ops))
		for j := 0; j < len(ops); j += 2 {
			assert.Equal(t, "test", ops[j]["op"], "every write of patch %d is guarded by a test", i)
			assert.Equal(t, ops[j]["path"], ops[j+1]["path"])
		}
		all = append(all, keys[i]...)
	}
	assert.Equal(t, []string{"a", "b", "c"}, all)
	var first []map[string]any
	require.NoError(t, json.Unmarshal(bodies[0], &first))
	assert.Equal(t, "remove", first[1]["op"], "deletions come first, so a full ConfigMap makes room before it grows")
}
