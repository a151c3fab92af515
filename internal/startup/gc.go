package startup

import "runtime/debug"

// SetGCPercent sets the garbage collector's pace to percent (what GOGC
// would say), unless GOGC is set: the runtime has read it then, and the
// operator's choice wins. A binary whose heap is mostly long-lived byte
// slices collects sooner this way at little CPU cost.
func SetGCPercent(percent int, getenv func(string) string) {
	if getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(percent)
}
