package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-logr/logr"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// storedState mirrors what storage-rest holds, so that a sync sends only
// the difference. It is read in full at start, when its digest disagrees
// with storage-rest's (someone else changed a record), after a failed
// write (the stored state is unknown then), and every resync.
type storedState struct {
	store   Store
	resync  time.Duration
	now     func() time.Time
	metrics *Metrics
	log     logr.Logger

	// hashes is the content hash of each stored record (record.HashOf),
	// nil until read: enough to tell whether a record changed, at a
	// fraction of the bodies' memory. digest is their record.Digest, kept up
	// to date with every write of ours.
	hashes map[string]record.Hash
	digest record.Digest
	readAt time.Time
}

// refresh re-reads what storage-rest holds when it may differ from the
// mirror, and reports whether it did.
func (s *storedState) refresh(ctx context.Context) (reread bool, err error) {
	if s.hashes != nil && s.now().Sub(s.readAt) < s.resync {
		d, err := s.store.Digest(ctx)
		var se interface{ StatusCode() int }
		switch {
		case err != nil && errors.As(err, &se) && se.StatusCode() == http.StatusNotFound:
			// A storage-rest without /digest: re-read every resync only.
			return false, nil
		case err != nil:
			s.metrics.storeCalls.WithLabelValues("digest", "error").Inc()
			return false, fmt.Errorf("asking storage-rest what it holds (is the storage-rest sidecar running? STORAGE_URL): %w", err)
		case d == s.digest.String():
			s.metrics.storeCalls.WithLabelValues("digest", "ok").Inc()
			return false, nil
		}
		s.metrics.storeCalls.WithLabelValues("digest", "ok").Inc()
		s.log.Info("storage-rest holds records this normalizer did not write (edited by hand, or written by someone else); reading them again to put them right")
	}
	recs, err := s.store.Records(ctx)
	if err != nil {
		s.metrics.storeCalls.WithLabelValues("records", "error").Inc()
		return false, fmt.Errorf("reading what storage-rest holds (is the storage-rest sidecar running? STORAGE_URL): %w", err)
	}
	s.metrics.storeCalls.WithLabelValues("records", "ok").Inc()
	s.hashes = make(map[string]record.Hash, len(recs))
	s.digest = record.Digest{}
	for k, r := range recs {
		h := record.HashOf(k, &r)
		s.hashes[k] = h
		s.digest.AddHash(h)
	}
	s.readAt = s.now()
	return true, nil
}

// invalidate makes the next refresh read everything: after a failed write
// the stored state is unknown.
func (s *storedState) invalidate() { s.readAt = time.Time{} }

// remember records that storage-rest now holds rec under key.
func (s *storedState) remember(key string, rec *record.Record) {
	if old, ok := s.hashes[key]; ok {
		s.digest.RemoveHash(old)
	}
	h := record.HashOf(key, rec)
	s.hashes[key] = h
	s.digest.AddHash(h)
}

// forget records that storage-rest no longer holds key.
func (s *storedState) forget(key string) {
	if old, ok := s.hashes[key]; ok {
		s.digest.RemoveHash(old)
		delete(s.hashes, key)
	}
}
