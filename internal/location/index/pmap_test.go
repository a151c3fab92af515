package index

import (
	"fmt"
	"hash/maphash"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPmapEditsLeaveEarlierVersionsUntouched(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := newPmap[int](maphash.MakeSeed())
	ref := map[string]int{}
	type version struct {
		m   pmap[int]
		ref map[string]int
	}
	var history []version
	for round := 0; round < 300; round++ {
		e := m.edit()
		for i := 0; i < 1+rng.IntN(20); i++ {
			k := fmt.Sprintf("k%d", rng.IntN(500))
			if rng.IntN(3) == 0 {
				e.del(k)
				delete(ref, k)
			} else {
				e.set(k, round)
				ref[k] = round
			}
			v, ok := e.get(k)
			want, wantOK := ref[k]
			require.Equal(t, wantOK, ok)
			require.Equal(t, want, v)
		}
		m = e.done()
		history = append(history, version{m, maps.Clone(ref)})
	}
	for i, v := range history {
		require.Equal(t, len(v.ref), v.m.len(), "round %d", i)
		got := maps.Collect(v.m.all())
		if len(v.ref) == 0 {
			require.Empty(t, got)
			continue
		}
		require.Equal(t, v.ref, got, "round %d", i)
		for k, want := range v.ref {
			got, ok := v.m.getBytes([]byte(k))
			require.True(t, ok, "getBytes finds what get finds: %s", k)
			require.Equal(t, want, got, k)
		}
	}
}
