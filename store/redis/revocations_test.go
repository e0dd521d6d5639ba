package redis_test

import (
	"context"
	"errors"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/redis"
	"github.com/lineage-oss/lineage/store/redistest"
)

// TestRevocationKeyLayout checks the documented keys of the revocation
// set: a jti and an origin_jti as they are, the ids of before rules and
// accounts hashed; each entry expires at its Until, put again it keeps the
// later one; and the stream's entries hold the five fields as strings.
func TestRevocationKeyLayout(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	s := redis.New(srv.Client(t))

	const id = "arn:aws:iam::111122223333:role/{x} y"
	until := time.Now().Add(time.Hour).Unix()
	puts := []store.Revocation{
		{Kind: store.RevokeJTI, ID: "jti-1", Until: until},
		{Kind: store.RevokeOrigin, ID: "b3JpZ2luLWp0aS0x", Until: until + 1},
		{Kind: store.RevokeBefore, Scope: store.ScopeSubject, ID: id, Before: 1_700_000_000, Until: until + 2},
		{Kind: store.RevokeBefore, Scope: store.ScopeClient, ID: id, Before: 1_700_000_001, Until: until + 3},
		{Kind: store.RevokeBefore, Scope: store.ScopePrincipal, ID: id, Before: 1_700_000_002, Until: until + 4},
		{Kind: store.RevokePolicy, Scope: store.ScopeAccount, ID: "111122223333", Until: until + 5},
		{Kind: store.RevokePolicy, Scope: store.ScopeAccount, ID: "111122223333", Until: until + 5},
	}
	var ids []string
	for _, r := range puts {
		evID, err := s.PutRevocation(ctx, r, time.Time{}, 0)
		if err != nil {
			t.Fatalf("PutRevocation(%+v): %v", r, err)
		}
		ids = append(ids, evID)
	}

	entries := []struct {
		key, value string
		until      int64
	}{
		{"rev:jti:jti-1", "1", until},
		{"rev:origin:b3JpZ2luLWp0aS0x", "1", until + 1},
		{"rev:before:subject:" + sha(id), "1700000000", until + 2},
		{"rev:before:client:" + sha(id), "1700000001", until + 3},
		{"rev:before:principal:" + sha(id), "1700000002", until + 4},
		{"rev:policy:" + sha("111122223333"), "2", until + 5}, // the generation, put twice
	}
	want := []string{"rev:events"}
	for _, e := range entries {
		want = append(want, e.key)
	}
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("keys = %q, want %q", keys, want)
	}
	checkEntry := func(what, key, value string, until int64) {
		t.Helper()
		if typ, _ := rdb.Type(ctx, key).Result(); typ != "string" {
			t.Errorf("%s: %s is a %q, want a string", what, key, typ)
		}
		if v, err := rdb.Get(ctx, key).Result(); err != nil || v != value {
			t.Errorf("%s: GET %s = %q, %v; want %q", what, key, v, err, value)
		}
		if got, err := rdb.PExpireTime(ctx, key).Result(); err != nil || got != time.Duration(until)*time.Second {
			t.Errorf("%s: PEXPIRETIME %s = %v, %v; want %v (Until %d)", what, key, got, err, time.Duration(until)*time.Second, until)
		}
	}
	for _, e := range entries {
		checkEntry("put", e.key, e.value, e.until)
	}

	// The stream holds one entry per put, its ID the event's, with the
	// five fields as strings.
	msgs, err := rdb.XRange(ctx, "rev:events", "-", "+").Result()
	if err != nil || len(msgs) != len(puts) {
		t.Fatalf("XRANGE rev:events = %d entries, %v; want %d", len(msgs), err, len(puts))
	}
	for i, m := range msgs {
		r := puts[i]
		wantValues := map[string]any{
			"kind": r.Kind, "id": r.ID, "scope": r.Scope,
			"before": strconv.FormatInt(r.Before, 10), "until": strconv.FormatInt(r.Until, 10),
		}
		if m.ID != ids[i] || !maps.Equal(m.Values, wantValues) {
			t.Errorf("stream entry %d = %s %v, want %s %v", i, m.ID, m.Values, ids[i], wantValues)
		}
	}

	// Put again: the later Until and the larger T stay.
	again := []store.Revocation{
		{Kind: store.RevokeJTI, ID: "jti-1", Until: until - 100},
		{Kind: store.RevokeOrigin, ID: "b3JpZ2luLWp0aS0x", Until: until + 100},
		{Kind: store.RevokeBefore, Scope: store.ScopeSubject, ID: id, Before: 1, Until: until + 200},
		{Kind: store.RevokeBefore, Scope: store.ScopeClient, ID: id, Before: 1_800_000_000, Until: until},
	}
	for _, r := range again {
		if _, err := s.PutRevocation(ctx, r, time.Time{}, 0); err != nil {
			t.Fatalf("PutRevocation(%+v): %v", r, err)
		}
	}
	checkEntry("jti put with an earlier Until", "rev:jti:jti-1", "1", until)
	checkEntry("origin_jti put with a later Until", "rev:origin:b3JpZ2luLWp0aS0x", "1", until+100)
	checkEntry("before rule put with an earlier T", "rev:before:subject:"+sha(id), "1700000000", until+200)
	checkEntry("before rule put with a later T", "rev:before:client:"+sha(id), "1800000000", until+3)
}

// TestCorruptRevocations checks that an entry or event the store did not
// write is a broken store, not "not revoked" or a shorter stream.
func TestCorruptRevocations(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	s := redis.New(srv.Client(t))

	rdb.Set(ctx, "rev:before:subject:"+sha("alice"), "not a number", 0)
	if st, err := s.RevocationStatus(ctx, store.RevocationQuery{JTI: "j", Subject: "alice"}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("RevocationStatus of a corrupt before rule = %+v, %v; want ErrUnavailable", st, err)
	}

	if _, err := s.PutRevocation(ctx, store.Revocation{Kind: store.RevokeJTI, ID: "ok", Until: time.Now().Add(time.Hour).Unix()}, time.Time{}, 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		values []any
	}{
		{"no kind", []any{"id", "x", "scope", "", "before", "0", "until", "1"}},
		{"until not a number", []any{"kind", "jti", "id", "x", "scope", "", "before", "0", "until", "soon"}},
		{"before not a number", []any{"kind", "before", "id", "x", "scope", "subject", "before", "", "until", "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := rdb.XAdd(ctx, &goredis.XAddArgs{Stream: "rev:events", Values: tt.values}).Result()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rdb.XDel(context.Background(), "rev:events", id) })
			if evs, err := s.RevocationEvents(ctx, "", 10, 0); !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("RevocationEvents over a corrupt entry = %+v, %v; want ErrUnavailable", evs, err)
			}
		})
	}
}

// pipelineLog records the pipelines node clients send: to which address,
// and the names of their commands.
type pipelineLog struct {
	mu   sync.Mutex
	sent []sentPipeline
}

type sentPipeline struct {
	addr string
	cmds []string
}

// hook returns a go-redis hook that records the pipelines of the client of
// addr.
func (l *pipelineLog) hook(addr string) goredis.Hook { return pipelineHook{l, addr} }

// waits returns the recorded pipelines that hold a WAIT, and forgets every
// pipeline.
func (l *pipelineLog) waits() []sentPipeline {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []sentPipeline
	for _, p := range l.sent {
		if slices.Contains(p.cmds, "wait") {
			out = append(out, p)
		}
	}
	l.sent = nil
	return out
}

type pipelineHook struct {
	log  *pipelineLog
	addr string
}

func (h pipelineHook) DialHook(next goredis.DialHook) goredis.DialHook          { return next }
func (h pipelineHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook { return next }
func (h pipelineHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		names := make([]string, len(cmds))
		for i, c := range cmds {
			names[i] = c.Name()
		}
		h.log.mu.Lock()
		h.log.sent = append(h.log.sent, sentPipeline{h.addr, names})
		h.log.mu.Unlock()
		return next(ctx, cmds)
	}
}

// wantWaits fails t unless got is one pipeline per entry of want, in
// order: the write, then WAIT, sent to the address.
func wantWaits(t *testing.T, what string, got []sentPipeline, want ...sentPipeline) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].addr == want[i].addr && slices.Equal(got[i].cmds, want[i].cmds)
	}
	if !ok {
		t.Errorf("%s: pipelines with WAIT = %+v, want %+v", what, got, want)
	}
}

// TestPutRevocationWaitsForReplicas checks on a primary with one replica
// that waitReplicas makes each write and its WAIT share one pipeline (one
// connection, as WAIT counts that connection's writes), that the replica
// holds the entry and the event once PutRevocation returns, and that fewer
// replicas than asked is ErrUnavailable after both writes were made.
func TestPutRevocationWaitsForReplicas(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// The replica syncs at once, not 5 s after it asked.
	primary := redistest.Start(t, redistest.WithArgs("--repl-diskless-sync-delay", "0"))
	host, port, err := net.SplitHostPort(primary.Addr())
	if err != nil {
		t.Fatal(err)
	}
	replica := redistest.Start(t, redistest.WithArgs("--replicaof", host, port))
	replicaClient := replica.Client(t)
	waitLinked(t, replicaClient)

	var log pipelineLog
	rdb := goredis.NewClient(&goredis.Options{Addr: primary.Addr()})
	rdb.AddHook(log.hook(primary.Addr()))
	s := redis.New(rdb)
	t.Cleanup(func() { _ = s.Close() })

	until := time.Now().Add(time.Hour).Unix()
	r := store.Revocation{Kind: store.RevokeJTI, ID: "jti-1", Until: until}
	id, err := s.PutRevocation(ctx, r, time.Time{}, 1)
	if err != nil {
		t.Fatalf("PutRevocation waiting for the replica: %v", err)
	}
	wantWaits(t, "acknowledged", log.waits(),
		sentPipeline{primary.Addr(), []string{"eval", "wait"}},
		sentPipeline{primary.Addr(), []string{"xadd", "wait"}})
	if v, err := replicaClient.Get(ctx, "rev:jti:jti-1").Result(); err != nil || v != "1" {
		t.Errorf("the replica's rev:jti:jti-1 = %q, %v; want 1", v, err)
	}
	if msgs, err := replicaClient.XRange(ctx, "rev:events", "-", "+").Result(); err != nil || len(msgs) != 1 || msgs[0].ID != id {
		t.Errorf("the replica's rev:events = %v, %v; want the event %s", msgs, err, id)
	}

	// Two replicas asked, one there: refused, though written.
	r2 := store.Revocation{Kind: store.RevokeOrigin, ID: "origin-1", Until: until}
	_, err = s.PutRevocation(ctx, r2, time.Time{}, 2)
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "not acknowledged by 2 replicas") {
		t.Fatalf("PutRevocation waiting for 2 replicas of 1 = %v, want ErrUnavailable, not acknowledged", err)
	}
	if !strings.HasPrefix(err.Error(), "store: put revocation: ") {
		t.Errorf("error %q does not name the operation", err)
	}
	// The event did not wait again once the entry was not acknowledged.
	wantWaits(t, "not acknowledged", log.waits(), sentPipeline{primary.Addr(), []string{"eval", "wait"}})
	if st, err := s.RevocationStatus(ctx, store.RevocationQuery{OriginJTI: "origin-1"}); err != nil || !st.OriginJTI {
		t.Errorf("RevocationStatus after an unacknowledged put = %+v, %v; want it written", st, err)
	}
	if evs, err := s.RevocationEvents(ctx, id, 10, 0); err != nil || len(evs) != 1 || evs[0].Revocation != r2 {
		t.Errorf("RevocationEvents after an unacknowledged put = %+v, %v; want its event", evs, err)
	}

	// Without the replica, nothing is acknowledged.
	replica.Kill()
	_, err = s.PutRevocation(ctx, store.Revocation{Kind: store.RevokeJTI, ID: "jti-2", Until: until}, time.Time{}, 1)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("PutRevocation waiting for a killed replica = %v, want ErrUnavailable", err)
	}
}

// waitLinked waits until the replica's link to its primary is up.
func waitLinked(t *testing.T, replica *goredis.Client) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		info, err := replica.Info(t.Context(), "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up\r\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica not linked to its primary: %v\n%s", err, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPutRevocationWaitsOnTheKeysMaster checks on a Cluster of 3 masters
// with a replica each that waitReplicas sends each write and its WAIT in
// one pipeline to the master of the written key (the Cluster client would
// send a keyless WAIT to any node, where it counts no write), for entries
// in many slots and the stream.
func TestPutRevocationWaitsOnTheKeysMaster(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	cluster := redistest.StartClusterWithReplicas(t, 3, 1)
	var log pipelineLog
	rdb := goredis.NewClusterClient(&goredis.ClusterOptions{
		Addrs: cluster.Addrs(),
		NewClient: func(o *goredis.Options) *goredis.Client {
			c := goredis.NewClient(o)
			c.AddHook(log.hook(o.Addr))
			return c
		},
	})
	s := redis.New(rdb)
	t.Cleanup(func() { _ = s.Close() })
	masters := cluster.Client(t)
	masterOf := func(key string) string {
		t.Helper()
		m, err := masters.MasterForKey(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return m.Options().Addr
	}

	until := time.Now().Add(time.Hour).Unix()
	used := map[string]bool{}
	for i := range 12 {
		n := strconv.Itoa(i)
		r := []store.Revocation{
			{Kind: store.RevokeJTI, ID: "jti-" + n, Until: until},
			{Kind: store.RevokeBefore, Scope: store.ScopeClient, ID: "client-" + n, Before: 100, Until: until},
		}[i%2]
		key := "rev:jti:" + r.ID
		if r.Kind == store.RevokeBefore {
			key = "rev:before:client:" + sha(r.ID)
		}
		log.waits()
		if _, err := s.PutRevocation(ctx, r, time.Time{}, 1); err != nil {
			t.Fatalf("PutRevocation(%s) waiting for 1 replica: %v", r.ID, err)
		}
		used[masterOf(key)] = true
		wantWaits(t, r.ID, log.waits(),
			sentPipeline{masterOf(key), []string{"eval", "wait"}},
			sentPipeline{masterOf("rev:events"), []string{"xadd", "wait"}})
	}
	if len(used) < 2 {
		t.Errorf("the entries' keys hashed to %d masters; the test wants several", len(used))
	}

	r := store.Revocation{Kind: store.RevokeOrigin, ID: "origin-1", Until: until}
	if _, err := s.PutRevocation(ctx, r, time.Time{}, 2); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("PutRevocation waiting for 2 replicas of 1 = %v, want ErrUnavailable", err)
	}
	if st, err := s.RevocationStatus(ctx, store.RevocationQuery{OriginJTI: "origin-1"}); err != nil || !st.OriginJTI {
		t.Errorf("RevocationStatus after an unacknowledged put = %+v, %v; want it written", st, err)
	}
}
