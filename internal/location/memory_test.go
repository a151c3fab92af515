package location

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCollectSoonerUnlessGOGCIsSet(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })

	collectSooner(func(string) (string, bool) { return "200", true })
	assert.Equal(t, 100, debug.SetGCPercent(100), "GOGC set: the runtime's value stays")

	collectSooner(func(string) (string, bool) { return "", false })
	assert.Equal(t, gcPercent, debug.SetGCPercent(100), "GOGC unset: location's pace")
}
