package iamtoken_test

import (
	"context"
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

// startIssuer runs the real lineage binary with a user, a role it may
// assume, and an application whose ActorPolicy allows that role.
func startIssuer(t *testing.T) string {
	t.Helper()
	addr := issuertest.FreeAddr(t)
	issuer := "http://" + addr
	cfg := fmt.Sprintf(`
issuer: %q
http: {public: %q, admin: %q, admin_token: "admin-token-0123456789abcdef0123456789"}
secrets: {system: "system-secret-0123456789abcdef0123456789"}
store: {}
clients:
  - id: orders-api
    secret: "orders-api-secret-0123456789abcdef0123"
    grant_types: [client_credentials]
    scopes: [orders.read]
    access_ttl: 5m
    actor_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: %q}, Action: "sso-oauth:CreateTokenWithIAM", Resource: "*"}]}
iam:
  account_id: "111122223333"
  users:
    - name: deployer
      access_keys: [{id: %s, secret: %q}]
      policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sts:AssumeRole", Resource: "*"}]}]
  roles:
    - name: Workload
      trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::111122223333:user/deployer"}, Action: "sts:AssumeRole"}]}
      policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sso-oauth:*", Resource: "*"}]}]
`, issuer, addr, issuertest.FreeAddr(t), roleARN, accessKeyID, secret)
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
