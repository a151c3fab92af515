// The queue of writes between the callers, who submit operations and wait
// for them, and the writer goroutine (writer.go), which takes them in
// batches. It is the one part of the Store both sides touch, so it has its
// own lock and nothing else.

package store

import (
	"sync"
	"sync/atomic"
)

// queue holds the operations the writer has not taken yet. mu guards ops;
// wake (one slot) tells the writer there is work or a change to look at;
// closed is set when Run ends, after which every queued and newly
// submitted operation fails with ErrClosed.
type queue struct {
	mu     sync.Mutex
	ops    []*op
	wake   chan struct{}
	closed atomic.Bool
}

func newQueue() *queue {
	return &queue{wake: make(chan struct{}, 1)}
}

// submit queues ops together: the writer takes them in one batch (up to
// maxBatch).
func (q *queue) submit(ops ...*op) {
	if len(ops) == 0 {
		return
	}
	q.mu.Lock()
	q.ops = append(q.ops, ops...)
	q.mu.Unlock()
	if q.closed.Load() {
		q.fail()
	}
	q.poke()
}

// poke wakes the writer without blocking.
func (q *queue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *queue) close() {
	q.closed.Store(true)
	q.fail()
}

// fail finishes every queued operation with ErrClosed.
func (q *queue) fail() {
	q.mu.Lock()
	ops := q.ops
	q.ops = nil
	q.mu.Unlock()
	for _, o := range ops {
		o.finish(result{err: ErrClosed})
	}
}

// takeBatch takes queued ops, at most one per key (a later op on the same
// key waits for the next batch, keeping the order of writes).
func (q *queue) takeBatch() []*op {
	q.mu.Lock()
	defer q.mu.Unlock()
	keys := map[string]struct{}{}
	var batch, rest []*op
	for _, o := range q.ops {
		if err := o.ctx.Err(); err != nil {
			o.finish(result{err: err})
			continue
		}
		if _, dup := keys[o.key]; dup || len(batch) >= maxBatch {
			rest = append(rest, o)
			continue
		}
		keys[o.key] = struct{}{}
		batch = append(batch, o)
	}
	q.ops = rest
	return batch
}
