package registryclient

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
)

func TestArtifactLinksTouched(t *testing.T) {
	old := &artifactLinks{
		versions: map[string][]string{"1": {"a1"}, "2": {"a2"}, "3": {"a3"}},
		stamps:   map[string]registrymodel.Epoch{"a1": 1, "a2": 1, "a3": 1},
		lastFull: time.Unix(1000, 0),
	}
	// a2 moved its stamp, so its version is read again; version 10 is new,
	// with a new artifact; a1 and a3 are as the links confirmed them.
	arts := []*registrymodel.ModelArtifact{art("a1", 1), art("a2", 2), art("a3", 1), art("a4", 1)}
	top := stampsOf(arts)
	published := []string{"1", "2", "3", "10"}
	require.Equal(t, []string{"2", "10"}, old.toRead(published, top, old.lastFull, time.Hour))
	read := map[string][]string{"2": {"a2"}, "10": {"a4"}}
	next, unplaced := old.next(published, arts, top, read)
	require.Empty(t, unplaced)

	assert.Equal(t, []string{"2", "10"}, old.touched(next, read, []string{"a2", "a4"}, top),
		"the versions read, in ID order: every changed artifact moved its stamp")
	// An artifact changed without its stamp moving (the registry's writes
	// always move it) leaves its version unread: it is searched for.
	assert.Equal(t, []string{"2", "3", "10"}, old.touched(next, read, []string{"a2", "a3", "a4"}, top))
	assert.Equal(t, []string{"3"}, old.touched(next, map[string][]string{}, []string{"a3"}, top))
	assert.Nil(t, old.touched(next, map[string][]string{}, nil, top), "nothing read, nothing changed")
}
