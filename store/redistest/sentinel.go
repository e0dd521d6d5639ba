package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// SentinelMaster is the name of the master set a Sentinel group monitors.
const SentinelMaster = "lineage"

// Sentinel is a primary, one replica and three Sentinels monitoring them
// (quorum 2), owned by a test: the deployment shape of a Redis that fails
// over.
type Sentinel struct {
	Primary, Replica *Server
	sentinels        []*Server
}

// StartSentinel starts a primary, a replica of it and three Sentinels that
// declare the primary down after a second without answers and fail over to
// the replica; it waits until the replica is linked and every Sentinel
// knows the replica and the other Sentinels.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	fast := []string{"--repl-diskless-sync-delay", "0"}
	primary := Start(t, WithArgs(fast...))
	replica := Start(t, WithArgs(append(fast, "--replicaof", "127.0.0.1", strconv.Itoa(primary.port))...))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := replica.waitReplicaLinked(ctx); err != nil {
		t.Fatalf("redistest: replica %s: %v", replica.Addr(), err)
	}
	g := &Sentinel{Primary: primary, Replica: replica}
	bin := lookPath(t, "redis-server")
	for range 3 {
		dir := t.TempDir()
		conf := filepath.Join(dir, "sentinel.conf")
		body := fmt.Sprintf("sentinel monitor %[1]s 127.0.0.1 %[2]d 2\n"+
			"sentinel down-after-milliseconds %[1]s 1000\n"+
			"sentinel failover-timeout %[1]s 5000\n"+
			"sentinel parallel-syncs %[1]s 1\n", SentinelMaster, primary.port)
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		var err error
		for range startAttempts {
			s := &Server{bin: bin, dir: dir, port: freePort(t, false), conf: conf}
			if err = s.start(); err == nil {
				t.Cleanup(s.Kill)
				g.sentinels = append(g.sentinels, s)
				break
			}
		}
		if err != nil {
			t.Fatalf("redistest: sentinel: %v", err)
		}
	}
	for _, s := range g.sentinels {
		if err := s.waitSentinelReady(ctx); err != nil {
			t.Fatalf("redistest: sentinel %s: %v\n%s", s.Addr(), err, s.logTail())
		}
	}
	return g
}

// waitSentinelReady polls SENTINEL MASTER until the Sentinel sees one
// replica and two other Sentinels.
func (s *Server) waitSentinelReady(ctx context.Context) error {
	c := goredis.NewSentinelClient(&goredis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer c.Close()
	var m map[string]string
	var err error
	for {
		m, err = c.Master(ctx, SentinelMaster).Result()
		if err == nil && m["num-slaves"] == "1" && m["num-other-sentinels"] == "2" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w (last error: %v, %v)", ctx.Err(), err, m)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Addrs are the Sentinels' host:port, for a failover client.
func (g *Sentinel) Addrs() []string {
	addrs := make([]string, len(g.sentinels))
	for i, s := range g.sentinels {
		addrs[i] = s.Addr()
	}
	return addrs
}

// Master asks a Sentinel which server is the master now.
func (g *Sentinel) Master(t testing.TB) string {
	t.Helper()
	c := goredis.NewSentinelClient(&goredis.Options{Addr: g.sentinels[0].Addr()})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	addr, err := c.GetMasterAddrByName(ctx, SentinelMaster).Result()
	if err != nil || len(addr) != 2 {
		t.Fatalf("redistest: SENTINEL GET-MASTER-ADDR-BY-NAME: %v %v", addr, err)
	}
	return net.JoinHostPort(addr[0], addr[1])
}

// WaitFailover waits until the Sentinels name a master other than from.
func (g *Sentinel) WaitFailover(t testing.TB, from string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m := g.Master(t); m != from {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("redistest: no failover from %s within %v", from, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
