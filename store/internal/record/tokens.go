package record

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lineage-oss/lineage/store"
)

// MaxOriginJTILen is the longest origin_jti (lineage id) the stores take, in
// bytes. lineage chooses it (a random base64url id), so anything longer is a
// mistake or a forgery.
const MaxOriginJTILen = 128

// CheckTokenHash reports whether hash is what the stores key codes and
// refresh tokens by: a SHA-256 in lower-case hex (64 characters). The error
// wraps store.ErrInvalid and names what (say, "refresh token hash"); it
// never quotes the hash.
func CheckTokenHash(what, hash string) error {
	if len(hash) != 64 || strings.IndexFunc(hash, notLowerHex) >= 0 {
		return fmt.Errorf("%w: %s is not a SHA-256 in lower-case hex", store.ErrInvalid, what)
	}
	return nil
}

func notLowerHex(r rune) bool { return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') }

// CheckOriginJTI reports whether id can name a refresh-token family:
// store/redis puts it in a Cluster hash tag ("rt:{<origin_jti>}:…"), so it
// must be 1 to MaxOriginJTILen bytes without '{' or '}'. The error wraps
// store.ErrInvalid; it never quotes id.
func CheckOriginJTI(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: origin_jti is empty", store.ErrInvalid)
	case len(id) > MaxOriginJTILen:
		return fmt.Errorf("%w: origin_jti is longer than %d bytes", store.ErrInvalid, MaxOriginJTILen)
	case strings.ContainsAny(id, "{}"):
		return fmt.Errorf("%w: origin_jti holds '{' or '}'", store.ErrInvalid)
	}
	return nil
}

// CheckExpiresAt reports whether a record that expires at expiresAt may be
// created at now: only when expiresAt is after now, since a record born
// expired would be accepted and never found. The error wraps
// store.ErrInvalid.
func CheckExpiresAt(what string, expiresAt, now time.Time) error {
	if !now.Before(expiresAt) {
		return ExpiredError(what)
	}
	return nil
}

// ExpiredError is the error of CheckExpiresAt, for store/redis, which
// compares with the Redis server's clock inside a script.
func ExpiredError(what string) error {
	return fmt.Errorf("%w: %s expires_at is not in the future", store.ErrInvalid, what)
}

// NormalizeAuthorizationCode checks c's hash and origin_jti and returns a
// deep copy of c in normal form. Whether c.ExpiresAt has passed is for the
// store to check, by its clock. The error wraps store.ErrInvalid.
func NormalizeAuthorizationCode(c store.AuthorizationCode) (store.AuthorizationCode, error) {
	if err := CheckTokenHash("authorization code hash", c.Hash); err != nil {
		return store.AuthorizationCode{}, err
	}
	if err := CheckOriginJTI(c.OriginJTI); err != nil {
		return store.AuthorizationCode{}, err
	}
	c.AuthTime = c.AuthTime.Round(0)
	c.ExpiresAt = c.ExpiresAt.Round(0)
	return CloneAuthorizationCode(c), nil
}

// CloneAuthorizationCode deep-copies every slice of c; empty slices become
// nil.
func CloneAuthorizationCode(c store.AuthorizationCode) store.AuthorizationCode {
	c.Scopes = cloneStrings(c.Scopes)
	c.Audience = cloneStrings(c.Audience)
	return c
}

// NormalizeRefreshToken checks t's hash and origin_jti and returns a deep
// copy of t in normal form. t must not be rotated yet: a token is stored
// current (RotatedAt zero) and only RotateRefreshToken marks it. Whether
// t.ExpiresAt has passed is for the store to check, by its clock. The error
// wraps store.ErrInvalid.
func NormalizeRefreshToken(t store.RefreshToken) (store.RefreshToken, error) {
	if err := CheckOriginJTI(t.OriginJTI); err != nil {
		return store.RefreshToken{}, err
	}
	if err := CheckTokenHash("refresh token hash", t.Hash); err != nil {
		return store.RefreshToken{}, err
	}
	if !t.RotatedAt.IsZero() {
		return store.RefreshToken{}, fmt.Errorf("%w: a new refresh token cannot be rotated already", store.ErrInvalid)
	}
	t.AuthTime = t.AuthTime.Round(0)
	t.IssuedAt = t.IssuedAt.Round(0)
	t.FamilyIssuedAt = t.FamilyIssuedAt.Round(0)
	t.ExpiresAt = t.ExpiresAt.Round(0)
	t.NotAfter = t.NotAfter.Round(0)
	var errs []error
	t.Act = compactJSON(t.Act, "act", true, &errs)
	if err := errors.Join(errs...); err != nil {
		return store.RefreshToken{}, fmt.Errorf("%w: refresh token: %w", store.ErrInvalid, err)
	}
	return CloneRefreshToken(t), nil
}

// CheckRotation checks the arguments of RotateRefreshToken, and returns
// next in normal form and at without a monotonic clock reading: originJTI
// and oldHash must name a token, at must be set (a zero RotatedAt means
// current), and next must be a valid new token of the same family. The
// error wraps store.ErrInvalid.
func CheckRotation(originJTI, oldHash string, at time.Time, next store.RefreshToken) (store.RefreshToken, time.Time, error) {
	if err := CheckOriginJTI(originJTI); err != nil {
		return store.RefreshToken{}, time.Time{}, err
	}
	if err := CheckTokenHash("refresh token hash", oldHash); err != nil {
		return store.RefreshToken{}, time.Time{}, err
	}
	if at.IsZero() {
		return store.RefreshToken{}, time.Time{}, fmt.Errorf("%w: the rotation time is zero", store.ErrInvalid)
	}
	next, err := NormalizeRefreshToken(next)
	if err != nil {
		return store.RefreshToken{}, time.Time{}, fmt.Errorf("next: %w", err)
	}
	if next.OriginJTI != originJTI {
		return store.RefreshToken{}, time.Time{}, fmt.Errorf("%w: the next token belongs to another family", store.ErrInvalid)
	}
	return next, at.Round(0), nil
}

// CloneRefreshToken deep-copies every slice of t; empty slices become nil.
func CloneRefreshToken(t store.RefreshToken) store.RefreshToken {
	t.Scopes = cloneStrings(t.Scopes)
	t.Audience = cloneStrings(t.Audience)
	t.Act = cloneBytes(t.Act)
	return t
}
