package registryclient

import (
	"context"
	"sync"
)

// tasks runs functions concurrently; the first error cancels the others'
// context and is what Wait returns, so one failed list fails the whole
// snapshot without waiting for the rest to finish.
type tasks struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error
}

func newTasks(ctx context.Context) (*tasks, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	return &tasks{cancel: cancel}, ctx
}

func (t *tasks) run(f func() error) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		if err := f(); err != nil {
			t.mu.Lock()
			defer t.mu.Unlock()
			if t.err == nil {
				t.err = err
				t.cancel()
			}
		}
	}()
}

// wait waits for every function and releases the context.
func (t *tasks) wait() error {
	t.wg.Wait()
	t.cancel()
	return t.err
}
