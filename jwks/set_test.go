package jwks

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/lineage-oss/lineage/secrets"
	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/memory"
)

// clock is a settable clock shared by a test's sets and store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const (
	rotateEvery  = 24 * time.Hour
	publishAhead = 10 * time.Minute
	overlap      = 2 * time.Hour
)

func newSet(t testing.TB, st store.Store, clk *clock, alg, root, owner string) *Set {
	t.Helper()
	kr, err := secrets.NewKeyring([]string{root})
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := kr.Sealer(secrets.PurposeAtRest, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(st, st, sealer, Options{Alg: alg, RotateEvery: rotateEvery, PublishAhead: publishAhead,
		Overlap: overlap, Owner: owner, Now: clk.now, Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const root = "test-root-secret-0123456789-0123456789"

func sign(t *testing.T, s *Set) string {
	t.Helper()
	tok, err := s.Sign("at+jwt", []byte(`{"sub":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func kidOf(t *testing.T, token string) string {
	t.Helper()
	jws, err := jose.ParseSignedCompact(token, supportedAlgorithms)
	if err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Protected.KeyID
}

func published(s *Set) map[string]bool {
	m := map[string]bool{}
	for _, k := range s.Public().Keys {
		m[k.KeyID] = true
	}
	return m
}

func TestRotationWithInjectedClock(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	st := memory.New(memory.Options{Now: clk.now})
	s := newSet(t, st, clk, ES256, root, "a")

	if _, err := s.Sign("at+jwt", []byte("{}")); !errors.Is(err, ErrNoSigningKey) {
		t.Fatalf("Sign before Tick = %v, want ErrNoSigningKey", err)
	}
	if err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	keys := s.Keys()
	if len(keys) != 2 || keys[0].State != "next" || keys[1].State != "current" {
		t.Fatalf("after first Tick: %+v, want one next and one current key", keys)
	}
	first, next := keys[1].KID, keys[0].KID
	oldToken := sign(t, s)
	if kidOf(t, oldToken) != first {
		t.Fatal("token not signed by the current key")
	}
	if !published(s)[next] {
		t.Fatal("the next key is not published ahead of signing")
	}

	// The next key takes over at its SignsFrom on every instance, even
	// before any Tick.
	clk.add(rotateEvery)
	newToken := sign(t, s)
	if kidOf(t, newToken) != next {
		t.Fatalf("after the rotation period tokens use kid %s, want %s", kidOf(t, newToken), next)
	}
	if _, err := s.Verify(oldToken, "at+jwt"); err != nil {
		t.Fatalf("token of the previous key no longer verifies: %v", err)
	}
	if err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	keys = s.Keys()
	if len(keys) != 3 || keys[0].State != "next" || keys[1].KID != next || keys[2].State != "retired" {
		t.Fatalf("after rotation: %+v, want next, current, retired", keys)
	}
	if want := keys[2].RetiredAt.Add(overlap); !keys[2].ExpiresAt.Equal(want) {
		t.Fatalf("retired key leaves at %v, want %v", keys[2].ExpiresAt, want)
	}

	// Past the overlap the retired key is dropped and its tokens fail.
	clk.add(overlap + time.Second)
	if published(s)[first] {
		t.Fatal("retired key still published after its overlap")
	}
	if err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	recs, _ := st.ListSigningKeys(ctx)
	for _, r := range recs {
		if r.KID == first {
			t.Fatal("retired key still stored after its overlap")
		}
	}
	if _, err := s.Verify(oldToken, "at+jwt"); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("token of a dropped key: %v, want ErrInvalidToken", err)
	}
	if _, err := s.Verify(newToken, "at+jwt"); err != nil {
		t.Fatalf("token of the current key: %v", err)
	}
}

func TestForcedRotationPublishesAhead(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	st := memory.New(memory.Options{Now: clk.now})
	s := newSet(t, st, clk, ES256, root, "a")
	if err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	cur, _ := s.Current()

	// The next key was created just now: it may not sign before it has
	// been published for PublishAhead.
	taking, err := s.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := clk.now().Add(publishAhead); !taking.SignsFrom.Equal(want) {
		t.Fatalf("rotated key signs from %v, want %v", taking.SignsFrom, want)
	}
	if !published(s)[taking.KID] {
		t.Fatal("rotated key not published before it signs")
	}
	if kidOf(t, sign(t, s)) != cur.KID {
		t.Fatal("rotated key signs before publish-ahead passed")
	}
	clk.add(publishAhead)
	if kidOf(t, sign(t, s)) != taking.KID {
		t.Fatal("rotated key does not sign after publish-ahead")
	}

	// A next key published long enough ago takes over at once.
	clk.add(publishAhead)
	again, err := s.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !again.SignsFrom.Equal(clk.now()) || kidOf(t, sign(t, s)) != again.KID {
		t.Fatalf("a key published for publish-ahead did not take over at once: %+v", again)
	}
}

func TestPrivateKeysSealedAtRest(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Now()}
	st := memory.New(memory.Options{Now: clk.now})
	s := newSet(t, st, clk, ES256, root, "a")
	if err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	recs, _ := st.ListSigningKeys(ctx)
	for _, r := range recs {
		var pub map[string]any
		if err := json.Unmarshal(r.PublicJWK, &pub); err != nil {
			t.Fatal(err)
		}
		if _, ok := pub["d"]; ok {
			t.Fatal("private part stored in the public JWK")
		}
		cur := s.snap.Load().lookup(r.KID)
		d := base64.RawURLEncoding.EncodeToString(cur.private.Key.(*ecdsa.PrivateKey).D.Bytes())
		if strings.Contains(string(r.SealedPrivate), d) || strings.Contains(string(r.PublicJWK), d) {
			t.Fatal("private key stored in the clear")
		}
	}
	other := newSet(t, st, clk, ES256, "another-root-secret-0123456789-012345", "b")
	if err := other.Reload(ctx); err == nil {
		t.Fatal("keys sealed under one system secret opened under another")
	}
}

func TestConcurrentInstancesRotateOnce(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Now()}
	st := memory.New(memory.Options{Now: clk.now})
	var wg sync.WaitGroup
	for i := range 8 {
		s := newSet(t, st, clk, ES256, root, string(rune('a'+i)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Tick(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	recs, _ := st.ListSigningKeys(ctx)
	if len(recs) > 2 {
		t.Fatalf("%d keys after concurrent first ticks, want at most 2", len(recs))
	}
}

func TestAlgorithms(t *testing.T) {
	for _, alg := range []string{ES256, RS256, EdDSA} {
		t.Run(alg, func(t *testing.T) {
			clk := &clock{t: time.Now()}
			st := memory.New(memory.Options{Now: clk.now})
			s := newSet(t, st, clk, alg, root, "a")
			if err := s.Tick(context.Background()); err != nil {
				t.Fatal(err)
			}
			tok := sign(t, s)
			v, err := s.Verify(tok, "at+jwt")
			if err != nil || v.Alg != alg || string(v.Payload) != `{"sub":"x"}` {
				t.Fatalf("Verify = %+v, %v", v, err)
			}
			for _, k := range s.Public().Keys {
				if !k.IsPublic() || k.Algorithm != alg || k.Use != "sig" {
					t.Fatalf("published key %+v", k)
				}
			}
		})
	}
}

func TestVerifyRefusesForgeries(t *testing.T) {
	clk := &clock{t: time.Now()}
	st := memory.New(memory.Options{Now: clk.now})
	s := newSet(t, st, clk, ES256, root, "a")
	if err := s.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	good := sign(t, s)
	cur, _ := s.Current()
	header, payload, _ := strings.Cut(good, ".")
	payload, _, _ = strings.Cut(payload, ".")
	b64 := func(v string) string { return base64.RawURLEncoding.EncodeToString([]byte(v)) }

	foreign, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	foreignJWK := jose.JSONWebKey{Key: foreign, KeyID: cur.KID, Algorithm: ES256}
	signWith := func(key jose.JSONWebKey, alg jose.SignatureAlgorithm, opts *jose.SignerOptions) string {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
		if err != nil {
			t.Fatal(err)
		}
		jws, _ := signer.Sign([]byte(`{"sub":"x"}`))
		out, _ := jws.CompactSerialize()
		return out
	}
	pubJSON, _ := json.Marshal(s.Public().Keys[0])
	hmacKey := jose.JSONWebKey{Key: pubJSON, KeyID: cur.KID, Algorithm: "HS256"}
	embedded := (&jose.SignerOptions{EmbedJWK: true}).WithType("at+jwt")

	tests := []struct {
		name  string
		token string
		typ   string
	}{
		{name: "alg none", token: b64(`{"alg":"none","kid":"`+cur.KID+`","typ":"at+jwt"}`) + "." + payload + ".", typ: "at+jwt"},
		{name: "HS256 keyed with the public key", token: signWith(hmacKey, jose.HS256, (&jose.SignerOptions{}).WithType("at+jwt")), typ: "at+jwt"},
		{name: "foreign key under our kid", token: signWith(foreignJWK, jose.ES256, (&jose.SignerOptions{}).WithType("at+jwt")), typ: "at+jwt"},
		{name: "embedded jwk", token: signWith(jose.JSONWebKey{Key: foreign, Algorithm: ES256}, jose.ES256, embedded), typ: "at+jwt"},
		{name: "wrong typ", token: good, typ: "jwt"},
		{name: "tampered payload", token: header + "." + b64(`{"sub":"admin"}`) + "." + strings.Split(good, ".")[2], typ: "at+jwt"},
		{name: "garbage", token: "a.b.c", typ: ""},
		{name: "empty", token: "", typ: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Verify(tt.token, tt.typ); !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify = %v, want ErrInvalidToken", err)
			}
		})
	}
	if _, err := s.Verify(good, "at+jwt"); err != nil {
		t.Fatalf("genuine token refused: %v", err)
	}
}

func TestEmergencyDelete(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	st := memory.New(memory.Options{Now: clk.now})
	s := newSet(t, st, clk, ES256, root, "a")
	if err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	clk.add(rotateEvery) // one retired-to-be key, a current one and a next one after the Tick
	if err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	cur, _ := s.Current()
	signed := sign(t, s)
	if err := s.Delete(ctx, cur.KID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(signed, "at+jwt"); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("a token of the deleted key still verifies: %v", err)
	}
	if published(s)[cur.KID] {
		t.Fatal("the deleted key is still published")
	}
	now, ok := s.Current()
	if !ok || now.KID == cur.KID {
		t.Fatal("no key signs after the emergency delete")
	}
	for _, k := range s.Keys() {
		if k.State == "retired" && k.KID == now.KID {
			t.Fatal("a retired key signs again")
		}
	}
	if kidOf(t, sign(t, s)) != now.KID {
		t.Fatal("new tokens do not use the key that took over")
	}
	if err := s.Delete(ctx, "no-such-kid"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete(unknown) = %v, want ErrNotFound", err)
	}
}
