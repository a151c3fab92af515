package registryclient

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

type obj struct{ id, v string }

func objID(o *obj) string { return o.id }

func TestMergeChanges(t *testing.T) {
	old := []obj{{"1", "a"}, {"2", "b"}, {"10", "c"}}
	keep := append([]obj(nil), old...)

	got, named := mergeChanges(old, nil, objID)
	assert.Empty(t, named)
	assert.Same(t, &old[0], &got[0], "nothing changed: the same list")

	got, named = mergeChanges(old, []obj{{"2", "b"}}, objID)
	assert.Empty(t, named, "an object read again unchanged")
	assert.Same(t, &old[0], &got[0])

	got, named = mergeChanges(old, []obj{{"2", "B"}, {"9", "new"}, {"11", "newer"}}, objID)
	assert.Equal(t, []string{"2", "9", "11"}, named, "what made a difference, in ID order")
	assert.Equal(t, []obj{{"1", "a"}, {"2", "B"}, {"9", "new"}, {"10", "c"}, {"11", "newer"}}, got, "replaced in place, added in numeric ID order")
	assert.Equal(t, keep, old, "the old list is never changed")

	got, named = mergeChanges(old, []obj{{"11", "x"}, {"12", "y"}, {"1", "a"}}, objID)
	assert.Equal(t, []string{"11", "12"}, named)
	assert.Equal(t, []obj{{"1", "a"}, {"2", "b"}, {"10", "c"}, {"11", "x"}, {"12", "y"}}, got, "new ids after the last are appended")

	got, named = mergeChanges(old, []obj{{"12", "y"}, {"11", "x"}}, objID)
	assert.Equal(t, []string{"11", "12"}, named)
	assert.Equal(t, []obj{{"1", "a"}, {"2", "b"}, {"10", "c"}, {"11", "x"}, {"12", "y"}}, got, "new ids out of order are sorted")
	assert.Equal(t, keep, old)
}

func TestLearnedFilterSupport(t *testing.T) {
	assert.Equal(t, filterWorks, learned(filterUnknown, filterWorks))
	assert.Equal(t, filterUnknown, learned(filterUnknown, filterUnknown), "a whole read learns nothing")
	assert.Equal(t, filterMissing, learned(filterWorks, filterMissing))
	assert.Equal(t, filterMissing, learned(filterMissing, filterWorks), "one list that is not filtered is enough")
}

func TestLostNewest(t *testing.T) {
	assert.False(t, lost("9", 5, "9", 5), "as held")
	assert.False(t, lost("9", 6, "9", 5), "changed since: the next poll reads it")
	assert.False(t, lost("10", 1, "9", 5), "created since: the next poll reads it")
	assert.True(t, lost("9", 4, "9", 5), "an older copy: restored from a backup")
	assert.True(t, lost("8", 9, "9", 5), "gone")
}
