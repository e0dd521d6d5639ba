package iamtoken_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/lineage-oss/lineage/internal/issuertest"
	"github.com/lineage-oss/lineage/sdk/credentials"
	"github.com/lineage-oss/lineage/sdk/iamtoken"
)

const (
	accessKeyID = "AKIAEXAMPLEDEPLOYER1"
	secret      = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	roleARN     = "arn:aws:iam::111122223333:role/Workload"
)

// idpKey signs the assertions of the trusted identity provider of the
// application portal.
var idpKey = func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}()

// startIssuer runs the real lineage binary with a user, a role it may
// assume, an application whose ActorPolicy allows that role, and the
// application portal, which also trusts an identity provider for the
// jwt-bearer grant.
func startIssuer(t *testing.T) string {
	t.Helper()
	idpJWKS, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &idpKey.PublicKey, KeyID: "idp-1", Algorithm: "ES256", Use: "sig"}}})
	addr := issuertest.FreeAddr(t)
	issuer := "http://" + addr
	cfg := fmt.Sprintf(`
issuer: %[1]q
http: {public: %[2]q, admin: %[3]q, admin_token: "admin-token-0123456789abcdef0123456789"}
secrets: {system: "system-secret-0123456789abcdef0123456789"}
store: {}
clients:
  - id: orders-api
    secret: "orders-api-secret-0123456789abcdef0123"
    grant_types: [client_credentials]
    scopes: [orders.read]
    access_ttl: 5m
    actor_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: %[4]q}, Action: "sso-oauth:CreateTokenWithIAM", Resource: "*"}]}
  - id: portal
    secret: "portal-secret-0123456789abcdef0123456789"
    grant_types: ["urn:ietf:params:oauth:grant-type:jwt-bearer", refresh_token]
    scopes: [orders.read]
    trusted_token_issuers: [{issuer: "https://idp.example", jwks: %[7]s, audience: "lineage"}]
    actor_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: %[4]q}, Action: "sso-oauth:CreateTokenWithIAM", Resource: "*"}]}
iam:
  account_id: "111122223333"
  users:
    - name: deployer
      access_keys: [{id: %[5]s, secret: %[6]q}]
      policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sts:AssumeRole", Resource: "*"}]}]
  roles:
    - name: Workload
      trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::111122223333:user/deployer"}, Action: "sts:AssumeRole"}]}
      policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sso-oauth:*", Resource: "*"}]}]
`, issuer, addr, issuertest.FreeAddr(t), roleARN, accessKeyID, secret, idpJWKS)
	path := filepath.Join(t.TempDir(), "lineage.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	issuertest.Start(t, nil, "serve", "--config", path).WaitReady(t, issuer)
	return issuer
}

// countingTransport counts the requests that reach the issuer.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("not a JWT: %v", err)
	}
	var c map[string]any
	if err := parsed.UnsafeClaimsWithoutVerification(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestTokenSource: with credentials from the AssumeRole provider, the
// source gets tokens for the role session through CreateTokenWithIAM,
// reuses a token until ExpiryWindow before its expiry, and is safe for
// concurrent use.
func TestTokenSource(t *testing.T) {
	issuer := startIssuer(t)
	ctx := context.Background()
	role := credentials.AssumeRole(credentials.AssumeRoleOptions{Endpoint: issuer + "/sts/",
		Source: credentials.Static(accessKeyID, secret), RoleARN: roleARN, SessionName: "orders-worker"})

	calls := &countingTransport{}
	src, err := iamtoken.New(ctx, iamtoken.Options{Issuer: issuer, Credentials: role, ClientID: "orders-api",
		Scopes: []string{"orders.read"}, HTTPClient: &http.Client{Transport: calls}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	tokens := make([]string, 8)
	for i := range tokens {
		wg.Go(func() {
			tok, err := src.Token()
			if err != nil {
				t.Error(err)
				return
			}
			tokens[i] = tok.AccessToken
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, tok := range tokens[1:] {
		if tok != tokens[0] {
			t.Fatal("concurrent callers got different tokens: the first was not reused")
		}
	}
	if n := calls.n.Load(); n != 1 {
		t.Fatalf("%d CreateTokenWithIAM calls for one token, want 1", n)
	}
	c := claimsOf(t, tokens[0])
	if c["iam_principal"] != "arn:aws:sts::111122223333:assumed-role/Workload/orders-worker" || c["client_id"] != "orders-api" ||
		c["scope"] != "orders.read" || c["iam_source"] != "arn:aws:iam::111122223333:user/deployer" {
		t.Fatalf("claims %v", c)
	}

	// A window longer than the token's life: every call gets a new token.
	eager, err := iamtoken.New(ctx, iamtoken.Options{Issuer: issuer, Credentials: role, ClientID: "orders-api",
		ExpiryWindow: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	first, err := eager.Token()
	if err != nil {
		t.Fatal(err)
	}
	second, err := eager.Token()
	if err != nil {
		t.Fatal(err)
	}
	if first.AccessToken == second.AccessToken || time.Until(second.Expiry) < 4*time.Minute {
		t.Fatalf("not renewed within the window: expiry %v", second.Expiry)
	}
}

func TestTokenSourceErrors(t *testing.T) {
	issuer := startIssuer(t)
	ctx := context.Background()
	// The user's own key: the ActorPolicy names only the role.
	src, err := iamtoken.New(ctx, iamtoken.Options{Issuer: issuer, Credentials: credentials.Static(accessKeyID, secret), ClientID: "orders-api"})
	if err != nil {
		t.Fatal(err)
	}
	var denied *types.AccessDeniedException
	if _, err := src.Token(); !errors.As(err, &denied) {
		t.Fatalf("a principal the ActorPolicy does not name: %v", err)
	}
	unknown, _ := iamtoken.New(ctx, iamtoken.Options{Issuer: issuer, Credentials: credentials.Static(accessKeyID, secret), ClientID: "nope"})
	var badClient *types.InvalidClientException
	if _, err := unknown.Token(); !errors.As(err, &badClient) {
		t.Fatalf("an unknown application: %v", err)
	}
	for name, o := range map[string]iamtoken.Options{
		"empty":                 {},
		"jwt-bearer, no source": {Issuer: issuer, Credentials: credentials.Static(accessKeyID, secret), ClientID: "x", GrantType: iamtoken.GrantJWTBearer},
		"refresh, no token":     {Issuer: issuer, Credentials: credentials.Static(accessKeyID, secret), ClientID: "x", GrantType: iamtoken.GrantRefreshToken},
		"unknown grant":         {Issuer: issuer, Credentials: credentials.Static(accessKeyID, secret), ClientID: "x", GrantType: "password"},
	} {
		if _, err := iamtoken.New(ctx, o); !errors.Is(err, iamtoken.ErrInvalidOptions) {
			t.Errorf("%s: %v, want ErrInvalidOptions", name, err)
		}
	}
}

// assertion signs an assertion of the identity provider for user alice,
// with a new jti each time.
func assertion(n int) (string, error) {
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{"iss": "https://idp.example", "sub": "alice", "aud": "lineage",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": fmt.Sprintf("assertion-%d-%d", n, now.UnixNano())})
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: idpKey}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "idp-1"))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(claims)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// TestTokenSourceJWTBearer: the source gets its first token with an
// assertion of the application's trusted identity provider, then — the
// response carrying a refresh token — refreshes without asking for another
// assertion; the tokens are the user's, minted by the role session.
func TestTokenSourceJWTBearer(t *testing.T) {
	issuer := startIssuer(t)
	role := credentials.AssumeRole(credentials.AssumeRoleOptions{Endpoint: issuer + "/sts/",
		Source: credentials.Static(accessKeyID, secret), RoleARN: roleARN, SessionName: "portal"})
	var assertions atomic.Int32
	src, err := iamtoken.New(context.Background(), iamtoken.Options{Issuer: issuer, Credentials: role, ClientID: "portal",
		GrantType: iamtoken.GrantJWTBearer, ExpiryWindow: time.Hour, // every call gets a new token
		Assertion: func(context.Context) (string, error) { return assertion(int(assertions.Add(1))) }})
	if err != nil {
		t.Fatal(err)
	}
	var tokens []string
	for range 3 {
		tok, err := src.Token()
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok.AccessToken)
	}
	if n := assertions.Load(); n != 1 {
		t.Fatalf("%d assertions for three tokens, want 1 (then refreshes)", n)
	}
	for i, tok := range tokens {
		c := claimsOf(t, tok)
		if c["sub"] != "alice" || c["client_id"] != "portal" || c["iam_principal"] != "arn:aws:sts::111122223333:assumed-role/Workload/portal" ||
			(i > 0 && tok == tokens[i-1]) {
			t.Fatalf("token %d: %v", i, c)
		}
	}
	if claimsOf(t, tokens[2])["origin_jti"] != claimsOf(t, tokens[0])["origin_jti"] {
		t.Fatal("the refreshed tokens are not of the assertion's lineage")
	}
}
