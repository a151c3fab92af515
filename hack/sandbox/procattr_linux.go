package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// childProcAttr puts a binary in its own process group (so Ctrl-C reaches
// the sandbox only, which stops the binaries in order) and has the kernel
// send it SIGTERM if the sandbox dies first. (The signal follows the
// thread that started the child; Go never ends its threads unless a
// goroutine exits while locked to one, which the sandbox does not do.)
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// childrenNamed returns the pids of this process's children whose command
// name is one of names. envtest does not expose the pids of kube-apiserver
// and etcd, and the watchdog needs them.
func childrenNamed(names ...string) []int {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces and ')'.
		s := string(b)
		open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closing < open {
			continue
		}
		fields := strings.Fields(s[closing+1:])
		if len(fields) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(fields[1]); err == nil && ppid == self && want[s[open+1:closing]] {
			pids = append(pids, pid)
		}
	}
	return pids
}
