// Package issuertest runs the real lineage binary for tests in any package
// of the module (cmd/lineage, bench, sdk/verify): it builds cmd/lineage
// once per test process, finds free ports, starts `lineage` with the
// arguments a test gives, waits until it is ready and stops it at the end.
package issuertest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

var build struct {
	sync.Once
	path string
	err  error
}

// Binary builds cmd/lineage once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	build.Do(func() {
		dir, err := os.MkdirTemp("", "lineage-bin-")
		if err != nil {
			build.err = err
			return
		}
		build.path = filepath.Join(dir, "lineage")
		out, err := exec.Command("go", "build", "-o", build.path, "github.com/lineage-oss/lineage/cmd/lineage").CombinedOutput()
		if err != nil {
			build.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// FreeAddr returns a loopback address with a port that was free a moment
// ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Buffer collects a process's output safely while it runs.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Process is a running lineage binary.
type Process struct {
	Cmd            *exec.Cmd
	Stdout, Stderr *Buffer
	done           chan error
}

// Start runs the binary with args and the extra environment env; the
// process is killed when the test ends.
func Start(t testing.TB, env []string, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	p := &Process{Cmd: cmd, Stdout: &Buffer{}, Stderr: &Buffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.Stdout, p.Stderr
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		p.done <- nil
	})
	return p
}

// WaitReady polls issuer's /health/ready until it answers 200.
func (p *Process) WaitReady(t testing.TB, issuer string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("lineage exited early: %v\nstderr:\n%s", err, p.Stderr.String())
		default:
		}
		resp, err := http.Get(issuer + "/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("lineage not ready in time\nstderr:\n%s", p.Stderr.String())
}

// Stop sends SIGTERM and returns the exit code.
func (p *Process) Stop(t testing.TB) int {
	t.Helper()
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(20 * time.Second):
		t.Fatal("lineage did not stop on SIGTERM")
	}
	return p.Cmd.ProcessState.ExitCode()
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case err := <-p.done:
		p.done <- err
		return true
	default:
		return false
	}
}
