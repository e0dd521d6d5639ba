package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2/clientcredentials"
)

type tokenResponse struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func postToken(t *testing.T, issuer string, form url.Values, user, pass string) tokenResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, issuer+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	return tokenResponse{status: resp.StatusCode, header: resp.Header, body: body, raw: string(raw)}
}

func cc(extra ...string) url.Values {
	v := url.Values{"grant_type": {"client_credentials"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Add(extra[i], extra[i+1])
	}
	return v
}

func TestTokenEndpointAnswers(t *testing.T) {
	iss := startIssuer(t, "{}")
	tests := []struct {
		name       string
		form       url.Values
		user, pass string
		wantStatus int
		wantError  string
		check      func(t *testing.T, r tokenResponse)
	}{
		{name: "default scopes leave out user scopes", form: cc(), user: "svc", pass: svcSecret, wantStatus: 200,
			check: func(t *testing.T, r tokenResponse) {
				if r.body["scope"] != "read write" {
					t.Fatalf("scope %v, want the client's scopes without openid", r.body["scope"])
				}
				c, _ := verifyAccessToken(t, iss.url, r.body["access_token"].(string))
				if len(c.Audience) != 2 {
					t.Fatalf("aud %v, want the client's two audiences", c.Audience)
				}
			}},
		{name: "per-client lifetime and default audience", form: cc(), user: "short-lived", pass: svcSecret, wantStatus: 200,
			check: func(t *testing.T, r tokenResponse) {
				if r.body["expires_in"] != float64(300) {
					t.Fatalf("expires_in %v, want 300", r.body["expires_in"])
				}
				c, _ := verifyAccessToken(t, iss.url, r.body["access_token"].(string))
				if len(c.Audience) != 1 || c.Audience[0] != iss.url || c.Expiry.Time().Sub(c.IssuedAt.Time()) != 5*time.Minute {
					t.Fatalf("claims %+v, want aud = issuer and a 5m lifetime", c)
				}
			}},
		{name: "audience parameter", form: cc("audience", "https://other.example.com"), user: "svc", pass: svcSecret, wantStatus: 200,
			check: func(t *testing.T, r tokenResponse) {
				c, _ := verifyAccessToken(t, iss.url, r.body["access_token"].(string))
				if len(c.Audience) != 1 || c.Audience[0] != "https://other.example.com" {
					t.Fatalf("aud %v", c.Audience)
				}
			}},
		{name: "wrong secret", form: cc(), user: "svc", pass: "wrong", wantStatus: 401, wantError: "invalid_client"},
		{name: "unknown client", form: cc(), user: "nobody", pass: svcSecret, wantStatus: 401, wantError: "invalid_client"},
		{name: "disabled client", form: cc(), user: "off", pass: svcSecret, wantStatus: 401, wantError: "invalid_client"},
		{name: "secret in body and header", form: cc("client_id", "svc", "client_secret", svcSecret), user: "svc", pass: svcSecret, wantStatus: 400, wantError: "invalid_request"},
		{name: "public client", form: cc("client_id", "spa"), wantStatus: 400, wantError: "unauthorized_client"},
		{name: "no credentials", form: cc(), wantStatus: 400, wantError: "invalid_request"},
		{name: "scope not allowed", form: cc("scope", "read admin"), user: "svc", pass: svcSecret, wantStatus: 400, wantError: "invalid_scope"},
		{name: "audience not allowed", form: cc("audience", "https://evil.example.com"), user: "svc", pass: svcSecret, wantStatus: 400, wantError: "invalid_target"},
		{name: "resource prefix is not a match", form: cc("resource", "https://api.example.com/sub"), user: "svc", pass: svcSecret, wantStatus: 400, wantError: "invalid_target"},
		{name: "resource with fragment", form: cc("resource", "https://api.example.com#x"), user: "svc", pass: svcSecret, wantStatus: 400, wantError: "invalid_target"},
		{name: "unsupported grant", form: url.Values{"grant_type": {"password"}, "username": {"a"}}, user: "svc", pass: svcSecret, wantStatus: 400, wantError: "unsupported_grant_type"},
		{name: "client not allowed the grant", form: url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, user: "svc", pass: svcSecret, wantStatus: 400, wantError: "unauthorized_client"},
		{name: "missing grant_type", form: url.Values{"scope": {"read"}}, user: "svc", pass: svcSecret, wantStatus: 400, wantError: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := postToken(t, iss.url, tt.form, tt.user, tt.pass)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.raw)
			}
			if got := r.header.Get("Cache-Control"); got != "no-store" {
				t.Fatalf("Cache-Control %q, want no-store", got)
			}
			if tt.wantError != "" {
				if r.body["error"] != tt.wantError {
					t.Fatalf("error %v, want %s: %s", r.body["error"], tt.wantError, r.raw)
				}
				if _, ok := r.body["access_token"]; ok {
					t.Fatal("an error response carries a token")
				}
				if strings.Contains(r.raw, svcSecret) {
					t.Fatal("the response echoes the secret")
				}
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestBadClientsLookAlike(t *testing.T) {
	iss := startIssuer(t, "{}")
	wrong := postToken(t, iss.url, cc(), "svc", "wrong-secret")
	unknown := postToken(t, iss.url, cc(), "nobody", "wrong-secret")
	disabled := postToken(t, iss.url, cc(), "off", svcSecret)
	if wrong.raw != unknown.raw || wrong.raw != disabled.raw || wrong.status != unknown.status || wrong.status != disabled.status {
		t.Fatalf("answers differ:\nwrong secret: %d %s\nunknown: %d %s\ndisabled: %d %s",
			wrong.status, wrong.raw, unknown.status, unknown.raw, disabled.status, disabled.raw)
	}
	if wrong.header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate (RFC 6749 §5.2)")
	}
}

func TestRequestLimits(t *testing.T) {
	iss := startIssuer(t, "{}")
	big := cc("scope", strings.Repeat("a", 70<<10))
	if r := postToken(t, iss.url, big, "svc", svcSecret); r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d %s", r.status, r.raw)
	}
	resp, err := http.Get(iss.url + "/token?grant_type=client_credentials")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /token: %d", resp.StatusCode)
	}
}

// assertion builds a private_key_jwt client assertion (RFC 7523 §3).
func assertion(t *testing.T, key any, kid string, alg jose.SignatureAlgorithm, claims jwt.Claims) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", kid).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPrivateKeyJWT(t *testing.T) {
	iss := startIssuer(t, "{}")
	const id = "arn:aws:iam::111122223333:role/keyed"
	now := iss.clock.now()
	claims := func(mut func(*jwt.Claims)) jwt.Claims {
		c := jwt.Claims{Issuer: id, Subject: id, Audience: jwt.Audience{iss.url + "/token"},
			Expiry: jwt.NewNumericDate(now.Add(2 * time.Minute)), IssuedAt: jwt.NewNumericDate(now),
			ID: rand.Text()}
		if mut != nil {
			mut(&c)
		}
		return c
	}
	form := func(a string) url.Values {
		return cc("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion", a)
	}

	// The real client library, with the assertion as endpoint parameters.
	good := assertion(t, iss.key, "k1", jose.ES256, claims(nil))
	ccfg := clientcredentials.Config{TokenURL: iss.url + "/token", EndpointParams: url.Values{
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {good}}}
	tok, err := ccfg.Token(context.Background())
	if err != nil {
		t.Fatalf("private_key_jwt: %v", err)
	}
	if c, _ := verifyAccessToken(t, iss.url, tok.AccessToken); c.Subject != id || c.ClientID != id {
		t.Fatalf("claims %+v", c)
	}
	if r := postToken(t, iss.url, form(good), "", ""); r.status != 401 || r.body["error"] != "invalid_client" {
		t.Fatalf("replayed assertion: %d %s", r.status, r.raw)
	}

	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	publicJWK, _ := json.Marshal(jose.JSONWebKey{Key: &iss.key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"})
	tests := []struct {
		name string
		a    string
	}{
		{name: "foreign key", a: assertion(t, other, "k1", jose.ES256, claims(nil))},
		{name: "wrong audience", a: assertion(t, iss.key, "k1", jose.ES256, claims(func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://elsewhere"} }))},
		{name: "expired", a: assertion(t, iss.key, "k1", jose.ES256, claims(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(-time.Hour)) }))},
		{name: "expires too late", a: assertion(t, iss.key, "k1", jose.ES256, claims(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(48 * time.Hour)) }))},
		{name: "no jti", a: assertion(t, iss.key, "k1", jose.ES256, claims(func(c *jwt.Claims) { c.ID = "" }))},
		{name: "issuer differs", a: assertion(t, iss.key, "k1", jose.ES256, claims(func(c *jwt.Claims) { c.Issuer = "svc" }))},
		{name: "HS256 with the public key", a: assertion(t, publicJWK, "k1", jose.HS256, claims(nil))},
		{name: "not a JWT", a: "not-a-jwt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := postToken(t, iss.url, form(tt.a), "", "")
			if r.status != 401 || r.body["error"] != "invalid_client" {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	if r := postToken(t, iss.url, cc("client_assertion_type", "urn:other", "client_assertion", good), "", ""); r.status != 400 {
		t.Fatalf("unknown assertion type: %d %s", r.status, r.raw)
	}
}

func TestRotationDrivenByInjectedClock(t *testing.T) {
	iss := startIssuer(t, "{}")
	ctx := context.Background()
	cfg := clientcredentials.Config{ClientID: "svc", ClientSecret: svcSecret, TokenURL: iss.url + "/token"}
	before, err := cfg.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, oldKID := verifyAccessToken(t, iss.url, before.AccessToken)

	iss.clock.add(24 * time.Hour) // keys.rotate_every
	if err := iss.app.keys.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := cfg.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, newKID := verifyAccessToken(t, iss.url, after.AccessToken)
	if newKID == oldKID {
		t.Fatal("after rotation new tokens still use the previous kid")
	}
	// Tokens of the previous key still verify against the served JWKS.
	verifyAccessToken(t, iss.url, before.AccessToken)
	if n := len(fetchJWKS(t, iss.url).Keys); n != 3 {
		t.Fatalf("JWKS has %d keys, want next, current and retired", n)
	}
}

func TestDiscoveryAndHealth(t *testing.T) {
	iss := startIssuer(t, "{}")
	for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"} {
		resp, err := http.Get(iss.url + path)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if m["issuer"] != iss.url || m["token_endpoint"] != iss.url+"/token" || m["jwks_uri"] != iss.url+"/.well-known/jwks.json" {
			t.Fatalf("%s: %v", path, m)
		}
		if !strings.Contains(resp.Header.Get("Cache-Control"), "max-age") {
			t.Fatalf("%s: Cache-Control %q", path, resp.Header.Get("Cache-Control"))
		}
	}
	resp, err := http.Get(iss.url + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Cache-Control"); got != "public, max-age=300" {
		t.Fatalf("JWKS Cache-Control %q, want public, max-age=300 (keys.jwks_max_age)", got)
	}
	for _, path := range []string{"/health/alive", "/health/ready"} {
		resp, err := http.Get(iss.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
}
