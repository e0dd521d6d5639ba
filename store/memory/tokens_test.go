package memory_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/memory"
)

// hash is the hex SHA-256 of token, as codes and refresh tokens are keyed.
func hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TestTokensExpireByInjectedClock checks that authorization codes, refresh
// tokens (current and rotated), login sessions and throttle windows expire
// by Options.Now, not by the wall clock: exactly at their expiry and not a
// nanosecond before; and that a record is refused when it would expire
// before the store's clock, even if not before the wall clock.
func TestTokensExpireByInjectedClock(t *testing.T) {
	ctx := t.Context()
	// Far enough ahead that the wall clock is always earlier.
	clk := &clock{now: time.Date(2090, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := memory.New(memory.Options{Now: clk.Now})
	const family = "family"
	code := func(expiresAt time.Time) store.AuthorizationCode {
		return store.AuthorizationCode{Hash: hash("code"), OriginJTI: family, ExpiresAt: expiresAt}
	}
	refresh := func(token string, expiresAt time.Time) store.RefreshToken {
		return store.RefreshToken{Hash: hash(token), OriginJTI: family, ExpiresAt: expiresAt}
	}
	session := func(expiresAt time.Time) store.LoginSession {
		return store.LoginSession{ID: "sid", ExpiresAt: expiresAt}
	}

	aggregates := []struct {
		name string
		// create stores a record that expires at expiresAt.
		create func(expiresAt time.Time) error
		// live reports whether the record is still there.
		live func() bool
	}{
		{
			name:   "authorization code",
			create: func(at time.Time) error { return s.CreateAuthorizationCode(ctx, code(at)) },
			live: func() bool {
				// Used or not, the code is there until it expires.
				_, err := s.ConsumeAuthorizationCode(ctx, hash("code"))
				return !errors.Is(err, store.ErrNotFound)
			},
		},
		{
			name:   "current refresh token",
			create: func(at time.Time) error { return s.CreateRefreshToken(ctx, refresh("current", at)) },
			live: func() bool {
				_, err := s.GetRefreshToken(ctx, family, hash("current"))
				return err == nil
			},
		},
		{
			name: "rotated refresh token",
			create: func(at time.Time) error {
				if err := s.CreateRefreshToken(ctx, refresh("rotated", at)); err != nil {
					return err
				}
				// The next token lives on after the rotated one expired.
				_, err := s.RotateRefreshToken(ctx, family, hash("rotated"), clk.Now(), refresh("next", at.Add(time.Hour)))
				return err
			},
			live: func() bool {
				_, err := s.GetRefreshToken(ctx, family, hash("rotated"))
				_, reuse := s.RotateRefreshToken(ctx, family, hash("rotated"), clk.Now(), refresh("replay", clk.Now().Add(time.Hour)))
				if (err == nil) != errors.Is(reuse, store.ErrConflict) {
					t.Fatalf("rotated token: GetRefreshToken says %v, reuse says %v", err, reuse)
				}
				if _, err := s.GetRefreshToken(ctx, family, hash("next")); err != nil {
					t.Fatalf("the next token: %v", err)
				}
				return err == nil
			},
		},
		{
			name:   "login session",
			create: func(at time.Time) error { return s.CreateLoginSession(ctx, session(at)) },
			live: func() bool {
				_, err := s.GetLoginSession(ctx, "sid")
				return err == nil
			},
		},
		{
			name: "throttle window",
			create: func(at time.Time) error {
				_, err := s.HitThrottle(ctx, "key", at.Sub(clk.Now()))
				return err
			},
			live: func() bool {
				n, err := s.ThrottleCount(ctx, "key")
				if err != nil {
					t.Fatal(err)
				}
				return n > 0
			},
		},
	}

	// A record that expires after the wall clock but not after the store's
	// clock is refused.
	refused := []struct {
		name   string
		create func() error
	}{
		{"authorization code expiring in an hour of wall time", func() error {
			return s.CreateAuthorizationCode(ctx, code(time.Now().Add(time.Hour)))
		}},
		{"authorization code expiring now", func() error { return s.CreateAuthorizationCode(ctx, code(clk.Now())) }},
		{"refresh token expiring now", func() error { return s.CreateRefreshToken(ctx, refresh("refused", clk.Now())) }},
		{"login session expiring now", func() error { return s.CreateLoginSession(ctx, session(clk.Now())) }},
	}
	for _, tt := range refused {
		if err := tt.create(); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: error = %v, want ErrInvalid", tt.name, err)
		}
	}

	expiresAt := clk.Now().Add(time.Minute)
	for _, a := range aggregates {
		if err := a.create(expiresAt); err != nil {
			t.Fatalf("%s: create: %v", a.name, err)
		}
	}
	clk.Advance(time.Minute - time.Nanosecond)
	for _, a := range aggregates {
		if !a.live() {
			t.Errorf("%s gone a nanosecond before it expires", a.name)
		}
	}
	clk.Advance(time.Nanosecond)
	for _, a := range aggregates {
		if a.live() {
			t.Errorf("%s still there once it expired", a.name)
		}
	}

	// A next token that would expire before the store's clock is refused,
	// and nothing is rotated.
	noErr := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	noErr(s.CreateRefreshToken(ctx, refresh("old", clk.Now().Add(time.Hour))))
	if _, err := s.RotateRefreshToken(ctx, family, hash("old"), clk.Now(), refresh("new", time.Now().Add(time.Hour))); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("rotation into a token expiring before the store's clock: error = %v, want ErrInvalid", err)
	}
	if old, err := s.GetRefreshToken(ctx, family, hash("old")); err != nil || !old.RotatedAt.IsZero() {
		t.Errorf("old token after a refused rotation = %+v, %v; want it current", old, err)
	}
}

// TestExpiredTokensAreSwept checks that a long-running store does not keep
// every code, refresh token, login session and throttle it ever saw:
// creating many short-lived ones over time keeps about the live ones only.
func TestExpiredTokensAreSwept(t *testing.T) {
	ctx := t.Context()
	clk := &clock{now: time.Date(2090, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := memory.New(memory.Options{Now: clk.Now})
	for i := range 20_000 {
		expiresAt := clk.Now().Add(time.Second)
		id := fmt.Sprint(i)
		steps := []struct {
			name string
			err  error
		}{
			{"CreateAuthorizationCode", s.CreateAuthorizationCode(ctx, store.AuthorizationCode{Hash: hash(id), OriginJTI: "o", ExpiresAt: expiresAt})},
			{"CreateRefreshToken", s.CreateRefreshToken(ctx, store.RefreshToken{Hash: hash(id), OriginJTI: "o", ExpiresAt: expiresAt})},
			{"CreateLoginSession", s.CreateLoginSession(ctx, store.LoginSession{ID: id, ExpiresAt: expiresAt})},
			{"HitThrottle", func() error { _, err := s.HitThrottle(ctx, id, time.Second); return err }()},
		}
		for _, st := range steps {
			if st.err != nil {
				t.Fatalf("%s %d: %v", st.name, i, st.err)
			}
		}
		clk.Advance(time.Millisecond)
	}
	for what, n := range s.ExpiringCounts() {
		if n > 4096 {
			t.Errorf("store holds %d %s, but at most 1000 are live", n, what)
		}
	}
	// The live ones are still there.
	if _, err := s.GetLoginSession(ctx, "19999"); err != nil {
		t.Errorf("GetLoginSession of the newest session: %v", err)
	}
}
