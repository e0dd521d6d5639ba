//go:build linux

package redistest_test

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store/redistest"
)

// TestServerDiesWithTestBinary SIGKILLs a test binary that started a
// server, so that no cleanup runs: the server must die anyway.
func TestServerDiesWithTestBinary(t *testing.T) {
	if os.Getenv(childEnv) == "orphan" {
		srv := redistest.Start(t)
		info, err := srv.Client(t).Info(t.Context(), "server").Result()
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(info) {
			if pid, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
				fmt.Printf("redis-pid=%s\n", pid)
			}
		}
		time.Sleep(time.Minute) // until the parent kills this process
		return
	}

	cmd := childCommand(t, "TestServerDiesWithTestBinary", "orphan", os.Environ())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := 0
	sc := bufio.NewScanner(stdout)
	for pid == 0 && sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "redis-pid="); ok {
			pid, _ = strconv.Atoi(v)
		}
	}
	if pid == 0 {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatal("child did not report its redis-server pid")
	}
	if !alive(pid) {
		t.Fatalf("redis-server %d is not running while its test runs", pid)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()

	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server %d outlived its killed test binary", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesized command name.
	_, rest, ok := strings.Cut(string(b), ") ")
	return ok && !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}
