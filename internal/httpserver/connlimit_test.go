package httpserver

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// concurrencyProbe is a handler that records how many requests it serves
// at once, holding each for a while so that they overlap.
type concurrencyProbe struct {
	now, peak atomic.Int64
	hold      time.Duration
}

func (p *concurrencyProbe) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	n := p.now.Add(1)
	defer p.now.Add(-1)
	for {
		peak := p.peak.Load()
		if n <= peak || p.peak.CompareAndSwap(peak, n) {
			break
		}
	}
	time.Sleep(p.hold)
	_, _ = w.Write([]byte("ok"))
}

// Many clients at once, each on its own connection as Node's fetch does:
// every one is answered, never more than MaxConnections at a time, and
// past KeepAliveConnections the answers close their connection.
func TestConnectionsBeyondTheLimitWaitAndAreAllServed(t *testing.T) {
	probe := &concurrencyProbe{hold: 50 * time.Millisecond}
	addr := serveWith(t, probe, Limits{MaxConnections: 4, KeepAliveConnections: 2})

	const clients = 60
	var wg sync.WaitGroup
	var closed atomic.Int64
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Transport: &http.Transport{DisableKeepAlives: false}, Timeout: 30 * time.Second}
			resp, err := c.Get(fmt.Sprintf("http://%s/doc/%d", addr, i))
			if err != nil {
				errs <- err
				return
			}
			defer func() { _ = resp.Body.Close() }()
			if resp.StatusCode != http.StatusOK {
				errs <- fmt.Errorf("status %d", resp.StatusCode)
			}
			if resp.Close {
				closed.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.LessOrEqual(t, probe.peak.Load(), int64(4), "requests served at once")
	assert.Greater(t, probe.peak.Load(), int64(1), "requests were served in parallel")
	assert.Positive(t, closed.Load(), "answers sent while busy close their connection")
}

// A normal client, one request after the other, keeps its connection.
func TestKeepAliveWorksWhenNotBusy(t *testing.T) {
	addr := serveWith(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }), Limits{})
	c := &http.Client{Transport: &http.Transport{}}
	reused := 0
	for i := range 5 {
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
		require.NoError(t, err)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) {
				if info.Reused {
					reused++
				}
			},
		}))
		resp, err := c.Do(req)
		require.NoError(t, err, "request %d", i)
		assert.False(t, resp.Close, "request %d: Connection: close on an idle server", i)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	// Not exactly 4: the transport returns a connection to its pool
	// asynchronously, so the next request may dial a new one.
	assert.Positive(t, reused, "later requests reuse a kept-alive connection")
}

// Shutting down with connections still waiting for a slot closes them and
// returns: nothing hangs on the queue.
func TestShutdownWithQueuedConnections(t *testing.T) {
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		<-release
		_, _ = w.Write([]byte("ok"))
	})
	ln, err := Bind("127.0.0.1:0", "--address")
	require.NoError(t, err)
	lim := newConnLimiter(ln, 1, 1)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lim) }()
	results := make(chan error, 3)
	for range 3 {
		go func() {
			resp, err := http.Get("http://" + ln.Addr().String() + "/")
			if err == nil {
				_ = resp.Body.Close()
			}
			results <- err
		}()
	}
	require.Eventually(t, func() bool { return lim.open.Load() == 3 }, 5*time.Second, 5*time.Millisecond, "three connections accepted, one served")
	require.NoError(t, lim.Close())
	close(release)
	select {
	case err := <-done:
		assert.ErrorIs(t, err, net.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the listener closed")
	}
	// The served client gets its answer, the queued ones a closed
	// connection: none hangs.
	for range 3 {
		if err := <-results; err != nil {
			t.Logf("a queued client: %v", err)
		}
	}
	require.NoError(t, srv.Close()) // the served connection, kept alive
	assert.Eventually(t, func() bool { return lim.open.Load() == 0 }, 5*time.Second, 5*time.Millisecond, "every connection released")
}
