package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/oauth2"
)

const (
	iamApp  = "iam-app"
	roleARN = "arn:aws:iam::111122223333:role/ExampleAppClientRole"
)

// createIAMApp registers, through the admin API, an application whose
// ActorPolicy allows the ExampleAppClientRole sessions and the Deploy role
// every sso-oauth action.
func createIAMApp(t *testing.T, iss *testIssuer) {
	t.Helper()
	adminJSON(t, iss, "POST", "/admin/v1/clients", `{"id":"`+iamApp+`","redirect_uris":["`+callback+`"],
		"grant_types":["authorization_code","refresh_token","client_credentials"],"scopes":["openid","offline_access","read"],
		"first_party":true,
		"actor_policy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
			"Principal":{"AWS":["`+roleARN+`","arn:aws:iam::111122223333:role/Deploy"]},
			"Action":["sso-oauth:CreateTokenWithIAM","sso-oauth:IntrospectTokenWithIAM","sso-oauth:RevokeTokenWithIAM"],"Resource":"*"}]}}`, 201)
}

// ssoClient is the unmodified AWS SDK for Go v2 SSO-OIDC client pointed at
// lineage, signing with creds.
func ssoClient(issuer string, creds aws.Credentials) *ssooidc.Client {
	return ssooidc.New(ssooidc.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(issuer),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return creds, nil
		}),
		RetryMaxAttempts: 1,
	})
}

// assumeRole returns the credentials of a new session of role for the
// caller of s.
func assumeRole(t *testing.T, s *sts.Client, role, name string) aws.Credentials {
	t.Helper()
	out, err := s.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken)}
}

// iamLineage is one CreateTokenWithIAM authorization code grant and its
// refreshes, all through the SDK.
func iamLineage(t *testing.T, iss *testIssuer, sso *ssooidc.Client, refreshes int) lineageOf {
	t.Helper()
	ctx := context.Background()
	cfg := &oauth2.Config{ClientID: iamApp, RedirectURL: callback,
		Endpoint: oauth2.Endpoint{AuthURL: iss.url + "/authorize"}, Scopes: []string{"openid", "offline_access"}}
	verifier := oauth2.GenerateVerifier()
	cb := newBrowser(t, iss.url).signIn(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), false)
	out, err := sso.CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String(iamApp),
		GrantType: aws.String("authorization_code"), Code: aws.String(cb.Query().Get("code")),
		RedirectUri: aws.String(callback), CodeVerifier: aws.String(verifier)})
	if err != nil {
		t.Fatalf("CreateTokenWithIAM authorization_code: %v", err)
	}
	l := lineageOf{access: []string{aws.ToString(out.AccessToken)}, id: []string{aws.ToString(out.IdToken)}, refresh: aws.ToString(out.RefreshToken)}
	for range refreshes {
		out, err := sso.CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String(iamApp),
			GrantType: aws.String("refresh_token"), RefreshToken: aws.String(l.refresh)})
		if err != nil {
			t.Fatalf("CreateTokenWithIAM refresh_token: %v", err)
		}
		l.access = append(l.access, aws.ToString(out.AccessToken))
		l.id = append(l.id, aws.ToString(out.IdToken))
		l.refresh = aws.ToString(out.RefreshToken)
	}
	return l
}

// iamCall signs a JSON call to an aws_iam=t endpoint with creds (SigV4,
// sso-oauth) and returns the status, the X-Amzn-ErrorType and the body.
func iamCall(t *testing.T, iss *testIssuer, creds aws.Credentials, path string, body any) (int, string, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, iss.url+path+"?aws_iam=t", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(raw)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sso-oauth", "us-east-1", iss.clock.now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), out
}

// iamActive introspects token with IntrospectTokenWithIAM.
func iamActive(t *testing.T, iss *testIssuer, creds aws.Credentials, token string) bool {
	t.Helper()
	status, typ, out := iamCall(t, iss, creds, "/introspect", map[string]string{"clientId": iamApp, "token": token})
	if status != 200 {
		t.Fatalf("IntrospectTokenWithIAM: %d %s %v", status, typ, out)
	}
	return out["active"] == true
}

// wantIAMLineageActive checks every token of l with
// IntrospectTokenWithIAM (as the application) and, for access tokens,
// /introspect as the resource server.
func wantIAMLineageActive(t *testing.T, iss *testIssuer, creds aws.Credentials, l lineageOf, want bool) {
	t.Helper()
	for i, at := range l.access {
		if got := iamActive(t, iss, creds, at); got != want {
			t.Fatalf("access token %d active = %v, want %v", i, got, want)
		}
		wantActive(t, iss, "rs", svcSecret, at, want)
	}
	for i, id := range l.id {
		if got := iamActive(t, iss, creds, id); got != want {
			t.Fatalf("ID token %d active = %v, want %v", i, got, want)
		}
	}
	if got := iamActive(t, iss, creds, l.refresh); got != want {
		t.Fatalf("refresh token active = %v, want %v", got, want)
	}
}

// TestCreateTokenWithIAM: the AWS SDK's ssooidc client, with temporary
// credentials from the sts client, gets tokens through the
// authorization_code, refresh_token and client_credentials grants; the
// tokens carry the caller's IAM identity; callers the ActorPolicy does not
// name, unknown applications and bad grants get the SDK's typed errors.
func TestCreateTokenWithIAM(t *testing.T) {
	iss := startIssuer(t, "{}")
	ctx := context.Background()
	createIAMApp(t, iss)
	deployer := stsClient(iss.url, "AKIAEXAMPLEDEPLOYER1", iamSecret, "")
	creds := assumeRole(t, deployer, roleARN, "build-7")
	sso := ssoClient(iss.url, creds)

	cc, err := sso.CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String(iamApp),
		GrantType: aws.String("client_credentials"), Scope: []string{"read"}})
	if err != nil {
		t.Fatalf("client_credentials: %v", err)
	}
	claims, _ := verifyAccessToken(t, iss.url, aws.ToString(cc.AccessToken))
	session := "arn:aws:sts::111122223333:assumed-role/ExampleAppClientRole/build-7"
	if claims.Subject != session || claims.IAMPrincipal != session || claims.ClientID != iamApp || claims.Scope != "read" ||
		claims.IAMSource != "arn:aws:iam::111122223333:user/deployer" || claims.IAMSessionIAT != iss.clock.now().Unix() ||
		aws.ToString(cc.TokenType) != "Bearer" || cc.ExpiresIn != 3600 || cc.RefreshToken != nil {
		t.Fatalf("client_credentials token: %+v, response %+v", claims, cc)
	}

	l := iamLineage(t, iss, sso, 2)
	claims, _ = verifyAccessToken(t, iss.url, l.access[2])
	if claims.Subject != "zoe" || claims.IAMPrincipal != session || claims.ClientID != iamApp {
		t.Fatalf("refreshed token: %+v", claims)
	}
	wantIAMLineageActive(t, iss, creds, l, true)

	var denied *types.AccessDeniedException
	var badGrant *types.InvalidGrantException
	var badClient *types.InvalidClientException
	outsider := ssoClient(iss.url, aws.Credentials{AccessKeyID: "AKIAEXAMPLEOUTSIDER1", SecretAccessKey: iamSecret})
	if _, err := outsider.CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String(iamApp),
		GrantType: aws.String("client_credentials")}); !errors.As(err, &denied) {
		t.Fatalf("a principal the ActorPolicy does not name: %v", err)
	}
	if _, err := sso.CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String("no-such-app"),
		GrantType: aws.String("client_credentials")}); !errors.As(err, &badClient) {
		t.Fatalf("an unknown application: %v", err)
	}
	if _, err := sso.CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String(iamApp),
		GrantType: aws.String("refresh_token"), RefreshToken: aws.String(l.access[0])}); !errors.As(err, &badGrant) {
		t.Fatalf("a bad refresh token: %v", err)
	}
	var badScope *types.InvalidScopeException
	if _, err := sso.CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String(iamApp),
		GrantType: aws.String("client_credentials"), Scope: []string{"admin"}}); !errors.As(err, &badScope) {
		t.Fatalf("a scope the application lacks: %v", err)
	}
	var unsupported *types.UnsupportedGrantTypeException
	if _, err := sso.CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String(iamApp),
		GrantType: aws.String("password")}); !errors.As(err, &unsupported) {
		t.Fatalf("an unknown grant type: %v", err)
	}
	// A wrong secret: restJson1's InvalidSignatureException.
	status, typ, _ := iamCall(t, iss, aws.Credentials{AccessKeyID: "AKIAEXAMPLEDEPLOYER1", SecretAccessKey: "wrong" + iamSecret[5:]},
		"/token", map[string]string{"clientId": iamApp, "grantType": "client_credentials"})
	if status != 403 || typ != "InvalidSignatureException" {
		t.Fatalf("a bad signature: %d %s", status, typ)
	}
	// Reusing the rotated refresh token revokes the lineage (RFC 9700).
	if _, err := sso.CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String(iamApp),
		GrantType: aws.String("refresh_token"), RefreshToken: aws.String(l.refresh)}); err != nil {
		t.Fatal(err)
	}

	// RevokeTokenWithIAM: the lineage of a refresh token.
	l2 := iamLineage(t, iss, sso, 1)
	if status, typ, out := iamCall(t, iss, creds, "/revoke", map[string]string{"clientId": iamApp, "token": l2.refresh}); status != 200 || len(out) != 0 {
		t.Fatalf("RevokeTokenWithIAM: %d %s %v", status, typ, out)
	}
	wantIAMLineageActive(t, iss, creds, l2, false)
	if status, typ, _ := iamCall(t, iss, aws.Credentials{AccessKeyID: "AKIAEXAMPLEOUTSIDER1", SecretAccessKey: iamSecret},
		"/introspect", map[string]string{"clientId": iamApp, "token": l.access[0]}); status != 400 || typ != "AccessDeniedException" {
		t.Fatalf("IntrospectTokenWithIAM by a principal the ActorPolicy does not name: %d %s", status, typ)
	}
}

// TestIAMRevocationCascades: revoking a role's sessions before now, or
// deactivating the access key that assumed the role, makes every token
// minted with those sessions inactive at once and is on the event stream;
// the revoked session gets no new token; a session assumed afterwards
// works.
func TestIAMRevocationCascades(t *testing.T) {
	iss := startIssuer(t, "{}")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	createIAMApp(t, iss)
	resp, events, _ := openStream(t, iss, ctx, "")
	defer resp.Body.Close()

	deployer := stsClient(iss.url, "AKIAEXAMPLEDEPLOYER1", iamSecret, "")
	creds := assumeRole(t, deployer, roleARN, "job-1")
	l := iamLineage(t, iss, ssoClient(iss.url, creds), 2)
	wantIAMLineageActive(t, iss, creds, l, true)

	adminJSON(t, iss, "POST", "/admin/v1/iam/roles/ExampleAppClientRole/revoke-sessions", `{}`, 201)
	wantEvent(t, events, "before", "principal", roleARN)
	iss.clock.add(2 * time.Second)
	fresh := assumeRole(t, deployer, roleARN, "job-2")
	wantIAMLineageActive(t, iss, fresh, l, false)
	var denied *types.AccessDeniedException
	if _, err := ssoClient(iss.url, creds).CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String(iamApp),
		GrantType: aws.String("client_credentials")}); !errors.As(err, &denied) {
		t.Fatalf("a revoked session: %v", err)
	}
	after := iamLineage(t, iss, ssoClient(iss.url, fresh), 1)
	wantIAMLineageActive(t, iss, fresh, after, true)

	// The same through the access key that assumed a role.
	ci, akid := createDeployRole(t, iss)
	deploy := assumeRole(t, ci, deployRole, "d1")
	viaKey := iamLineage(t, iss, ssoClient(iss.url, deploy), 2)
	wantIAMLineageActive(t, iss, deploy, viaKey, true)
	adminJSON(t, iss, "DELETE", "/admin/v1/iam/users/ci/access-keys/"+akid, "", 200)
	wantEvent(t, events, "before", "principal", "arn:aws:iam::111122223333:user/ci")
	wantIAMLineageActive(t, iss, fresh, viaKey, false)
	wantIAMLineageActive(t, iss, fresh, after, true)
}

const deployRole = "arn:aws:iam::111122223333:role/Deploy"

// deployPolicies are the identity policies of the Deploy role: every
// sso-oauth action, and with deny also an explicit Deny of
// CreateTokenWithIAM.
func deployPolicies(deny bool) string {
	p := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sso-oauth:*","Resource":"*"}]}`
	if deny {
		p += `,{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateTokenWithIAM","Resource":"*"}]}`
	}
	return "[" + p + "]"
}

// createDeployRole creates, through the admin API, the IAM user ci with an
// access key and the role Deploy that trusts it; it returns an STS client
// signing with ci's key, and the key's id.
func createDeployRole(t *testing.T, iss *testIssuer) (*sts.Client, string) {
	t.Helper()
	adminJSON(t, iss, "POST", "/admin/v1/iam/users", `{"name":"ci","policies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}]}`, 201)
	key := adminJSON(t, iss, "POST", "/admin/v1/iam/users/ci/access-keys", "", 201)
	akid := key["access_key"].(map[string]any)["id"].(string)
	adminJSON(t, iss, "POST", "/admin/v1/iam/roles", `{"name":"Deploy","trust_policy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/ci"},"Action":"sts:AssumeRole"}]},
		"policies":`+deployPolicies(false)+`}`, 201)
	return stsClient(iss.url, akid, key["secret_access_key"].(string), ""), akid
}

// TestIAMPolicyChange: an explicit Deny added to a role makes the tokens
// its sessions minted inactive at their next introspection (one policy
// event on the stream) and CreateTokenWithIAM AccessDenied; removing it
// makes both work again.
func TestIAMPolicyChange(t *testing.T) {
	iss := startIssuer(t, "{}")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	createIAMApp(t, iss)
	ci, _ := createDeployRole(t, iss)
	resp, events, _ := openStream(t, iss, ctx, "")
	defer resp.Body.Close()
	creds := assumeRole(t, ci, deployRole, "p1")
	sso := ssoClient(iss.url, creds)
	create := func() (string, error) {
		out, err := sso.CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String(iamApp),
			GrantType: aws.String("client_credentials"), Scope: []string{"read"}})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.AccessToken), nil
	}
	token, err := create()
	if err != nil {
		t.Fatal(err)
	}
	l := iamLineage(t, iss, sso, 1)
	check := func(want bool) {
		t.Helper()
		for _, at := range append([]string{token}, l.access...) {
			wantActive(t, iss, "rs", svcSecret, at, want)
			if got := iamActive(t, iss, creds, at); got != want {
				t.Fatalf("IntrospectTokenWithIAM active = %v, want %v", got, want)
			}
		}
	}
	check(true)

	adminJSON(t, iss, "PUT", "/admin/v1/iam/roles/Deploy/policies", `{"policies":`+deployPolicies(true)+`}`, 200)
	wantEvent(t, events, "policy", "account", "111122223333")
	check(false)
	var denied *types.AccessDeniedException
	if _, err := create(); !errors.As(err, &denied) {
		t.Fatalf("CreateTokenWithIAM under a Deny: %v", err)
	}

	adminJSON(t, iss, "PUT", "/admin/v1/iam/roles/Deploy/policies", `{"policies":`+deployPolicies(false)+`}`, 200)
	wantEvent(t, events, "policy", "account", "111122223333")
	check(true)
	if _, err := create(); err != nil {
		t.Fatalf("CreateTokenWithIAM after the Deny went: %v", err)
	}
	// A configured role is read-only.
	adminJSON(t, iss, "PUT", "/admin/v1/iam/roles/ExampleAppClientRole/policies", `{"policies":[]}`, 409)
}

// wantEvent waits for the next revocation event and checks it.
func wantEvent(t *testing.T, events <-chan sseEvent, kind, scope, id string) {
	t.Helper()
	select {
	case ev := <-events:
		if ev.data["kind"] != kind || ev.data["scope"] != scope || ev.data["id"] != id {
			t.Fatalf("event %+v, want %s %s %s", ev.data, kind, scope, id)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s event for %s", kind, id)
	}
}
