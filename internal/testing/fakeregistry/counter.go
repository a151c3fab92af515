package fakeregistry

import (
	"sync"
	"sync/atomic"
)

// requestCounter counts requests per route ("GET /api/.../registered_models")
// without a lock on the hot path once a route has been seen.
type requestCounter struct {
	total  atomic.Int64
	routes sync.Map // string -> *atomic.Int64
}

func (c *requestCounter) inc(route string) {
	c.total.Add(1)
	v, ok := c.routes.Load(route)
	if !ok {
		v, _ = c.routes.LoadOrStore(route, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(1)
}

func (c *requestCounter) snapshot() map[string]int64 {
	out := map[string]int64{}
	c.routes.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

func (c *requestCounter) reset() {
	c.routes.Range(func(k, _ any) bool {
		c.routes.Delete(k)
		return true
	})
	c.total.Store(0)
}
