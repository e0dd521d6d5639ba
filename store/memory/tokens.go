package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/internal/record"
)

// codeEntry is one stored authorization code and whether it was consumed.
type codeEntry struct {
	code store.AuthorizationCode
	used bool
}

// familyToken names a refresh token: its family and its hash.
type familyToken struct {
	originJTI, hash string
}

// consentOwner names a consent: the user and the client.
type consentOwner struct {
	username, clientID string
}

// throttleEntry is one throttle's count and the end of its window.
type throttleEntry struct {
	count   int64
	expires time.Time
}

// CreateAuthorizationCode stores c until c.ExpiresAt on the Store's clock,
// or returns store.ErrConflict when a live code with c.Hash exists. A hash
// that is not a lower-case hex SHA-256, an invalid OriginJTI, or an
// ExpiresAt that is not after the clock is refused with store.ErrInvalid.
func (s *Store) CreateAuthorizationCode(ctx context.Context, c store.AuthorizationCode) error {
	const op = "create authorization code"
	c, err := record.NormalizeAuthorizationCode(c)
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if err := record.CheckExpiresAt("authorization code", c.ExpiresAt, now); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if _, ok := s.codes.get(c.Hash, now); ok {
		return fmt.Errorf("store: %s: %w", op, store.ErrConflict)
	}
	s.codes.put(c.Hash, codeEntry{code: c}, now)
	return nil
}

// ConsumeAuthorizationCode marks the code with hash used and returns it.
// An unknown or expired code is store.ErrNotFound; a code used before is
// returned with an error that wraps store.ErrConflict. A hash that is not a
// lower-case hex SHA-256 is refused with store.ErrInvalid.
func (s *Store) ConsumeAuthorizationCode(ctx context.Context, hash string) (store.AuthorizationCode, error) {
	const op = "consume authorization code"
	if err := record.CheckTokenHash("authorization code hash", hash); err != nil {
		return store.AuthorizationCode{}, fmt.Errorf("store: %s: %w", op, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e, ok := s.codes.get(hash, now)
	if !ok {
		return store.AuthorizationCode{}, fmt.Errorf("store: %s: %w", op, store.ErrNotFound)
	}
	if e.used {
		return record.CloneAuthorizationCode(e.code), fmt.Errorf("store: %s: %w: the code was used before", op, store.ErrConflict)
	}
	e.used = true
	s.codes.put(hash, e, now)
	return record.CloneAuthorizationCode(e.code), nil
}

// CreateRefreshToken stores t, the first token of its family, until
// t.ExpiresAt on the Store's clock, or returns store.ErrConflict when the
// family holds a live token with t.Hash. An invalid OriginJTI or hash, a
// RotatedAt that is set, or an ExpiresAt that is not after the clock is
// refused with store.ErrInvalid.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	const op = "create refresh token"
	t, err := record.NormalizeRefreshToken(t)
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if err := record.CheckExpiresAt("refresh token", t.ExpiresAt, now); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	k := familyToken{t.OriginJTI, t.Hash}
	if _, ok := s.refreshTokens.get(k, now); ok {
		return fmt.Errorf("store: %s: %w", op, store.ErrConflict)
	}
	s.refreshTokens.put(k, t, now)
	return nil
}

// GetRefreshToken returns the token with hash of the family originJTI,
// current or rotated, or store.ErrNotFound when it is unknown or expired.
// An invalid originJTI or hash is refused with store.ErrInvalid.
func (s *Store) GetRefreshToken(ctx context.Context, originJTI, hash string) (store.RefreshToken, error) {
	const op = "get refresh token"
	if err := record.CheckOriginJTI(originJTI); err != nil {
		return store.RefreshToken{}, fmt.Errorf("store: %s: %w", op, err)
	}
	if err := record.CheckTokenHash("refresh token hash", hash); err != nil {
		return store.RefreshToken{}, fmt.Errorf("store: %s: %w", op, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refreshTokens.get(familyToken{originJTI, hash}, s.now())
	if !ok {
		return store.RefreshToken{}, fmt.Errorf("store: %s: %w", op, store.ErrNotFound)
	}
	return record.CloneRefreshToken(t), nil
}

// RotateRefreshToken marks the token oldHash of the family originJTI
// rotated at `at`, keeps it until its own ExpiresAt, stores next until
// next.ExpiresAt, and returns the old token with its RotatedAt set, all
// under the Store's lock. An unknown or expired old token is
// store.ErrNotFound. An old token rotated before is returned as stored
// (RotatedAt the first rotation's) with an error that wraps
// store.ErrConflict, and nothing is written; so is a next whose hash the
// family already holds, with the zero record. Invalid arguments are refused
// with store.ErrInvalid before anything is read: see
// record.CheckRotation, and next.ExpiresAt must be after the Store's clock.
func (s *Store) RotateRefreshToken(ctx context.Context, originJTI, oldHash string, at time.Time, next store.RefreshToken) (store.RefreshToken, error) {
	const op = "rotate refresh token"
	next, at, err := record.CheckRotation(originJTI, oldHash, at, next)
	if err != nil {
		return store.RefreshToken{}, fmt.Errorf("store: %s: %w", op, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if err := record.CheckExpiresAt("next refresh token", next.ExpiresAt, now); err != nil {
		return store.RefreshToken{}, fmt.Errorf("store: %s: %w", op, err)
	}
	oldKey := familyToken{originJTI, oldHash}
	old, ok := s.refreshTokens.get(oldKey, now)
	if !ok {
		return store.RefreshToken{}, fmt.Errorf("store: %s: %w", op, store.ErrNotFound)
	}
	if !old.RotatedAt.IsZero() {
		return record.CloneRefreshToken(old), fmt.Errorf("store: %s: %w: the token was rotated before", op, store.ErrConflict)
	}
	nextKey := familyToken{originJTI, next.Hash}
	if _, ok := s.refreshTokens.get(nextKey, now); ok {
		return store.RefreshToken{}, fmt.Errorf("store: %s: %w: the next token exists", op, store.ErrConflict)
	}
	old.RotatedAt = at
	s.refreshTokens.put(oldKey, old, now)
	s.refreshTokens.put(nextKey, next, now)
	return record.CloneRefreshToken(old), nil
}

// RotateRefreshTokenChecked is RotateRefreshToken, then RevocationStatus.
func (s *Store) RotateRefreshTokenChecked(ctx context.Context, originJTI, oldHash string, at time.Time, next store.RefreshToken, q store.RevocationQuery) (store.RefreshToken, store.RevocationStatus, error) {
	old, err := s.RotateRefreshToken(ctx, originJTI, oldHash, at, next)
	if err != nil {
		return old, store.RevocationStatus{}, err
	}
	st, err := s.RevocationStatus(ctx, q)
	return old, st, err
}

// CreateLoginSession stores ls until ls.ExpiresAt on the Store's clock, or
// returns store.ErrConflict when a live session with ls.ID exists. An
// ExpiresAt that is not after the clock is refused with store.ErrInvalid.
func (s *Store) CreateLoginSession(ctx context.Context, ls store.LoginSession) error {
	const op = "create login session"
	ls = record.NormalizeLoginSession(ls)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if err := record.CheckExpiresAt("login session", ls.ExpiresAt, now); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if _, ok := s.loginSessions.get(ls.ID, now); ok {
		return fmt.Errorf("store: %s: %w", op, store.ErrConflict)
	}
	s.loginSessions.put(ls.ID, ls, now)
	return nil
}

// GetLoginSession returns the session with id, or store.ErrNotFound when it
// is unknown or expired.
func (s *Store) GetLoginSession(ctx context.Context, id string) (store.LoginSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ls, ok := s.loginSessions.get(id, s.now())
	if !ok {
		return store.LoginSession{}, fmt.Errorf("store: get login session: %w", store.ErrNotFound)
	}
	return ls, nil
}

// DeleteLoginSession removes the session with id; removing an unknown one
// does nothing.
func (s *Store) DeleteLoginSession(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loginSessions.delete(id)
	return nil
}

// GetConsent returns the consent of username for clientID, or
// store.ErrNotFound. A username holding NUL is refused with
// store.ErrInvalid.
func (s *Store) GetConsent(ctx context.Context, username, clientID string) (store.Consent, error) {
	const op = "get consent"
	if err := record.CheckConsentOwner(username, clientID); err != nil {
		return store.Consent{}, fmt.Errorf("store: %s: %w", op, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.consents[consentOwner{username, clientID}]
	if !ok {
		return store.Consent{}, fmt.Errorf("store: %s: %w", op, store.ErrNotFound)
	}
	return record.CloneConsent(c), nil
}

// PutConsent creates or replaces the consent of c.Username for c.ClientID.
// A username holding NUL is refused with store.ErrInvalid.
func (s *Store) PutConsent(ctx context.Context, c store.Consent) error {
	c, err := record.NormalizeConsent(c)
	if err != nil {
		return fmt.Errorf("store: put consent: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.consents[consentOwner{c.Username, c.ClientID}] = c
	return nil
}

// HitThrottle adds one to key's count and returns the new count. The first
// hit starts the count at 1 and a window that ends window later on the
// Store's clock; hits within it do not extend it. A window that is not
// positive is refused with store.ErrInvalid.
func (s *Store) HitThrottle(ctx context.Context, key string, window time.Duration) (int64, error) {
	if err := record.CheckThrottleWindow(window); err != nil {
		return 0, fmt.Errorf("store: hit throttle: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e, ok := s.throttles.get(key, now)
	if !ok {
		e = throttleEntry{expires: now.Add(window)}
	}
	e.count++
	s.throttles.put(key, e, now)
	return e.count, nil
}

// ThrottleCount returns key's count within its window; 0 when there is
// none.
func (s *Store) ThrottleCount(ctx context.Context, key string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, _ := s.throttles.get(key, s.now())
	return e.count, nil
}

// ResetThrottle forgets key's count.
func (s *Store) ResetThrottle(ctx context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttles.delete(key)
	return nil
}
