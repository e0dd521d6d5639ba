package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

func signingKeyTests() []test {
	return []test{
		{"ListOrderedBySignsFrom", testKeysOrder},
		{"PutReplaces", testKeysReplace},
		{"Delete", testKeysDelete},
		{"NoAliasing", testKeysNoAliasing},
	}
}

// signingKey returns a key with every field set that starts signing at
// signsFrom.
func signingKey(kid string, signsFrom time.Time) store.SigningKey {
	return store.SigningKey{
		KID:           kid,
		Alg:           "ES256",
		PublicJWK:     json.RawMessage(`{ "kty": "EC", "crv": "P-256", "kid": "` + kid + `", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" }`),
		SealedPrivate: []byte("nonce||ciphertext||tag of " + kid + "\x00\xff"),
		CreatedAt:     signsFrom.Add(-time.Hour),
		SignsFrom:     signsFrom,
	}
}

// putKeys stores three keys, not in SignsFrom order, and returns them in
// that order.
func putKeys(t *testing.T, s store.Store) []store.SigningKey {
	t.Helper()
	now := time.Now()
	next := signingKey("next", now.Add(24*time.Hour))
	current := signingKey("current", now)
	old := signingKey("old", now.Add(-30*24*time.Hour).In(time.FixedZone("UTC-8", -8*3600)))
	for _, k := range []store.SigningKey{next, old, current} {
		noErr(t, s.PutSigningKey(t.Context(), k), "PutSigningKey "+k.KID)
	}
	return []store.SigningKey{old, current, next}
}

// sameKeys fails t unless got holds want's keys, field for field, in order.
func sameKeys(t *testing.T, what string, want, got []store.SigningKey) {
	t.Helper()
	if !slices.Equal(kids(got), kids(want)) {
		t.Fatalf("%s = %q, want %q", what, kids(got), kids(want))
	}
	for i := range want {
		sameRecord(t, what+"["+want[i].KID+"]", want[i], got[i])
	}
}

func testKeysOrder(t *testing.T, s store.Store) {
	ctx := t.Context()
	got, err := s.ListSigningKeys(ctx)
	noErr(t, err, "ListSigningKeys of an empty store")
	if len(got) != 0 {
		t.Fatalf("empty store lists %d keys", len(got))
	}

	want := putKeys(t, s)
	everyFieldSet(t, want[0])
	got, err = s.ListSigningKeys(ctx)
	noErr(t, err, "ListSigningKeys")
	sameKeys(t, "ListSigningKeys", want, got)
}

func testKeysReplace(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := putKeys(t, s)

	// Replacing "next" with an earlier SignsFrom moves it first.
	moved := signingKey("next", want[0].SignsFrom.Add(-time.Minute))
	moved.Alg = "RS256"
	moved.PublicJWK = json.RawMessage(`{"kty":"RSA","kid":"next","n":"0vx7","e":"AQAB"}`)
	moved.SealedPrivate = []byte("replaced")
	noErr(t, s.PutSigningKey(ctx, moved), "PutSigningKey replacing next")

	got, err := s.ListSigningKeys(ctx)
	noErr(t, err, "ListSigningKeys")
	sameKeys(t, "ListSigningKeys after a replace", []store.SigningKey{moved, want[0], want[1]}, got)
}

func testKeysDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := putKeys(t, s)

	noErr(t, s.DeleteSigningKey(ctx, "current"), "DeleteSigningKey")
	got, err := s.ListSigningKeys(ctx)
	noErr(t, err, "ListSigningKeys")
	sameKeys(t, "ListSigningKeys after a delete", []store.SigningKey{want[0], want[2]}, got)

	wantErr(t, s.DeleteSigningKey(ctx, "current"), store.ErrNotFound, "second DeleteSigningKey")
	wantErr(t, s.DeleteSigningKey(ctx, "never-stored"), store.ErrNotFound, "DeleteSigningKey of an unknown kid")

	noErr(t, s.DeleteSigningKey(ctx, "old"), "DeleteSigningKey old")
	noErr(t, s.DeleteSigningKey(ctx, "next"), "DeleteSigningKey next")
	got, err = s.ListSigningKeys(ctx)
	noErr(t, err, "ListSigningKeys")
	if len(got) != 0 {
		t.Errorf("ListSigningKeys after deleting every key = %q", kids(got))
	}
}

func testKeysNoAliasing(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Now()
	in := signingKey("k", now)
	want := signingKey("k", now)
	noErr(t, s.PutSigningKey(ctx, in), "PutSigningKey")

	scribble := func(k *store.SigningKey) {
		k.PublicJWK[0] = '['
		k.SealedPrivate[0] ^= 0xff
	}
	scribble(&in)
	got, err := s.ListSigningKeys(ctx)
	noErr(t, err, "ListSigningKeys")
	sameKeys(t, "keys after the caller changed what it passed to PutSigningKey", []store.SigningKey{want}, got)

	scribble(&got[0])
	again, err := s.ListSigningKeys(ctx)
	noErr(t, err, "ListSigningKeys")
	sameKeys(t, "keys after the caller changed what ListSigningKeys returned", []store.SigningKey{want}, again)
}
