package redis_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/redis"
	"github.com/lineage-oss/lineage/store/redistest"
	"github.com/lineage-oss/lineage/store/storetest"
)

// newStore builds a Store through NewClient, as lineage does, and closes it
// in t.Cleanup.
func newStore(t *testing.T, o redis.Options) *redis.Store {
	t.Helper()
	rdb, err := redis.NewClient(o)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	s := redis.New(rdb)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformanceSingleNode(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		srv.Flush(t)
		return newStore(t, redis.Options{URL: "redis://" + srv.Addr()})
	})
}

func TestConformanceCluster(t *testing.T) {
	t.Parallel()
	cluster := redistest.StartCluster(t, 3)
	storetest.Run(t, func(t *testing.T) store.Store {
		cluster.Flush(t)
		return newStore(t, redis.Options{Addrs: cluster.Addrs()})
	})
}

// sha returns the hex SHA-256 of id, as the key layout uses it.
func sha(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// TestKeyLayout checks the documented keys: user-chosen ids appear only
// hashed, and locks and nonces expire.
func TestKeyLayout(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	s := redis.New(srv.Client(t))

	const id = "arn:aws:iam::111122223333:role/{x} y"
	if err := s.CreateClient(ctx, store.Client{ID: id, Scopes: []string{"openid"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSigningKey(ctx, store.SigningKey{KID: "kid-1", Alg: "ES256"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.AcquireLock(ctx, id, "owner-1", time.Hour); err != nil || !ok {
		t.Fatalf("AcquireLock = %v, %v", ok, err)
	}
	if ok, err := s.ClaimNonce(ctx, id, time.Now().Add(time.Hour)); err != nil || !ok {
		t.Fatalf("ClaimNonce = %v, %v", ok, err)
	}
	if err := s.CreateUser(ctx, store.User{Username: id, Email: "x@example.com"}); err != nil {
		t.Fatal(err)
	}
	appended, err := s.AppendAudit(ctx, store.AuditRecord{Actor: "admin", Action: "user.create", Target: "user/" + id})
	if err != nil {
		t.Fatal(err)
	}

	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	want := []string{
		"client:" + sha(id), "clients", "lock:" + sha(id), "nonce:" + sha(id), "signing_keys",
		"user:" + sha(id), "users", "audit",
	}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("keys = %q, want %q", keys, want)
	}

	if ok, _ := rdb.SIsMember(ctx, "clients", id).Result(); !ok {
		t.Error("clients set does not hold the id")
	}
	if ok, _ := rdb.SIsMember(ctx, "users", id).Result(); !ok {
		t.Error("users set does not hold the username")
	}
	// The audit trail is one stream whose entry IDs are the record IDs,
	// each entry the record's JSON in one field.
	if typ, _ := rdb.Type(ctx, "audit").Result(); typ != "stream" {
		t.Errorf("audit is a %q, want a stream", typ)
	}
	entries, err := rdb.XRange(ctx, "audit", "-", "+").Result()
	if err != nil || len(entries) != 1 || entries[0].ID != appended.ID || len(entries[0].Values) != 1 {
		t.Errorf("audit stream = %v, %v; want one entry %s with one field", entries, err, appended.ID)
	} else if v, _ := entries[0].Values["record"].(string); !strings.Contains(v, `"action":"user.create"`) {
		t.Errorf("audit entry field record = %q, want the record's JSON", v)
	}
	if ok, _ := rdb.HExists(ctx, "signing_keys", "kid-1").Result(); !ok {
		t.Error("signing_keys hash does not hold the kid")
	}
	if owner, _ := rdb.Get(ctx, "lock:"+sha(id)).Result(); owner != "owner-1" {
		t.Errorf("lock holds %q, want the owner", owner)
	}
	for _, key := range []string{"lock:" + sha(id), "nonce:" + sha(id)} {
		ttl, err := rdb.PTTL(ctx, key).Result()
		if err != nil || ttl <= 0 || ttl > time.Hour {
			t.Errorf("PTTL %s = %v, %v; want an expiry within the hour", key, ttl, err)
		}
	}
	for _, key := range []string{"client:" + sha(id), "clients", "signing_keys", "user:" + sha(id), "users", "audit"} {
		if ttl, _ := rdb.PTTL(ctx, key).Result(); ttl != -1 {
			t.Errorf("PTTL %s = %v, want no expiry", key, ttl)
		}
	}
}

// TestHalfDoneWrites checks how the store copes with a client record and
// the clients set disagreeing, as after a failure between the two writes
// that create or delete a client.
func TestHalfDoneWrites(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	s := redis.New(srv.Client(t))
	for _, id := range []string{"a", "b"} {
		if err := s.CreateClient(ctx, store.Client{ID: id}); err != nil {
			t.Fatal(err)
		}
	}

	// A record gone but its id still listed: ListClients skips it.
	rdb.Del(ctx, "client:"+sha("b"))
	list, err := s.ListClients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != "a" {
		t.Errorf("ListClients with a vanished record = %v, want only a", list)
	}
	if err := s.DeleteClient(ctx, "b"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteClient of a vanished record = %v, want ErrNotFound", err)
	}
	if ok, _ := rdb.SIsMember(ctx, "clients", "b").Result(); ok {
		t.Error("DeleteClient left the vanished id in the clients set")
	}

	// A record whose id is missing from the set: a retried create puts it
	// back (and still reports the conflict).
	rdb.SRem(ctx, "clients", "a")
	if err := s.CreateClient(ctx, store.Client{ID: "a"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateClient of an unlisted record = %v, want ErrConflict", err)
	}
	list, err = s.ListClients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != "a" {
		t.Errorf("ListClients after the retried create = %v, want a", list)
	}

	// A record that does not decode is a broken store, not a missing client.
	rdb.Set(ctx, "client:"+sha("a"), "{not json", 0)
	if _, err := s.GetClient(ctx, "a"); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("GetClient of a corrupt record = %v, want ErrUnavailable", err)
	}
	if _, err := s.ListClients(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("ListClients with a corrupt record = %v, want ErrUnavailable", err)
	}
}

// TestCorruptAuditEntry checks that an audit stream entry the store did not
// write is a broken store, not an empty or shorter trail.
func TestCorruptAuditEntry(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	s := redis.New(srv.Client(t))
	if _, err := s.AppendAudit(ctx, store.AuditRecord{Action: "client.create"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		values []any
	}{
		{"not JSON", []any{"record", "{not json"}},
		{"no record field", []any{"other", "{}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := rdb.XAdd(ctx, &goredis.XAddArgs{Stream: "audit", Values: tt.values}).Result()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rdb.XDel(context.Background(), "audit", id) })
			if _, err := s.ListAudit(ctx, 10, ""); !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("ListAudit over a corrupt entry = %v, want ErrUnavailable", err)
			}
		})
	}
}

// TestAuditTrimmed checks that the audit stream stays near its retention:
// appending to a stream beyond it drops the oldest entries, never newer
// than the newest record.AuditRetained (100000).
func TestAuditTrimmed(t *testing.T) {
	t.Parallel()
	const retained = 100_000
	ctx := t.Context()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	s := redis.New(srv.Client(t))

	// Fill the stream past the retention as an old store without a bound
	// would have, a pipeline at a time.
	const filled = retained + 1000
	for done := 0; done < filled; {
		batch := min(10_000, filled-done)
		_, err := rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for range batch {
				p.XAdd(ctx, &goredis.XAddArgs{Stream: "audit", Values: []any{"record", `{"action":"old"}`}})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		done += batch
	}
	oldest, err := rdb.XRangeN(ctx, "audit", "-", "+", 1).Result()
	if err != nil || len(oldest) != 1 {
		t.Fatalf("XRANGE = %v, %v", oldest, err)
	}

	r, err := s.AppendAudit(ctx, store.AuditRecord{Action: "client.create"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := rdb.XLen(ctx, "audit").Result()
	if err != nil {
		t.Fatal(err)
	}
	if n < retained || n > filled {
		t.Errorf("audit stream holds %d entries after an append to %d, want between %d and %d", n, filled, retained, filled)
	}
	if rs, err := s.ListAudit(ctx, 1, ""); err != nil || len(rs) != 1 || rs[0].ID != r.ID {
		t.Errorf("ListAudit(1) = %v, %v; want the appended record %s", rs, err, r.ID)
	}
	if gone, err := rdb.XRange(ctx, "audit", oldest[0].ID, oldest[0].ID).Result(); err != nil || len(gone) != 0 {
		t.Errorf("the oldest entry %s is still there (%v)", oldest[0].ID, err)
	}
}

// TestUnavailableAndRecovery kills Redis under a Store: every operation
// fails with ErrUnavailable (never ErrNotFound, which would read as "no
// such client"), and once Redis is back the same Store works again.
func TestUnavailableAndRecovery(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.WithAppendFsyncAlways())
	s := newStore(t, redis.Options{Addrs: []string{srv.Addr()}})
	ctx := t.Context()
	web := store.Client{ID: "web", Scopes: []string{"openid"}}
	if err := s.CreateClient(ctx, web); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSigningKey(ctx, store.SigningKey{KID: "k1", Alg: "ES256"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, store.User{Username: "alice"}); err != nil {
		t.Fatal(err)
	}
	logged, err := s.AppendAudit(ctx, store.AuditRecord{Action: "client.create", Target: "client/web"})
	if err != nil {
		t.Fatal(err)
	}

	srv.Kill()

	ops := []struct {
		name string
		op   func(ctx context.Context) error
	}{
		{"Ping", s.Ping},
		{"GetClient", func(ctx context.Context) error { _, err := s.GetClient(ctx, "web"); return err }},
		{"ListClients", func(ctx context.Context) error { _, err := s.ListClients(ctx); return err }},
		{"CreateClient", func(ctx context.Context) error { return s.CreateClient(ctx, store.Client{ID: "new"}) }},
		{"UpdateClient", func(ctx context.Context) error { return s.UpdateClient(ctx, web) }},
		{"DeleteClient", func(ctx context.Context) error { return s.DeleteClient(ctx, "web") }},
		{"ListSigningKeys", func(ctx context.Context) error { _, err := s.ListSigningKeys(ctx); return err }},
		{"PutSigningKey", func(ctx context.Context) error { return s.PutSigningKey(ctx, store.SigningKey{KID: "k2"}) }},
		{"DeleteSigningKey", func(ctx context.Context) error { return s.DeleteSigningKey(ctx, "k1") }},
		{"AcquireLock", func(ctx context.Context) error {
			ok, err := s.AcquireLock(ctx, "l", "a", time.Minute)
			if ok {
				return errors.New("AcquireLock reported the lock taken")
			}
			return err
		}},
		{"ReleaseLock", func(ctx context.Context) error { return s.ReleaseLock(ctx, "l", "a") }},
		{"ClaimNonce", func(ctx context.Context) error {
			ok, err := s.ClaimNonce(ctx, "n", time.Now().Add(time.Minute))
			if ok {
				return errors.New("ClaimNonce reported the nonce claimed")
			}
			return err
		}},
		{"GetUser", func(ctx context.Context) error { _, err := s.GetUser(ctx, "alice"); return err }},
		{"ListUsers", func(ctx context.Context) error { _, err := s.ListUsers(ctx); return err }},
		{"CreateUser", func(ctx context.Context) error { return s.CreateUser(ctx, store.User{Username: "bob"}) }},
		{"UpdateUser", func(ctx context.Context) error { return s.UpdateUser(ctx, store.User{Username: "alice"}) }},
		{"DeleteUser", func(ctx context.Context) error { return s.DeleteUser(ctx, "alice") }},
		{"AppendAudit", func(ctx context.Context) error {
			_, err := s.AppendAudit(ctx, store.AuditRecord{Action: "client.update"})
			return err
		}},
		{"ListAudit", func(ctx context.Context) error { _, err := s.ListAudit(ctx, 10, ""); return err }},
	}
	// The group returns once its parallel subtests have.
	t.Run("down", func(t *testing.T) {
		for _, tt := range ops {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				defer cancel()
				err := tt.op(ctx)
				if !errors.Is(err, store.ErrUnavailable) {
					t.Fatalf("error = %v, want ErrUnavailable", err)
				}
				if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
					t.Errorf("error %v also claims a record state", err)
				}
				if op := "store: " + words(tt.name) + ": "; !strings.HasPrefix(err.Error(), op) {
					t.Errorf("error %q does not start with %q", err, op)
				}
			})
		}
	})

	srv.Restart(t)
	restarted := time.Now()
	deadline := restarted.Add(15 * time.Second)
	for err := s.Ping(ctx); err != nil; err = s.Ping(ctx) {
		if time.Now().After(deadline) {
			t.Fatalf("the Store did not recover after Redis restarted: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the Store answered again %v after Redis restarted", time.Since(restarted).Round(time.Millisecond))

	// The append-only file kept what was written before the kill.
	got, err := s.GetClient(ctx, "web")
	if err != nil {
		t.Fatalf("GetClient after restart: %v", err)
	}
	if got.ID != "web" || !slices.Equal(got.Scopes, web.Scopes) {
		t.Errorf("GetClient after restart = %+v, want %+v", got, web)
	}
	if err := s.CreateClient(ctx, store.Client{ID: "new"}); err != nil {
		t.Errorf("CreateClient after restart: %v", err)
	}
	if _, err := s.GetUser(ctx, "alice"); err != nil {
		t.Errorf("GetUser after restart: %v", err)
	}
	// The trail survived, and new records still follow the old ones.
	again, err := s.AppendAudit(ctx, store.AuditRecord{Action: "client.create", Target: "client/new"})
	if err != nil {
		t.Fatalf("AppendAudit after restart: %v", err)
	}
	trail, err := s.ListAudit(ctx, 10, "")
	if err != nil {
		t.Fatalf("ListAudit after restart: %v", err)
	}
	if got := []string{trail[0].ID, trail[len(trail)-1].ID}; len(trail) != 2 || got[0] != again.ID || got[1] != logged.ID {
		t.Errorf("ListAudit after restart = %d records %v, want [%s %s]", len(trail), got, again.ID, logged.ID)
	}
	if ok, err := s.AcquireLock(ctx, "l", "a", time.Minute); err != nil || !ok {
		t.Errorf("AcquireLock after restart (scripts flushed) = %v, %v; want true", ok, err)
	}
	if err := s.ReleaseLock(ctx, "l", "a"); err != nil {
		t.Errorf("ReleaseLock after restart: %v", err)
	}
}

// words turns a method name into the operation its errors name:
// "ListSigningKeys" is "list signing keys".
func words(method string) string {
	var b strings.Builder
	for i, r := range method {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte(' ')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// TestCloseClosesClient checks that Close releases the client New was given.
func TestCloseClosesClient(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	s := redis.New(rdb)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := rdb.Ping(t.Context()).Err(); !errors.Is(err, goredis.ErrClosed) {
		t.Errorf("client after Close: Ping = %v, want %v", err, goredis.ErrClosed)
	}
}
