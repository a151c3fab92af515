package pipeline

import (
	"context"
	"fmt"
)

// The safety rules of the package documentation, each a small value that
// wraps a Source or answers one question, so that each can be tested alone
// and Sync only composes them.

// KeepLastGood wraps a source so that a failed read answers the last good
// answer beside the error: a source that is down keeps what it published,
// and nothing of it is removed.
type KeepLastGood[T any] struct {
	src      Source[T]
	last     T
	answered bool
}

// NewKeepLastGood returns src, keeping its last good answer.
func NewKeepLastGood[T any](src Source[T]) *KeepLastGood[T] {
	return &KeepLastGood[T]{src: src}
}

// Read reads the source. On error it returns the last good answer (the
// zero value before the first one) and the error.
func (k *KeepLastGood[T]) Read(ctx context.Context) (T, error) {
	v, err := k.src.Read(ctx)
	if err != nil {
		return k.last, err
	}
	k.last, k.answered = v, true
	return v, nil
}

// Last is the last good answer; ok is false before the first one.
func (k *KeepLastGood[T]) Last() (v T, ok bool) { return k.last, k.answered }

// Answered reports whether the source has answered at least once.
func (k *KeepLastGood[T]) Answered() bool { return k.answered }

// EmptyNotConfirmedError is what ConfirmEmpty answers while it holds back
// an empty answer.
type EmptyNotConfirmedError struct {
	// Seen is how many empty answers in a row the source has given.
	Seen int
	// Needed is how many make it believed.
	Needed int
}

func (e *EmptyNotConfirmedError) Error() string {
	return fmt.Sprintf("empty answer %d of the %d in a row needed to believe it", e.Seen, e.Needed)
}

// ConfirmEmpty wraps a source so that an empty answer after a non-empty one
// is believed only once the source has given it Needed times in a row: a
// registry restarting against an empty database, or a proxy answering for
// it, must not wipe its models from RHDH, while a real deletion of
// everything still goes through. Until then Read returns the previous
// answer and an *EmptyNotConfirmedError. Errors of the source pass through
// and neither count nor reset the empty answers.
type ConfirmEmpty[T any] struct {
	src     Source[T]
	empty   func(T) bool
	needed  int
	seen    int
	last    T
	hasLast bool
}

// NewConfirmEmpty returns src with empty answers confirmed needed times
// (at least 1); empty tells an empty answer.
func NewConfirmEmpty[T any](src Source[T], empty func(T) bool, needed int) *ConfirmEmpty[T] {
	return &ConfirmEmpty[T]{src: src, empty: empty, needed: max(needed, 1)}
}

// Read reads the source; see ConfirmEmpty.
func (c *ConfirmEmpty[T]) Read(ctx context.Context) (T, error) {
	v, err := c.src.Read(ctx)
	if err != nil {
		return v, err
	}
	if !c.empty(v) || !c.hasLast || c.empty(c.last) {
		c.seen = 0
	} else if c.seen++; c.seen < c.needed {
		return c.last, &EmptyNotConfirmedError{Seen: c.seen, Needed: c.needed}
	} else {
		c.seen = 0
	}
	c.last, c.hasLast = v, true
	return v, nil
}

// removalsAllowed is the removal rule: records are removed only when
// discovery answered in this sync (a registry it could not list is not
// gone) and every source has answered at least once since the normalizer
// started (one starting while a registry is down must not wipe that
// registry's models).
func removalsAllowed(discoveryAnswered bool, sourcesAnswered ...bool) bool {
	if !discoveryAnswered {
		return false
	}
	for _, a := range sourcesAnswered {
		if !a {
			return false
		}
	}
	return true
}
