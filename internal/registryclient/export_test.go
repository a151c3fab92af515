package registryclient

import "time"

// SetClock replaces the clock that times full artifact refreshes.
func SetClock(c *Client, now func() time.Time) { c.now = now }
