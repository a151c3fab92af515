package testenv

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process is a binary started by a test; its output is shown when the test
// fails.
type Process struct {
	Name string
	cmd  *exec.Cmd
	out  *SyncBuffer
	done chan struct{}
	// exit is what Wait returned; read it only after done is closed.
	exit error
}

// SyncBuffer is a bytes.Buffer that several goroutines may write to, for
// capturing a process's or a component's output in tests.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// StartProcess starts path with extra environment variables; it is stopped
// (SIGTERM, then SIGKILL) when the test ends, and dies with the test binary.
func StartProcess(t testing.TB, path string, env []string, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	return startCommand(t, path, cmd)
}

// startCommand starts cmd with its output captured; it is stopped when the
// test ends, and dies with the test binary.
func startCommand(t testing.TB, name string, cmd *exec.Cmd) *Process {
	t.Helper()
	out := &SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	p := &Process{Name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() { p.exit = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("--- output of %s:\n%s", name, lastLines(out.String(), 60))
		}
	})
	return p
}

// Terminate sends SIGTERM and returns how the process exited (nil: status
// 0); the test fails when it has not exited within timeout.
func (p *Process) Terminate(t testing.TB, timeout time.Duration) error {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("signalling %s: %v", p.Name, err)
	}
	select {
	case <-p.done:
		return p.exit
	case <-time.After(timeout):
		t.Fatalf("%s did not stop within %s of SIGTERM", p.Name, timeout)
		return nil
	}
}

// Stop sends SIGTERM and waits (SIGKILL after 10s); it reports whether the
// process exited with status 0.
func (p *Process) Stop() bool {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return p.cmd.ProcessState != nil && p.cmd.ProcessState.Success()
}

// Kill sends SIGKILL and waits: a crash.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Output is what the process printed so far.
func (p *Process) Output() string { return p.out.String() }

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// FreeAddr returns a loopback address with a port free right now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// BusyAddr returns a loopback address whose port the test holds until it
// ends, for checks that a command refuses a taken port.
func BusyAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("taking a port: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln.Addr().String()
}

// WaitOK waits until url answers 200.
func WaitOK(t testing.TB, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 within %s", url, timeout)
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Memory reads the process's peak and current resident set size in KiB
// (VmHWM and VmRSS of /proc/<pid>/status).
func (p *Process) Memory() (peakKiB, rssKiB float64, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid()) + "/status")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmHWM:":
			peakKiB = v
		case "VmRSS:":
			rssKiB = v
		}
	}
	return peakKiB, rssKiB, nil
}

// Alive reports whether the process is still running.
func (p *Process) Alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}
