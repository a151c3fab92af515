package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// childSpec says how to run one binary.
type childSpec struct {
	name string
	args []string
	// env is added to the sandbox's own environment (so LOG_LEVEL=debug
	// reaches the binaries).
	env []string
	// readyURL answers 200 once the binary is ready.
	readyURL string
}

// child is a running binary, in its own process group.
type child struct {
	name     string
	readyURL string
	logPath  string
	cmd      *exec.Cmd
	log      *os.File
	done     chan struct{}
	err      error // Wait's result, set before done is closed
}

func startChild(s childSpec, bin, logPath string, verbose *lockedWriter) (*child, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating the log file of %s: %w", s.name, err)
	}
	cmd := exec.Command(bin, s.args...)
	cmd.Env = childEnv(os.Environ(), s.env)
	cmd.SysProcAttr = childProcAttr()
	var w io.Writer = f
	if verbose != nil {
		w = io.MultiWriter(f, &prefixWriter{out: verbose, prefix: "[" + s.name + "] "})
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	c := &child{name: s.name, readyURL: s.readyURL, logPath: logPath, cmd: cmd, log: f, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		_ = f.Close()
		close(c.done)
	}()
	return c, nil
}

func childEnv(base, extra []string) []string {
	// The sidecar pod's variables would make a binary talk to another
	// cluster than the sandbox's.
	drop := map[string]bool{"token": true, "ca.crt": true, "namespace": true,
		"KUBERNETES_SERVICE_HOST": true, "KUBERNETES_SERVICE_PORT": true}
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		drop[k] = true
	}
	var env []string
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// exitError explains an exit the sandbox did not ask for.
func (c *child) exitError() error {
	status := "exit status 0"
	if c.err != nil {
		status = c.err.Error()
	}
	return fmt.Errorf("%s exited on its own (%s); its log %s ends with:\n%s", c.name, status, c.logPath, tail(c.logPath, 15))
}

// stop sends SIGTERM to the child's process group, waits up to grace, then
// kills the group.
func (c *child) stop(grace time.Duration) error {
	if c.exited() {
		return nil
	}
	pgid := c.pid() // Setpgid: the group id is the child's pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-c.done:
		return nil
	case <-time.After(grace):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-c.done
	return fmt.Errorf("%s did not exit within %s of SIGTERM and was killed; see %s", c.name, grace, c.logPath)
}

// waitReady polls the child's ready URL until it answers 200.
func (c *child) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hc := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var last string // what the ready URL answered last
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.readyURL, nil)
		if err != nil {
			return fmt.Errorf("ready URL of %s: %w", c.name, err)
		}
		if resp, err := hc.Do(req); err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%s: %s", resp.Status, bytes.TrimSpace(body))
		} else {
			last = err.Error()
		}
		select {
		case <-c.done:
			return c.exitError()
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%s was not ready within %s (%s answered %s); see its log %s, which ends with:\n%s",
					c.name, timeout, c.readyURL, last, c.logPath, tail(c.logPath, 15))
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// tail returns the last n lines of a file, indented.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "    (cannot read it: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + strings.Join(lines, "\n    ")
}

// lockedWriter serializes whole lines from several children.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) writeLine(prefix string, line []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.w, prefix)
	_, _ = l.w.Write(line)
}

// prefixWriter writes each complete line with a prefix.
type prefixWriter struct {
	out    *lockedWriter
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		p.out.writeLine(p.prefix, p.buf[:i+1])
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}
