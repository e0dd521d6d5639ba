package redis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/internal/record"
)

// Keys that do not depend on an id; see the package documentation.
const (
	clientIDsKey   = "clients"
	signingKeysKey = "signing_keys"
)

// acquireLock sets KEYS[1] to the owner ARGV[1] for ARGV[2] milliseconds
// when the lock is free or already that owner's, and returns 1; it returns 0
// when another owner holds the lock.
var acquireLock = goredis.NewScript(`
local owner = redis.call('GET', KEYS[1])
if owner == false or owner == ARGV[1] then
	redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
	return 1
end
return 0
`)

// releaseLock deletes KEYS[1] when it still holds the owner ARGV[1].
var releaseLock = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// Store is the Redis store.Store. It is safe for concurrent use.
type Store struct {
	rdb goredis.UniversalClient
}

// Interface guard.
var _ store.Store = (*Store)(nil)

// New returns a Store on rdb, which may be a single-node, Sentinel failover
// or Cluster client (see NewClient). The Store owns rdb: Close closes it.
//
// The Store never rebuilds rdb: when Redis goes away operations fail with
// store.ErrUnavailable, and once it is back the same Store works again.
func New(rdb goredis.UniversalClient) *Store {
	return &Store{rdb: rdb}
}

// GetClient returns the client with id, or store.ErrNotFound.
func (s *Store) GetClient(ctx context.Context, id string) (store.Client, error) {
	b, err := s.rdb.Get(ctx, clientKey(id)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return store.Client{}, fmt.Errorf("store: get client: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Client{}, unavailable("get client", err)
	}
	return decodeClient("get client", b)
}

// ListClients returns every client, ordered by id: the ids in the clients
// set, then one pipeline that reads their records (split by node on a
// Cluster). Ids whose record has gone are skipped.
func (s *Store) ListClients(ctx context.Context) ([]store.Client, error) {
	ids, err := s.rdb.SMembers(ctx, clientIDsKey).Result()
	if err != nil {
		return nil, unavailable("list clients", err)
	}
	out := make([]store.Client, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	cmds := make([]*goredis.StringCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Get(ctx, clientKey(id))
		}
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, unavailable("list clients", err)
	}
	for _, cmd := range cmds {
		b, err := cmd.Bytes()
		if errors.Is(err, goredis.Nil) {
			continue
		}
		if err != nil {
			return nil, unavailable("list clients", err)
		}
		c, err := decodeClient("list clients", b)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	slices.SortFunc(out, record.CompareClients)
	return out, nil
}

// CreateClient stores a new client (SET NX on its record, then SADD of its
// id), or returns store.ErrConflict when one with c.ID exists.
func (s *Store) CreateClient(ctx context.Context, c store.Client) error {
	b, err := encodeClient(c)
	if err != nil {
		return err
	}
	err = s.rdb.SetArgs(ctx, clientKey(c.ID), b, goredis.SetArgs{Mode: "NX"}).Err()
	conflict := errors.Is(err, goredis.Nil)
	if err != nil && !conflict {
		return unavailable("create client", err)
	}
	// Also on conflict: the record exists, so its id belongs in the set even
	// if an earlier CreateClient failed between the two steps.
	if err := s.rdb.SAdd(ctx, clientIDsKey, c.ID).Err(); err != nil {
		return unavailable("create client", err)
	}
	if conflict {
		return fmt.Errorf("store: create client: %w", store.ErrConflict)
	}
	return nil
}

// UpdateClient replaces the client with c.ID (SET XX), or returns
// store.ErrNotFound.
func (s *Store) UpdateClient(ctx context.Context, c store.Client) error {
	b, err := encodeClient(c)
	if err != nil {
		return err
	}
	err = s.rdb.SetArgs(ctx, clientKey(c.ID), b, goredis.SetArgs{Mode: "XX"}).Err()
	if errors.Is(err, goredis.Nil) {
		return fmt.Errorf("store: update client: %w", store.ErrNotFound)
	}
	if err != nil {
		return unavailable("update client", err)
	}
	if err := s.rdb.SAdd(ctx, clientIDsKey, c.ID).Err(); err != nil {
		return unavailable("update client", err)
	}
	return nil
}

// DeleteClient removes the client with id (DEL of its record, then SREM of
// its id), or returns store.ErrNotFound.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	n, err := s.rdb.Del(ctx, clientKey(id)).Result()
	if err != nil {
		return unavailable("delete client", err)
	}
	// Also when the record was missing, to drop an id left behind by an
	// earlier DeleteClient that failed between the two steps.
	if err := s.rdb.SRem(ctx, clientIDsKey, id).Err(); err != nil {
		return unavailable("delete client", err)
	}
	if n == 0 {
		return fmt.Errorf("store: delete client: %w", store.ErrNotFound)
	}
	return nil
}

// ListSigningKeys returns every key, ordered by SignsFrom (then by KID, so
// that the order is total).
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	m, err := s.rdb.HGetAll(ctx, signingKeysKey).Result()
	if err != nil {
		return nil, unavailable("list signing keys", err)
	}
	out := make([]store.SigningKey, 0, len(m))
	for _, v := range m {
		var k store.SigningKey
		if err := json.Unmarshal([]byte(v), &k); err != nil {
			return nil, unavailable("list signing keys: decode", err)
		}
		out = append(out, k)
	}
	slices.SortFunc(out, record.CompareSigningKeys)
	return out, nil
}

// PutSigningKey creates or replaces the key with k.KID.
func (s *Store) PutSigningKey(ctx context.Context, k store.SigningKey) error {
	k, err := record.NormalizeSigningKey(k)
	if err != nil {
		return err
	}
	b, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("store: put signing key: encode: %w", err)
	}
	if err := s.rdb.HSet(ctx, signingKeysKey, k.KID, b).Err(); err != nil {
		return unavailable("put signing key", err)
	}
	return nil
}

// DeleteSigningKey removes the key with kid, or returns store.ErrNotFound.
func (s *Store) DeleteSigningKey(ctx context.Context, kid string) error {
	n, err := s.rdb.HDel(ctx, signingKeysKey, kid).Result()
	if err != nil {
		return unavailable("delete signing key", err)
	}
	if n == 0 {
		return fmt.Errorf("store: delete signing key: %w", store.ErrNotFound)
	}
	return nil
}

// AcquireLock takes the lock name for owner until ttl passes (SET PX, in a
// script that lets the holder extend its own lock), and reports whether it
// did. ttl must be positive; it is rounded up to whole milliseconds.
func (s *Store) AcquireLock(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, fmt.Errorf("store: acquire lock: ttl %v is not positive", ttl)
	}
	ms := (ttl + time.Millisecond - 1) / time.Millisecond
	n, err := acquireLock.Run(ctx, s.rdb, []string{lockKey(name)}, owner, int64(ms)).Int()
	if err != nil {
		return false, unavailable("acquire lock", err)
	}
	return n == 1, nil
}

// ReleaseLock frees the lock name if owner holds it (compare-and-delete);
// otherwise it does nothing.
func (s *Store) ReleaseLock(ctx context.Context, name, owner string) error {
	if err := releaseLock.Run(ctx, s.rdb, []string{lockKey(name)}, owner).Err(); err != nil {
		return unavailable("release lock", err)
	}
	return nil
}

// ClaimNonce records key until expiresAt (SET NX PXAT, rounded up to whole
// milliseconds) and reports true, or reports false when key is recorded and
// has not expired. An expiresAt already past on the Redis server's clock
// records nothing and reports true.
func (s *Store) ClaimNonce(ctx context.Context, key string, expiresAt time.Time) (bool, error) {
	// Redis rejects PXAT values below 1.
	at := max(expiresAt.Add(time.Millisecond-1).UnixMilli(), 1)
	err := s.rdb.Do(ctx, "SET", nonceKey(key), "1", "NX", "PXAT", at).Err()
	if errors.Is(err, goredis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, unavailable("claim nonce", err)
	}
	return true, nil
}

// Ping reports whether Redis answers PING; store.ErrUnavailable if not.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Close closes the Redis client the Store was built on.
func (s *Store) Close() error {
	if err := s.rdb.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// encodeClient validates c and returns its record.
func encodeClient(c store.Client) ([]byte, error) {
	c, err := record.NormalizeClient(c)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("store: client %q: encode: %w", c.ID, err)
	}
	return b, nil
}

// decodeClient reads a client record. A record that does not decode means
// the store is broken, so that is store.ErrUnavailable too.
func decodeClient(op string, b []byte) (store.Client, error) {
	var c store.Client
	if err := json.Unmarshal(b, &c); err != nil {
		return store.Client{}, unavailable(op+": decode", err)
	}
	return c, nil
}

// unavailable wraps an error of Redis for the operation op.
func unavailable(op string, err error) error {
	return fmt.Errorf("store: %s: %w: %w", op, store.ErrUnavailable, err)
}

func clientKey(id string) string { return "client:" + hashID(id) }
func lockKey(name string) string { return "lock:" + hashID(name) }
func nonceKey(key string) string { return "nonce:" + hashID(key) }
func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}
