package redis_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/redis"
	"github.com/lineage-oss/lineage/store/redistest"
)

// TestRefreshFamiliesShareASlot checks on a 3-master Cluster that every
// key of a refresh-token family, old and next, hashes to one slot (the one
// of its hash tag, the family's id) and so lives on one node, which lets
// rotation be one script; and that families still spread over the nodes.
func TestRefreshFamiliesShareASlot(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	cluster := redistest.StartCluster(t, 3)
	rdb := cluster.Client(t)
	s := newStore(t, redis.Options{Addrs: cluster.Addrs()})

	const families, rotations = 24, 3
	family := func(f int) string { return fmt.Sprint("ZmFtaWx5-", f) }
	for f := range families {
		token := func(n int) store.RefreshToken {
			return store.RefreshToken{Hash: sha(fmt.Sprint(family(f), "/rt-", n)), OriginJTI: family(f), ExpiresAt: time.Now().Add(time.Hour)}
		}
		if err := s.CreateRefreshToken(ctx, token(0)); err != nil {
			t.Fatal(err)
		}
		for n := range rotations {
			if _, err := s.RotateRefreshToken(ctx, family(f), token(n).Hash, time.Now(), token(n+1)); err != nil {
				t.Fatalf("family %d, rotation %d: %v", f, n+1, err)
			}
		}
	}

	// Which node holds each family's keys, as the nodes themselves list
	// them.
	var mu sync.Mutex
	nodes := make(map[string]map[string]int) // family -> node -> keys
	err := rdb.ForEachMaster(ctx, func(ctx context.Context, node *goredis.Client) error {
		keys, err := node.Keys(ctx, "rt:*").Result()
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, key := range keys {
			f, _, ok := strings.Cut(strings.TrimPrefix(key, "rt:{"), "}:")
			if !ok {
				t.Errorf("key %q is not rt:{<origin_jti>}:<hash>", key)
				continue
			}
			if nodes[f] == nil {
				nodes[f] = make(map[string]int)
			}
			nodes[f][node.Options().Addr]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	used := make(map[string]bool)
	for f := range families {
		byNode := nodes[family(f)]
		if len(byNode) != 1 {
			t.Errorf("family %d has keys on %d nodes: %v", f, len(byNode), byNode)
		}
		for node, n := range byNode {
			used[node] = true
			if n != rotations+1 {
				t.Errorf("family %d has %d keys on %s, want %d", f, n, node, rotations+1)
			}
		}

		// And by the slot each key hashes to.
		want, err := rdb.ClusterKeySlot(ctx, "{"+family(f)+"}").Result()
		if err != nil {
			t.Fatal(err)
		}
		for n := range rotations + 1 {
			key := "rt:{" + family(f) + "}:" + sha(fmt.Sprint(family(f), "/rt-", n))
			if got, err := rdb.ClusterKeySlot(ctx, key).Result(); err != nil || got != want {
				t.Errorf("CLUSTER KEYSLOT %s = %d, %v; want the family's slot %d", key, got, err, want)
			}
		}
	}
	if len(used) < 2 {
		t.Errorf("%d families all live on %d node(s); the hash tag should spread them", families, len(used))
	}
}

// TestCorruptTokenRecords checks that a code, refresh token, login session,
// consent or throttle the store did not write is a broken store
// (ErrUnavailable), never a missing record or a count of zero.
func TestCorruptTokenRecords(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	s := redis.New(srv.Client(t))
	const family = "family"
	codeHash, rtHash := sha("code"), sha("rt")
	rtKey := "rt:{" + family + "}:" + rtHash
	next := store.RefreshToken{Hash: sha("next"), OriginJTI: family, ExpiresAt: time.Now().Add(time.Hour)}

	tests := []struct {
		name    string
		corrupt func() error
		op      func() error
	}{
		{"code not JSON",
			func() error { return rdb.HSet(ctx, "code:"+codeHash, "rec", "{not json").Err() },
			func() error { _, err := s.ConsumeAuthorizationCode(ctx, codeHash); return err }},
		{"code not a hash",
			func() error { return rdb.Set(ctx, "code:"+codeHash, "{}", 0).Err() },
			func() error { _, err := s.ConsumeAuthorizationCode(ctx, codeHash); return err }},
		{"refresh token not JSON, get",
			func() error { return rdb.HSet(ctx, rtKey, "rec", "{not json").Err() },
			func() error { _, err := s.GetRefreshToken(ctx, family, rtHash); return err }},
		{"refresh token not JSON, rotate",
			func() error { return rdb.HSet(ctx, rtKey, "rec", "{not json").Err() },
			func() error { _, err := s.RotateRefreshToken(ctx, family, rtHash, time.Now(), next); return err }},
		{"rotated_at not a time, get",
			func() error { return rdb.HSet(ctx, rtKey, "rec", "{}", "rotated_at", "yesterday").Err() },
			func() error { _, err := s.GetRefreshToken(ctx, family, rtHash); return err }},
		{"rotated_at not a time, rotate",
			func() error { return rdb.HSet(ctx, rtKey, "rec", "{}", "rotated_at", "yesterday").Err() },
			func() error { _, err := s.RotateRefreshToken(ctx, family, rtHash, time.Now(), next); return err }},
		{"refresh token not a hash",
			func() error { return rdb.Set(ctx, rtKey, "{}", 0).Err() },
			func() error { _, err := s.GetRefreshToken(ctx, family, rtHash); return err }},
		{"login session not JSON",
			func() error { return rdb.Set(ctx, "login_session:"+sha("sid"), "{not json", 0).Err() },
			func() error { _, err := s.GetLoginSession(ctx, "sid"); return err }},
		{"consent not JSON",
			func() error { return rdb.Set(ctx, "consent:"+sha("alice\x00web"), "{not json", 0).Err() },
			func() error { _, err := s.GetConsent(ctx, "alice", "web"); return err }},
		{"throttle not a number, count",
			func() error { return rdb.Set(ctx, "throttle:"+sha("key"), "many", 0).Err() },
			func() error { _, err := s.ThrottleCount(ctx, "key"); return err }},
		{"throttle not a number, hit",
			func() error { return rdb.Set(ctx, "throttle:"+sha("key"), "many", 0).Err() },
			func() error { _, err := s.HitThrottle(ctx, "key", time.Minute); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := rdb.FlushAll(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			if err := tt.corrupt(); err != nil {
				t.Fatal(err)
			}
			err := tt.op()
			if !errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("error = %v, want ErrUnavailable", err)
			}
			for _, sentinel := range []error{store.ErrNotFound, store.ErrConflict, store.ErrInvalid} {
				if errors.Is(err, sentinel) {
					t.Errorf("error %v also claims %v", err, sentinel)
				}
			}
		})
	}
}
