package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// reaperEnv makes the sandbox binary (or its test binary) run as the
// watchdog instead.
const reaperEnv = "RHOAI_CONNECTOR_SANDBOX_REAPER"

// reaper is the watchdog: a copy of the sandbox binary, in its own process
// group, that is told on its stdin which process groups the sandbox started.
// When its stdin reaches end of file without "done" (the sandbox died, even
// of SIGKILL), it terminates them. It covers what a parent-death signal
// cannot: kube-apiserver and etcd, which envtest starts.
type reaper struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	mu   sync.Mutex
	done chan struct{}
}

func startReaper() (*reaper, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the sandbox binary to start its watchdog: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), reaperEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("watchdog stdin: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the watchdog %s: %w", exe, err)
	}
	r := &reaper{cmd: cmd, in: in, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(r.done)
	}()
	return r, nil
}

func (r *reaper) pid() int { return r.cmd.Process.Pid }

func (r *reaper) send(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// A watchdog that is gone cannot be helped; the processes are still
	// stopped by the sandbox itself.
	_, _ = io.WriteString(r.in, line+"\n")
}

// watch adds process group pgid to what the watchdog kills.
func (r *reaper) watch(pgid int) { r.send("+" + strconv.Itoa(pgid)) }

// forget removes pgid once its process has exited, so a reused pid is
// never killed.
func (r *reaper) forget(pgid int) { r.send("-" + strconv.Itoa(pgid)) }

// close tells the watchdog that everything stopped and waits for it.
func (r *reaper) close() error {
	r.send("done")
	r.mu.Lock()
	_ = r.in.Close()
	r.mu.Unlock()
	select {
	case <-r.done:
		return nil
	case <-time.After(10 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
		return fmt.Errorf("the sandbox watchdog (pid %d) did not exit and was killed", r.pid())
	}
}

// ignoreStopSignals is for the watchdog process: Ctrl-C and SIGTERM are
// for the sandbox, which stops everything in order; the watchdog acts only
// when the sandbox is gone.
func ignoreStopSignals() {
	signal.Ignore(os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
}

// runReaper is the watchdog's main loop: it reads "+<pgid>", "-<pgid>" and
// "done" lines; the watchdog then exits with 0.
func runReaper(in io.Reader) {
	groups := map[int]bool{}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "done" {
			return
		}
		if len(line) < 2 {
			continue
		}
		pgid, err := strconv.Atoi(line[1:])
		if err != nil || pgid <= 1 {
			continue
		}
		switch line[0] {
		case '+':
			groups[pgid] = true
		case '-':
			delete(groups, pgid)
		}
	}
	killGroups(groups, 5*time.Second)
}

// killGroups sends SIGTERM to every group, waits up to grace for them to
// go, then sends SIGKILL to the rest.
func killGroups(groups map[int]bool, grace time.Duration) {
	for g := range groups {
		_ = syscall.Kill(-g, syscall.SIGTERM)
	}
	deadline := time.Now().Add(grace)
	for len(groups) > 0 && time.Now().Before(deadline) {
		for g := range groups {
			if syscall.Kill(-g, 0) == syscall.ESRCH {
				delete(groups, g)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	for g := range groups {
		_ = syscall.Kill(-g, syscall.SIGKILL)
	}
}
