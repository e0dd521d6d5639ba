package oauth

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/ory/fosite/token/jwt"

	"github.com/lineage-oss/lineage/jwks"
	"github.com/lineage-oss/lineage/secrets"
	"github.com/lineage-oss/lineage/store/memory"
)

func testKeys(t *testing.T, now func() time.Time) *jwks.Set {
	t.Helper()
	st := memory.New(memory.Options{Now: now})
	kr, _ := secrets.NewKeyring([]string{"oauth-test-root-secret-0123456789-abcdef"})
	sealer, _ := kr.Sealer(secrets.PurposeAtRest, rand.Reader)
	keys, err := jwks.New(st, st, sealer, jwks.Options{RotateEvery: 24 * time.Hour, PublishAhead: time.Minute,
		Overlap: time.Hour, Owner: "t", Now: now, Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestSignerServesFosite checks the go-jose v4 jwt.Signer through the
// interface fosite uses for ID tokens.
func TestSignerServesFosite(t *testing.T) {
	ctx := context.Background()
	var s jwt.Signer = NewSigner(testKeys(t, time.Now))
	now := time.Now()
	token, sig, err := s.Generate(ctx, jwt.MapClaims{"sub": "alice", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()},
		&jwt.Headers{Extra: map[string]any{"typ": "JWT"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetSignature(ctx, token); err != nil || got != sig {
		t.Fatalf("GetSignature = %q, %v; Generate said %q", got, err, sig)
	}
	if got, err := s.Validate(ctx, token); err != nil || got != sig {
		t.Fatalf("Validate = %q, %v", got, err)
	}
	decoded, err := s.Decode(ctx, token)
	if err != nil || !decoded.Valid() || decoded.Claims["sub"] != "alice" || decoded.Header["typ"] != "JWT" {
		t.Fatalf("Decode = %+v, %v", decoded, err)
	}
	expired, _, err := s.Generate(ctx, jwt.MapClaims{"sub": "alice", "exp": now.Add(-time.Hour).Unix()}, &jwt.Headers{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decode(ctx, expired); err == nil {
		t.Fatal("Decode accepted an expired token")
	}
	foreign := NewSigner(testKeys(t, time.Now))
	if _, err := foreign.Validate(ctx, token); err == nil {
		t.Fatal("a token of another key set validated")
	}
	if n := s.GetSigningMethodLength(ctx); n != 32 {
		t.Fatalf("GetSigningMethodLength = %d", n)
	}
}
