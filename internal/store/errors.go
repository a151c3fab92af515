package store

import (
	"errors"
	"fmt"
)

// Errors the Store's callers tell apart (with errors.Is); the returned
// errors wrap them with the details.
var (
	// ErrNotReady: the first load from the API server has not finished.
	ErrNotReady = errors.New("the store has not finished loading its ConfigMaps from the Kubernetes API server yet")
	// ErrClosed: the Store is shutting down.
	ErrClosed = errors.New("the store is shutting down")
	// ErrStale: the record is older than the stored one and was not stored.
	ErrStale = errors.New("stale record")
	// ErrTooLarge: the record cannot fit even in an empty ConfigMap.
	ErrTooLarge = errors.New("record too large")
)

func stale(key string, got, stored int64, cm string) error {
	return fmt.Errorf("%w: record %s has lastUpdateTimeSinceEpoch %d, older than the stored %d (ConfigMap %s); it was not stored: send the current time or a newer timestamp",
		ErrStale, key, got, stored, cm)
}

func tooLarge(key string, size, limit int) error {
	return fmt.Errorf("%w: record %s takes %d bytes encoded, but a ConfigMap holds at most %d bytes in total; it was not stored: shrink the model-catalog document (API spec, model card)",
		ErrTooLarge, key, size, limit)
}

// errReplan says the state moved under a plan: plan again.
var errReplan = errors.New("the ConfigMap changed since the write was planned")

// cmError is a failed API call on one ConfigMap.
type cmError struct {
	name string
	verb string
	err  error
}

func (e *cmError) Error() string {
	return fmt.Sprintf("%s ConfigMap %s: %v", e.verb, e.name, e.err)
}

func (e *cmError) Unwrap() error { return e.err }
