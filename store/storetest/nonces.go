package storetest

import (
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

func nonceTests() []test {
	return []test{
		{"ClaimOnce", testNonceClaimOnce},
		{"Expires", testNonceExpires},
		{"AlreadyExpired", testNonceAlreadyExpired},
	}
}

// claim calls ClaimNonce and fails t unless it reports want.
func claim(t *testing.T, s store.Store, key string, expiresAt time.Time, want bool, what string) {
	t.Helper()
	got, err := s.ClaimNonce(t.Context(), key, expiresAt)
	noErr(t, err, what)
	if got != want {
		t.Fatalf("%s: ClaimNonce(%q) = %v, want %v", what, key, got, want)
	}
}

func testNonceClaimOnce(t *testing.T, s store.Store) {
	later := time.Now().Add(time.Hour)
	claim(t, s, "jti-1", later, true, "first claim")
	claim(t, s, "jti-1", later, false, "replayed claim")
	claim(t, s, "jti-1", later.Add(time.Hour), false, "replay with a later expiry")
	claim(t, s, "jti-2", later, true, "another key")
	claim(t, s, "JTI-1", later, true, "key with another case")
	for _, tt := range oddIDs() {
		claim(t, s, tt.id, later, true, "first claim of "+tt.name)
		claim(t, s, tt.id, later, false, "replayed claim of "+tt.name)
	}
}

func testNonceExpires(t *testing.T, s store.Store) {
	claim(t, s, "jti", time.Now().Add(shortTTL), true, "first claim")
	eventually(t, "nonce claimable again after it expired", func() bool {
		ok, err := s.ClaimNonce(t.Context(), "jti", time.Now().Add(time.Hour))
		noErr(t, err, "ClaimNonce")
		return ok
	})
	claim(t, s, "jti", time.Now().Add(time.Hour), false, "replay of the new claim")
}

func testNonceAlreadyExpired(t *testing.T, s store.Store) {
	tests := []struct {
		name      string
		expiresAt time.Time
	}{
		{"a second ago", time.Now().Add(-time.Second)},
		{"long ago", time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"zero time", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Nothing is recorded, so the key stays claimable.
			claim(t, s, "old-"+tt.name, tt.expiresAt, true, "claim")
			claim(t, s, "old-"+tt.name, time.Now().Add(time.Hour), true, "claim after an expired claim")
			claim(t, s, "old-"+tt.name, time.Now().Add(time.Hour), false, "replay")
		})
	}
	// An expired expiresAt does not free a live nonce.
	claim(t, s, "live", time.Now().Add(time.Hour), true, "live claim")
	claim(t, s, "live", time.Now().Add(-time.Second), false, "claim of a live nonce with an expired expiresAt")
}
