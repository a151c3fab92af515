package controller

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	k8sdiscovery "k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
)

// freshness keeps the InferenceService view fresh across an API server
// outage. After a long outage client-go's watches come back only after
// their backoff (up to about a minute: 0.8 s doubling to 30 s, with as much
// jitter again), so an InferenceService created right after the API server
// returns would wait that long for its event. freshness notices the outage
// by asking the API server for its version, and once it answers again
// serves reads from the API server itself (a live list) instead of the
// informer cache, triggering a sync whenever the live InferenceServices
// change, until the watches are certainly back (Window) and the cache
// agrees with a live list.
type freshness struct {
	cache, live client.Reader
	// ping answers nil while the API server is reachable.
	ping    func(ctx context.Context) error
	trigger func()
	log     logr.Logger
	// Every is how often the API server is pinged, and the live list taken
	// while stale.
	Every time.Duration
	// Window is how long reads stay live after the API server answers
	// again: longer than client-go's largest watch backoff.
	Window time.Duration

	stale atomic.Bool
	// Owned by Start.
	down       bool
	staleUntil time.Time
	lastLive   string
}

func newFreshness(cache, live client.Reader, ping func(context.Context) error, trigger func(), log logr.Logger) *freshness {
	return &freshness{cache: cache, live: live, ping: ping, trigger: trigger, log: log,
		Every: 2 * time.Second, Window: 90 * time.Second}
}

// Reader is what InferenceServices and their Services, Routes and
// ServiceAccounts are read from now.
func (f *freshness) Reader() client.Reader {
	if f.stale.Load() {
		return f.live
	}
	return f.cache
}

// Start implements manager.Runnable. It runs on every replica: a standby
// answers reads only through its probes, but it keeps its view fresh for
// when it takes over.
func (f *freshness) Start(ctx context.Context) error {
	t := time.NewTicker(f.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		f.tick(ctx, time.Now())
	}
}

// NeedLeaderElection implements manager.LeaderElectionRunnable.
func (f *freshness) NeedLeaderElection() bool { return false }

func (f *freshness) tick(ctx context.Context, now time.Time) {
	if err := f.ping(ctx); err != nil {
		if ctx.Err() == nil && !f.down {
			f.log.Info("the Kubernetes API server does not answer; InferenceServices are read live from it as soon as it answers again", "error", err.Error())
		}
		f.down = true
		return
	}
	if f.down {
		f.down = false
		f.staleUntil = now.Add(f.Window)
		f.stale.Store(true)
		f.log.Info("the Kubernetes API server answers again; reading InferenceServices live until the watches are back", "for", f.Window.String())
		live, err := fingerprint(ctx, f.live)
		if err != nil {
			live = "\x00unknown" // differs from any list: the next one triggers
		}
		f.lastLive = live
		f.trigger()
		return
	}
	if !f.stale.Load() {
		return
	}
	live, err := fingerprint(ctx, f.live)
	if err != nil {
		f.log.V(1).Info("listing InferenceServices live failed; trying again", "error", err.Error())
		return
	}
	if live != f.lastLive {
		f.lastLive = live
		f.trigger()
	}
	if now.Before(f.staleUntil) {
		return
	}
	cached, err := fingerprint(ctx, f.cache)
	if err != nil || cached != live {
		// The watch has not caught up yet: look again next time.
		return
	}
	f.stale.Store(false)
	f.log.Info("the InferenceService watch is back; reading from the cache again")
	f.trigger()
}

// fingerprint names every InferenceService with its resourceVersion, so two
// lists compare equal only when they hold the same objects at the same
// versions.
func fingerprint(ctx context.Context, r client.Reader) (string, error) {
	var l v1beta1.InferenceServiceList
	if err := r.List(ctx, &l); err != nil {
		return "", fmt.Errorf("listing InferenceServices: %w", err)
	}
	out := make([]string, 0, len(l.Items))
	for i := range l.Items {
		m := &l.Items[i].ObjectMeta
		out = append(out, m.Namespace+"/"+m.Name+"@"+m.ResourceVersion)
	}
	sort.Strings(out)
	return strings.Join(out, ","), nil
}

// apiServerPing asks the API server for its version: the cheapest request
// every identity may make.
func apiServerPing(cfg *rest.Config) (func(context.Context) error, error) {
	dc, err := k8sdiscovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("building the API server client for %s: %w", cfg.Host, err)
	}
	rc := dc.RESTClient()
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return rc.Get().AbsPath("/version").Do(ctx).Error()
	}, nil
}
