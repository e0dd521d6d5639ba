package oauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/store"
)

const (
	bearerIssuer   = "https://idp.example.com"
	bearerAudience = "urn:lineage:test"
)

// bearerClock is a settable clock.
type bearerClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *bearerClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *bearerClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// bearerKey is a signing key of the test issuer.
type bearerKey struct {
	alg  jose.SignatureAlgorithm
	kid  string
	priv crypto.Signer
}

func newBearerKey(t testing.TB, alg jose.SignatureAlgorithm, kid string) bearerKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return bearerKey{alg: alg, kid: kid, priv: priv}
}

func (k bearerKey) public() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
}

func jwksOf(keys ...bearerKey) json.RawMessage {
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.public())
	}
	b, _ := json.Marshal(set)
	return b
}

// sign signs claims with k, adding extra header parameters.
func (k bearerKey) sign(t testing.TB, claims map[string]any, extra map[jose.HeaderKey]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	for h, v := range extra {
		opts = opts.WithHeader(h, v)
	}
	if k.kid != "" {
		opts = opts.WithHeader("kid", k.kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rawJWS builds a compact JWS with header and claims and the signature sig
// computes over the signing input.
func rawJWS(header, claims map[string]any, sig func(input []byte) []byte) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	return input + "." + base64.RawURLEncoding.EncodeToString(sig([]byte(input)))
}

// goodClaims are the claims of a valid assertion at now.
func goodClaims(now time.Time, jti string) map[string]any {
	return map[string]any{
		"iss": bearerIssuer, "sub": "user-1", "aud": []string{"other", bearerAudience},
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": jti,
		"email": "alice@example.com",
	}
}

func bearerProvider(clk *bearerClock, httpClient *http.Client) *Provider {
	return &Provider{
		opts:       Options{Now: clk.now, Leeway: 30 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		issuerKeys: newIssuerKeys(httpClient, clk.now),
	}
}

func bearerClient(issuers ...store.TrustedTokenIssuer) *Client {
	return &Client{Client: store.Client{ID: "app", GrantTypes: []string{GrantJWTBearer}, TrustedTokenIssuers: issuers}}
}

func wantGrantError(t *testing.T, err error, code string) {
	t.Helper()
	var rfc *fosite.RFC6749Error
	if !errors.As(err, &rfc) || rfc.ErrorField != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

// TestVerifyBearerAssertion: only an assertion signed with a pinned
// asymmetric algorithm by a key of the issuer its iss names, for the
// configured audience, short-lived, with a jti and a user claim is
// accepted.
func TestVerifyBearerAssertion(t *testing.T) {
	clk := &bearerClock{t: time.Unix(1_800_000_000, 0)}
	now := clk.now()
	es := newBearerKey(t, jose.ES256, "es")
	rs := newBearerKey(t, jose.RS256, "rs")
	ed := newBearerKey(t, jose.EdDSA, "ed")
	other := newBearerKey(t, jose.ES256, "es") // same kid, another key
	client := bearerClient(
		store.TrustedTokenIssuer{Issuer: bearerIssuer, JWKS: jwksOf(es, rs, ed), Audience: bearerAudience},
		store.TrustedTokenIssuer{Issuer: "https://mail.example.com", JWKS: jwksOf(es), Audience: bearerAudience, UserClaim: "email"},
	)
	p := bearerProvider(clk, nil)
	with := func(change func(c map[string]any)) map[string]any {
		c := goodClaims(now, "j1")
		change(c)
		return c
	}
	rsaPub, _ := x509.MarshalPKIXPublicKey(rs.priv.Public())
	tests := []struct {
		name        string
		assertion   string
		wantErr     string // "" accepted
		wantSubject string
	}{
		{name: "ES256", assertion: es.sign(t, goodClaims(now, "j1"), nil), wantSubject: "user-1"},
		{name: "RS256", assertion: rs.sign(t, goodClaims(now, "j1"), nil), wantSubject: "user-1"},
		{name: "EdDSA", assertion: ed.sign(t, goodClaims(now, "j1"), nil), wantSubject: "user-1"},
		{name: "user claim", assertion: es.sign(t, with(func(c map[string]any) { c["iss"] = "https://mail.example.com" }), nil), wantSubject: "alice@example.com"},
		{name: "exp within the leeway", assertion: es.sign(t, with(func(c map[string]any) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-5*time.Minute).Unix(), now.Add(-5*time.Minute).Unix(), now.Add(-10*time.Second).Unix()
		}), nil), wantSubject: "user-1"},
		{name: "single aud string", assertion: es.sign(t, with(func(c map[string]any) { c["aud"] = bearerAudience }), nil), wantSubject: "user-1"},

		{name: "another key with the kid", assertion: other.sign(t, goodClaims(now, "j1"), nil), wantErr: "invalid_grant"},
		{name: "unknown kid", assertion: newBearerKey(t, jose.ES256, "nope").sign(t, goodClaims(now, "j1"), nil), wantErr: "invalid_grant"},
		{name: "alg none", assertion: rawJWS(map[string]any{"alg": "none"}, goodClaims(now, "j1"), func([]byte) []byte { return nil }), wantErr: "invalid_grant"},
		{name: "HS256 keyed with the public key", assertion: rawJWS(map[string]any{"alg": "HS256", "kid": "rs"}, goodClaims(now, "j1"), func(in []byte) []byte {
			m := hmac.New(sha256.New, rsaPub)
			m.Write(in)
			return m.Sum(nil)
		}), wantErr: "invalid_grant"},
		{name: "RS256 header on an EC key's kid", assertion: rawJWS(map[string]any{"alg": "RS256", "kid": "es"}, goodClaims(now, "j1"), func(in []byte) []byte {
			sum := sha256.Sum256(in)
			sig, _ := rs.priv.Sign(rand.Reader, sum[:], crypto.SHA256)
			return sig
		}), wantErr: "invalid_grant"},
		{name: "embedded jwk", assertion: other.sign(t, goodClaims(now, "j1"), map[jose.HeaderKey]any{"jwk": other.public()}), wantErr: "invalid_grant"},
		{name: "jku", assertion: es.sign(t, goodClaims(now, "j1"), map[jose.HeaderKey]any{"jku": "https://evil.example/jwks"}), wantErr: "invalid_grant"},
		{name: "x5u", assertion: es.sign(t, goodClaims(now, "j1"), map[jose.HeaderKey]any{"x5u": "https://evil.example/cert"}), wantErr: "invalid_grant"},
		{name: "crit", assertion: es.sign(t, goodClaims(now, "j1"), map[jose.HeaderKey]any{"crit": []string{"exp"}}), wantErr: "invalid_grant"},
		{name: "untrusted iss", assertion: es.sign(t, with(func(c map[string]any) { c["iss"] = "https://evil.example" }), nil), wantErr: "invalid_grant"},
		{name: "iss differs in case", assertion: es.sign(t, with(func(c map[string]any) { c["iss"] = "https://IDP.example.com" }), nil), wantErr: "invalid_grant"},
		{name: "no iss", assertion: es.sign(t, with(func(c map[string]any) { delete(c, "iss") }), nil), wantErr: "invalid_grant"},
		{name: "wrong aud", assertion: es.sign(t, with(func(c map[string]any) { c["aud"] = "urn:lineage:other" }), nil), wantErr: "invalid_grant"},
		{name: "aud prefix", assertion: es.sign(t, with(func(c map[string]any) { c["aud"] = "urn:lineage:tes" }), nil), wantErr: "invalid_grant"},
		{name: "no exp", assertion: es.sign(t, with(func(c map[string]any) { delete(c, "exp") }), nil), wantErr: "invalid_grant"},
		{name: "expired", assertion: es.sign(t, with(func(c map[string]any) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-5*time.Minute).Unix(), now.Add(-5*time.Minute).Unix(), now.Add(-time.Minute).Unix()
		}), nil), wantErr: "invalid_grant"},
		{name: "exp too far", assertion: es.sign(t, with(func(c map[string]any) { c["exp"] = now.Add(11 * time.Minute).Unix() }), nil), wantErr: "invalid_grant"},
		{name: "exp too far after iat", assertion: es.sign(t, with(func(c map[string]any) {
			c["iat"], c["exp"] = now.Add(-8*time.Minute).Unix(), now.Add(3*time.Minute).Unix()
		}), nil), wantErr: "invalid_grant"},
		{name: "nbf in the future", assertion: es.sign(t, with(func(c map[string]any) { c["nbf"] = now.Add(time.Minute).Unix() }), nil), wantErr: "invalid_grant"},
		{name: "iat in the future", assertion: es.sign(t, with(func(c map[string]any) { c["iat"] = now.Add(time.Minute).Unix() }), nil), wantErr: "invalid_grant"},
		{name: "no jti", assertion: es.sign(t, with(func(c map[string]any) { delete(c, "jti") }), nil), wantErr: "invalid_grant"},
		{name: "no sub", assertion: es.sign(t, with(func(c map[string]any) { delete(c, "sub") }), nil), wantErr: "invalid_grant"},
		{name: "user claim not a string", assertion: es.sign(t, with(func(c map[string]any) {
			c["iss"], c["email"] = "https://mail.example.com", []string{"a@example.com"}
		}), nil), wantErr: "invalid_grant"},
		{name: "not a JWS", assertion: "a.b.c", wantErr: "invalid_grant"},
		{name: "too large", assertion: es.sign(t, with(func(c map[string]any) { c["pad"] = strings.Repeat("x", maxAssertionBytes) }), nil), wantErr: "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.verifyBearerAssertion(context.Background(), client, tt.assertion)
			if tt.wantErr != "" {
				wantGrantError(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if got.subject != tt.wantSubject || got.id != "j1" || got.expiry.IsZero() {
				t.Fatalf("claims %+v", got)
			}
		})
	}
}

// TestIssuerKeysFetch: a jwks_uri is fetched over https with the injected
// client, cached for jwksMaxAge, fetched again early for an unknown kid but
// no more often than jwksMinRefetch; oversized sets, http URLs and
// redirects to http are refused.
func TestIssuerKeysFetch(t *testing.T) {
	clk := &bearerClock{t: time.Unix(1_800_000_000, 0)}
	k1 := newBearerKey(t, jose.ES256, "k1")
	k2 := newBearerKey(t, jose.ES256, "k2")
	var (
		mu      sync.Mutex
		served  = jwksOf(k1)
		fetches atomic.Int32
		down    atomic.Bool
	)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case down.Load() && r.URL.Path == "/jwks":
			http.NotFound(w, r)
		case r.URL.Path == "/jwks":
			fetches.Add(1)
			mu.Lock()
			defer mu.Unlock()
			_, _ = w.Write(served)
		case r.URL.Path == "/huge":
			_, _ = w.Write([]byte(`{"keys":[],"pad":"` + strings.Repeat("x", maxJWKSBytes) + `"}`))
		case r.URL.Path == "/to-http":
			http.Redirect(w, r, "http://"+r.Host+"/jwks", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	p := bearerProvider(clk, srv.Client())
	client := bearerClient(store.TrustedTokenIssuer{Issuer: bearerIssuer, JWKSURI: srv.URL + "/jwks", Audience: bearerAudience})
	ctx := context.Background()
	jti := 0
	verify := func(k bearerKey) error {
		jti++
		_, err := p.verifyBearerAssertion(ctx, client, k.sign(t, goodClaims(clk.now(), "j"+string(rune('a'+jti))), nil))
		return err
	}

	if err := verify(k1); err != nil {
		t.Fatal(err)
	}
	if err := verify(k1); err != nil || fetches.Load() != 1 {
		t.Fatalf("second verification: %v, %d fetches, want 1 (cached)", err, fetches.Load())
	}
	// The issuer rotates to k2: an assertion with the unknown kid fetches
	// again, but not within jwksMinRefetch of the last fetch.
	mu.Lock()
	served = jwksOf(k1, k2)
	mu.Unlock()
	if err := verify(k2); err == nil || fetches.Load() != 1 {
		t.Fatalf("unknown kid right after a fetch: %v, %d fetches, want refused without a fetch", err, fetches.Load())
	}
	clk.add(jwksMinRefetch)
	if err := verify(k2); err != nil || fetches.Load() != 2 {
		t.Fatalf("unknown kid after the rate limit: %v, %d fetches", err, fetches.Load())
	}
	clk.add(jwksMaxAge)
	if err := verify(k1); err != nil || fetches.Load() != 3 {
		t.Fatalf("after jwksMaxAge: %v, %d fetches, want a new fetch", err, fetches.Load())
	}
	// A failed fetch keeps the cached set.
	down.Store(true)
	clk.add(jwksMaxAge)
	if err := verify(k2); err != nil {
		t.Fatalf("a failed fetch dropped the cached set: %v", err)
	}

	for path, want := range map[string]string{"/huge": "larger than", "/to-http": "https only"} {
		if _, err := p.issuerKeys.fetch(ctx, srv.URL+path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("fetch %s: %v, want an error saying %q", path, err, want)
		}
	}
	for _, uri := range []string{srv.URL + "/huge", srv.URL + "/to-http", "http" + strings.TrimPrefix(srv.URL, "https") + "/jwks"} {
		c := bearerClient(store.TrustedTokenIssuer{Issuer: bearerIssuer, JWKSURI: uri, Audience: bearerAudience})
		_, err := p.verifyBearerAssertion(ctx, c, k1.sign(t, goodClaims(clk.now(), "x"), nil))
		wantGrantError(t, err, "temporarily_unavailable")
	}
}

// FuzzJWTBearer: the assertion parser and verifier never panic, and never
// accept an assertion other than the valid ones it was seeded with (any
// mutation of a signed assertion must fail; non-canonical base64 too).
func FuzzJWTBearer(f *testing.F) {
	clk := &bearerClock{t: time.Unix(1_800_000_000, 0)}
	ed := newBearerKey(f, jose.EdDSA, "ed")
	rs := newBearerKey(f, jose.RS256, "rs")
	client := bearerClient(store.TrustedTokenIssuer{Issuer: bearerIssuer, JWKS: jwksOf(ed, rs), Audience: bearerAudience, UserClaim: "email"})
	p := bearerProvider(clk, nil)
	valid := map[string]bool{}
	for _, k := range []bearerKey{ed, rs} {
		a := k.sign(f, goodClaims(clk.now(), "fuzz"), nil)
		valid[a] = true
		f.Add(a)
	}
	f.Add(rawJWS(map[string]any{"alg": "none"}, goodClaims(clk.now(), "fuzz"), func([]byte) []byte { return nil }))
	f.Add(ed.sign(f, goodClaims(clk.now(), "fuzz"), map[jose.HeaderKey]any{"jku": "https://evil.example/jwks"}))
	f.Add("e30.e30.")
	f.Fuzz(func(t *testing.T, assertion string) {
		got, err := p.verifyBearerAssertion(context.Background(), client, assertion)
		if err == nil && !valid[assertion] {
			t.Fatalf("a mutated assertion was accepted: %q → %+v", assertion, got)
		}
	})
}
