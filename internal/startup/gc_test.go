package startup

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSetGCPercentUnlessGOGCIsSet(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })

	SetGCPercent(25, func(string) string { return "200" })
	assert.Equal(t, 100, debug.SetGCPercent(100), "GOGC set: the runtime's value stays")

	SetGCPercent(25, func(string) string { return "" })
	assert.Equal(t, 25, debug.SetGCPercent(100), "GOGC unset: the binary's pace")
}
