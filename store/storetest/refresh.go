package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

func refreshTokenTests() []test {
	return []test{
		{"RoundTrip", testRefreshRoundTrip},
		{"EmptyFields", testRefreshEmptyFields},
		{"CreateConflict", testRefreshCreateConflict},
		{"Missing", testRefreshMissing},
		{"RotateChain", testRefreshRotateChain},
		{"NextOfAnotherFamily", testRefreshNextOfAnotherFamily},
		{"NextExists", testRefreshNextExists},
		{"InvalidArguments", testRefreshInvalid},
		{"Expires", testRefreshExpires},
		{"OddFamilies", testRefreshOddFamilies},
		{"NoAliasing", testRefreshNoAliasing},
		{"RotateChecked", testRefreshRotateChecked},
	}
}

// fullRefreshToken returns a current refresh token of the family originJTI
// with every field but RotatedAt set, stored under the hash of token, that
// expires at expiresAt.
func fullRefreshToken(originJTI, token string, expiresAt time.Time) store.RefreshToken {
	familyIssued := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("UTC-3", -3*3600))
	return store.RefreshToken{
		Hash:               tokenHash(token),
		OriginJTI:          originJTI,
		ClientID:           "web",
		Subject:            "2c1b8a4e-user",
		Username:           "alice",
		Scopes:             []string{"openid", "offline_access", "api:read"},
		Audience:           []string{"https://api.example.com", "urn:example:aud"},
		AuthTime:           familyIssued.Add(-time.Minute),
		SessionID:          "sid-ünïcode",
		IssuedAt:           time.Now(),
		FamilyIssuedAt:     familyIssued,
		ExpiresAt:          expiresAt,
		IAMPrincipal:       "arn:aws:sts::111122223333:assumed-role/App/job-1",
		IAMSource:          "arn:aws:iam::111122223333:user/ci",
		IAMSessionIssuedAt: familyIssued.Add(-time.Hour),
		NotAfter:           expiresAt.Add(time.Minute),
		Act:                json.RawMessage(`{ "sub": "arn:aws:sts::111122223333:assumed-role/App/job-1", "act": {"sub": "ü"} }`),
	}
}

// getRefresh returns GetRefreshToken(originJTI, hash), failing t on an
// error.
func getRefresh(t *testing.T, s store.Store, originJTI, hash, what string) store.RefreshToken {
	t.Helper()
	got, err := s.GetRefreshToken(t.Context(), originJTI, hash)
	noErr(t, err, what)
	return got
}

// wantNoRefresh fails t unless the family originJTI holds no token hash.
func wantNoRefresh(t *testing.T, s store.Store, originJTI, hash, what string) {
	t.Helper()
	_, err := s.GetRefreshToken(t.Context(), originJTI, hash)
	wantErr(t, err, store.ErrNotFound, what)
}

// rotated returns rt as RotateRefreshToken(…, at, …) leaves it.
func rotated(rt store.RefreshToken, at time.Time) store.RefreshToken {
	rt.RotatedAt = at
	return rt
}

// rotate calls RotateRefreshToken of old into next at at, failing t unless
// it returns want with the error wantErr (nil, or a sentinel it must wrap).
func rotate(t *testing.T, s store.Store, old store.RefreshToken, at time.Time, next store.RefreshToken, want store.RefreshToken, wantErr error, what string) {
	t.Helper()
	got, err := s.RotateRefreshToken(t.Context(), old.OriginJTI, old.Hash, at, next)
	switch {
	case wantErr == nil && err != nil:
		t.Fatalf("%s: unexpected error: %v", what, err)
	case wantErr != nil && !errors.Is(err, wantErr):
		t.Fatalf("%s: error = %v, want %v", what, err, wantErr)
	}
	sameRecord(t, what, want, got)
}

func testRefreshRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := fullRefreshToken("ZmFtaWx5LTE", "rt-1", time.Now().Add(longLife))
	noErr(t, s.CreateRefreshToken(ctx, first), "CreateRefreshToken")
	sameRecord(t, "GetRefreshToken", first, getRefresh(t, s, first.OriginJTI, first.Hash, "GetRefreshToken"))

	// RotatedAt is only ever set by rotation.
	at := time.Date(2026, 5, 6, 7, 8, 9, 987654321, time.FixedZone("UTC+9", 9*3600))
	next := fullRefreshToken(first.OriginJTI, "rt-2", time.Now().Add(2*longLife))
	next.Scopes = []string{"openid"}
	want := rotated(first, at)
	everyFieldSet(t, want)
	rotate(t, s, first, at, next, want, nil, "RotateRefreshToken")
	sameRecord(t, "GetRefreshToken of the rotated token", want, getRefresh(t, s, first.OriginJTI, first.Hash, "GetRefreshToken"))
	sameRecord(t, "GetRefreshToken of the next token", next, getRefresh(t, s, next.OriginJTI, next.Hash, "GetRefreshToken"))
}

func testRefreshEmptyFields(t *testing.T, s store.Store) {
	expiresAt := time.Now().Add(longLife)
	tests := []struct {
		name  string
		token store.RefreshToken
	}{
		{"nil slices", store.RefreshToken{Hash: tokenHash("nil"), OriginJTI: "o", ExpiresAt: expiresAt}},
		{"empty slices", store.RefreshToken{Hash: tokenHash("empty"), OriginJTI: "o", ExpiresAt: expiresAt,
			Scopes: []string{}, Audience: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noErr(t, s.CreateRefreshToken(t.Context(), tt.token), "CreateRefreshToken")
			got := getRefresh(t, s, "o", tt.token.Hash, "GetRefreshToken")
			sameRecord(t, "GetRefreshToken", tt.token, got)
			// A current token must not read back rotated.
			if !got.RotatedAt.IsZero() || !got.IssuedAt.IsZero() {
				t.Errorf("zero times read back as %v and %v", got.RotatedAt, got.IssuedAt)
			}
		})
	}
}

func testRefreshCreateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := fullRefreshToken("family-a", "rt", time.Now().Add(longLife))
	noErr(t, s.CreateRefreshToken(ctx, first), "first CreateRefreshToken")

	second := fullRefreshToken("family-a", "rt", time.Now().Add(2*longLife))
	second.Subject = "mallory"
	wantErr(t, s.CreateRefreshToken(ctx, second), store.ErrConflict, "second CreateRefreshToken")
	sameRecord(t, "token after a refused create", first, getRefresh(t, s, "family-a", first.Hash, "GetRefreshToken"))

	// A rotated token cannot be created again, which would make it current.
	next := fullRefreshToken("family-a", "rt-next", time.Now().Add(longLife))
	at := time.Now()
	rotate(t, s, first, at, next, rotated(first, at), nil, "RotateRefreshToken")
	wantErr(t, s.CreateRefreshToken(ctx, first), store.ErrConflict, "CreateRefreshToken of a rotated token")
	sameRecord(t, "rotated token after a refused create", rotated(first, at), getRefresh(t, s, "family-a", first.Hash, "GetRefreshToken"))

	// The same hash in another family is another token.
	other := fullRefreshToken("family-b", "rt", time.Now().Add(longLife))
	other.Subject = "bob"
	noErr(t, s.CreateRefreshToken(ctx, other), "CreateRefreshToken in another family")
	sameRecord(t, "token of the other family", other, getRefresh(t, s, "family-b", other.Hash, "GetRefreshToken"))
}

func testRefreshMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	present := fullRefreshToken("family-a", "present", time.Now().Add(longLife))
	noErr(t, s.CreateRefreshToken(ctx, present), "CreateRefreshToken")
	// A code is apart: it makes no refresh token.
	code := fullCode("code", time.Now().Add(longLife))
	code.OriginJTI = "family-a"
	noErr(t, s.CreateAuthorizationCode(ctx, code), "CreateAuthorizationCode")

	tests := []struct {
		name            string
		originJTI, hash string
	}{
		{"never created", "family-a", tokenHash("missing")},
		{"in another family", "family-b", present.Hash},
		{"in a family with another case", "Family-a", present.Hash},
		{"in a family of a prefix", "family-", present.Hash},
		{"an authorization code's hash", "family-a", code.Hash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantNoRefresh(t, s, tt.originJTI, tt.hash, "GetRefreshToken")
			next := fullRefreshToken(tt.originJTI, "next-of-"+tt.name, time.Now().Add(longLife))
			_, err := s.RotateRefreshToken(ctx, tt.originJTI, tt.hash, time.Now(), next)
			wantErr(t, err, store.ErrNotFound, "RotateRefreshToken")
			// A refused rotation stored nothing.
			wantNoRefresh(t, s, tt.originJTI, next.Hash, "GetRefreshToken of the next token")
		})
	}
	sameRecord(t, "the present token", present, getRefresh(t, s, "family-a", present.Hash, "GetRefreshToken"))
}

// testRefreshRotateChain rotates a family five times: each old token then
// reads back rotated at its rotation's time, and presenting it again is
// reuse, refused with the old record (RotatedAt unchanged) and nothing
// written, while the newest token stays current.
func testRefreshRotateChain(t *testing.T, s store.Store) {
	const family = "ZmFtaWx5LWNoYWlu"
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	chain := []store.RefreshToken{fullRefreshToken(family, "rt-0", time.Now().Add(longLife))}
	noErr(t, s.CreateRefreshToken(t.Context(), chain[0]), "CreateRefreshToken")
	ats := make([]time.Time, 5)
	for i := range ats {
		ats[i] = start.Add(time.Duration(i) * time.Minute)
		next := fullRefreshToken(family, fmt.Sprint("rt-", i+1), time.Now().Add(longLife))
		next.IssuedAt = ats[i]
		rotate(t, s, chain[i], ats[i], next, rotated(chain[i], ats[i]), nil, fmt.Sprint("rotation ", i+1))
		chain = append(chain, next)
	}

	for i, old := range chain[:5] {
		want := rotated(old, ats[i])
		sameRecord(t, fmt.Sprint("GetRefreshToken of rt-", i), want, getRefresh(t, s, family, old.Hash, "GetRefreshToken"))
		replay := fullRefreshToken(family, fmt.Sprint("replay-of-rt-", i), time.Now().Add(longLife))
		rotate(t, s, old, time.Now(), replay, want, store.ErrConflict, fmt.Sprint("reuse of rt-", i))
		wantNoRefresh(t, s, family, replay.Hash, fmt.Sprint("the next token of the reuse of rt-", i))
		sameRecord(t, fmt.Sprint("rt-", i, " after its reuse"), want, getRefresh(t, s, family, old.Hash, "GetRefreshToken"))
	}

	last := chain[5]
	sameRecord(t, "the newest token", last, getRefresh(t, s, family, last.Hash, "GetRefreshToken"))
	at := start.Add(time.Hour)
	after := fullRefreshToken(family, "rt-6", time.Now().Add(longLife))
	rotate(t, s, last, at, after, rotated(last, at), nil, "rotation of the newest token after the reuses")
}

func testRefreshNextOfAnotherFamily(t *testing.T, s store.Store) {
	ctx := t.Context()
	old := fullRefreshToken("family-a", "rt", time.Now().Add(longLife))
	noErr(t, s.CreateRefreshToken(ctx, old), "CreateRefreshToken")
	for _, family := range []string{"family-b", "Family-a", "family-a "} {
		next := fullRefreshToken(family, "next", time.Now().Add(longLife))
		_, err := s.RotateRefreshToken(ctx, "family-a", old.Hash, time.Now(), next)
		wantInvalid(t, err, fmt.Sprintf("RotateRefreshToken into family %q", family))
		wantNoRefresh(t, s, family, next.Hash, "next token in its own family")
		wantNoRefresh(t, s, "family-a", next.Hash, "next token in the old token's family")
	}
	// The old token is still current.
	sameRecord(t, "old token after refused rotations", old, getRefresh(t, s, "family-a", old.Hash, "GetRefreshToken"))
	next := fullRefreshToken("family-a", "next", time.Now().Add(longLife))
	at := time.Now()
	rotate(t, s, old, at, next, rotated(old, at), nil, "RotateRefreshToken within the family")
}

// testRefreshNextExists rotates into a token the family already holds: that
// is refused with ErrConflict and nothing written.
func testRefreshNextExists(t *testing.T, s store.Store) {
	ctx := t.Context()
	const family = "family"
	gone := fullRefreshToken(family, "rt-0", time.Now().Add(longLife))
	current := fullRefreshToken(family, "rt-1", time.Now().Add(longLife))
	noErr(t, s.CreateRefreshToken(ctx, gone), "CreateRefreshToken")
	at := time.Now()
	rotate(t, s, gone, at, current, rotated(gone, at), nil, "RotateRefreshToken")

	tests := []struct {
		name string
		next store.RefreshToken
	}{
		{"itself", fullRefreshToken(family, "rt-1", time.Now().Add(2*longLife))},
		{"a rotated token", fullRefreshToken(family, "rt-0", time.Now().Add(2*longLife))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.next.Subject = "mallory"
			_, err := s.RotateRefreshToken(ctx, family, current.Hash, time.Now(), tt.next)
			wantErr(t, err, store.ErrConflict, "RotateRefreshToken")
		})
	}
	sameRecord(t, "current token", current, getRefresh(t, s, family, current.Hash, "GetRefreshToken"))
	sameRecord(t, "rotated token", rotated(gone, at), getRefresh(t, s, family, gone.Hash, "GetRefreshToken"))
}

func testRefreshInvalid(t *testing.T, s store.Store) {
	ctx := t.Context()
	const family = "family"
	maxFamily := strings.Repeat("f", 128)
	badFamilies := []oddID{
		{"empty", ""},
		{"opening brace", "fam{ily"},
		{"closing brace", "fam}ily"},
		{"hash tag", "{family}"},
		{"empty hash tag", "{}"},
		{"129 bytes", strings.Repeat("f", 129)},
	}

	type invalid struct {
		name   string
		mutate func(rt *store.RefreshToken)
	}
	creates := []invalid{
		{"rotated already", func(rt *store.RefreshToken) { rt.RotatedAt = time.Now() }},
		{"expired a second ago", func(rt *store.RefreshToken) { rt.ExpiresAt = time.Now().Add(-time.Second) }},
		{"zero expiry", func(rt *store.RefreshToken) { rt.ExpiresAt = time.Time{} }},
	}
	for _, f := range badFamilies {
		creates = append(creates, invalid{"origin_jti " + f.name, func(rt *store.RefreshToken) { rt.OriginJTI = f.id }})
	}
	for _, h := range badHashes() {
		creates = append(creates, invalid{"hash " + h.name, func(rt *store.RefreshToken) { rt.Hash = h.id }})
	}
	for _, tt := range creates {
		t.Run("create "+tt.name, func(t *testing.T) {
			rt := fullRefreshToken(family, "bad", time.Now().Add(longLife))
			tt.mutate(&rt)
			wantInvalid(t, s.CreateRefreshToken(ctx, rt), "CreateRefreshToken")
		})
	}
	wantNoRefresh(t, s, family, tokenHash("bad"), "GetRefreshToken after refused creates")

	// The longest family id is fine.
	long := fullRefreshToken(maxFamily, "rt", time.Now().Add(longLife))
	noErr(t, s.CreateRefreshToken(ctx, long), "CreateRefreshToken of a 128-byte origin_jti")
	sameRecord(t, "token of a 128-byte family", long, getRefresh(t, s, maxFamily, long.Hash, "GetRefreshToken"))

	for _, f := range badFamilies {
		_, err := s.GetRefreshToken(ctx, f.id, tokenHash("rt"))
		wantInvalid(t, err, "GetRefreshToken of origin_jti "+f.name)
	}
	for _, h := range badHashes() {
		_, err := s.GetRefreshToken(ctx, family, h.id)
		wantInvalid(t, err, "GetRefreshToken of hash "+h.name)
	}

	old := fullRefreshToken(family, "old", time.Now().Add(longLife))
	noErr(t, s.CreateRefreshToken(ctx, old), "CreateRefreshToken")
	// args are the arguments of one RotateRefreshToken call.
	type args struct {
		originJTI, oldHash string
		at                 time.Time
		next               store.RefreshToken
	}
	type refused struct {
		name   string
		mutate func(a *args)
	}
	rotations := []refused{
		{"zero rotation time", func(a *args) { a.at = time.Time{} }},
		{"next rotated already", func(a *args) { a.next.RotatedAt = time.Now() }},
		{"next expired a second ago", func(a *args) { a.next.ExpiresAt = time.Now().Add(-time.Second) }},
		{"next with zero expiry", func(a *args) { a.next.ExpiresAt = time.Time{} }},
		{"next with an empty origin_jti", func(a *args) { a.next.OriginJTI = "" }},
	}
	for _, f := range badFamilies {
		rotations = append(rotations, refused{"origin_jti " + f.name, func(a *args) { a.originJTI, a.next.OriginJTI = f.id, f.id }})
	}
	for _, h := range badHashes() {
		rotations = append(rotations,
			refused{"old hash " + h.name, func(a *args) { a.oldHash = h.id }},
			refused{"next hash " + h.name, func(a *args) { a.next.Hash = h.id }})
	}
	for _, tt := range rotations {
		t.Run("rotate "+tt.name, func(t *testing.T) {
			a := args{family, old.Hash, time.Now(), fullRefreshToken(family, "next", time.Now().Add(longLife))}
			tt.mutate(&a)
			_, err := s.RotateRefreshToken(ctx, a.originJTI, a.oldHash, a.at, a.next)
			wantInvalid(t, err, "RotateRefreshToken")
		})
	}
	// Nothing was written: the old token is current, and rotates once.
	sameRecord(t, "old token after refused rotations", old, getRefresh(t, s, family, old.Hash, "GetRefreshToken"))
	wantNoRefresh(t, s, family, tokenHash("next"), "next token after refused rotations")
	at := time.Now()
	next := fullRefreshToken(family, "next", time.Now().Add(longLife))
	rotate(t, s, old, at, next, rotated(old, at), nil, "RotateRefreshToken after refused ones")
}

// testRefreshExpires checks that a token expires at its ExpiresAt, current
// or rotated: a rotated token is kept, to recognise its reuse, only until
// then, while the token it was rotated into lives on.
func testRefreshExpires(t *testing.T, s store.Store) {
	ctx := t.Context()
	unused := fullRefreshToken("family-a", "unused", time.Now().Add(shortLife))
	old := fullRefreshToken("family-b", "old", time.Now().Add(shortLife))
	next := fullRefreshToken("family-b", "next", time.Now().Add(longLife))
	noErr(t, s.CreateRefreshToken(ctx, unused), "CreateRefreshToken")
	noErr(t, s.CreateRefreshToken(ctx, old), "CreateRefreshToken")
	at := time.Now()
	rotate(t, s, old, at, next, rotated(old, at), nil, "RotateRefreshToken")

	for _, rt := range []store.RefreshToken{unused, old} {
		eventually(t, "refresh token expires", func() bool {
			_, err := s.GetRefreshToken(ctx, rt.OriginJTI, rt.Hash)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("GetRefreshToken: %v", err)
			}
			return err != nil
		})
		replay := fullRefreshToken(rt.OriginJTI, "replay", time.Now().Add(longLife))
		_, err := s.RotateRefreshToken(ctx, rt.OriginJTI, rt.Hash, time.Now(), replay)
		wantErr(t, err, store.ErrNotFound, "RotateRefreshToken of an expired token")
		wantNoRefresh(t, s, rt.OriginJTI, replay.Hash, "next token of an expired token")
	}
	sameRecord(t, "the next token", next, getRefresh(t, s, "family-b", next.Hash, "GetRefreshToken"))

	// Once expired, the hash is free again.
	again := fullRefreshToken("family-a", "unused", time.Now().Add(longLife))
	noErr(t, s.CreateRefreshToken(ctx, again), "CreateRefreshToken after expiry")
}

// testRefreshOddFamilies stores families whose ids are awkward for a
// key-value store but valid: each is its own family.
func testRefreshOddFamilies(t *testing.T, s store.Store) {
	ctx := t.Context()
	families := []oddID{
		{"base64url", "b3JpZ2luLWp0aS0x_-"},
		{"colons", "rt:a:b"},
		{"unicode", "семья-家族-🔑"},
		{"spaces", "  family  "},
		{"control characters", "a\x00b\nc\td"},
		{"looks like a key", "code:" + tokenHash("x")},
		{"one byte", "f"},
		{"128 bytes", strings.Repeat("é", 64)},
	}
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			rt := fullRefreshToken(f.id, "rt", time.Now().Add(longLife))
			rt.Subject = "subject-of-" + f.name
			noErr(t, s.CreateRefreshToken(ctx, rt), "CreateRefreshToken")
			sameRecord(t, "GetRefreshToken", rt, getRefresh(t, s, f.id, rt.Hash, "GetRefreshToken"))
			next := fullRefreshToken(f.id, "next", time.Now().Add(longLife))
			at := time.Now()
			rotate(t, s, rt, at, next, rotated(rt, at), nil, "RotateRefreshToken")
			sameRecord(t, "the next token", next, getRefresh(t, s, f.id, next.Hash, "GetRefreshToken"))
		})
	}
	// Rotating one family left the others' tokens alone.
	for _, f := range families {
		got := getRefresh(t, s, f.id, tokenHash("rt"), "GetRefreshToken")
		if got.Subject != "subject-of-"+f.name || got.OriginJTI != f.id {
			t.Errorf("family %s holds the token of %q (%q)", f.name, got.OriginJTI, got.Subject)
		}
	}
}

func testRefreshNoAliasing(t *testing.T, s store.Store) {
	ctx := t.Context()
	expiresAt := time.Now().Add(longLife)
	in := fullRefreshToken("family", "rt", expiresAt)
	want := in
	want.Scopes = []string{"openid", "offline_access", "api:read"}
	want.Audience = []string{"https://api.example.com", "urn:example:aud"}
	noErr(t, s.CreateRefreshToken(ctx, in), "CreateRefreshToken")

	scribble := func(rt *store.RefreshToken) {
		rt.Scopes[0] = "admin"
		rt.Audience[0] = "https://attacker.example"
	}
	scribble(&in)
	got := getRefresh(t, s, "family", want.Hash, "GetRefreshToken")
	sameRecord(t, "token after the caller changed what it passed to CreateRefreshToken", want, got)
	scribble(&got)
	sameRecord(t, "token after the caller changed what GetRefreshToken returned", want,
		getRefresh(t, s, "family", want.Hash, "GetRefreshToken"))

	next := fullRefreshToken("family", "next", expiresAt)
	wantNext := fullRefreshToken("family", "next", expiresAt)
	wantNext.IssuedAt = next.IssuedAt
	at := time.Now()
	old, err := s.RotateRefreshToken(ctx, "family", want.Hash, at, next)
	noErr(t, err, "RotateRefreshToken")
	scribble(&old)
	scribble(&next)
	sameRecord(t, "token after the caller changed what RotateRefreshToken returned", rotated(want, at),
		getRefresh(t, s, "family", want.Hash, "GetRefreshToken"))
	sameRecord(t, "next token after the caller changed what it passed to RotateRefreshToken", wantNext,
		getRefresh(t, s, "family", wantNext.Hash, "GetRefreshToken"))
}

// testRefreshRotateChecked: RotateRefreshTokenChecked rotates as
// RotateRefreshToken does and reads the revocation set in the same call;
// the rotation does not depend on what it reads.
func testRefreshRotateChecked(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := fullRefreshToken("Y2hlY2tlZA", "rt-c1", time.Now().Add(longLife))
	noErr(t, s.CreateRefreshToken(ctx, first), "CreateRefreshToken")
	q := store.RevocationQuery{OriginJTI: first.OriginJTI, Subject: first.Subject, Client: first.ClientID}
	at := time.Now()
	second := fullRefreshToken(first.OriginJTI, "rt-c2", time.Now().Add(longLife))
	// Twice: the first call may find Redis without the script cached.
	for i, next := range []store.RefreshToken{second, fullRefreshToken(first.OriginJTI, "rt-c3", time.Now().Add(longLife))} {
		old := first
		if i == 1 {
			old = second
			_, err := s.PutRevocation(ctx, store.Revocation{Kind: store.RevokeOrigin, ID: first.OriginJTI, Until: time.Now().Add(time.Hour).Unix()}, time.Now().Add(-time.Hour), 0)
			noErr(t, err, "PutRevocation")
		}
		got, st, err := s.RotateRefreshTokenChecked(ctx, old.OriginJTI, old.Hash, at, next, q)
		noErr(t, err, "RotateRefreshTokenChecked")
		sameRecord(t, "the old token", rotated(old, at), got)
		if st.OriginJTI != (i == 1) || st.SubjectBefore != 0 {
			t.Fatalf("rotation %d: status %+v", i, st)
		}
		sameRecord(t, "the next token", next, getRefresh(t, s, next.OriginJTI, next.Hash, "GetRefreshToken"))
	}
	// Reuse is reported as by RotateRefreshToken, nothing written.
	third := fullRefreshToken(first.OriginJTI, "rt-c4", time.Now().Add(longLife))
	_, _, err := s.RotateRefreshTokenChecked(ctx, first.OriginJTI, first.Hash, at, third, q)
	wantErr(t, err, store.ErrConflict, "reuse")
	wantNoRefresh(t, s, third.OriginJTI, third.Hash, "the next token of a reuse")
	_, _, err = s.RotateRefreshTokenChecked(ctx, first.OriginJTI, tokenHash("unknown"), at, third, q)
	wantErr(t, err, store.ErrNotFound, "unknown token")
}
