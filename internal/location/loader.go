package location

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/location/index"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// RecordSource is storage-rest as the loader reads it
// (storageclient.Client).
type RecordSource interface {
	// EachRecord yields every record storage-rest holds, as its answer
	// arrives.
	EachRecord(ctx context.Context, yield func(key string, rec record.Record) error) error
	// Digest is storage-rest's record.Digest of what it holds; a
	// *storageclient.StatusError with Code 404 from one too old to have it.
	Digest(ctx context.Context) (string, error)
}

// Backoff paces the start-up load while storage-rest is not up yet.
type Backoff struct {
	// Initial is the first wait; it doubles after each failure up to Max.
	Initial, Max time.Duration
}

// escalateAfter is the number of failed start-up attempts (about a minute
// with the default backoff) after which waiting is logged as an error.
const escalateAfter = 8

// loader fills the index from storage-rest: once on start, retrying until
// storage-rest answers, then periodically to heal any missed forward.
type loader struct {
	ix       *index.Index
	src      RecordSource
	url      string
	log      logr.Logger
	m        *metrics
	interval time.Duration
	backoff  Backoff
	lastErr  atomic.Pointer[error]
}

func (l *loader) run(ctx context.Context) {
	if !l.initial(ctx) {
		return
	}
	if l.interval <= 0 {
		return
	}
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := l.load(ctx); err != nil && ctx.Err() == nil {
				l.log.Error(err, "periodic reload from storage-rest failed; still serving the records held, will retry at the next interval",
					"storageURL", l.url, "interval", l.interval.String())
			}
		}
	}
}

// initial loads until it succeeds or ctx ends; it reports success.
func (l *loader) initial(ctx context.Context) bool {
	wait := l.backoff.Initial
	for attempt := 1; ; attempt++ {
		err := l.load(ctx)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		l.lastErr.Store(&err)
		// Equal jitter: at least half the backoff, so retries spread out
		// but still back off.
		d := wait/2 + rand.N(wait/2+1)
		msg := "waiting for storage-rest at " + l.url + ": it does not answer yet (normal while the pod starts); retrying"
		if attempt >= escalateAfter {
			l.log.Error(err, msg+"; if this goes on, check that the storage-rest container is running and healthy and that STORAGE_URL points to it",
				"attempt", attempt, "retryIn", d.String())
		} else {
			l.log.Info(msg, "attempt", attempt, "retryIn", d.String(), "error", err.Error())
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		wait = min(2*wait, l.backoff.Max)
	}
}

func (l *loader) load(ctx context.Context) error {
	start := time.Now()
	first := !l.ix.Snapshot().Loaded()
	if !first && l.holdsWhatIsStored(ctx) {
		l.m.loads.WithLabelValues("success").Inc()
		l.m.lastLoad.SetToCurrentTime()
		l.log.V(1).Info("periodic reload from storage-rest: its digest is the index's, nothing to read", "storageURL", l.url,
			"records", l.ix.Snapshot().Len(), "durationMs", time.Since(start).Milliseconds())
		return nil
	}
	res, err := l.ix.Load(ctx, l.src.EachRecord)
	if err != nil {
		l.m.loads.WithLabelValues("failure").Inc()
		l.m.errors.WithLabelValues(errLoad).Inc()
		return fmt.Errorf("loading records: %w", err)
	}
	l.m.loads.WithLabelValues("success").Inc()
	l.m.lastLoad.SetToCurrentTime()
	if first || res.Added+res.Updated+res.Removed > 0 {
		releaseLoadGarbage()
	}
	for _, e := range res.Invalid {
		l.m.errors.WithLabelValues(errInvalidStored).Inc()
		l.log.Error(e, "skipped a record storage-rest holds: fix or remove it at its source (the normalizer), or remove its key from ConfigMap bac-import-model")
	}
	kv := []any{"storageURL", l.url, "records", res.Records, "added", res.Added, "updated", res.Updated,
		"removed", res.Removed, "unchanged", res.Unchanged, "keptNewerForwards", res.Kept, "invalid", len(res.Invalid),
		"durationMs", time.Since(start).Milliseconds()}
	switch {
	case first:
		l.log.Info("loaded records from storage-rest; ready to serve /list", kv...)
	case res.Added+res.Updated+res.Removed > 0:
		// A forward was missed: worth knowing, but healed.
		l.log.Info("periodic reload from storage-rest applied differences that forwards had not delivered", kv...)
	default:
		l.log.V(1).Info("periodic reload from storage-rest: nothing to change", kv...)
	}
	return nil
}

// holdsWhatIsStored reports whether storage-rest's digest is the index's:
// then a reload would change nothing, and reading every record (about
// 100 MiB at 50,000 models) is spared. Any failure to tell means reading
// them, as before there was a digest.
func (l *loader) holdsWhatIsStored(ctx context.Context) bool {
	d, err := l.src.Digest(ctx)
	return err == nil && d == l.ix.Snapshot().Digest()
}

// ready is nil once the first load succeeded.
func (l *loader) ready() error {
	if l.ix.Snapshot().Loaded() {
		return nil
	}
	if p := l.lastErr.Load(); p != nil {
		return fmt.Errorf("records not loaded from storage-rest at %s yet: %w", l.url, *p)
	}
	return errors.New("records not loaded from storage-rest at " + l.url + " yet")
}
