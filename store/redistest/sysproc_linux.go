//go:build linux

package redistest

import "syscall"

// sysProcAttr makes the kernel SIGKILL redis-server when the thread that
// started it exits. The Go runtime only ends threads that a goroutine locked
// and never unlocked, which redistest does not do, so in practice the
// server dies with the test binary.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
