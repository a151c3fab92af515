//go:build !linux

package main

import "syscall"

// childProcAttr puts a binary in its own process group, so Ctrl-C reaches
// the sandbox only, which stops the binaries in order. Only Linux has a
// parent-death signal; elsewhere the watchdog alone covers a killed sandbox.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// childrenNamed needs /proc; without it the watchdog does not know the
// control plane's pids.
func childrenNamed(...string) []int { return nil }
