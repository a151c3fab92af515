package store

import (
	"strconv"
	"testing"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// BenchmarkStateTakeFullConfigMap is the copy's work for one write of the
// first publish at 50,000 records: a ConfigMap of 160 new records arrives
// beside 310 full ones, and each of its keys is resolved.
func BenchmarkStateTakeFullConfigMap(b *testing.B) {
	const perCM, cms = 160, 310
	value, err := encodeRecord(&record.Record{Body: []byte(`{"a":1}`), LastUpdateTimeSinceEpoch: 1})
	require.NoError(b, err)
	st := newState("bac", logr.Discard(), nil)
	fill := func(name string, rv, first int) *corev1.ConfigMap {
		entries := make(map[string][]byte, perCM)
		for k := range perCM {
			entries["model-"+strconv.Itoa(first+k)] = value
		}
		return cm(name, rv, entries)
	}
	st.apply(fill("bac", 1, 0))
	for i := 1; i < cms; i++ {
		st.apply(fill(spillName("bac", i), i+1, i*perCM))
	}
	require.Equal(b, cms*perCM, st.records())
	b.ResetTimer()
	for i := range b.N {
		// A new ConfigMap, then its removal, so every round is the same.
		st.apply(fill(spillName("bac", cms), cms+2*i+1, cms*perCM))
		st.forget(spillName("bac", cms), uint64(cms+2*i+2))
	}
}
