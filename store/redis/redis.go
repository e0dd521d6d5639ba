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

	"github.com/go-redis/redis_rate/v10"
	lru "github.com/hashicorp/golang-lru/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/internal/record"
)

// Keys that do not depend on an id; see the package documentation.
const (
	clientIDsKey   = "clients"
	userIDsKey     = "users"
	signingKeysKey = "signing_keys"
	auditKey       = "audit"
)

// auditField is the one field of an audit stream entry: the record, JSON.
const auditField = "record"

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

// decodedClients is how many decoded client records a Store remembers by
// their JSON (a record changes when its JSON does, so nothing goes stale).
const decodedClients = 1024

// mustLRU returns an LRU cache of n entries (n > 0 never fails).
func mustLRU[T any](n int) *lru.Cache[string, T] {
	c, err := lru.New[string, T](n)
	if err != nil {
		panic(err)
	}
	return c
}

// Store is the Redis store.Store. It is safe for concurrent use.
type Store struct {
	rdb      goredis.UniversalClient
	clients  recordSet[store.Client]
	users    recordSet[store.User]
	iamUsers recordSet[store.IAMUser]
	iamRoles recordSet[store.IAMRole]
	rates    *redis_rate.Limiter
}

// Interface guard.
var _ store.Store = (*Store)(nil)

// New returns a Store on rdb, which may be a single-node, Sentinel failover
// or Cluster client (see NewClient). The Store owns rdb: Close closes it.
//
// The Store never rebuilds rdb: when Redis goes away operations fail with
// store.ErrUnavailable, and once it is back the same Store works again.
func New(rdb goredis.UniversalClient) *Store {
	return &Store{
		rdb:   rdb,
		rates: redis_rate.NewLimiter(rdb),
		clients: recordSet[store.Client]{
			rdb:       rdb,
			noun:      "client",
			prefix:    clientKeyPrefix,
			idsKey:    clientIDsKey,
			id:        func(c store.Client) string { return c.ID },
			normalize: record.NormalizeClient,
			compare:   record.CompareClients,
			decoded:   mustLRU[store.Client](decodedClients),
			clone:     record.CloneClient,
		},
		users: recordSet[store.User]{
			rdb:       rdb,
			noun:      "user",
			prefix:    userKeyPrefix,
			idsKey:    userIDsKey,
			id:        func(u store.User) string { return u.Username },
			normalize: record.NormalizeUser,
			compare:   record.CompareUsers,
		},
		iamUsers: recordSet[store.IAMUser]{
			rdb:       rdb,
			noun:      "iam user",
			prefix:    iamUserKeyPrefix,
			idsKey:    iamUserIDsKey,
			id:        func(u store.IAMUser) string { return u.Name },
			normalize: record.NormalizeIAMUser,
			compare:   record.CompareIAMUsers,
		},
		iamRoles: recordSet[store.IAMRole]{
			rdb:       rdb,
			noun:      "iam role",
			prefix:    iamRoleKeyPrefix,
			idsKey:    iamRoleIDsKey,
			id:        func(r store.IAMRole) string { return r.Name },
			normalize: record.NormalizeIAMRole,
			compare:   record.CompareIAMRoles,
		},
	}
}

// GetClient returns the client with id, or store.ErrNotFound.
func (s *Store) GetClient(ctx context.Context, id string) (store.Client, error) {
	return s.clients.get(ctx, id)
}

// ListClients returns every client, ordered by id: the ids in the clients
// set, then one pipeline that reads their records (split by node on a
// Cluster). Ids whose record has gone are skipped.
func (s *Store) ListClients(ctx context.Context) ([]store.Client, error) {
	return s.clients.list(ctx)
}

// CreateClient stores a new client (SET NX on its record, then SADD of its
// id), or returns store.ErrConflict when one with c.ID exists.
func (s *Store) CreateClient(ctx context.Context, c store.Client) error {
	return s.clients.create(ctx, c)
}

// UpdateClient replaces the client with c.ID (SET XX), or returns
// store.ErrNotFound.
func (s *Store) UpdateClient(ctx context.Context, c store.Client) error {
	return s.clients.update(ctx, c)
}

// DeleteClient removes the client with id (DEL of its record, then SREM of
// its id), or returns store.ErrNotFound.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	return s.clients.delete(ctx, id)
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

// GetUser returns the user, or store.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, username string) (store.User, error) {
	return s.users.get(ctx, username)
}

// ListUsers returns every user, ordered by username: the usernames in the
// users set, then one pipeline that reads their records (split by node on a
// Cluster). Usernames whose record has gone are skipped.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	return s.users.list(ctx)
}

// CreateUser stores a new user (SET NX on its record, then SADD of its
// username), or returns store.ErrConflict when one with u.Username exists.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	return s.users.create(ctx, u)
}

// UpdateUser replaces the user with u.Username (SET XX), or returns
// store.ErrNotFound.
func (s *Store) UpdateUser(ctx context.Context, u store.User) error {
	return s.users.update(ctx, u)
}

// DeleteUser removes the user (DEL of its record, then SREM of its
// username), or returns store.ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, username string) error {
	return s.users.delete(ctx, username)
}

// AppendAudit stores r as a new entry of the audit stream (XADD MAXLEN ~
// record.AuditRetained) and returns it with its ID set to the entry's ID;
// an ID r already carries is replaced. Redis assigns the ID from its own
// clock, "<ms>-<seq>", strictly increasing. A zero r.Time is set to the
// time in the ID.
func (s *Store) AppendAudit(ctx context.Context, r store.AuditRecord) (store.AuditRecord, error) {
	r, err := record.NormalizeAudit(r)
	if err != nil {
		return store.AuditRecord{}, err
	}
	r.ID = ""
	b, err := json.Marshal(r)
	if err != nil {
		return store.AuditRecord{}, fmt.Errorf("store: append audit: encode: %w", err)
	}
	entry, err := s.rdb.XAdd(ctx, &goredis.XAddArgs{
		Stream: auditKey,
		MaxLen: record.AuditRetained,
		Approx: true,
		ID:     "*",
		Values: []any{auditField, b},
	}).Result()
	if err != nil {
		return store.AuditRecord{}, unavailable("append audit", err)
	}
	id, err := record.ParseAuditID(entry)
	if err != nil {
		return store.AuditRecord{}, unavailable("append audit", fmt.Errorf("entry ID %q is not an audit record ID", entry))
	}
	return record.StampAudit(r, id), nil
}

// ListAudit returns up to limit records, newest first, older than the record
// with ID before, or the newest ones when before is empty (XREVRANGE from
// "(before" or "+", with COUNT). A limit that is not positive or is above
// record.MaxAuditPage (1000) means 1000. Any well-formed ID is a cursor,
// also one whose record was trimmed; a before that is not an audit record
// ID is an error (not store.ErrNotFound).
func (s *Store) ListAudit(ctx context.Context, limit int, before string) ([]store.AuditRecord, error) {
	limit = record.AuditPageSize(limit)
	from := "+"
	if before != "" {
		b, err := record.ParseAuditID(before)
		if err != nil {
			return nil, fmt.Errorf("store: list audit: %w", err)
		}
		if b == (record.AuditID{}) {
			// Nothing is older than 0-0, and Redis refuses "(0-0".
			return []store.AuditRecord{}, nil
		}
		from = "(" + b.String()
	}
	msgs, err := s.rdb.XRevRangeN(ctx, auditKey, from, "-", int64(limit)).Result()
	if err != nil {
		return nil, unavailable("list audit", err)
	}
	out := make([]store.AuditRecord, 0, len(msgs))
	for _, m := range msgs {
		r, err := decodeAudit(m)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// decodeAudit reads an audit stream entry. An entry that does not decode
// means the store is broken, so that is store.ErrUnavailable too.
func decodeAudit(m goredis.XMessage) (store.AuditRecord, error) {
	const op = "list audit"
	id, err := record.ParseAuditID(m.ID)
	if err != nil {
		return store.AuditRecord{}, unavailable(op+": decode", fmt.Errorf("entry ID %q is not an audit record ID", m.ID))
	}
	v, ok := m.Values[auditField].(string)
	if !ok {
		return store.AuditRecord{}, unavailable(op+": decode", fmt.Errorf("entry %s has no %s field", m.ID, auditField))
	}
	r, err := decode[store.AuditRecord](op, []byte(v))
	if err != nil {
		return store.AuditRecord{}, err
	}
	return record.StampAudit(r, id), nil
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

// unavailable wraps an error of Redis for the operation op.
func unavailable(op string, err error) error {
	return fmt.Errorf("store: %s: %w: %w", op, store.ErrUnavailable, err)
}

// Prefixes of the keys of records stored under a user-chosen id.
const (
	clientKeyPrefix = "client:"
	userKeyPrefix   = "user:"
)

func lockKey(name string) string { return "lock:" + hashID(name) }
func nonceKey(key string) string { return "nonce:" + hashID(key) }
func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}
