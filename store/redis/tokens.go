package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/internal/record"
)

// Prefixes of the keys of the token aggregates; see the package
// documentation.
const (
	codeKeyPrefix         = "code:"
	refreshTokenKeyPrefix = "rt:"
	loginSessionKeyPrefix = "login_session:"
	consentKeyPrefix      = "consent:"
	throttleKeyPrefix     = "throttle:"
)

// Fields of the HASHes that hold an authorization code or a refresh token.
const (
	recordField    = "rec"        // the record, JSON
	usedField      = "used"       // "1" once the code was consumed
	rotatedAtField = "rotated_at" // RFC 3339 time the token was rotated at
)

// luaNow sets the local `now` to the Redis server's clock, in Unix
// microseconds: a record is refused unless it expires after `now` (see
// expiryArgs), and a microsecond is finer than the milliseconds Redis
// expires keys in.
const luaNow = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
`

// createHashRecord creates the HASH KEYS[1] with the record ARGV[1] in the
// field "rec", expiring at ARGV[2] (Unix ms), and returns 1. It returns 0
// when KEYS[1] exists, and -1 when the expiry ARGV[3] (Unix µs) is not
// after the server's clock; either way it writes nothing.
var createHashRecord = goredis.NewScript(luaNow + `
if tonumber(ARGV[3]) <= now then
	return -1
end
if redis.call('EXISTS', KEYS[1]) == 1 then
	return 0
end
redis.call('HSET', KEYS[1], 'rec', ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1
`)

// createStringRecord is createHashRecord for a record held in a STRING:
// SET NX PXAT.
var createStringRecord = goredis.NewScript(luaNow + `
if tonumber(ARGV[3]) <= now then
	return -1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PXAT', ARGV[2]) then
	return 1
end
return 0
`)

// consumeCode marks the authorization code KEYS[1] used (HSETNX used 1) and
// returns {record, 0}; {record, 1} when it was used before; nil when there
// is no such code (it expired, or never was).
var consumeCode = goredis.NewScript(`
local rec = redis.call('HGET', KEYS[1], 'rec')
if not rec then
	return false
end
if redis.call('HSETNX', KEYS[1], 'used', '1') == 1 then
	return {rec, 0}
end
return {rec, 1}
`)

// rotateRefreshToken rotates the refresh token KEYS[1] into KEYS[2], two
// keys of one family, so of one Cluster slot. ARGV[1] is the rotation time
// (RFC 3339), ARGV[2] the next token's record, JSON, ARGV[3] and ARGV[4]
// its expiry in Unix ms and µs. It returns
//
//   - -1, writing nothing, when ARGV[4] is not after the server's clock;
//   - nil when KEYS[1] does not exist (expired, or never was);
//   - {record, rotated_at}, writing nothing, when KEYS[1] was rotated
//     before (reuse);
//   - 0, writing nothing, when KEYS[2] exists;
//   - {record} once it has set KEYS[1]'s rotated_at (keeping its TTL) and
//     created KEYS[2] expiring at ARGV[3].
var rotateRefreshToken = goredis.NewScript(luaNow + `
if tonumber(ARGV[4]) <= now then
	return -1
end
local old = redis.call('HMGET', KEYS[1], 'rec', 'rotated_at')
if not old[1] then
	return false
end
if old[2] then
	return {old[1], old[2]}
end
if redis.call('EXISTS', KEYS[2]) == 1 then
	return 0
end
redis.call('HSET', KEYS[1], 'rotated_at', ARGV[1])
redis.call('HSET', KEYS[2], 'rec', ARGV[2])
redis.call('PEXPIREAT', KEYS[2], ARGV[3])
return {old[1]}
`)

// hitThrottle increments the counter KEYS[1] and returns its new value;
// the first hit (value 1) sets it to expire ARGV[1] milliseconds later, in
// the same step, so that no counter lives without a TTL.
var hitThrottle = goredis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then
	redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
`)

// CreateAuthorizationCode stores c in the HASH code:<hash>, expiring at
// c.ExpiresAt (PXAT, rounded up to whole milliseconds), or returns
// store.ErrConflict when the code exists; one script. A hash that is not a
// lower-case hex SHA-256, an invalid OriginJTI, or an ExpiresAt that is not
// after the Redis server's clock is refused with store.ErrInvalid.
func (s *Store) CreateAuthorizationCode(ctx context.Context, c store.AuthorizationCode) error {
	const op = "create authorization code"
	c, err := record.NormalizeAuthorizationCode(c)
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	return s.createRecord(ctx, op, createHashRecord, codeKey(c.Hash), "authorization code", c, c.ExpiresAt)
}

// ConsumeAuthorizationCode marks the code with hash used and returns it
// (one script: HSETNX used). An unknown or expired code is
// store.ErrNotFound; a code used before is returned with an error that
// wraps store.ErrConflict. A hash that is not a lower-case hex SHA-256 is
// refused with store.ErrInvalid.
func (s *Store) ConsumeAuthorizationCode(ctx context.Context, hash string) (store.AuthorizationCode, error) {
	const op = "consume authorization code"
	if err := record.CheckTokenHash("authorization code hash", hash); err != nil {
		return store.AuthorizationCode{}, fmt.Errorf("store: %s: %w", op, err)
	}
	res, err := consumeCode.Run(ctx, s.rdb, []string{codeKey(hash)}).Slice()
	if errors.Is(err, goredis.Nil) {
		return store.AuthorizationCode{}, fmt.Errorf("store: %s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return store.AuthorizationCode{}, unavailable(op, err)
	}
	if len(res) != 2 {
		return store.AuthorizationCode{}, unavailable(op, fmt.Errorf("unexpected script reply of %d values", len(res)))
	}
	rec, ok := res[0].(string)
	used, isInt := res[1].(int64)
	if !ok || !isInt {
		return store.AuthorizationCode{}, unavailable(op, fmt.Errorf("unexpected script reply of %T and %T", res[0], res[1]))
	}
	c, err := decode[store.AuthorizationCode](op, []byte(rec))
	if err != nil {
		return store.AuthorizationCode{}, err
	}
	if used != 0 {
		return c, fmt.Errorf("store: %s: %w: the code was used before", op, store.ErrConflict)
	}
	return c, nil
}

// CreateRefreshToken stores t, the first token of its family, in the HASH
// rt:{<origin_jti>}:<hash>, expiring at t.ExpiresAt (PXAT, rounded up to
// whole milliseconds), or returns store.ErrConflict when the family holds
// that token; one script. An invalid OriginJTI or hash, a RotatedAt that is
// set, or an ExpiresAt that is not after the Redis server's clock is
// refused with store.ErrInvalid.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	const op = "create refresh token"
	t, err := record.NormalizeRefreshToken(t)
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	return s.createRecord(ctx, op, createHashRecord, refreshTokenKey(t.OriginJTI, t.Hash), "refresh token", t, t.ExpiresAt)
}

// GetRefreshToken returns the token with hash of the family originJTI,
// current or rotated (HMGET rec rotated_at), or store.ErrNotFound when it
// is unknown or expired. An invalid originJTI or hash is refused with
// store.ErrInvalid.
func (s *Store) GetRefreshToken(ctx context.Context, originJTI, hash string) (store.RefreshToken, error) {
	const op = "get refresh token"
	if err := record.CheckOriginJTI(originJTI); err != nil {
		return store.RefreshToken{}, fmt.Errorf("store: %s: %w", op, err)
	}
	if err := record.CheckTokenHash("refresh token hash", hash); err != nil {
		return store.RefreshToken{}, fmt.Errorf("store: %s: %w", op, err)
	}
	res, err := s.rdb.HMGet(ctx, refreshTokenKey(originJTI, hash), recordField, rotatedAtField).Result()
	if err != nil {
		return store.RefreshToken{}, unavailable(op, err)
	}
	if len(res) != 2 || res[0] == nil {
		return store.RefreshToken{}, fmt.Errorf("store: %s: %w", op, store.ErrNotFound)
	}
	return decodeRefreshToken(op, res)
}

// RotateRefreshToken marks the token oldHash of the family originJTI
// rotated at `at`, keeping it until its own expiry, stores next until
// next.ExpiresAt, and returns the old token with its RotatedAt set: one
// script over the two keys, which share the family's hash tag and so one
// Cluster slot. An unknown or expired old token is store.ErrNotFound. An
// old token rotated before is returned as stored (RotatedAt the first
// rotation's) with an error that wraps store.ErrConflict, and nothing is
// written; so is a next whose hash the family already holds, with the zero
// record. Invalid arguments are refused with store.ErrInvalid before
// anything is read: see record.CheckRotation, and next.ExpiresAt must be
// after the Redis server's clock.
func (s *Store) RotateRefreshToken(ctx context.Context, originJTI, oldHash string, at time.Time, next store.RefreshToken) (store.RefreshToken, error) {
	const op = "rotate refresh token"
	keys, args, at, err := rotationArgs(op, originJTI, oldHash, at, next)
	if err != nil {
		return store.RefreshToken{}, err
	}
	res, err := rotateRefreshToken.Run(ctx, s.rdb, keys, args...).Result()
	return rotationResult(op, at, res, err)
}

// RotateRefreshTokenChecked is RotateRefreshToken and RevocationStatus(q)
// in one pipeline, so one round trip (one to each node on a Cluster, at
// once). When Redis does not have the rotation script cached yet, the two
// run one after the other instead.
func (s *Store) RotateRefreshTokenChecked(ctx context.Context, originJTI, oldHash string, at time.Time, next store.RefreshToken, q store.RevocationQuery) (store.RefreshToken, store.RevocationStatus, error) {
	const op = "rotate refresh token"
	keys, args, at, err := rotationArgs(op, originJTI, oldHash, at, next)
	if err != nil {
		return store.RefreshToken{}, store.RevocationStatus{}, err
	}
	var rotate *goredis.Cmd
	var read func() (store.RevocationStatus, error)
	_, err = s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		rotate = rotateRefreshToken.EvalSha(ctx, p, keys, args...)
		read = s.queueRevocationStatus(ctx, p, q)
		return nil
	})
	if goredis.HasErrorPrefix(rotate.Err(), "NOSCRIPT") {
		old, err := s.RotateRefreshToken(ctx, originJTI, oldHash, at, next)
		if err != nil {
			return old, store.RevocationStatus{}, err
		}
		st, err := s.RevocationStatus(ctx, q)
		return old, st, err
	}
	if err != nil && !errors.Is(err, goredis.Nil) {
		return store.RefreshToken{}, store.RevocationStatus{}, unavailable(op, err)
	}
	old, err := rotationResult(op, at, rotate.Val(), rotate.Err())
	if err != nil {
		return old, store.RevocationStatus{}, err
	}
	st, err := read()
	return old, st, err
}

// rotationArgs checks a rotation and returns the script's keys and
// arguments, and the rotation time as stored.
func rotationArgs(op, originJTI, oldHash string, at time.Time, next store.RefreshToken) ([]string, []any, time.Time, error) {
	next, at, err := record.CheckRotation(originJTI, oldHash, at, next)
	if err != nil {
		return nil, nil, at, fmt.Errorf("store: %s: %w", op, err)
	}
	atText, err := at.MarshalText()
	if err != nil {
		return nil, nil, at, fmt.Errorf("store: %s: encode: %w", op, err)
	}
	b, err := json.Marshal(next)
	if err != nil {
		return nil, nil, at, fmt.Errorf("store: %s: encode: %w", op, err)
	}
	keys := []string{refreshTokenKey(originJTI, oldHash), refreshTokenKey(originJTI, next.Hash)}
	return keys, append([]any{atText, b}, expiryArgs(next.ExpiresAt)...), at, nil
}

// rotationResult reads the rotation script's reply.
func rotationResult(op string, at time.Time, res any, err error) (store.RefreshToken, error) {
	if errors.Is(err, goredis.Nil) {
		return store.RefreshToken{}, fmt.Errorf("store: %s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return store.RefreshToken{}, unavailable(op, err)
	}
	switch res := res.(type) {
	case int64:
		switch res {
		case -1:
			return store.RefreshToken{}, fmt.Errorf("store: %s: %w", op, record.ExpiredError("next refresh token"))
		case 0:
			return store.RefreshToken{}, fmt.Errorf("store: %s: %w: the next token exists", op, store.ErrConflict)
		}
	case []any:
		switch len(res) {
		case 1:
			old, err := decodeRefreshToken(op, []any{res[0], nil})
			if err != nil {
				return store.RefreshToken{}, err
			}
			old.RotatedAt = at
			return old, nil
		case 2:
			old, err := decodeRefreshToken(op, res)
			if err != nil {
				return store.RefreshToken{}, err
			}
			return old, fmt.Errorf("store: %s: %w: the token was rotated before", op, store.ErrConflict)
		}
	}
	return store.RefreshToken{}, unavailable(op, fmt.Errorf("unexpected script reply of %T", res))
}

// decodeRefreshToken reads a refresh token from its HASH fields rec and
// rotated_at (nil when not rotated). A token that does not decode means
// the store is broken, so that is store.ErrUnavailable too.
func decodeRefreshToken(op string, fields []any) (store.RefreshToken, error) {
	rec, ok := fields[0].(string)
	if !ok {
		return store.RefreshToken{}, unavailable(op+": decode", fmt.Errorf("field %s is %T", recordField, fields[0]))
	}
	t, err := decode[store.RefreshToken](op, []byte(rec))
	if err != nil {
		return store.RefreshToken{}, err
	}
	if fields[1] == nil {
		return t, nil
	}
	rotated, ok := fields[1].(string)
	if !ok {
		return store.RefreshToken{}, unavailable(op+": decode", fmt.Errorf("field %s is %T", rotatedAtField, fields[1]))
	}
	if err := t.RotatedAt.UnmarshalText([]byte(rotated)); err != nil {
		return store.RefreshToken{}, unavailable(op+": decode", err)
	}
	return t, nil
}

// CreateLoginSession stores ls in the STRING login_session:<sha256(id)>,
// expiring at ls.ExpiresAt (SET NX PXAT, rounded up to whole milliseconds,
// in a script), or returns store.ErrConflict when the session exists. An
// ExpiresAt that is not after the Redis server's clock is refused with
// store.ErrInvalid.
func (s *Store) CreateLoginSession(ctx context.Context, ls store.LoginSession) error {
	const op = "create login session"
	ls = record.NormalizeLoginSession(ls)
	return s.createRecord(ctx, op, createStringRecord, loginSessionKey(ls.ID), "login session", ls, ls.ExpiresAt)
}

// GetLoginSession returns the session with id (one GET), or
// store.ErrNotFound when it is unknown or expired.
func (s *Store) GetLoginSession(ctx context.Context, id string) (store.LoginSession, error) {
	const op = "get login session"
	b, err := s.rdb.Get(ctx, loginSessionKey(id)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return store.LoginSession{}, fmt.Errorf("store: %s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return store.LoginSession{}, unavailable(op, err)
	}
	return decode[store.LoginSession](op, b)
}

// DeleteLoginSession removes the session with id (DEL); removing an
// unknown one does nothing.
func (s *Store) DeleteLoginSession(ctx context.Context, id string) error {
	if err := s.rdb.Del(ctx, loginSessionKey(id)).Err(); err != nil {
		return unavailable("delete login session", err)
	}
	return nil
}

// GetConsent returns the consent of username for clientID (one GET), or
// store.ErrNotFound. A username holding NUL is refused with
// store.ErrInvalid.
func (s *Store) GetConsent(ctx context.Context, username, clientID string) (store.Consent, error) {
	const op = "get consent"
	if err := record.CheckConsentOwner(username, clientID); err != nil {
		return store.Consent{}, fmt.Errorf("store: %s: %w", op, err)
	}
	b, err := s.rdb.Get(ctx, consentKey(username, clientID)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return store.Consent{}, fmt.Errorf("store: %s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return store.Consent{}, unavailable(op, err)
	}
	return decode[store.Consent](op, b)
}

// PutConsent creates or replaces the consent of c.Username for c.ClientID
// (one SET, without expiry). A username holding NUL is refused with
// store.ErrInvalid.
func (s *Store) PutConsent(ctx context.Context, c store.Consent) error {
	const op = "put consent"
	c, err := record.NormalizeConsent(c)
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("store: %s: encode: %w", op, err)
	}
	if err := s.rdb.Set(ctx, consentKey(c.Username, c.ClientID), b, 0).Err(); err != nil {
		return unavailable(op, err)
	}
	return nil
}

// HitThrottle adds one to key's count and returns the new count (INCR, and
// on the first hit PEXPIRE window, rounded up to whole milliseconds, in one
// script): the window runs from the first hit, by the Redis server's clock,
// and later hits do not extend it. A window that is not positive is refused
// with store.ErrInvalid.
func (s *Store) HitThrottle(ctx context.Context, key string, window time.Duration) (int64, error) {
	const op = "hit throttle"
	if err := record.CheckThrottleWindow(window); err != nil {
		return 0, fmt.Errorf("store: %s: %w", op, err)
	}
	ms := (window + time.Millisecond - 1) / time.Millisecond
	n, err := hitThrottle.Run(ctx, s.rdb, []string{throttleKey(key)}, int64(ms)).Int64()
	if err != nil {
		return 0, unavailable(op, err)
	}
	return n, nil
}

// ThrottleCount returns key's count within its window (one GET); 0 when
// there is none.
func (s *Store) ThrottleCount(ctx context.Context, key string) (int64, error) {
	const op = "throttle count"
	v, err := s.rdb.Get(ctx, throttleKey(key)).Result()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, unavailable(op, err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, unavailable(op+": decode", err)
	}
	return n, nil
}

// ResetThrottle forgets key's count (DEL).
func (s *Store) ResetThrottle(ctx context.Context, key string) error {
	if err := s.rdb.Del(ctx, throttleKey(key)).Err(); err != nil {
		return unavailable("reset throttle", err)
	}
	return nil
}

// createRecord stores v, JSON, at key until expiresAt with the script
// create (createHashRecord or createStringRecord): store.ErrConflict when
// key exists, store.ErrInvalid (naming what) when expiresAt is not after
// the Redis server's clock.
func (s *Store) createRecord(ctx context.Context, op string, create *goredis.Script, key, what string, v any, expiresAt time.Time) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: %s: encode: %w", op, err)
	}
	n, err := create.Run(ctx, s.rdb, []string{key}, append([]any{b}, expiryArgs(expiresAt)...)...).Int()
	if err != nil {
		return unavailable(op, err)
	}
	switch n {
	case -1:
		return fmt.Errorf("store: %s: %w", op, record.ExpiredError(what))
	case 0:
		return fmt.Errorf("store: %s: %w", op, store.ErrConflict)
	}
	return nil
}

// expiryArgs are the script arguments of a record that expires at t: t in
// Unix milliseconds, for PXAT and PEXPIREAT, and in Unix microseconds, to
// compare with the server's clock; both rounded up, and at least 1, since
// Redis refuses lower expiries.
func expiryArgs(t time.Time) []any {
	return []any{
		max(t.Add(time.Millisecond-1).UnixMilli(), 1),
		max(t.Add(time.Microsecond-1).UnixMicro(), 1),
	}
}

// codeKey is the key of the authorization code with hash, a hex SHA-256
// already.
func codeKey(hash string) string { return codeKeyPrefix + hash }

// refreshTokenKey is the key of the refresh token with hash, a hex SHA-256
// already, of the family originJTI: the family is the Cluster hash tag, so
// that rotation's two keys live in one slot. record.CheckOriginJTI keeps
// braces out of originJTI.
func refreshTokenKey(originJTI, hash string) string {
	return refreshTokenKeyPrefix + "{" + originJTI + "}:" + hash
}

func loginSessionKey(id string) string { return loginSessionKeyPrefix + hashID(id) }
func consentKey(username, clientID string) string {
	return consentKeyPrefix + hashID(username+"\x00"+clientID)
}
func throttleKey(key string) string { return throttleKeyPrefix + hashID(key) }
