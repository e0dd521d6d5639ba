package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2/clientcredentials"
)

const (
	bearerApp      = "bearer-app"
	idpIssuer      = "https://idp.example.com"
	idpAudience    = "urn:lineage:bearer-app"
	jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	exchangeGrant  = "urn:ietf:params:oauth:grant-type:token-exchange"
	accessTokenURN = "urn:ietf:params:oauth:token-type:access_token"
	refreshURN     = "urn:ietf:params:oauth:token-type:refresh_token"
)

// idp is an external identity provider the application trusts: it signs
// jwt-bearer assertions with an ES256 key.
type idp struct {
	key *ecdsa.PrivateKey
	n   int
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &idp{key: key}
}

// jwks is the provider's public JWK Set.
func (p *idp) jwks() string {
	b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: "idp-1", Algorithm: "ES256", Use: "sig"}}})
	return string(b)
}

// assertion signs an assertion for user valid at now, each with a new
// jti; change edits the claims first.
func (p *idp) assertion(t *testing.T, now time.Time, user string, change func(map[string]any)) string {
	t.Helper()
	p.n++
	claims := map[string]any{"iss": idpIssuer, "sub": user, "aud": idpAudience, "iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(), "jti": "a-" + string(rune('A'+p.n%26)) + time.Now().Format("150405.000000000")}
	if change != nil {
		change(claims)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: p.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "idp-1"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := jws.CompactSerialize()
	return s
}

// createBearerApp registers, through the admin API, an application that
// trusts the provider for jwt-bearer, may exchange tokens and refresh,
// whose tokens are for itself (audiences: its own id) and whose
// ActorPolicy allows the ExampleAppClientRole sessions.
func createBearerApp(t *testing.T, iss *testIssuer, p *idp) {
	t.Helper()
	out := adminJSON(t, iss, "POST", "/admin/v1/clients", `{"id":"`+bearerApp+`",
		"grant_types":["`+jwtBearerGrant+`","`+exchangeGrant+`","refresh_token"],
		"scopes":["openid","offline_access","read","write"],"audiences":["`+bearerApp+`"],
		"trusted_token_issuers":[{"issuer":"`+idpIssuer+`","jwks":`+p.jwks()+`,"audience":"`+idpAudience+`"}],
		"actor_policy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+roleARN+`"},
			"Action":["sso-oauth:CreateTokenWithIAM","sso-oauth:IntrospectTokenWithIAM","sso-oauth:RevokeTokenWithIAM"],"Resource":"*"}]}}`, 201)
	tti, _ := out["client"].(map[string]any)["trusted_token_issuers"].([]any)
	if len(tti) != 1 || tti[0].(map[string]any)["issuer"] != idpIssuer {
		t.Fatalf("the admin API shows trusted_token_issuers %v", tti)
	}
}

// exchangedClaims are the claims of a token-exchange result that the
// access-token helpers do not decode.
type exchangedClaims struct {
	accessClaims
	Act *struct {
		Sub string          `json:"sub"`
		Act json.RawMessage `json:"act"`
	} `json:"act"`
}

// exchangeClaims verifies token against the JWKS and decodes its act too.
func exchangeClaims(t *testing.T, iss *testIssuer, token string) exchangedClaims {
	t.Helper()
	c, _ := verifyAccessToken(t, iss.url, token)
	parts := strings.Split(token, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var out exchangedClaims
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	out.accessClaims = c
	return out
}

// TestCreateTokenWithIAMJWTBearer: through the AWS SDK, an assertion of a
// trusted issuer gets an access, ID and refresh token for its user,
// carrying the caller's IAM identity; a bad signature, a wrong aud, an
// expired, a replayed or an HS256 assertion keyed with the public key is
// InvalidGrantException.
func TestCreateTokenWithIAMJWTBearer(t *testing.T) {
	iss := startIssuer(t, "{}")
	ctx := context.Background()
	provider := newIDP(t)
	createBearerApp(t, iss, provider)
	creds := assumeRole(t, stsClient(iss.url, "AKIAEXAMPLEDEPLOYER1", iamSecret, ""), roleARN, "bearer-1")
	sso := ssoClient(iss.url, creds)
	bearer := func(assertion string, scopes ...string) (*ssooidc.CreateTokenWithIAMOutput, error) {
		return sso.CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String(bearerApp),
			GrantType: aws.String(jwtBearerGrant), Assertion: aws.String(assertion), Scope: scopes})
	}

	good := provider.assertion(t, iss.clock.now(), "user-42", nil)
	out, err := bearer(good, "openid", "offline_access", "read")
	if err != nil {
		t.Fatalf("jwt-bearer: %v", err)
	}
	claims, _ := verifyAccessToken(t, iss.url, aws.ToString(out.AccessToken))
	session := "arn:aws:sts::111122223333:assumed-role/ExampleAppClientRole/bearer-1"
	if claims.Subject != "user-42" || claims.ClientID != bearerApp || claims.IAMPrincipal != session ||
		claims.Scope != "offline_access openid read" || !slices.Equal([]string(claims.Audience), []string{bearerApp}) ||
		claims.OriginJTI == "" || out.IdToken == nil || out.RefreshToken == nil || out.ExpiresIn != 3600 {
		t.Fatalf("jwt-bearer token %+v, response %+v", claims, out)
	}
	wantActive(t, iss, "rs", svcSecret, aws.ToString(out.AccessToken), true)
	// The refresh token continues the new lineage.
	refreshed, err := sso.CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String(bearerApp),
		GrantType: aws.String("refresh_token"), RefreshToken: out.RefreshToken})
	if err != nil {
		t.Fatalf("refresh of a jwt-bearer lineage: %v", err)
	}
	if c, _ := verifyAccessToken(t, iss.url, aws.ToString(refreshed.AccessToken)); c.OriginJTI != claims.OriginJTI || c.Subject != "user-42" {
		t.Fatalf("refreshed token %+v", c)
	}

	// The same user's second assertion starts another lineage.
	again, err := bearer(provider.assertion(t, iss.clock.now(), "user-42", nil))
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := verifyAccessToken(t, iss.url, aws.ToString(again.AccessToken)); c.OriginJTI == claims.OriginJTI {
		t.Fatal("a second assertion continued the first lineage")
	}

	now := iss.clock.now()
	tampered := func(a string) string {
		parts := strings.Split(a, ".")
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sig[10] ^= 0x01
		return parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&provider.key.PublicKey)
	hs256 := func() string {
		h, _ := json.Marshal(map[string]string{"alg": "HS256", "kid": "idp-1", "typ": "JWT"})
		c, _ := json.Marshal(map[string]any{"iss": idpIssuer, "sub": "admin", "aud": idpAudience, "iat": now.Unix(),
			"exp": now.Add(time.Minute).Unix(), "jti": "hs"})
		input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
		m := hmac.New(sha256.New, pub)
		m.Write([]byte(input))
		return input + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	refused := []struct {
		name      string
		assertion string
	}{
		{"replayed", good},
		{"bad signature", tampered(provider.assertion(t, now, "user-42", func(c map[string]any) { c["jti"] = "burn-1" }))},
		{"wrong aud", provider.assertion(t, now, "user-42", func(c map[string]any) { c["aud"] = "urn:lineage:other" })},
		{"expired", provider.assertion(t, now, "user-42", func(c map[string]any) {
			c["iat"], c["exp"] = now.Add(-5*time.Minute).Unix(), now.Add(-2*time.Minute).Unix()
		})},
		{"too long-lived", provider.assertion(t, now, "user-42", func(c map[string]any) { c["exp"] = now.Add(time.Hour).Unix() })},
		{"untrusted issuer", provider.assertion(t, now, "user-42", func(c map[string]any) { c["iss"] = "https://evil.example" })},
		{"no jti", provider.assertion(t, now, "user-42", func(c map[string]any) { delete(c, "jti") })},
		{"HS256 keyed with the public key", hs256()},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			var badGrant *types.InvalidGrantException
			if _, err := bearer(tt.assertion); !errors.As(err, &badGrant) {
				t.Fatalf("err = %v, want InvalidGrantException", err)
			}
		})
	}
	// A forged assertion does not burn the jti it names: the genuine one
	// with that jti still works.
	if _, err := bearer(provider.assertion(t, now, "user-42", func(c map[string]any) { c["jti"] = "burn-1" })); err != nil {
		t.Fatalf("the genuine assertion after a forgery with its jti: %v", err)
	}
	var badRequest *types.InvalidRequestException
	if _, err := bearer(""); !errors.As(err, &badRequest) {
		t.Fatalf("no assertion: %v", err)
	}
}

// TestCreateTokenWithIAMTokenExchange: through the AWS SDK, the
// application exchanges an access token issued for it for a downscoped one
// of the same lineage (origin_jti) that names the IAM caller in act and
// does not outlive the subject; upscoping, another audience's token and a
// refresh token as subject are refused; revoking the subject's lineage
// makes the exchanged tokens inactive.
func TestCreateTokenWithIAMTokenExchange(t *testing.T) {
	iss := startIssuer(t, "{}")
	ctx := context.Background()
	provider := newIDP(t)
	createBearerApp(t, iss, provider)
	creds := assumeRole(t, stsClient(iss.url, "AKIAEXAMPLEDEPLOYER1", iamSecret, ""), roleARN, "exchange-1")
	// The SDK's default retries correct its clock when the issuer's moves.
	sso := ssooidc.New(ssooidc.Options{Region: "us-east-1", BaseEndpoint: aws.String(iss.url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })})
	session := "arn:aws:sts::111122223333:assumed-role/ExampleAppClientRole/exchange-1"

	subject, err := sso.CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String(bearerApp),
		GrantType: aws.String(jwtBearerGrant), Assertion: aws.String(provider.assertion(t, iss.clock.now(), "user-7", nil)),
		Scope: []string{"read", "write"}})
	if err != nil {
		t.Fatal(err)
	}
	subjectClaims, _ := verifyAccessToken(t, iss.url, aws.ToString(subject.AccessToken))
	iss.clock.add(10 * time.Minute) // the exchanged token must end with the subject, 50 minutes on
	exchange := func(token string, requested string, scopes ...string) (*ssooidc.CreateTokenWithIAMOutput, error) {
		in := &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String(bearerApp), GrantType: aws.String(exchangeGrant),
			SubjectToken: aws.String(token), SubjectTokenType: aws.String(accessTokenURN), Scope: scopes}
		if requested != "" {
			in.RequestedTokenType = aws.String(requested)
		}
		return sso.CreateTokenWithIAM(ctx, in)
	}

	down, err := exchange(aws.ToString(subject.AccessToken), "", "read")
	if err != nil {
		t.Fatalf("token exchange: %v", err)
	}
	c := exchangeClaims(t, iss, aws.ToString(down.AccessToken))
	if c.Subject != "user-7" || c.Scope != "read" || c.OriginJTI != subjectClaims.OriginJTI || c.ID == subjectClaims.ID ||
		c.Act == nil || c.Act.Sub != session || c.Act.Act != nil || c.ClientID != bearerApp || c.IAMPrincipal != session ||
		c.Expiry.Time().After(subjectClaims.Expiry.Time()) || aws.ToString(down.IssuedTokenType) != accessTokenURN ||
		!slices.Equal(down.Scope, []string{"read"}) || down.RefreshToken != nil || down.ExpiresIn > 3000 {
		t.Fatalf("exchanged token %+v act %+v, response %+v", c, c.Act, down)
	}
	wantActive(t, iss, "rs", svcSecret, aws.ToString(down.AccessToken), true)

	// The exchanged token may itself be exchanged: act nests.
	twice, err := exchange(aws.ToString(down.AccessToken), "")
	if err != nil {
		t.Fatalf("second exchange: %v", err)
	}
	if c2 := exchangeClaims(t, iss, aws.ToString(twice.AccessToken)); c2.Act == nil || c2.Act.Sub != session || len(c2.Act.Act) == 0 ||
		c2.OriginJTI != subjectClaims.OriginJTI || c2.Scope != "read" {
		t.Fatalf("twice-exchanged token %+v act %+v", c2, c2.Act)
	}

	// requestedTokenType refresh_token: a refresh token whose lineage
	// never outlives the subject either.
	withRefresh, err := exchange(aws.ToString(subject.AccessToken), refreshURN, "read", "write")
	if err != nil {
		t.Fatalf("token exchange for a refresh token: %v", err)
	}
	if aws.ToString(withRefresh.IssuedTokenType) != refreshURN || withRefresh.RefreshToken == nil {
		t.Fatalf("response %+v", withRefresh)
	}
	iss.clock.add(45 * time.Minute) // 5 minutes of the subject left
	rotated, err := sso.CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String(bearerApp),
		GrantType: aws.String("refresh_token"), RefreshToken: withRefresh.RefreshToken})
	if err != nil {
		t.Fatalf("refresh of an exchanged lineage: %v", err)
	}
	if rc := exchangeClaims(t, iss, aws.ToString(rotated.AccessToken)); rc.Expiry.Time().After(subjectClaims.Expiry.Time()) ||
		rc.Act == nil || rc.Act.Sub != session || rc.OriginJTI != subjectClaims.OriginJTI || rotated.ExpiresIn > 300 {
		t.Fatalf("refreshed exchanged token %+v act %+v, expires in %d", rc, rc.Act, rotated.ExpiresIn)
	}
	iss.clock.add(-45 * time.Minute) // back to 10 minutes after the subject was issued

	var badScope *types.InvalidScopeException
	if _, err := exchange(aws.ToString(subject.AccessToken), "", "read", "admin"); !errors.As(err, &badScope) {
		t.Fatalf("upscoping: %v", err)
	}
	if _, err := exchange(aws.ToString(down.AccessToken), "", "write"); !errors.As(err, &badScope) {
		t.Fatalf("upscoping a downscoped token: %v", err)
	}
	var badRequest *types.InvalidRequestException
	if _, err := sso.CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String(bearerApp),
		GrantType: aws.String(exchangeGrant), SubjectToken: subject.AccessToken,
		SubjectTokenType: aws.String("urn:ietf:params:oauth:token-type:id_token")}); !errors.As(err, &badRequest) {
		t.Fatalf("an id_token subject token type: %v", err)
	}
	var badGrant *types.InvalidGrantException
	cc := clientcredentials.Config{ClientID: "svc", ClientSecret: svcSecret, TokenURL: iss.url + "/token", Scopes: []string{"read"}}
	foreign, err := cc.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exchange(foreign.AccessToken, ""); !errors.As(err, &badGrant) {
		t.Fatalf("a token for another audience: %v", err)
	}
	if _, err := exchange(aws.ToString(subject.RefreshToken), ""); !errors.As(err, &badGrant) {
		t.Fatalf("a refresh token as access token: %v", err)
	}

	// Revoking the subject's lineage (its refresh token, RFC 7009) makes
	// every exchanged token inactive, and the subject unexchangeable.
	if status, typ, out := iamCall(t, iss, creds, "/revoke", map[string]string{"clientId": bearerApp, "token": aws.ToString(subject.RefreshToken)}); status != 200 {
		t.Fatalf("RevokeTokenWithIAM: %d %s %v", status, typ, out)
	}
	for _, tok := range []string{aws.ToString(down.AccessToken), aws.ToString(twice.AccessToken), aws.ToString(withRefresh.AccessToken)} {
		wantActive(t, iss, "rs", svcSecret, tok, false)
	}
	if _, err := exchange(aws.ToString(subject.AccessToken), ""); !errors.As(err, &badGrant) {
		t.Fatalf("exchanging a revoked token: %v", err)
	}
}
