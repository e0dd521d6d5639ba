package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

func codeTests() []test {
	return []test{
		{"RoundTrip", testCodeRoundTrip},
		{"EmptyFields", testCodeEmptyFields},
		{"ConsumeOnce", testCodeConsumeOnce},
		{"CreateConflict", testCodeCreateConflict},
		{"Unknown", testCodeUnknown},
		{"InvalidArguments", testCodeInvalid},
		{"Expires", testCodeExpires},
		{"NoAliasing", testCodeNoAliasing},
	}
}

// longLife is how long codes, refresh tokens and login sessions live when a
// test does not wait for them to expire.
const longLife = time.Hour

// shortLife is how long they live in expiry tests. A record whose expiry
// has passed when the store sees it is refused, so this is longer than
// shortTTL: a slow store must still see it in the future.
const shortLife = 500 * time.Millisecond

// tokenHash returns the hex SHA-256 of token, as the stores key codes and
// refresh tokens by.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// fullCode returns an authorization code with every field set, stored
// under the hash of code, that expires at expiresAt.
func fullCode(code string, expiresAt time.Time) store.AuthorizationCode {
	return store.AuthorizationCode{
		Hash:                tokenHash(code),
		ClientID:            "web",
		RedirectURI:         "https://app.example.com/cb?x=1&y=2",
		Subject:             "2c1b8a4e-user",
		Username:            "alice",
		Scopes:              []string{"openid", "profile", "offline_access"},
		Audience:            []string{"https://api.example.com", "urn:example:aud"},
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		Nonce:               "n-0S6_WzA2Mj",
		AuthTime:            time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("UTC+5:30", 5*3600+1800)),
		SessionID:           "sid-ünïcode",
		OriginJTI:           "b3JpZ2luLWp0aS0x",
		// A time.Now reading carries a monotonic clock and the local zone.
		ExpiresAt: expiresAt,
	}
}

// consume calls ConsumeAuthorizationCode, failing t unless it returns
// want with the error wantErr (nil, or a sentinel it must wrap).
func consume(t *testing.T, s store.Store, hash string, want store.AuthorizationCode, wantErr error, what string) {
	t.Helper()
	got, err := s.ConsumeAuthorizationCode(t.Context(), hash)
	switch {
	case wantErr == nil && err != nil:
		t.Fatalf("%s: unexpected error: %v", what, err)
	case wantErr != nil && !errors.Is(err, wantErr):
		t.Fatalf("%s: error = %v, want %v", what, err, wantErr)
	}
	sameRecord(t, what, want, got)
}

func testCodeRoundTrip(t *testing.T, s store.Store) {
	want := fullCode("code-1", time.Now().Add(longLife))
	everyFieldSet(t, want)
	noErr(t, s.CreateAuthorizationCode(t.Context(), want), "CreateAuthorizationCode")
	consume(t, s, want.Hash, want, nil, "ConsumeAuthorizationCode")
}

func testCodeEmptyFields(t *testing.T, s store.Store) {
	expiresAt := time.Now().Add(longLife)
	tests := []struct {
		name string
		code store.AuthorizationCode
	}{
		{"nil slices", store.AuthorizationCode{Hash: tokenHash("nil"), OriginJTI: "o1", ExpiresAt: expiresAt}},
		{"empty slices", store.AuthorizationCode{Hash: tokenHash("empty"), OriginJTI: "o2", ExpiresAt: expiresAt,
			Scopes: []string{}, Audience: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noErr(t, s.CreateAuthorizationCode(t.Context(), tt.code), "CreateAuthorizationCode")
			got, err := s.ConsumeAuthorizationCode(t.Context(), tt.code.Hash)
			noErr(t, err, "ConsumeAuthorizationCode")
			// A code without PKCE must not read back with a challenge.
			sameRecord(t, "ConsumeAuthorizationCode", tt.code, got)
			if !got.AuthTime.IsZero() {
				t.Errorf("zero AuthTime read back as %v", got.AuthTime)
			}
		})
	}
}

// testCodeConsumeOnce is RFC 6749 §4.1.2: a code is used once; every later
// use is refused and says what the code was, so that the caller can revoke
// the tokens the first use issued.
func testCodeConsumeOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := fullCode("code-1", time.Now().Add(longLife))
	other := fullCode("code-2", time.Now().Add(longLife))
	other.ClientID = "other"
	noErr(t, s.CreateAuthorizationCode(ctx, want), "CreateAuthorizationCode")
	noErr(t, s.CreateAuthorizationCode(ctx, other), "CreateAuthorizationCode of another code")

	steps := []struct {
		name    string
		hash    string
		want    store.AuthorizationCode
		wantErr error
	}{
		{"first use", want.Hash, want, nil},
		{"second use", want.Hash, want, store.ErrConflict},
		{"third use", want.Hash, want, store.ErrConflict},
		{"another code is still unused", other.Hash, other, nil},
		{"and is then used too", other.Hash, other, store.ErrConflict},
	}
	for _, st := range steps {
		consume(t, s, st.hash, st.want, st.wantErr, st.name)
	}
	// A used code cannot be created again, which would make it usable.
	wantErr(t, s.CreateAuthorizationCode(ctx, want), store.ErrConflict, "CreateAuthorizationCode of a used code")
	consume(t, s, want.Hash, want, store.ErrConflict, "use after a refused re-create")
}

func testCodeCreateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := fullCode("code", time.Now().Add(longLife))
	noErr(t, s.CreateAuthorizationCode(ctx, first), "first CreateAuthorizationCode")

	second := fullCode("code", time.Now().Add(2*longLife))
	second.RedirectURI = "https://attacker.example/cb"
	second.ClientID = "attacker"
	wantErr(t, s.CreateAuthorizationCode(ctx, second), store.ErrConflict, "second CreateAuthorizationCode")
	consume(t, s, first.Hash, first, nil, "code after a refused create")
}

func testCodeUnknown(t *testing.T, s store.Store) {
	ctx := t.Context()
	present := fullCode("present", time.Now().Add(longLife))
	noErr(t, s.CreateAuthorizationCode(ctx, present), "CreateAuthorizationCode")
	// A refresh token and a login session are apart: neither makes a code.
	rt := fullRefreshToken("o", "refresh", time.Now().Add(longLife))
	noErr(t, s.CreateRefreshToken(ctx, rt), "CreateRefreshToken")
	noErr(t, s.CreateLoginSession(ctx, store.LoginSession{ID: tokenHash("session"), ExpiresAt: time.Now().Add(longLife)}), "CreateLoginSession")
	tests := []struct {
		name string
		hash string
	}{
		{"never created", tokenHash("missing")},
		{"hash of the hash", tokenHash(present.Hash)},
		{"a refresh token's hash", rt.Hash},
		{"a login session's id", tokenHash("session")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.ConsumeAuthorizationCode(ctx, tt.hash)
			wantErr(t, err, store.ErrNotFound, "ConsumeAuthorizationCode")
		})
	}
	// Looking them up used nothing, and created no code.
	consume(t, s, present.Hash, present, nil, "ConsumeAuthorizationCode of the present code")
	_, err := s.ConsumeAuthorizationCode(ctx, tokenHash("missing"))
	wantErr(t, err, store.ErrNotFound, "second ConsumeAuthorizationCode of an unknown code")
}

// badHashes are strings that are not a lower-case hex SHA-256.
func badHashes() []oddID {
	return []oddID{
		{"empty", ""},
		{"upper case", strings.ToUpper(tokenHash("x"))},
		{"too short", tokenHash("x")[:63]},
		{"too long", tokenHash("x") + "0"},
		{"not hex", strings.Repeat("g", 64)},
		{"the token itself", "a-code-or-refresh-token"},
		{"hash tag", "{" + tokenHash("x")[:62] + "}"},
	}
}

func testCodeInvalid(t *testing.T, s store.Store) {
	ctx := t.Context()
	type invalid struct {
		name   string
		mutate func(c *store.AuthorizationCode)
	}
	tests := []invalid{
		{"expired a second ago", func(c *store.AuthorizationCode) { c.ExpiresAt = time.Now().Add(-time.Second) }},
		{"expires now", func(c *store.AuthorizationCode) { c.ExpiresAt = time.Now() }},
		{"zero expiry", func(c *store.AuthorizationCode) { c.ExpiresAt = time.Time{} }},
		{"empty origin_jti", func(c *store.AuthorizationCode) { c.OriginJTI = "" }},
		{"origin_jti with a brace", func(c *store.AuthorizationCode) { c.OriginJTI = "a}b" }},
	}
	for _, h := range badHashes() {
		tests = append(tests, invalid{"hash " + h.name, func(c *store.AuthorizationCode) { c.Hash = h.id }})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fullCode("bad", time.Now().Add(longLife))
			tt.mutate(&c)
			wantInvalid(t, s.CreateAuthorizationCode(ctx, c), "CreateAuthorizationCode")
		})
	}
	// Nothing was stored: the code can be created now, once.
	good := fullCode("bad", time.Now().Add(longLife))
	noErr(t, s.CreateAuthorizationCode(ctx, good), "CreateAuthorizationCode after refused ones")
	consume(t, s, good.Hash, good, nil, "ConsumeAuthorizationCode after refused creates")

	for _, h := range badHashes() {
		_, err := s.ConsumeAuthorizationCode(ctx, h.id)
		wantInvalid(t, err, "ConsumeAuthorizationCode of hash "+h.name)
	}
}

func testCodeExpires(t *testing.T, s store.Store) {
	ctx := t.Context()
	used := fullCode("used", time.Now().Add(shortLife))
	unused := fullCode("unused", time.Now().Add(shortLife))
	live := fullCode("live", time.Now().Add(longLife))
	for _, c := range []store.AuthorizationCode{used, unused, live} {
		noErr(t, s.CreateAuthorizationCode(ctx, c), "CreateAuthorizationCode")
	}
	consume(t, s, used.Hash, used, nil, "first use")

	// An expired code is unknown, used or not; looking at the unused one
	// before it expires uses it, which is what a caller would see too.
	for _, c := range []store.AuthorizationCode{used, unused} {
		eventually(t, "code expires", func() bool {
			_, err := s.ConsumeAuthorizationCode(ctx, c.Hash)
			if err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("ConsumeAuthorizationCode: %v", err)
			}
			return errors.Is(err, store.ErrNotFound)
		})
	}
	consume(t, s, live.Hash, live, nil, "a longer-lived code is still usable")

	// Once expired, the hash is free again.
	again := fullCode("used", time.Now().Add(longLife))
	noErr(t, s.CreateAuthorizationCode(ctx, again), "CreateAuthorizationCode after expiry")
	consume(t, s, again.Hash, again, nil, "use of the new code")
}

func testCodeNoAliasing(t *testing.T, s store.Store) {
	ctx := t.Context()
	expiresAt := time.Now().Add(longLife)
	in := fullCode("code", expiresAt)
	want := fullCode("code", expiresAt)
	noErr(t, s.CreateAuthorizationCode(ctx, in), "CreateAuthorizationCode")

	scribble := func(c *store.AuthorizationCode) {
		c.Scopes[0] = "admin"
		c.Audience[0] = "https://attacker.example"
	}
	scribble(&in)
	got, err := s.ConsumeAuthorizationCode(ctx, want.Hash)
	noErr(t, err, "ConsumeAuthorizationCode")
	sameRecord(t, "code after the caller changed what it passed to CreateAuthorizationCode", want, got)

	scribble(&got)
	consume(t, s, want.Hash, want, store.ErrConflict, "code after the caller changed what ConsumeAuthorizationCode returned")
}
