package redistest_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lineage-oss/lineage/store/redistest"
)

// childEnv makes a test re-executed by its parent play the child's part.
const childEnv = "REDISTEST_CHILD"

func TestStartKillRestart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     []redistest.Option
		persists bool
	}{
		{name: "default persists nothing"},
		{name: "append fsync always", opts: []redistest.Option{redistest.WithAppendFsyncAlways()}, persists: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			srv := redistest.Start(t, tt.opts...)
			host, port, err := net.SplitHostPort(srv.Addr())
			if err != nil || host != "127.0.0.1" || port == "6379" {
				t.Fatalf("Addr = %q; want 127.0.0.1 and a port other than 6379", srv.Addr())
			}
			c := srv.Client(t)
			if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}

			srv.Kill()
			if err := c.Ping(ctx).Err(); err == nil {
				t.Fatal("Ping succeeded after Kill")
			}
			srv.Kill() // Killing a dead server does nothing.

			srv.Restart(t)
			if got := srv.Addr(); got != net.JoinHostPort(host, port) {
				t.Errorf("Addr after Restart = %q, want %q", got, net.JoinHostPort(host, port))
			}
			n, err := c.Exists(ctx, "k").Result()
			if err != nil {
				t.Fatalf("the old client after Restart: %v", err)
			}
			if got := n == 1; got != tt.persists {
				t.Errorf("key survived Kill and Restart: %v, want %v", got, tt.persists)
			}

			// Restart of a running server restarts it.
			srv.Restart(t)
			if err := c.Ping(ctx).Err(); err != nil {
				t.Errorf("Ping after restarting a running server: %v", err)
			}
		})
	}
}

func TestWithArgsAndFlush(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := redistest.Start(t, redistest.WithArgs("--maxmemory", "12345678", "--databases", "4"))
	c := srv.Client(t)
	got, err := c.ConfigGet(ctx, "maxmemory").Result()
	if err != nil || got["maxmemory"] != "12345678" {
		t.Errorf("CONFIG GET maxmemory = %v, %v; want 12345678", got, err)
	}
	got, err = c.ConfigGet(ctx, "save").Result()
	if err != nil || got["save"] != "" {
		t.Errorf("CONFIG GET save = %v, %v; want snapshots off", got, err)
	}

	c3 := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), DB: 3})
	defer c3.Close()
	for _, cl := range []*goredis.Client{c, c3} {
		if err := cl.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	srv.Flush(t)
	for db, cl := range []*goredis.Client{c, c3} {
		if n, err := cl.DBSize(ctx).Result(); err != nil || n != 0 {
			t.Errorf("DBSIZE of a database after Flush = %d, %v; want 0 (client %d)", n, err, db)
		}
	}
}

func TestCluster(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	cluster := redistest.StartCluster(t, 3)
	addrs := cluster.Addrs()
	if len(addrs) != 3 {
		t.Fatalf("Addrs = %q, want 3", addrs)
	}
	for i, a := range addrs {
		if cluster.Node(i).Addr() != a {
			t.Errorf("Node(%d).Addr() = %q, want %q", i, cluster.Node(i).Addr(), a)
		}
	}

	c := cluster.Client(t)
	// Enough keys to land on every master.
	for i := range 100 {
		if err := c.Set(ctx, fmt.Sprint("key-", i), i, 0).Err(); err != nil {
			t.Fatalf("SET through the cluster client: %v", err)
		}
	}
	for i, a := range addrs {
		n := goredis.NewClient(&goredis.Options{Addr: a})
		info, err := n.ClusterInfo(ctx).Result()
		size, _ := n.DBSize(ctx).Result()
		_ = n.Close()
		if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_size:3") {
			t.Errorf("node %d CLUSTER INFO = %v:\n%s", i, err, info)
		}
		if size == 0 {
			t.Errorf("node %d holds none of 100 keys: slots are not spread over the masters", i)
		}
	}

	cluster.Flush(t)
	var total atomic.Int64 // ForEachMaster calls in parallel
	err := c.ForEachMaster(ctx, func(ctx context.Context, m *goredis.Client) error {
		n, err := m.DBSize(ctx).Result()
		total.Add(n)
		return err
	})
	if err != nil || total.Load() != 0 {
		t.Errorf("keys left after Flush = %d, %v; want 0", total.Load(), err)
	}
}

// TestClusterWithReplicas checks that every master of a Cluster started
// with replicas has its replica linked, and that Flush empties the masters
// (a replica refuses FLUSHALL) and so their replicas.
func TestClusterWithReplicas(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	cluster := redistest.StartClusterWithReplicas(t, 3, 1)
	if n := len(cluster.Addrs()); n != 6 {
		t.Fatalf("Addrs = %d nodes, want 6", n)
	}
	c := cluster.Client(t)
	for i := range 100 {
		if err := c.Set(ctx, fmt.Sprint("key-", i), i, 0).Err(); err != nil {
			t.Fatalf("SET through the cluster client: %v", err)
		}
	}
	masters, replicas := 0, 0
	for _, a := range cluster.Addrs() {
		n := goredis.NewClient(&goredis.Options{Addr: a})
		info, err := n.Info(ctx, "replication").Result()
		_ = n.Close()
		switch {
		case err != nil:
			t.Fatalf("node %s: INFO: %v", a, err)
		case strings.Contains(info, "role:master\r\n") && strings.Contains(info, "connected_slaves:1\r\n"):
			masters++
		case strings.Contains(info, "master_link_status:up\r\n"):
			replicas++
		default:
			t.Fatalf("node %s: unexpected replication state:\n%s", a, info)
		}
	}
	if masters != 3 || replicas != 3 {
		t.Fatalf("%d masters with a replica and %d linked replicas, want 3 and 3", masters, replicas)
	}

	cluster.Flush(t)
	var total atomic.Int64 // ForEachMaster calls in parallel
	err := c.ForEachMaster(ctx, func(ctx context.Context, m *goredis.Client) error {
		n, err := m.DBSize(ctx).Result()
		total.Add(n)
		return err
	})
	if err != nil || total.Load() != 0 {
		t.Errorf("keys left on the masters after Flush = %d, %v; want 0", total.Load(), err)
	}
}

func TestClusterNeedsThreeMasters(t *testing.T) {
	if os.Getenv(childEnv) == "small-cluster" {
		redistest.StartCluster(t, 2)
		return
	}
	out, err := runChild(t, "TestClusterNeedsThreeMasters", "small-cluster", os.Environ())
	if err == nil || !strings.Contains(out, "at least 3 masters") {
		t.Errorf("StartCluster(t, 2): err = %v, output:\n%s\nwant a failure saying 3 masters are needed", err, out)
	}
}

// TestMissingRedisSaysHowToInstall runs Start without redis-server on PATH:
// the test must fail (not skip) and say how to install it.
func TestMissingRedisSaysHowToInstall(t *testing.T) {
	if os.Getenv(childEnv) == "no-redis" {
		redistest.Start(t)
		return
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "PATH=") })
	out, err := runChild(t, "TestMissingRedisSaysHowToInstall", "no-redis", append(env, "PATH="+t.TempDir()))
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("child test did not fail: %v\n%s", err, out)
	}
	for _, want := range []string{"--- FAIL", "redis-server is not on PATH", "apt-get update && apt-get install -y redis-server", "make test"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not mention %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "SKIP") {
		t.Errorf("child test skipped:\n%s", out)
	}
}

// childCommand re-executes this test binary to run only test, as role.
func childCommand(t *testing.T, test, role string, env []string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^"+test+"$", "-test.v", "-test.count=1")
	cmd.Env = append(env, childEnv+"="+role)
	return cmd
}

// runChild runs test as role in a child process and returns its output.
func runChild(t *testing.T, test, role string, env []string) (string, error) {
	t.Helper()
	out, err := childCommand(t, test, role, env).CombinedOutput()
	return string(out), err
}

// TestSentinel: the Sentinels fail over to the replica when the primary
// dies, and the old primary comes back as a replica of the new master.
func TestSentinel(t *testing.T) {
	g := redistest.StartSentinel(t)
	if m := g.Master(t); m != g.Primary.Addr() {
		t.Fatalf("master %s, want the primary %s", m, g.Primary.Addr())
	}
	g.Primary.Kill()
	if m := g.WaitFailover(t, g.Primary.Addr(), 30*time.Second); m != g.Replica.Addr() {
		t.Fatalf("failed over to %s, want the replica %s", m, g.Replica.Addr())
	}
	g.Primary.Restart(t)
}
