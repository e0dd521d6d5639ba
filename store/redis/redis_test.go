package redis_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
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
	if err := s.CreateIAMUser(ctx, store.IAMUser{Name: id}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateIAMRole(ctx, store.IAMRole{Name: id, TrustPolicy: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	// The odd string is both the key's id and its user's name.
	if err := s.CreateAccessKey(ctx, store.AccessKey{ID: id, UserName: id, Active: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutOrgPolicies(ctx, []json.RawMessage{json.RawMessage(`{ "Sid": "guard" }`)}); err != nil {
		t.Fatal(err)
	}
	// Codes and refresh tokens are keyed by the hash the caller gives (a
	// hex SHA-256 already); a family's id is its tokens' hash tag.
	const family = "b3JpZ2luLWp0aS0x"
	expiresAt := time.Now().Add(time.Hour)
	codeHash, oldHash, nextHash := sha("code"), sha("rt-old"), sha("rt-next")
	if err := s.CreateAuthorizationCode(ctx, store.AuthorizationCode{Hash: codeHash, OriginJTI: family, ExpiresAt: expiresAt}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumeAuthorizationCode(ctx, codeHash); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRefreshToken(ctx, store.RefreshToken{Hash: oldHash, OriginJTI: family, ExpiresAt: expiresAt}); err != nil {
		t.Fatal(err)
	}
	rotatedAt := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	next := store.RefreshToken{Hash: nextHash, OriginJTI: family, ExpiresAt: expiresAt.Add(time.Hour)}
	if _, err := s.RotateRefreshToken(ctx, family, oldHash, rotatedAt, next); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateLoginSession(ctx, store.LoginSession{ID: id, Username: "alice", ExpiresAt: expiresAt}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutConsent(ctx, store.Consent{Username: id, ClientID: id, Scopes: []string{"openid"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HitThrottle(ctx, id, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AllowRate(ctx, id, store.RateLimit{Rate: 1, Period: time.Hour, Burst: 1}); err != nil {
		t.Fatal(err)
	}
	codeKey := "code:" + codeHash
	oldKey, nextKey := "rt:{"+family+"}:"+oldHash, "rt:{"+family+"}:"+nextHash
	sessionKey, throttleKey := "login_session:"+sha(id), "throttle:"+sha(id)
	rateKey := "rate:" + sha(id)
	consentKey := "consent:" + sha(id+"\x00"+id)

	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	want := []string{
		"client:" + sha(id), "clients", "lock:" + sha(id), "nonce:" + sha(id), "signing_keys",
		"user:" + sha(id), "users", "audit",
		"iam_user:" + sha(id), "iam_users", "iam_role:" + sha(id), "iam_roles",
		"access_key:" + sha(id), "iam_user_keys:" + sha(id), "org_policies",
		codeKey, oldKey, nextKey, sessionKey, consentKey, throttleKey, rateKey,
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
	if ok, _ := rdb.SIsMember(ctx, "iam_users", id).Result(); !ok {
		t.Error("iam_users set does not hold the name")
	}
	if ok, _ := rdb.SIsMember(ctx, "iam_roles", id).Result(); !ok {
		t.Error("iam_roles set does not hold the name")
	}
	// An access key is one string, read by one GET on every signed request;
	// its user's set holds its id.
	if typ, _ := rdb.Type(ctx, "access_key:"+sha(id)).Result(); typ != "string" {
		t.Errorf("access_key is a %q, want a string", typ)
	}
	if members, _ := rdb.SMembers(ctx, "iam_user_keys:"+sha(id)).Result(); !slices.Equal(members, []string{id}) {
		t.Errorf("iam_user_keys set = %q, want the key id", members)
	}
	// The guardrails are one JSON array, compacted.
	if v, _ := rdb.Get(ctx, "org_policies").Result(); v != `[{"Sid":"guard"}]` {
		t.Errorf("org_policies = %q, want the JSON array", v)
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
	for _, key := range []string{"lock:" + sha(id), "nonce:" + sha(id), codeKey, oldKey, sessionKey, throttleKey, rateKey} {
		ttl, err := rdb.PTTL(ctx, key).Result()
		if err != nil || ttl <= 0 || ttl > time.Hour {
			t.Errorf("PTTL %s = %v, %v; want an expiry within the hour", key, ttl, err)
		}
	}
	// Each expires at its record's ExpiresAt, to the millisecond (rounded
	// up); the rotated token kept its own.
	for key, at := range map[string]time.Time{codeKey: expiresAt, oldKey: expiresAt, nextKey: next.ExpiresAt, sessionKey: expiresAt} {
		want := time.Duration(at.Add(time.Millisecond-1).UnixMilli()) * time.Millisecond
		if got, err := rdb.PExpireTime(ctx, key).Result(); err != nil || got != want {
			t.Errorf("PEXPIRETIME %s = %v, %v; want %v (%v)", key, got, err, want, at)
		}
	}
	// A code is a hash: the record, JSON, and once consumed "used".
	if typ, _ := rdb.Type(ctx, codeKey).Result(); typ != "hash" {
		t.Errorf("%s is a %q, want a hash", codeKey, typ)
	}
	if fields, _ := rdb.HGetAll(ctx, codeKey).Result(); len(fields) != 2 || fields["used"] != "1" || !strings.Contains(fields["rec"], `"hash":"`+codeHash+`"`) {
		t.Errorf("%s = %q, want the fields rec and used", codeKey, fields)
	}
	// A refresh token is a hash: the record, JSON, and once rotated
	// "rotated_at".
	if fields, _ := rdb.HGetAll(ctx, oldKey).Result(); len(fields) != 2 || fields["rotated_at"] != "2026-01-02T03:04:05.000000006Z" || !strings.Contains(fields["rec"], `"hash":"`+oldHash+`"`) {
		t.Errorf("rotated %s = %q, want the fields rec and rotated_at", oldKey, fields)
	}
	if fields, _ := rdb.HKeys(ctx, nextKey).Result(); !slices.Equal(fields, []string{"rec"}) {
		t.Errorf("current %s has the fields %q, want [rec]", nextKey, fields)
	}
	for _, key := range []string{sessionKey, consentKey, throttleKey} {
		if typ, _ := rdb.Type(ctx, key).Result(); typ != "string" {
			t.Errorf("%s is a %q, want a string", key, typ)
		}
	}
	if v, _ := rdb.Get(ctx, throttleKey).Result(); v != "1" {
		t.Errorf("%s = %q, want the count 1", throttleKey, v)
	}
	if v, _ := rdb.Get(ctx, consentKey).Result(); !strings.Contains(v, `"scopes":["openid"]`) {
		t.Errorf("%s = %q, want the consent's JSON", consentKey, v)
	}
	for _, key := range []string{
		"client:" + sha(id), "clients", "signing_keys", "user:" + sha(id), "users", "audit",
		"iam_user:" + sha(id), "iam_users", "iam_role:" + sha(id), "iam_roles",
		"access_key:" + sha(id), "iam_user_keys:" + sha(id), "org_policies", consentKey,
	} {
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

// TestAccessKeyHalfDoneWrites checks how the store copes with an access key
// record and its user's set disagreeing, as after a failure between the two
// writes that create, update or delete a key: a key never lists under a
// user it does not belong to, and a retried write repairs the set.
func TestAccessKeyHalfDoneWrites(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	s := redis.New(srv.Client(t))
	for _, id := range []string{"AKIAA", "AKIAB", "AKIAC"} {
		if err := s.CreateAccessKey(ctx, store.AccessKey{ID: id, UserName: "alice"}); err != nil {
			t.Fatal(err)
		}
	}
	aliceKeys := "iam_user_keys:" + sha("alice")
	listed := func(user string) []string {
		t.Helper()
		ks, err := s.ListAccessKeys(ctx, user)
		if err != nil {
			t.Fatalf("ListAccessKeys(%s): %v", user, err)
		}
		ids := make([]string, len(ks))
		for i, k := range ks {
			ids[i] = k.ID
		}
		return ids
	}

	// A record gone but its id still in the set: ListAccessKeys skips it.
	rdb.Del(ctx, "access_key:"+sha("AKIAC"))
	if got := listed("alice"); !slices.Equal(got, []string{"AKIAA", "AKIAB"}) {
		t.Errorf("ListAccessKeys with a vanished record = %q, want [AKIAA AKIAB]", got)
	}
	if err := s.DeleteAccessKey(ctx, "AKIAC"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteAccessKey of a vanished record = %v, want ErrNotFound", err)
	}

	// An id in a set of a user the key does not belong to (its id was
	// deleted and re-created for another user): not listed there.
	rdb.SAdd(ctx, "iam_user_keys:"+sha("mallory"), "AKIAA")
	if got := listed("mallory"); len(got) != 0 {
		t.Errorf("ListAccessKeys(mallory) with alice's key id in its set = %q, want none", got)
	}

	// A record whose id is missing from its user's set: a retried create
	// puts it back (and still reports the conflict), but a conflicting
	// create for another user does not add it to that user's set.
	rdb.SRem(ctx, aliceKeys, "AKIAA")
	if err := s.CreateAccessKey(ctx, store.AccessKey{ID: "AKIAA", UserName: "eve"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateAccessKey of alice's unlisted key for eve = %v, want ErrConflict", err)
	}
	if ok, _ := rdb.Exists(ctx, "iam_user_keys:"+sha("eve")).Result(); ok != 0 {
		t.Error("a refused create for eve made eve a set of keys")
	}
	if got := listed("alice"); !slices.Equal(got, []string{"AKIAA", "AKIAB"}) {
		t.Errorf("ListAccessKeys after a create for eve = %q, want [AKIAA AKIAB]", got)
	}
	rdb.SRem(ctx, aliceKeys, "AKIAA")
	if err := s.CreateAccessKey(ctx, store.AccessKey{ID: "AKIAA", UserName: "alice"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateAccessKey of an unlisted key = %v, want ErrConflict", err)
	}
	if got := listed("alice"); !slices.Equal(got, []string{"AKIAA", "AKIAB"}) {
		t.Errorf("ListAccessKeys after the retried create = %q, want [AKIAA AKIAB]", got)
	}
	// So does an update.
	rdb.SRem(ctx, aliceKeys, "AKIAB")
	if err := s.UpdateAccessKey(ctx, store.AccessKey{ID: "AKIAB", UserName: "alice", Active: true}); err != nil {
		t.Errorf("UpdateAccessKey of an unlisted key: %v", err)
	}
	if got := listed("alice"); !slices.Equal(got, []string{"AKIAA", "AKIAB"}) {
		t.Errorf("ListAccessKeys after the update = %q, want [AKIAA AKIAB]", got)
	}

	// A delete removes the id from the set of the key's own user.
	if err := s.DeleteAccessKey(ctx, "AKIAB"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := rdb.SIsMember(ctx, aliceKeys, "AKIAB").Result(); ok {
		t.Error("DeleteAccessKey left the id in its user's set")
	}

	// A record that does not decode is a broken store, not a missing key.
	rdb.Set(ctx, "access_key:"+sha("AKIAA"), "{not json", 0)
	corrupt := []struct {
		name string
		op   func() error
	}{
		{"GetAccessKey", func() error { _, err := s.GetAccessKey(ctx, "AKIAA"); return err }},
		{"ListAccessKeys", func() error { _, err := s.ListAccessKeys(ctx, "alice"); return err }},
		{"UpdateAccessKey", func() error { return s.UpdateAccessKey(ctx, store.AccessKey{ID: "AKIAA", UserName: "alice"}) }},
		{"CreateAccessKey", func() error { return s.CreateAccessKey(ctx, store.AccessKey{ID: "AKIAA", UserName: "alice"}) }},
	}
	for _, tt := range corrupt {
		if err := tt.op(); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s of a corrupt record = %v, want ErrUnavailable", tt.name, err)
		}
	}
}

// TestCorruptOrgPolicies checks that org_policies holding anything but a
// JSON array is a broken store, not an empty list of guardrails.
func TestCorruptOrgPolicies(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	s := redis.New(srv.Client(t))
	for _, v := range []string{"[{not json", `{"Sid":"guard"}`, `"[]"`} {
		rdb.Set(ctx, "org_policies", v, 0)
		if ps, err := s.GetOrgPolicies(ctx); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("GetOrgPolicies of %q = %q, %v; want ErrUnavailable", v, ps, err)
		}
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
	if err := s.CreateIAMUser(ctx, store.IAMUser{Name: "ci"}); err != nil {
		t.Fatal(err)
	}
	key := store.AccessKey{ID: "AKIAIOSFODNN7EXAMPLE", UserName: "ci", SealedSecret: []byte("sealed"), Active: true}
	if err := s.CreateAccessKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	trust := json.RawMessage(`{"Statement":[]}`)
	if err := s.CreateIAMRole(ctx, store.IAMRole{Name: "deploy", TrustPolicy: trust}); err != nil {
		t.Fatal(err)
	}
	guard := []json.RawMessage{json.RawMessage(`{"Sid":"guard"}`)}
	if err := s.PutOrgPolicies(ctx, guard); err != nil {
		t.Fatal(err)
	}
	const family = "ZmFtaWx5LWtpbGw"
	expiresAt := time.Now().Add(time.Hour)
	code := store.AuthorizationCode{Hash: sha("code"), ClientID: "web", OriginJTI: family, ExpiresAt: expiresAt}
	if err := s.CreateAuthorizationCode(ctx, code); err != nil {
		t.Fatal(err)
	}
	refresh := func(token string) store.RefreshToken {
		return store.RefreshToken{Hash: sha(token), OriginJTI: family, ClientID: "web", ExpiresAt: expiresAt}
	}
	if err := s.CreateRefreshToken(ctx, refresh("rt-0")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateLoginSession(ctx, store.LoginSession{ID: "sid", Username: "alice", ExpiresAt: expiresAt}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutConsent(ctx, store.Consent{Username: "alice", ClientID: "web", Scopes: []string{"openid"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HitThrottle(ctx, "user:alice", time.Hour); err != nil {
		t.Fatal(err)
	}
	revoked := store.Revocation{Kind: store.RevokeBefore, Scope: store.ScopeSubject, ID: "alice", Before: 100, Until: expiresAt.Unix()}
	revokedID, err := s.PutRevocation(ctx, revoked, time.Time{}, 0)
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
		{"GetIAMUser", func(ctx context.Context) error { _, err := s.GetIAMUser(ctx, "ci"); return err }},
		{"ListIAMUsers", func(ctx context.Context) error { _, err := s.ListIAMUsers(ctx); return err }},
		{"CreateIAMUser", func(ctx context.Context) error { return s.CreateIAMUser(ctx, store.IAMUser{Name: "new"}) }},
		{"UpdateIAMUser", func(ctx context.Context) error { return s.UpdateIAMUser(ctx, store.IAMUser{Name: "ci"}) }},
		{"DeleteIAMUser", func(ctx context.Context) error { return s.DeleteIAMUser(ctx, "ci") }},
		{"GetAccessKey", func(ctx context.Context) error { _, err := s.GetAccessKey(ctx, key.ID); return err }},
		{"ListAccessKeys", func(ctx context.Context) error { _, err := s.ListAccessKeys(ctx, "ci"); return err }},
		{"CreateAccessKey", func(ctx context.Context) error {
			return s.CreateAccessKey(ctx, store.AccessKey{ID: "AKIANEW", UserName: "ci"})
		}},
		{"UpdateAccessKey", func(ctx context.Context) error {
			deactivated := key
			deactivated.Active, deactivated.DeactivatedAt = false, time.Now()
			return s.UpdateAccessKey(ctx, deactivated)
		}},
		{"DeleteAccessKey", func(ctx context.Context) error { return s.DeleteAccessKey(ctx, key.ID) }},
		{"GetIAMRole", func(ctx context.Context) error { _, err := s.GetIAMRole(ctx, "deploy"); return err }},
		{"ListIAMRoles", func(ctx context.Context) error { _, err := s.ListIAMRoles(ctx); return err }},
		{"CreateIAMRole", func(ctx context.Context) error {
			return s.CreateIAMRole(ctx, store.IAMRole{Name: "new", TrustPolicy: trust})
		}},
		{"UpdateIAMRole", func(ctx context.Context) error {
			return s.UpdateIAMRole(ctx, store.IAMRole{Name: "deploy", TrustPolicy: trust})
		}},
		{"DeleteIAMRole", func(ctx context.Context) error { return s.DeleteIAMRole(ctx, "deploy") }},
		{"GetOrgPolicies", func(ctx context.Context) error { _, err := s.GetOrgPolicies(ctx); return err }},
		{"PutOrgPolicies", func(ctx context.Context) error { return s.PutOrgPolicies(ctx, nil) }},
		{"CreateAuthorizationCode", func(ctx context.Context) error {
			return s.CreateAuthorizationCode(ctx, store.AuthorizationCode{Hash: sha("new"), OriginJTI: family, ExpiresAt: expiresAt})
		}},
		{"ConsumeAuthorizationCode", func(ctx context.Context) error {
			_, err := s.ConsumeAuthorizationCode(ctx, code.Hash)
			return err
		}},
		{"CreateRefreshToken", func(ctx context.Context) error { return s.CreateRefreshToken(ctx, refresh("new")) }},
		{"GetRefreshToken", func(ctx context.Context) error {
			_, err := s.GetRefreshToken(ctx, family, sha("rt-0"))
			return err
		}},
		{"RotateRefreshToken", func(ctx context.Context) error {
			_, err := s.RotateRefreshToken(ctx, family, sha("rt-0"), time.Now(), refresh("rt-down"))
			return err
		}},
		{"CreateLoginSession", func(ctx context.Context) error {
			return s.CreateLoginSession(ctx, store.LoginSession{ID: "new", ExpiresAt: expiresAt})
		}},
		{"GetLoginSession", func(ctx context.Context) error { _, err := s.GetLoginSession(ctx, "sid"); return err }},
		{"DeleteLoginSession", func(ctx context.Context) error { return s.DeleteLoginSession(ctx, "sid") }},
		{"GetConsent", func(ctx context.Context) error { _, err := s.GetConsent(ctx, "alice", "web"); return err }},
		{"PutConsent", func(ctx context.Context) error {
			return s.PutConsent(ctx, store.Consent{Username: "alice", ClientID: "web"})
		}},
		{"HitThrottle", func(ctx context.Context) error {
			n, err := s.HitThrottle(ctx, "user:alice", time.Hour)
			if n != 0 {
				return fmt.Errorf("HitThrottle reported count %d", n)
			}
			return err
		}},
		{"ThrottleCount", func(ctx context.Context) error {
			n, err := s.ThrottleCount(ctx, "user:alice")
			if n != 0 {
				return fmt.Errorf("ThrottleCount reported count %d", n)
			}
			return err
		}},
		{"ResetThrottle", func(ctx context.Context) error { return s.ResetThrottle(ctx, "user:alice") }},
		{"PutRevocation", func(ctx context.Context) error {
			id, err := s.PutRevocation(ctx, store.Revocation{Kind: store.RevokeJTI, ID: "down", Until: expiresAt.Unix()}, time.Time{}, 0)
			if id != "" {
				return fmt.Errorf("PutRevocation returned the event ID %q", id)
			}
			return err
		}},
		{"RevocationStatus", func(ctx context.Context) error {
			st, err := s.RevocationStatus(ctx, store.RevocationQuery{JTI: "jti", Subject: "alice"})
			if !reflect.DeepEqual(st, store.RevocationStatus{}) {
				return fmt.Errorf("RevocationStatus reported %+v", st)
			}
			return err
		}},
		{"RevocationEvents", func(ctx context.Context) error {
			// Waiting, too: a Redis that is down ends the wait at once.
			evs, err := s.RevocationEvents(ctx, "", 10, time.Minute)
			if len(evs) != 0 {
				return fmt.Errorf("RevocationEvents returned %d events", len(evs))
			}
			return err
		}},
		{"LastRevocationEvent", func(ctx context.Context) error { _, err := s.LastRevocationEvent(ctx); return err }},
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

	// The IAM records survived, and every IAM method works again.
	if got, err := s.GetAccessKey(ctx, key.ID); err != nil || got.UserName != "ci" || !got.Active {
		t.Errorf("GetAccessKey after restart = %+v, %v; want ci's active key", got, err)
	}
	deactivated := key
	deactivated.Active, deactivated.DeactivatedAt = false, time.Now()
	if err := s.UpdateAccessKey(ctx, deactivated); err != nil {
		t.Errorf("UpdateAccessKey after restart (scripts flushed): %v", err)
	}
	if err := s.CreateAccessKey(ctx, store.AccessKey{ID: "AKIANEW", UserName: "ci"}); err != nil {
		t.Errorf("CreateAccessKey after restart: %v", err)
	}
	if keys, err := s.ListAccessKeys(ctx, "ci"); err != nil || len(keys) != 2 || keys[0].Active || keys[0].ID != key.ID {
		t.Errorf("ListAccessKeys after restart = %+v, %v; want the deactivated key, then AKIANEW", keys, err)
	}
	if err := s.DeleteAccessKey(ctx, "AKIANEW"); err != nil {
		t.Errorf("DeleteAccessKey after restart: %v", err)
	}
	if _, err := s.GetIAMUser(ctx, "ci"); err != nil {
		t.Errorf("GetIAMUser after restart: %v", err)
	}
	if err := s.CreateIAMUser(ctx, store.IAMUser{Name: "new"}); err != nil {
		t.Errorf("CreateIAMUser after restart: %v", err)
	}
	if users, err := s.ListIAMUsers(ctx); err != nil || len(users) != 2 {
		t.Errorf("ListIAMUsers after restart = %d users, %v; want 2", len(users), err)
	}
	if err := s.UpdateIAMUser(ctx, store.IAMUser{Name: "ci", ID: "AIDA"}); err != nil {
		t.Errorf("UpdateIAMUser after restart: %v", err)
	}
	if err := s.DeleteIAMUser(ctx, "new"); err != nil {
		t.Errorf("DeleteIAMUser after restart: %v", err)
	}
	if _, err := s.GetIAMRole(ctx, "deploy"); err != nil {
		t.Errorf("GetIAMRole after restart: %v", err)
	}
	if err := s.CreateIAMRole(ctx, store.IAMRole{Name: "new", TrustPolicy: trust}); err != nil {
		t.Errorf("CreateIAMRole after restart: %v", err)
	}
	if err := s.UpdateIAMRole(ctx, store.IAMRole{Name: "deploy", TrustPolicy: trust, MaxSessionDuration: time.Hour}); err != nil {
		t.Errorf("UpdateIAMRole after restart: %v", err)
	}
	if err := s.DeleteIAMRole(ctx, "new"); err != nil {
		t.Errorf("DeleteIAMRole after restart: %v", err)
	}
	if roles, err := s.ListIAMRoles(ctx); err != nil || len(roles) != 1 || roles[0].MaxSessionDuration != time.Hour {
		t.Errorf("ListIAMRoles after restart = %+v, %v; want the updated deploy role", roles, err)
	}
	if ps, err := s.GetOrgPolicies(ctx); err != nil || len(ps) != 1 || string(ps[0]) != string(guard[0]) {
		t.Errorf("GetOrgPolicies after restart = %q, %v; want %q", ps, err, guard)
	}
	if err := s.PutOrgPolicies(ctx, nil); err != nil {
		t.Errorf("PutOrgPolicies after restart: %v", err)
	}
	if ps, err := s.GetOrgPolicies(ctx); err != nil || len(ps) != 0 {
		t.Errorf("GetOrgPolicies after an empty put = %q, %v; want none", ps, err)
	}

	// The codes, tokens, sessions, consents and throttles survived, and
	// every method works again (its script reloaded).
	if got, err := s.ConsumeAuthorizationCode(ctx, code.Hash); err != nil || got.ClientID != "web" {
		t.Errorf("ConsumeAuthorizationCode after restart = %+v, %v; want the unused code", got, err)
	}
	if _, err := s.ConsumeAuthorizationCode(ctx, code.Hash); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second ConsumeAuthorizationCode after restart: %v, want ErrConflict", err)
	}
	if err := s.CreateAuthorizationCode(ctx, store.AuthorizationCode{Hash: sha("new"), OriginJTI: family, ExpiresAt: expiresAt}); err != nil {
		t.Errorf("CreateAuthorizationCode after restart: %v", err)
	}
	// The rotation attempted while Redis was down did not happen.
	if _, err := s.GetRefreshToken(ctx, family, sha("rt-down")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRefreshToken of the next token of a failed rotation: %v, want ErrNotFound", err)
	}
	if old, err := s.RotateRefreshToken(ctx, family, sha("rt-0"), time.Now(), refresh("rt-1")); err != nil || old.ClientID != "web" {
		t.Errorf("RotateRefreshToken after restart = %+v, %v; want the current token", old, err)
	}
	if got, err := s.GetRefreshToken(ctx, family, sha("rt-1")); err != nil || !got.RotatedAt.IsZero() {
		t.Errorf("GetRefreshToken of the next token after restart = %+v, %v", got, err)
	}
	if err := s.CreateRefreshToken(ctx, refresh("new")); err != nil {
		t.Errorf("CreateRefreshToken after restart: %v", err)
	}
	if got, err := s.GetLoginSession(ctx, "sid"); err != nil || got.Username != "alice" {
		t.Errorf("GetLoginSession after restart = %+v, %v; want alice's session", got, err)
	}
	if err := s.CreateLoginSession(ctx, store.LoginSession{ID: "new", ExpiresAt: expiresAt}); err != nil {
		t.Errorf("CreateLoginSession after restart: %v", err)
	}
	if err := s.DeleteLoginSession(ctx, "sid"); err != nil {
		t.Errorf("DeleteLoginSession after restart: %v", err)
	}
	if got, err := s.GetConsent(ctx, "alice", "web"); err != nil || !slices.Equal(got.Scopes, []string{"openid"}) {
		t.Errorf("GetConsent after restart = %+v, %v; want alice's consent", got, err)
	}
	if err := s.PutConsent(ctx, store.Consent{Username: "alice", ClientID: "web"}); err != nil {
		t.Errorf("PutConsent after restart: %v", err)
	}
	if n, err := s.ThrottleCount(ctx, "user:alice"); err != nil || n != 1 {
		t.Errorf("ThrottleCount after restart = %d, %v; want 1", n, err)
	}
	if n, err := s.HitThrottle(ctx, "user:alice", time.Hour); err != nil || n != 2 {
		t.Errorf("HitThrottle after restart = %d, %v; want 2", n, err)
	}
	if err := s.ResetThrottle(ctx, "user:alice"); err != nil {
		t.Errorf("ResetThrottle after restart: %v", err)
	}

	// The revocation set and its stream survived, and every method works
	// again.
	if st, err := s.RevocationStatus(ctx, store.RevocationQuery{JTI: "down", Subject: "alice"}); err != nil || !reflect.DeepEqual(st, store.RevocationStatus{SubjectBefore: 100}) {
		t.Errorf("RevocationStatus after restart = %+v, %v; want alice's rule only", st, err)
	}
	revokedAgain := store.Revocation{Kind: store.RevokeJTI, ID: "jti", Until: expiresAt.Unix()}
	againID, err := s.PutRevocation(ctx, revokedAgain, time.Time{}, 0)
	if err != nil {
		t.Errorf("PutRevocation after restart: %v", err)
	}
	evs, err := s.RevocationEvents(ctx, "", 10, 0)
	want := []store.RevocationEvent{{ID: revokedID, Revocation: revoked}, {ID: againID, Revocation: revokedAgain}}
	if err != nil || !slices.Equal(evs, want) {
		t.Errorf("RevocationEvents after restart = %+v, %v; want %+v", evs, err, want)
	}
	if last, err := s.LastRevocationEvent(ctx); err != nil || last != againID {
		t.Errorf("LastRevocationEvent after restart = %q, %v; want %q", last, err, againID)
	}
}

// words turns a method name into the operation its errors name:
// "ListSigningKeys" is "list signing keys", and "GetIAMUser" is "get iam
// user".
func words(method string) string {
	rs := []rune(method)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			// A capital starts a word after a small letter, and so does the
			// last capital of an acronym that a small letter follows.
			if i > 0 && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])) {
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
