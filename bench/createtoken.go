package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/lineage-oss/lineage/admin"
	"github.com/lineage-oss/lineage/iam"
)

// Wire constants of CreateTokenWithIAM (DESIGN.md "Wire compatibility with
// AWS SDKs").
const (
	// createTokenPath is the operation's path and query.
	createTokenPath = "/token?aws_iam=t"
	// ssoOAuthService is its SigV4 signing name.
	ssoOAuthService = "sso-oauth"
	// actionCreateTokenWithIAM is the action its policies are evaluated
	// for.
	actionCreateTokenWithIAM = "sso-oauth:CreateTokenWithIAM"
)

// iamScope is the one scope the application has and every request asks
// for.
const iamScope = "read"

// iamSessionDuration is the role session's lifetime: longer than any run
// (the role's max_session_duration allows it). Deleting the role at the
// end ends the session at once.
const iamSessionDuration = 12 * time.Hour

// createTokenWithIAM is CreateTokenWithIAM (POST /token?aws_iam=t, the
// SSO-OIDC operation of the AWS SDKs) with the client_credentials grant:
// an IAM role session asks for an access token of an application. Set-up
// creates, through the admin API, an IAM user allowed sts:AssumeRole and
// an access key for it, a role that trusts the user and whose identity
// policy allows sso-oauth:CreateTokenWithIAM, and an application
// (client_credentials, scope read) whose ActorPolicy allows the role; it
// then assumes the role once at POST /sts/ with the AWS SDK's STS client.
// Each request carries a SigV4 signature made for it (signing name
// sso-oauth, the current time, the session token, an SDK invocation id),
// so the issuer verifies the signature, evaluates the org guardrails, the
// role's identity policy and the ActorPolicy, and signs a JWT. Every
// answer is checked: 200, a JWT access token of type Bearer issued to the
// role session for the application with scope read.
type createTokenWithIAM struct {
	public   *Public
	creds    aws.Credentials // the role session's
	region   string
	body     []byte // the same JSON for every request
	bodyHash string // its SHA-256, hex
	target   *url.URL
	clientID string
	session  string // the role session's ARN: every token's subject
	seed     *rand.Rand
}

var _ Scenario = (*createTokenWithIAM)(nil)

func (s *createTokenWithIAM) Name() string { return ScenarioCreateTokenWithIAM }

// policyDocument is an IAM policy (DESIGN.md "IAM model", grammar
// 2012-10-17) with the parts the scenario writes.
type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Effect    string            `json:"Effect"`
	Principal map[string]string `json:"Principal,omitempty"`
	Action    string            `json:"Action"`
	Resource  string            `json:"Resource,omitempty"`
}

// allow returns a policy of one Allow statement.
func allow(principal, action, resource string) json.RawMessage {
	st := policyStatement{Effect: "Allow", Action: action, Resource: resource}
	if principal != "" {
		st.Principal = map[string]string{"AWS": principal}
	}
	b, _ := json.Marshal(policyDocument{Version: "2012-10-17", Statement: []policyStatement{st}})
	return b
}

// Setup creates the IAM user, its access key, the role and the
// application, assumes the role and checks that the session gets a token.
func (s *createTokenWithIAM) Setup(ctx context.Context, env *Env) (Setup, error) {
	s.public, s.region, s.seed = env.Public, env.Options.Region, env.Rand
	target, err := url.Parse(env.Public.base + createTokenPath)
	if err != nil {
		return Setup{}, err
	}
	s.target = target

	user, err := env.Admin.CreateIAMUser(ctx, "iam-caller", allow("", "sts:AssumeRole", "*"))
	if err != nil {
		return Setup{}, err
	}
	keyID, secret, err := env.Admin.CreateAccessKey(ctx, user.Name)
	if err != nil {
		return Setup{}, err
	}
	role, err := env.Admin.CreateRole(ctx, iam.RoleInput{
		Name:               "iam-role",
		MaxSessionDuration: iamSessionDuration.String(),
		TrustPolicy:        allow(user.ARN, "sts:AssumeRole", ""),
		Policies:           []json.RawMessage{allow("", actionCreateTokenWithIAM, "*")},
	})
	if err != nil {
		return Setup{}, err
	}
	app, err := env.Admin.CreateClient(ctx, "iam-app", admin.ClientInput{
		GrantTypes:  []string{"client_credentials"},
		Scopes:      []string{iamScope},
		ActorPolicy: allow(role.ARN, actionCreateTokenWithIAM, "*"),
	})
	if err != nil {
		return Setup{}, err
	}
	s.clientID = app.Client.ID
	s.body, err = json.Marshal(struct {
		ClientID  string   `json:"clientId"`
		GrantType string   `json:"grantType"`
		Scope     []string `json:"scope"`
	}{s.clientID, "client_credentials", []string{iamScope}})
	if err != nil {
		return Setup{}, err
	}
	sum := sha256.Sum256(s.body)
	s.bodyHash = hex.EncodeToString(sum[:])

	sessionName := ClientIDPrefix + env.Admin.run
	if s.creds, s.session, err = s.assumeRole(ctx, env, keyID, secret, role.ARN, sessionName); err != nil {
		return Setup{}, err
	}
	env.progressf("assumed role %s as %s", role.Name, s.session)
	w := s.Worker(0)
	rctx, cancel := context.WithTimeout(ctx, env.Options.Timeout)
	defer cancel()
	if res := w.Do(rctx); res.Err != nil {
		return Setup{}, fmt.Errorf("the role session gets no token from CreateTokenWithIAM: %w", res.Err)
	}
	return Setup{Summary: fmt.Sprintf("IAM user %s (access key %s) assumed role %s (session %s); application %s, whose ActorPolicy allows the role",
		user.Name, keyID, role.Name, sessionName, s.clientID)}, nil
}

// assumeRole calls STS AssumeRole at POST /sts/ with the AWS SDK's client,
// signing with the user's access key, and returns the session's temporary
// credentials and ARN.
func (s *createTokenWithIAM) assumeRole(ctx context.Context, env *Env, keyID, secret, roleARN, sessionName string) (aws.Credentials, string, error) {
	client := sts.New(sts.Options{
		Region:       s.region,
		BaseEndpoint: aws.String(env.Public.base + "/sts/"),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}, nil
		}),
		HTTPClient:       env.Public.http,
		RetryMaxAttempts: mintAttempts,
	})
	ctx, cancel := context.WithTimeout(ctx, env.Options.Timeout)
	defer cancel()
	out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(roleARN),
		RoleSessionName: aws.String(sessionName),
		DurationSeconds: aws.Int32(int32(iamSessionDuration.Seconds())),
	})
	if err != nil {
		return aws.Credentials{}, "", fmt.Errorf("assume role %s: %w", roleARN, err)
	}
	c, u := out.Credentials, out.AssumedRoleUser
	if c == nil || u == nil || aws.ToString(c.AccessKeyId) == "" || aws.ToString(c.SessionToken) == "" || aws.ToString(u.Arn) == "" {
		return aws.Credentials{}, "", fmt.Errorf("assume role %s: the answer lacks credentials or the session's ARN", roleARN)
	}
	return aws.Credentials{
		AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken), Source: "lineage bench",
	}, aws.ToString(u.Arn), nil
}

func (s *createTokenWithIAM) Worker(int) Worker {
	target := *s.target // the signer writes the request's RawQuery
	return &createTokenWithIAMWorker{
		s: s,
		// One signer per worker, as an SDK client has: it keeps the derived
		// signing key of the day; the signature itself is made anew for
		// each request.
		signer: v4.NewSigner(),
		req:    &http.Request{Method: http.MethodPost, URL: &target, Host: target.Host, Header: http.Header{}, ContentLength: int64(len(s.body))},
		rand:   rand.New(rand.NewPCG(s.seed.Uint64(), s.seed.Uint64())),
	}
}

var _ Worker = (*createTokenWithIAMWorker)(nil)

type createTokenWithIAMWorker struct {
	s      *createTokenWithIAM
	signer *v4.Signer
	req    *http.Request // what is signed; only its headers change
	rand   *rand.Rand    // invocation ids
	buf    bytes.Buffer
}

func (w *createTokenWithIAMWorker) Do(ctx context.Context) Result {
	s := w.s
	clear(w.req.Header)
	w.req.Header.Set("Content-Type", "application/json")
	// Signed like the SDK's, and distinct for every request even within
	// the second of X-Amz-Date.
	w.req.Header.Set("Amz-Sdk-Invocation-Id", invocationID(w.rand))
	if err := w.signer.SignHTTP(ctx, s.creds, w.req, s.bodyHash, ssoOAuthService, s.region, time.Now().UTC()); err != nil {
		return Result{Err: fmt.Errorf("sign: %w", err)}
	}
	if err := s.public.PostSigned(ctx, createTokenPath, w.req.Header, s.body, &w.buf); err != nil {
		return Result{Err: err}
	}
	return Result{Err: checkIAMToken(w.buf.Bytes(), s.clientID, s.session)}
}

// invocationID returns a random UUID (RFC 9562 version 4), the form of the
// SDKs' amz-sdk-invocation-id.
func invocationID(r *rand.Rand) string {
	var b [16]byte
	hi, lo := r.Uint64(), r.Uint64()
	for i := range 8 {
		b[i], b[8+i] = byte(hi>>(8*i)), byte(lo>>(8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// iamToken is the part of a CreateTokenWithIAM response that is checked.
type iamToken struct {
	AccessToken string   `json:"accessToken"`
	TokenType   string   `json:"tokenType"`
	ExpiresIn   int64    `json:"expiresIn"`
	Scope       []string `json:"scope"`
}

// iamTokenClaims are the claims of its access token that are checked
// (RFC 9068 §2.2 and lineage's iam_principal).
type iamTokenClaims struct {
	Subject      string `json:"sub"`
	ClientID     string `json:"client_id"`
	Scope        string `json:"scope"`
	IAMPrincipal string `json:"iam_principal"`
}

// checkIAMToken checks a 200 CreateTokenWithIAM answer: a JWT access token
// of type Bearer with a lifetime and scope read, issued to principal (its
// sub and iam_principal) for the application clientID.
func checkIAMToken(body []byte, clientID, principal string) error {
	var tr iamToken
	if err := json.Unmarshal(body, &tr); err != nil {
		return failf(ErrUnexpectedBody, "the CreateTokenWithIAM response is not JSON")
	}
	if !isJWT(tr.AccessToken) || !strings.EqualFold(tr.TokenType, "Bearer") || tr.ExpiresIn <= 0 {
		return failf(ErrUnexpectedBody, "the CreateTokenWithIAM response lacks a JWT accessToken, tokenType Bearer or expiresIn")
	}
	var c iamTokenClaims
	if err := jwtClaims(tr.AccessToken, &c); err != nil {
		return failf(ErrUnexpectedBody, "the access token's payload is not JSON")
	}
	switch {
	case c.Subject != principal || c.IAMPrincipal != principal:
		return failf(ErrWrongAnswer, "the access token was issued to sub %q, iam_principal %q, not the role session", truncate(c.Subject, 100), truncate(c.IAMPrincipal, 100))
	case c.ClientID != clientID:
		return failf(ErrWrongAnswer, "the access token is for client_id %q, not %q", truncate(c.ClientID, 100), clientID)
	case !slices.Equal(tr.Scope, []string{iamScope}) || c.Scope != iamScope:
		return failf(ErrWrongAnswer, "the token's scope is %q (response %q), not %q", truncate(c.Scope, 100), tr.Scope, iamScope)
	}
	return nil
}
