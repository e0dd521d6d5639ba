package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/lineage-oss/lineage/config"
)

// testClock is a settable clock for the whole composed issuer.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const (
	systemSecret = "system-secret-for-tests-0123456789-abcdef"
	adminToken   = "admin-token-for-tests-0123456789-abcdef"
	svcSecret    = "svc-secret-for-tests-0123456789-abcdefgh"
	iamSecret    = "iam/secret+for/tests0123456789abcdefghijk"
	zoePassword  = "zoe-password-for-tests"
	// zoeHash is argon2id(zoePassword), precomputed: hashing at each
	// start would cost seconds under the race detector.
	zoeHash = "$argon2id$v=19$m=65536,t=3,p=1$q3HqPF+O7TfdP9y4ealVHw$D7ErcxjJ0dHT9AbjChTYTGj3dEkjxSfnhLJGUVByOnI"
)

// testConfig is a configuration with a confidential client "svc", a
// disabled client, a public client and a private_key_jwt client whose JWK
// Set is jwksJSON. extra is appended to the store section.
func testConfig(issuer, jwksJSON, storeYAML string) string {
	return fmt.Sprintf(`
issuer: %[1]s
http: {public: "127.0.0.1:0", admin: "127.0.0.1:1", admin_token: %[2]q, trusted_proxies: ["127.0.0.1"]}
secrets: {system: %[3]q}
store: %[6]s
keys: {rotate_every: 24h, jwks_max_age: 5m}
clients:
  - id: svc
    secret: %[4]q
    grant_types: [client_credentials]
    scopes: [read, write, openid]
    audiences: ["https://api.example.com", "https://other.example.com"]
  - id: short-lived
    secret: %[4]q
    grant_types: [client_credentials]
    scopes: [read]
    access_ttl: 5m
  - id: off
    secret: %[4]q
    grant_types: [client_credentials]
    disabled: true
  - id: spa
    redirect_uris: ["http://127.0.0.1:5555/callback"]
    grant_types: [authorization_code]
    scopes: [openid]
  - id: web
    secret: %[4]q
    redirect_uris: ["http://127.0.0.1:5555/callback", "http://127.0.0.1:5555/other"]
    post_logout_redirect_uris: ["http://127.0.0.1:5555/bye"]
    grant_types: [authorization_code, refresh_token]
    scopes: [openid, profile, email, offline_access]
  - id: first
    secret: %[4]q
    redirect_uris: ["http://127.0.0.1:5555/callback"]
    grant_types: [authorization_code, refresh_token]
    scopes: [openid, offline_access]
    first_party: true
  - id: rs
    secret: %[4]q
    grant_types: [client_credentials]
    introspect: true
    revocation_events: true
  - id: "arn:aws:iam::111122223333:role/keyed"
    jwks: %[5]s
    grant_types: [client_credentials]
    scopes: [read]
users:
  - {username: zoe, password_hash: %[8]q, email: zoe@example.com}
iam:
  account_id: "111122223333"
  region: us-east-1
  users:
    - name: deployer
      access_keys: [{id: AKIAEXAMPLEDEPLOYER1, secret: %[7]q}]
      policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sts:AssumeRole", Resource: "*"}]}]
    - name: outsider
      access_keys: [{id: AKIAEXAMPLEOUTSIDER1, secret: %[7]q}]
      policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sts:AssumeRole", Resource: "*"}]}]
  roles:
    - name: ExampleAppClientRole
      max_session_duration: 2h
      trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::111122223333:user/deployer"}, Action: "sts:AssumeRole"}]}
      policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sso-oauth:*", Resource: "*"}]}]
    - name: Forbidden
      trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::111122223333:user/deployer"}, Action: "sts:AssumeRole"}]}
  org_policies:
    - {Version: "2012-10-17", Statement: [{Sid: NoForbidden, Effect: Deny, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/Forbidden"}]}
`, issuer, adminToken, systemSecret, svcSecret, jwksJSON, storeYAML, iamSecret, zoeHash)
}

type testIssuer struct {
	url   string
	admin string // admin listener URL
	app   *app
	clock *testClock
	key   *ecdsa.PrivateKey // the private_key_jwt client's key
}

func startIssuer(t testing.TB, storeYAML string) *testIssuer {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub := jose.JSONWebKey{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}})

	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	cfg, err := config.Parse([]byte(testConfig(issuer, string(set), storeYAML)), func(string) (string, bool) { return "", false }, false)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	clk := &testClock{t: time.Now()}
	a, err := newApp(context.Background(), cfg, deps{now: clk.now, rand: rand.Reader, logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	srv.Config.Handler = a.public
	srv.Start()
	t.Cleanup(srv.Close)
	adminSrv := httptest.NewServer(a.admin)
	t.Cleanup(adminSrv.Close)
	return &testIssuer{url: issuer, admin: adminSrv.URL, app: a, clock: clk, key: key}
}

// fetchJWKS reads the served JWK Set.
func fetchJWKS(t *testing.T, issuer string) jose.JSONWebKeySet {
	t.Helper()
	resp, err := http.Get(issuer + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	return set
}

// accessClaims are the RFC 9068 claims plus lineage's.
type accessClaims struct {
	jwt.Claims
	ClientID  string `json:"client_id"`
	Scope     string `json:"scope"`
	OriginJTI string `json:"origin_jti"`
	// IAM-minted tokens only.
	IAMPrincipal  string `json:"iam_principal"`
	IAMSource     string `json:"iam_source"`
	IAMSessionIAT int64  `json:"iam_session_iat"`
}

// verifyAccessToken verifies token against the served JWKS with go-jose
// v4 and checks its header; it returns the claims and the kid.
func verifyAccessToken(t *testing.T, issuer, token string) (accessClaims, string) {
	t.Helper()
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("parse access token: %v", err)
	}
	h := parsed.Headers[0]
	if h.ExtraHeaders["typ"] != "at+jwt" || h.KeyID == "" {
		t.Fatalf("access token header typ=%v kid=%q, want at+jwt and a kid", h.ExtraHeaders["typ"], h.KeyID)
	}
	set := fetchJWKS(t, issuer)
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %s not in the served JWKS", h.KeyID)
	}
	var c accessClaims
	if err := parsed.Claims(keys[0].Key, &c); err != nil {
		t.Fatalf("access token does not verify against the JWKS: %v", err)
	}
	return c, h.KeyID
}

func TestClientCredentialsThroughOAuth2Client(t *testing.T) {
	iss := startIssuer(t, "{}")
	ctx := context.Background()
	for _, style := range []struct {
		name  string
		style oauth2.AuthStyle
	}{{"client_secret_basic", oauth2.AuthStyleInHeader}, {"client_secret_post", oauth2.AuthStyleInParams}} {
		t.Run(style.name, func(t *testing.T) {
			cc := clientcredentials.Config{ClientID: "svc", ClientSecret: svcSecret, TokenURL: iss.url + "/token",
				Scopes: []string{"read"}, AuthStyle: style.style,
				EndpointParams: url.Values{"resource": {"https://api.example.com"}}}
			tok, err := cc.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := verifyAccessToken(t, iss.url, tok.AccessToken)
			now := iss.clock.now()
			if c.Issuer != iss.url || c.Subject != "svc" || c.ClientID != "svc" || c.Scope != "read" ||
				len(c.Audience) != 1 || c.Audience[0] != "https://api.example.com" ||
				c.ID == "" || c.OriginJTI != c.ID || c.IssuedAt == nil || c.NotBefore == nil || c.Expiry == nil {
				t.Fatalf("claims %+v", c)
			}
			if got := c.Expiry.Time().Sub(c.IssuedAt.Time()); got != time.Hour {
				t.Fatalf("lifetime %v, want the default 1h", got)
			}
			if err := c.Validate(jwt.Expected{Issuer: iss.url, AnyAudience: []string{"https://api.example.com"}, Time: now}); err != nil {
				t.Fatal(err)
			}
			if tok.TokenType != "Bearer" || tok.Expiry.IsZero() {
				t.Fatalf("token response %+v", tok)
			}
		})
	}
}
