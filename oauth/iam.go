package oauth

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/iam"
	"github.com/lineage-oss/lineage/revocation"
	"github.com/lineage-oss/lineage/store"
)

// IAMIdentity is the IAM caller an IAM-minted token is issued to
// (DESIGN.md "Tokens"): the claims iam_principal, iam_source and
// iam_session_iat.
type IAMIdentity struct {
	// Principal is the caller's ARN: a user, or a role session.
	Principal string
	// Source is, for a role session, the principal that assumed the role.
	Source string
	// SessionIssuedAt is when the credential the caller signed with was
	// issued: the session's start, or the access key's creation.
	SessionIssuedAt time.Time
}

// principals are the ids of the before-T rules (scope principal) that
// cover the identity's tokens.
func (id IAMIdentity) principals() []string {
	if id.Principal == "" {
		return nil
	}
	return iam.RuleIDs(id.Principal, id.Source)
}

// ErrIAMRevoked is IAMApplication's answer for a caller whose credential
// a before-T rule covers (its role's sessions or its access key were
// revoked): it gets nothing new.
var ErrIAMRevoked = errors.New("oauth: the caller's IAM credentials were revoked")

// recordIdentity is the IAM identity a stored refresh token was issued to.
func recordIdentity(rec store.RefreshToken) IAMIdentity {
	return IAMIdentity{Principal: rec.IAMPrincipal, Source: rec.IAMSource, SessionIssuedAt: rec.IAMSessionIssuedAt}
}

// IAMPolicies re-evaluates, at each use of an IAM-minted token, whether
// the policies in force now still allow what minted it (iam.Directory).
type IAMPolicies interface {
	StillAllowed(ctx context.Context, in iam.TokenRecheck) (bool, error)
}

// iamStillAllowed re-evaluates the policies of an IAM-minted access token
// of client, given its account's policy generation read with its
// revocation check. Other tokens, or no IAMPolicies, are allowed.
func (p *Provider) iamStillAllowed(ctx context.Context, c AccessTokenClaims, client *Client, generation int64) (bool, error) {
	if c.IAMPrincipal == "" || p.iamPolicies == nil {
		return true, nil
	}
	ok, err := p.iamPolicies.StillAllowed(ctx, iam.TokenRecheck{
		Principal: c.IAMPrincipal, SessionIssuedAt: time.Unix(c.IAMSessionIAT, 0), ClientID: client.ID,
		ActorPolicy: client.ActorPolicy, Generation: generation,
	})
	if err != nil {
		return false, fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	return ok, nil
}

// Grant types of CreateTokenWithIAM beyond the web flows'.
const (
	GrantJWTBearer     = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
)

// IAMTokenRequest is a CreateTokenWithIAM request (POST /token?aws_iam=t,
// DESIGN.md "Wire compatibility with AWS SDKs"), its caller authenticated
// (SigV4) and authorized (sso-oauth:CreateTokenWithIAM) by the web layer.
type IAMTokenRequest struct {
	Client       *Client
	Caller       IAMIdentity
	GrantType    string
	Code         string
	CodeVerifier string
	RedirectURI  string
	RefreshToken string
	Scopes       []string
	// Assertion is the JWT of the jwt-bearer grant (RFC 7523 §2.1).
	Assertion string
	// SubjectToken, SubjectTokenType and RequestedTokenType are the
	// token-exchange parameters (RFC 8693 §2.1).
	SubjectToken       string
	SubjectTokenType   string
	RequestedTokenType string
}

// IAMToken is a CreateTokenWithIAM response.
type IAMToken struct {
	AccessToken     string   `json:"accessToken"`
	TokenType       string   `json:"tokenType"`
	ExpiresIn       int32    `json:"expiresIn"`
	RefreshToken    string   `json:"refreshToken,omitempty"`
	IDToken         string   `json:"idToken,omitempty"`
	IssuedTokenType string   `json:"issuedTokenType,omitempty"`
	Scope           []string `json:"scope,omitempty"`
}

// IAMApplication checks, in one store round trip, that no before-T rule
// covers the caller's credential (else ErrIAMRevoked) and reads the
// enabled application a CreateTokenWithIAM-family call names by its
// clientId (errBadClient when it is unknown or disabled). A store that
// cannot be read is temporarily_unavailable: the call is refused.
func (p *Provider) IAMApplication(ctx context.Context, caller IAMIdentity, id string) (*Client, error) {
	ids := storedIDs(p.clients, id)
	check, err := p.revocations.Check(ctx, revocation.Token{
		Principals: caller.principals(), IssuedAt: caller.SessionIssuedAt, SessionIssuedAt: caller.SessionIssuedAt,
	}, ids)
	switch {
	case err != nil:
		return nil, fosite.ErrTemporarilyUnavailable.WithWrap(err)
	case check.Revoked:
		return nil, ErrIAMRevoked
	}
	c, err := getClient(ctx, prefetched{src: p.clients, ids: ids, records: check.Clients}, id)
	switch {
	case errors.Is(err, fosite.ErrNotFound):
		return nil, errBadClient
	case err != nil:
		return nil, fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	return c, nil
}

// CreateTokenWithIAM issues tokens to an IAM caller for in.Client through
// the authorization_code, refresh_token, client_credentials, jwt-bearer
// (RFC 7523) or token-exchange (RFC 8693) grant. The
// tokens carry the caller's IAM identity, so that revoking its role's
// sessions or its access key reaches them. Errors are
// *fosite.RFC6749Error, or a *ratelimit.Exceeded when the client is over
// its /token limit; the web layer renders them in the AWS shape.
func (p *Provider) CreateTokenWithIAM(ctx context.Context, in IAMTokenRequest) (IAMToken, error) {
	if err := p.limits.Token(ctx, in.Client.ID); err != nil {
		return IAMToken{}, err
	}
	switch in.GrantType {
	case GrantClientCredentials:
		return p.iamClientCredentials(ctx, in)
	case GrantAuthorizationCode, GrantRefreshToken:
		return p.iamWebGrant(ctx, in)
	case GrantJWTBearer:
		return p.iamJWTBearer(ctx, in)
	case GrantTokenExchange:
		return p.iamTokenExchange(ctx, in)
	case "":
		return IAMToken{}, fosite.ErrInvalidRequest.WithHint("grantType is required.")
	}
	return IAMToken{}, fosite.ErrUnsupportedGrantType.WithHintf("The grant type %q is not supported with IAM.", in.GrantType)
}

// iamClientCredentials mints an access token whose subject is the calling
// principal (lineage's extension of CreateTokenWithIAM); as RFC 6749
// §4.4.3 advises, without a refresh token.
func (p *Provider) iamClientCredentials(ctx context.Context, in IAMTokenRequest) (IAMToken, error) {
	client := in.Client
	if !client.GetGrantTypes().Has(GrantClientCredentials) {
		return IAMToken{}, fosite.ErrUnauthorizedClient.WithHint("The application may not use the client_credentials grant.")
	}
	scopes, err := grantScopes(client, in.Scopes)
	if err != nil {
		return IAMToken{}, err
	}
	audience, err := grantAudience(client, url.Values{}, []string{p.defaultAudience})
	if err != nil {
		return IAMToken{}, err
	}
	lifetime := client.GetEffectiveLifespan(fosite.GrantTypeClientCredentials, fosite.AccessToken, p.opts.AccessTTL)
	token, _, err := p.tokens.MintContext(ctx, Grant{Subject: in.Caller.Principal, ClientID: client.ID, Scopes: scopes,
		Audience: audience, Lifetime: lifetime, IAM: in.Caller})
	if err != nil {
		return IAMToken{}, fosite.ErrServerError.WithWrap(err)
	}
	return IAMToken{AccessToken: token, TokenType: "Bearer", ExpiresIn: int32(lifetime.Seconds()), Scope: scopes}, nil
}

// iamWebGrant runs the authorization_code or refresh_token grant exactly as
// /token does — PKCE, one-time codes, rotation, reuse detection, the
// revocation check — with the client authenticated by the caller's
// signature and authorization instead of a secret.
func (p *Provider) iamWebGrant(ctx context.Context, in IAMTokenRequest) (IAMToken, error) {
	form := url.Values{"grant_type": {in.GrantType}}
	set := func(k, v string) {
		if v != "" {
			form.Set(k, v)
		}
	}
	set("code", in.Code)
	set("code_verifier", in.CodeVerifier)
	set("redirect_uri", in.RedirectURI)
	set("refresh_token", in.RefreshToken)
	req := fosite.NewAccessRequest(&Session{})
	req.Client = in.Client
	req.Form = form
	req.GrantTypes = fosite.Arguments{in.GrantType}
	req.RequestedScope = fosite.Arguments(in.Scopes)

	var handler fosite.TokenEndpointHandler = &authorizationCodeGrant{p: p}
	if in.GrantType == GrantRefreshToken {
		handler = &refreshTokenGrant{p: p}
	}
	if err := handler.HandleTokenEndpointRequest(ctx, req); err != nil {
		return IAMToken{}, err
	}
	g := req.GetSession().(*Session).grant
	g.iam = in.Caller
	resp := fosite.NewAccessResponse()
	if err := p.issue(ctx, g, resp); err != nil {
		return IAMToken{}, err
	}
	return iamResponse(resp, g.scopes), nil
}

// iamResponse is the CreateTokenWithIAM response of what issue wrote.
func iamResponse(resp fosite.AccessResponder, scopes []string) IAMToken {
	out := IAMToken{AccessToken: resp.GetAccessToken(), TokenType: resp.GetTokenType(), Scope: scopes}
	if exp, ok := resp.GetExtra("expires_in").(int64); ok {
		out.ExpiresIn = int32(exp)
	}
	out.RefreshToken, _ = resp.GetExtra("refresh_token").(string)
	out.IDToken, _ = resp.GetExtra("id_token").(string)
	return out
}
