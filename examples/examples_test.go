// Package examples_test runs the examples as a user would: the issuer with
// examples/lineage.yaml, the protected API, and the workload.
package examples_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/internal/issuertest"
)

// build compiles one example into dir.
func build(t *testing.T, dir, name string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	if b, err := exec.Command("go", "build", "-o", out, "./"+name).CombinedOutput(); err != nil {
		t.Fatalf("go build ./%s: %v\n%s", name, err, b)
	}
	return out
}

// TestExamples: the workload gets a token with its IAM credentials and the
// protected API accepts it; a request without a token is refused.
func TestExamples(t *testing.T) {
	raw, err := os.ReadFile("lineage.yaml")
	if err != nil {
		t.Fatal(err)
	}
	public, admin, api := issuertest.FreeAddr(t), issuertest.FreeAddr(t), issuertest.FreeAddr(t)
	cfg := strings.NewReplacer("127.0.0.1:8080", public, "127.0.0.1:8081", admin, "127.0.0.1:9090", api).Replace(string(raw))
	dir := t.TempDir()
	path := filepath.Join(dir, "lineage.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + public
	issuertest.Start(t, nil, "serve", "--config", path).WaitReady(t, issuer)

	env := append(os.Environ(), "LINEAGE_ISSUER="+issuer, "API_ADDR="+api, "API_URL=http://"+api+"/orders")
	server := exec.Command(build(t, dir, "protected-api"))
	server.Env = env
	var serverLog strings.Builder
	server.Stderr = &serverLog
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Process.Kill(); _ = server.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + api + "/orders")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("no token: %d, want 401", resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the protected API did not start: %v\n%s", err, serverLog.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	workload := exec.Command(build(t, dir, "workload"))
	workload.Env = env
	out, err := workload.CombinedOutput()
	if err != nil {
		t.Fatalf("workload: %v\n%s", err, out)
	}
	if want := "orders for arn:aws:sts::111122223333:assumed-role/OrdersWorker/orders-job"; !strings.HasPrefix(string(out), want) {
		t.Fatalf("workload printed %q, want %q…", out, want)
	}
}
