//go:build !linux

package redistest

import "syscall"

// sysProcAttr is nil where there is no Pdeathsig: a server outlives a test
// binary that is killed before its cleanups run.
func sysProcAttr() *syscall.SysProcAttr { return nil }
