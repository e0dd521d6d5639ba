package login

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/users"
)

// Errors of SignIn.
var (
	// ErrBadCredentials is the one answer for an unknown user, a disabled
	// user and a wrong password.
	ErrBadCredentials = errors.New("login: the username or password is incorrect")
	// ErrThrottled reports too many recent failures for the username or
	// the client IP; see Throttled.RetryAfter.
	ErrThrottled = errors.New("login: too many attempts")
)

// Throttled is ErrThrottled with the time to wait.
type Throttled struct{ RetryAfter time.Duration }

func (t *Throttled) Error() string { return ErrThrottled.Error() }

// Unwrap makes errors.Is(err, ErrThrottled) hold.
func (t *Throttled) Unwrap() error { return ErrThrottled }

// Limits of the login throttle: failures allowed per window before a
// caller must wait for the window to pass. Nothing locks an account: after
// the window the next attempt is checked again.
const (
	throttleWindow     = time.Minute
	failuresPerUser    = 5
	failuresPerAddress = 20
)

// UserSource finds users with their password hash (users.Directory).
type UserSource interface {
	Get(ctx context.Context, username string) (store.User, error)
}

// Options configure a Service.
type Options struct {
	Users      UserSource
	Sessions   store.LoginSessions
	Consents   store.Consents
	Throttles  store.Throttles
	SessionTTL time.Duration // how long a browser stays signed in
	Now        func() time.Time
	Rand       io.Reader
}

// Service signs users in and remembers their sessions and consents.
type Service struct {
	o Options
	// dummy is a hash to check unknown users against, so that their
	// answer takes as long as a wrong password's; made on first use.
	dummy     sync.Once
	dummyHash string
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.SessionTTL <= 0 {
		o.SessionTTL = 24 * time.Hour
	}
	return &Service{o: o}, nil
}

// SignIn checks a username and password and, when they match, starts a
// login session. It returns the session and the cookie value that names
// it (256 random bits, stored only as its hash).
func (s *Service) SignIn(ctx context.Context, username, password, clientIP string) (store.LoginSession, string, error) {
	userKey, ipKey := "login:user:"+username, "login:ip:"+clientIP
	for _, t := range []struct {
		key   string
		limit int64
	}{{userKey, failuresPerUser}, {ipKey, failuresPerAddress}} {
		n, err := s.o.Throttles.ThrottleCount(ctx, t.key)
		if err != nil {
			return store.LoginSession{}, "", fmt.Errorf("login: %w", err)
		}
		if n >= t.limit {
			return store.LoginSession{}, "", &Throttled{RetryAfter: throttleWindow}
		}
	}
	u, err := s.o.Users.Get(ctx, username)
	var hash string
	switch {
	case err == nil:
		hash = u.PasswordHash
	case errors.Is(err, store.ErrNotFound):
		s.dummy.Do(func() { s.dummyHash, _ = users.HashPassword("lineage-unknown-user", s.o.Rand) })
		hash = s.dummyHash
	default:
		return store.LoginSession{}, "", fmt.Errorf("login: %w", err)
	}
	ok, _ := users.CheckPassword(hash, password)
	if err != nil || !ok || u.Disabled {
		for _, key := range []string{userKey, ipKey} {
			if _, herr := s.o.Throttles.HitThrottle(ctx, key, throttleWindow); herr != nil {
				return store.LoginSession{}, "", fmt.Errorf("login: %w", herr)
			}
		}
		return store.LoginSession{}, "", ErrBadCredentials
	}
	if err := s.o.Throttles.ResetThrottle(ctx, userKey); err != nil {
		return store.LoginSession{}, "", fmt.Errorf("login: %w", err)
	}
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.o.Rand, b); err != nil {
		return store.LoginSession{}, "", fmt.Errorf("login: random: %w", err)
	}
	cookie := base64.RawURLEncoding.EncodeToString(b)
	now := s.o.Now()
	sess := store.LoginSession{ID: cookie, Username: u.Username, AuthTime: now.UTC(), ExpiresAt: now.Add(s.o.SessionTTL).UTC()}
	if err := s.o.Sessions.CreateLoginSession(ctx, sess); err != nil {
		return store.LoginSession{}, "", fmt.Errorf("login: %w", err)
	}
	return sess, cookie, nil
}

// Session returns the live session a cookie names, and false if none.
func (s *Service) Session(ctx context.Context, cookie string) (store.LoginSession, bool, error) {
	if cookie == "" || len(cookie) > 128 {
		return store.LoginSession{}, false, nil
	}
	sess, err := s.o.Sessions.GetLoginSession(ctx, cookie)
	if errors.Is(err, store.ErrNotFound) {
		return store.LoginSession{}, false, nil
	}
	if err != nil {
		return store.LoginSession{}, false, fmt.Errorf("login: %w", err)
	}
	return sess, true, nil
}

// SignOut ends the session a cookie names (RP-initiated logout).
func (s *Service) SignOut(ctx context.Context, cookie string) error {
	if cookie == "" || len(cookie) > 128 {
		return nil
	}
	if err := s.o.Sessions.DeleteLoginSession(ctx, cookie); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	return nil
}

// SessionID is the OpenID Connect sid of the session a cookie names: a
// hash, so that the sid in ID tokens never reveals the cookie.
func SessionID(cookie string) string {
	sum := sha256.Sum256([]byte("sid\x00" + cookie))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// NeedsConsent reports whether the user has not yet approved every one of
// scopes for the client.
func (s *Service) NeedsConsent(ctx context.Context, username, clientID string, scopes []string) (bool, error) {
	c, err := s.o.Consents.GetConsent(ctx, username, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("login: %w", err)
	}
	for _, sc := range scopes {
		if !slices.Contains(c.Scopes, sc) {
			return true, nil
		}
	}
	return false, nil
}

// Consent records that the user approved scopes for the client, adding to
// what was approved before.
func (s *Service) Consent(ctx context.Context, username, clientID string, scopes []string) error {
	prev, err := s.o.Consents.GetConsent(ctx, username, clientID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("login: %w", err)
	}
	all := slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(prev.Scopes), scopes...))))
	if err := s.o.Consents.PutConsent(ctx, store.Consent{Username: username, ClientID: clientID, Scopes: all, GrantedAt: s.o.Now().UTC()}); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	return nil
}
