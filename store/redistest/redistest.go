package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

const (
	// readyTimeout bounds how long a server may take to answer.
	readyTimeout = 15 * time.Second
	// startAttempts is how many free ports Start tries: another process may
	// take the port between the probe and redis-server binding it.
	startAttempts = 5
	// forbiddenPort is the Redis that may already run on the machine.
	forbiddenPort = 6379
	// clusterBusOffset is how far above its port a Cluster node listens for
	// its peers.
	clusterBusOffset = 10000
	// logName is the file in a server's directory that collects its output.
	logName = "redis.log"
)

// Option changes how Start runs redis-server.
type Option func(*config)

type config struct {
	fsyncAlways bool
	args        []string
}

// WithAppendFsyncAlways turns the append-only file on, fsynced on every
// write (appendonly yes, appendfsync always), so that data survives Kill
// and Restart.
func WithAppendFsyncAlways() Option {
	return func(c *config) { c.fsyncAlways = true }
}

// WithArgs appends redis-server command-line arguments, such as
// WithArgs("--maxmemory", "10mb"). They may not set --port, --bind or --dir.
func WithArgs(args ...string) Option {
	return func(c *config) { c.args = append(c.args, args...) }
}

// Server is one redis-server process owned by a test.
type Server struct {
	bin  string
	dir  string
	port int
	args []string
	// conf, for a Sentinel, is its configuration file (Sentinels rewrite
	// it), given before the other arguments.
	conf string

	mu   sync.Mutex
	proc *process
}

// process is one run of redis-server; done is closed once it has exited.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts redis-server on a free 127.0.0.1 port with its directory in
// t.TempDir(), waits until it answers, and kills it in t.Cleanup. By
// default nothing is persisted (--save "" --appendonly no).
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var c config
	for _, o := range opts {
		o(&c)
	}
	for _, a := range c.args {
		if a == "--port" || a == "--bind" || a == "--dir" {
			t.Fatalf("redistest: WithArgs may not set %s", a)
		}
	}
	args := []string{"--save", ""}
	if c.fsyncAlways {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	return startServer(t, append(args, c.args...), false)
}

// startServer starts one server with args after the common ones; bus asks
// for a port whose Cluster bus port is free too.
func startServer(t testing.TB, args []string, bus bool) *Server {
	t.Helper()
	bin := lookPath(t, "redis-server")
	dir := t.TempDir()
	var err error
	for range startAttempts {
		s := &Server{bin: bin, dir: dir, port: freePort(t, bus), args: args}
		if err = s.start(); err == nil {
			t.Cleanup(s.Kill)
			return s
		}
	}
	t.Fatalf("redistest: %v", err)
	return nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// Client returns a new client of the server, closed in t.Cleanup.
func (s *Server) Client(t testing.TB) *goredis.Client {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Kill kills the server with SIGKILL and waits until it has exited. Killing
// a server that is not running does nothing.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	_ = s.proc.cmd.Process.Kill()
	<-s.proc.done
	s.proc = nil
}

// Restart kills the server if it runs, then starts it again on the same
// port, in the same directory, with the same arguments, and waits until it
// answers.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Kill()
	if err := s.start(); err != nil {
		t.Fatalf("redistest: restart: %v", err)
	}
}

// Flush deletes every key of every database (FLUSHALL).
func (s *Server) Flush(t testing.TB) {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr()})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if err := c.FlushAll(ctx).Err(); err != nil {
		t.Fatalf("redistest: flush %s: %v", s.Addr(), err)
	}
}

// start runs redis-server and waits until it answers as itself.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	logf, err := os.OpenFile(filepath.Join(s.dir, logName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	var args []string
	if s.conf != "" {
		args = []string{s.conf, "--sentinel"}
	}
	args = append(args,
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--daemonize", "no",
		"--logfile", "")
	args = append(args, s.args...)
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	if err := s.waitReady(p); err != nil {
		_ = cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("redis-server on %s: %w\n%s", s.Addr(), err, s.logTail())
	}
	s.proc = p
	return nil
}

// waitReady polls INFO until the server on s.port reports p's process id
// (an answer from another server on that port does not count) and has
// loaded its data.
func (s *Server) waitReady(p *process) error {
	c := goredis.NewClient(&goredis.Options{
		Addr:        s.Addr(),
		DialTimeout: 250 * time.Millisecond,
		ReadTimeout: time.Second,
		MaxRetries:  -1,
		PoolSize:    1,
	})
	defer c.Close()
	want := "process_id:" + strconv.Itoa(p.cmd.Process.Pid) + "\r\n"
	sections, loaded := []string{"server", "persistence"}, "loading:0\r\n"
	if s.conf != "" {
		sections, loaded = []string{"server"}, "" // a Sentinel loads no data
	}
	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-p.done:
			return errors.New("exited before answering")
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		info, err := c.Info(ctx, sections...).Result()
		cancel()
		if err == nil && strings.Contains(info, want) && strings.Contains(info, loaded) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within %v (last error: %v)", readyTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logTail returns the end of the server's log, for failure messages.
func (s *Server) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.dir, logName))
	if err != nil {
		return ""
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(bytes.TrimSpace(b))
}

// Cluster is a Redis Cluster owned by a test: masters, each with the same
// number of replicas (none, from StartCluster).
type Cluster struct {
	nodes []*Server
}

// StartCluster starts masters (at least 3, as redis-cli requires)
// redis-server processes in Cluster mode, joins them with
// `redis-cli --cluster create`, and waits until every node reports
// cluster_state:ok with all 16384 slots assigned. Nothing is persisted but
// each node's nodes.conf, so a node can be Restarted and rejoin.
func StartCluster(t testing.TB, masters int) *Cluster {
	t.Helper()
	return StartClusterWithReplicas(t, masters, 0)
}

// StartClusterWithReplicas is StartCluster with replicas replicas of each
// master (masters*(1+replicas) nodes; which are masters is redis-cli's
// choice): it also waits until every replica's link to its master is up.
func StartClusterWithReplicas(t testing.TB, masters, replicas int) *Cluster {
	t.Helper()
	if masters < 3 {
		t.Fatalf("redistest: a Redis Cluster needs at least 3 masters, not %d", masters)
	}
	if replicas < 0 {
		t.Fatalf("redistest: %d replicas per master", replicas)
	}
	cli := lookPath(t, "redis-cli")
	args := []string{
		"--save", "", "--appendonly", "no",
		"--cluster-enabled", "yes",
		"--cluster-config-file", "nodes.conf",
		"--cluster-node-timeout", "2000",
		// A replica syncs at once, not 5 s after it asked.
		"--repl-diskless-sync-delay", "0",
	}
	c := &Cluster{}
	for range masters * (1 + replicas) {
		c.nodes = append(c.nodes, startServer(t, args, true))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	create := append([]string{"--cluster", "create"}, c.Addrs()...)
	create = append(create, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	out, err := exec.CommandContext(ctx, cli, create...).CombinedOutput()
	if err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, n := range c.nodes {
		if err := n.waitClusterOK(ctx, len(c.nodes)); err != nil {
			t.Fatalf("redistest: cluster node %s: %v\nredis-cli said:\n%s", n.Addr(), err, out)
		}
		if err := n.waitReplicaLinked(ctx); err != nil {
			t.Fatalf("redistest: cluster node %s: %v\nredis-cli said:\n%s", n.Addr(), err, out)
		}
	}
	return c
}

// waitClusterOK polls CLUSTER INFO until the node sees a healthy cluster of
// nodes nodes with every slot assigned.
func (s *Server) waitClusterOK(ctx context.Context, nodes int) error {
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer c.Close()
	want := []string{
		"cluster_state:ok",
		"cluster_slots_assigned:16384",
		"cluster_known_nodes:" + strconv.Itoa(nodes),
	}
	var info string
	var err error
	for {
		info, err = c.ClusterInfo(ctx).Result()
		if err == nil && !slices.ContainsFunc(want, func(w string) bool { return !strings.Contains(info, w+"\r\n") }) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster not ok: %w (last error: %v)\n%s", ctx.Err(), err, info)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitReplicaLinked polls INFO replication until the node is a master, or
// a replica whose link to its master is up.
func (s *Server) waitReplicaLinked(ctx context.Context) error {
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer c.Close()
	var info string
	var err error
	for {
		info, err = c.Info(ctx, "replication").Result()
		if err == nil && (strings.Contains(info, "role:master\r\n") || strings.Contains(info, "master_link_status:up\r\n")) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("replica not linked: %w (last error: %v)\n%s", ctx.Err(), err, info)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// isReplica reports whether the server is a replica now (ROLE).
func (s *Server) isReplica(t testing.TB) bool {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr()})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	role, err := c.Do(ctx, "ROLE").Slice()
	if err != nil || len(role) == 0 {
		t.Fatalf("redistest: ROLE of %s = %v, %v", s.Addr(), role, err)
	}
	return role[0] == "slave"
}

// Addrs are the host:port of every node, in the order of Node.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.Addr()
	}
	return addrs
}

// Client returns a new Cluster client of the cluster, closed in t.Cleanup.
func (c *Cluster) Client(t testing.TB) *goredis.ClusterClient {
	t.Helper()
	cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: c.Addrs()})
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// Flush deletes every key on every master (FLUSHALL on each node that is
// a master now); replicas follow their masters.
func (c *Cluster) Flush(t testing.TB) {
	t.Helper()
	for _, n := range c.nodes {
		if !n.isReplica(t) {
			n.Flush(t)
		}
	}
}

// Node returns the i-th node, counting from 0, to Kill or Restart it.
func (c *Cluster) Node(i int) *Server { return c.nodes[i] }

// lookPath finds a Redis program or fails t with how to install it.
func lookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("redistest: %s is not on PATH (%v); install it with "+
			"`apt-get update && apt-get install -y redis-server` (or run `make test`, which installs it)", name, err)
	}
	return p
}

// freePort returns a free 127.0.0.1 port other than 6379; with bus, one
// whose Cluster bus port (port+10000) is free too.
func freePort(t testing.TB, bus bool) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("redistest: find a free port: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		ok := port != forbiddenPort
		if ok && bus {
			ok = port+clusterBusOffset <= 65535
			if ok {
				lb, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+clusterBusOffset)))
				ok = err == nil
				if ok {
					_ = lb.Close()
				}
			}
		}
		_ = l.Close()
		if ok {
			return port
		}
	}
	t.Fatalf("redistest: no free port found")
	return 0
}
