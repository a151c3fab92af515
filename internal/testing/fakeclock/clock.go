// Package fakeclock is a settable time for tests of code that takes a Now
// function (TTLs, refresh periods), so that they need not sleep.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is a time that moves only when the test advances it. It is safe
// for concurrent use: the code under test may read it from its own
// goroutines.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock that reads start.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's time; pass the method value as the Now option.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
