package provider

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// peakMeter measures a process's peak resident memory over a window.
// VmHWM is the kernel's own high-water mark, exact, but it holds since
// the process started (the load from storage-rest included) unless it can
// be reset (clear_refs "5", Linux 4.0+, our own child); sampling VmRSS
// every 10 ms is the fallback and the cross-check.
type peakMeter struct {
	p       *testenv.Process
	reset   bool // VmHWM was reset at start: it is the window's peak
	stop    chan struct{}
	done    sync.WaitGroup
	mu      sync.Mutex
	sampled float64 // KiB
}

func startPeakMeter(t testing.TB, p *testenv.Process) *peakMeter {
	t.Helper()
	m := &peakMeter{p: p, stop: make(chan struct{})}
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.Pid()), []byte("5"), 0); err != nil {
		t.Logf("cannot reset %s's VmHWM (%v): its peak is sampled every 10 ms instead", p.Name, err)
	} else {
		m.reset = true
	}
	m.done.Add(1)
	go m.sample()
	return m
}

func (m *peakMeter) sample() {
	defer m.done.Done()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if _, rss, err := m.p.Memory(); err == nil {
			m.mu.Lock()
			m.sampled = max(m.sampled, rss)
			m.mu.Unlock()
		}
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
	}
}

// peakMiB stops the meter and returns the window's peak.
func (m *peakMeter) peakMiB() (float64, error) {
	close(m.stop)
	m.done.Wait()
	hwm, _, err := m.p.Memory()
	if err != nil {
		return 0, fmt.Errorf("reading %s's memory: %w", m.p.Name, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reset {
		return max(hwm, m.sampled) / 1024, nil
	}
	return m.sampled / 1024, nil
}

// raiseFileLimit lets this process and its children (location, node) open
// want files each: every concurrent fetch is a socket in node and, queued
// or served, one in location. A pod's containers usually get 1,048,576; a
// development machine or a sandbox may have far fewer, and raising the
// hard limit needs CAP_SYS_RESOURCE. When want is out of reach it raises
// the soft limit to the hard one and returns how many sockets node may
// open so that neither process runs out (0: no cap needed): node would
// otherwise fail with EMFILE, which says nothing about location.
func raiseFileLimit(t testing.TB, want uint64) (maxConnections int) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("reading the open files limit: %v", err)
	}
	if lim.Cur >= want {
		return 0
	}
	next := syscall.Rlimit{Cur: want, Max: max(lim.Max, want)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &next); err == nil {
		return 0
	}
	if lim.Max <= 2*fileHeadroom {
		t.Skipf("this size needs %d open files per process and the hard limit is %d here: run it as root with CAP_SYS_RESOURCE, or after ulimit -Hn %d",
			want, lim.Max, want)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: lim.Max, Max: lim.Max}); err != nil {
		t.Fatalf("raising the open files soft limit to the hard limit %d: %v", lim.Max, err)
	}
	return int(lim.Max - fileHeadroom)
}

// fileHeadroom is the open files kept for what is not a fetch's socket.
const fileHeadroom = 4096
