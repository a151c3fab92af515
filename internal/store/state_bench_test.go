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

// BenchmarkPlanNewKeys plans one upsert batch of the first publish at
// 50,000 records: 1,000 new records beside 310 ConfigMaps filled to just
// under the fill, too full for any of them.
func BenchmarkPlanNewKeys(b *testing.B) {
	const perCM, cms, batch = 160, 310, 1000
	value, err := encodeRecord(&record.Record{Body: make([]byte, 1200), LastUpdateTimeSinceEpoch: 1})
	require.NoError(b, err)
	st := newState("bac", logr.Discard(), nil)
	for i := range cms {
		entries := make(map[string][]byte, perCM)
		for k := range perCM {
			entries["model-"+strconv.Itoa(i*perCM+k)] = value
		}
		name := "bac"
		if i > 0 {
			name = spillName("bac", i)
		}
		st.apply(cm(name, i+1, entries))
	}
	fill := st.cms["bac"].size + 100
	ops := make([]*op, batch)
	for i := range ops {
		ops[i] = newOp(b.Context(), opUpsert, "new-"+strconv.Itoa(i))
		ops[i].rec = record.Record{Body: make([]byte, 1200), LastUpdateTimeSinceEpoch: 1}
		ops[i].raw = value
	}
	b.ResetTimer()
	for range b.N {
		p := newPlan(st, 4*fill, fill)
		for _, o := range ops {
			if _, done := p.upsert(o); done {
				b.Fatal("a new record needs no write")
			}
		}
	}
}
