package record

import (
	"fmt"
	"strings"
	"time"

	"github.com/lineage-oss/lineage/store"
)

// NormalizeLoginSession returns a copy of s in normal form. Any id is
// accepted; whether s.ExpiresAt has passed is for the store to check, by
// its clock.
func NormalizeLoginSession(s store.LoginSession) store.LoginSession {
	s.AuthTime = s.AuthTime.Round(0)
	s.ExpiresAt = s.ExpiresAt.Round(0)
	return s
}

// CheckConsentOwner reports whether username and clientID name a consent.
// store/redis keys a consent by the SHA-256 of username + "\x00" +
// clientID, so a username holding NUL could name another user's consent:
// such a username is refused, with an error that wraps store.ErrInvalid.
// Any clientID is accepted.
func CheckConsentOwner(username, clientID string) error {
	if strings.IndexByte(username, 0) >= 0 {
		return fmt.Errorf("%w: consent username holds NUL", store.ErrInvalid)
	}
	return nil
}

// NormalizeConsent checks c's username and returns a deep copy of c in
// normal form. The error wraps store.ErrInvalid.
func NormalizeConsent(c store.Consent) (store.Consent, error) {
	if err := CheckConsentOwner(c.Username, c.ClientID); err != nil {
		return store.Consent{}, err
	}
	c.GrantedAt = c.GrantedAt.Round(0)
	return CloneConsent(c), nil
}

// CloneConsent deep-copies every slice of c; empty slices become nil.
func CloneConsent(c store.Consent) store.Consent {
	c.Scopes = cloneStrings(c.Scopes)
	return c
}

// CheckThrottleWindow reports whether window can be a throttle's window:
// it must be positive. The error wraps store.ErrInvalid.
func CheckThrottleWindow(window time.Duration) error {
	if window <= 0 {
		return fmt.Errorf("%w: throttle window %v is not positive", store.ErrInvalid, window)
	}
	return nil
}

// CheckRateLimit reports whether l can be a rate limit: its rate, period
// and burst must be positive. The error wraps store.ErrInvalid.
func CheckRateLimit(l store.RateLimit) error {
	if l.Rate <= 0 || l.Period <= 0 || l.Burst <= 0 {
		return fmt.Errorf("%w: rate limit %d per %v, burst %d, is not positive", store.ErrInvalid, l.Rate, l.Period, l.Burst)
	}
	return nil
}
