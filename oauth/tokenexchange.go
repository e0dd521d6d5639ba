package oauth

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ory/fosite"
)

// Token type identifiers of token exchange (RFC 8693 §3).
const (
	TokenTypeAccessToken  = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeRefreshToken = "urn:ietf:params:oauth:token-type:refresh_token"
)

// maxActors bounds the act chain (RFC 8693 §4.1): a token exchanged this
// many times is not exchanged again.
const maxActors = 5

// iamTokenExchange is the token-exchange grant of CreateTokenWithIAM (RFC
// 8693 §2): the application trades a lineage access token issued for it —
// its aud contains the application's client id — for one of its own, on
// behalf of the same subject, acted for by the IAM caller.
//
//   - subjectTokenType is the access_token type; the subject token must be
//     active as introspection says (signature, times, revocation set, its
//     client enabled, and for an IAM-minted token its policies).
//   - The scopes are the subject token's, or a subset asked for
//     (downscoping only: a wider scope is invalid_scope).
//   - The result keeps the subject's origin_jti, so revoking the subject's
//     lineage revokes it; adds act {"sub": caller ARN} (nesting the
//     subject's act); its aud is the application's audiences (else the
//     default audience); and it never outlives the subject token.
//   - requestedTokenType refresh_token adds a refresh token (for an
//     application that may refresh) whose family ends when the subject
//     token does.
func (p *Provider) iamTokenExchange(ctx context.Context, in IAMTokenRequest) (IAMToken, error) {
	client := in.Client
	if !client.GetGrantTypes().Has(GrantTokenExchange) {
		return IAMToken{}, fosite.ErrUnauthorizedClient.WithHint("The application may not use the token-exchange grant.")
	}
	if in.SubjectToken == "" {
		return IAMToken{}, fosite.ErrInvalidRequest.WithHint("subjectToken is required.")
	}
	if in.SubjectTokenType != TokenTypeAccessToken {
		return IAMToken{}, fosite.ErrInvalidRequest.WithHintf("subjectTokenType must be %s.", TokenTypeAccessToken)
	}
	issued := TokenTypeAccessToken
	switch in.RequestedTokenType {
	case "", TokenTypeAccessToken:
	case TokenTypeRefreshToken:
		if !client.GetGrantTypes().Has(GrantRefreshToken) {
			return IAMToken{}, fosite.ErrUnauthorizedClient.WithHint("The application may not use the refresh_token grant.")
		}
		issued = TokenTypeRefreshToken
	default:
		return IAMToken{}, fosite.ErrInvalidRequest.WithHintf("requestedTokenType must be %s or %s.", TokenTypeAccessToken, TokenTypeRefreshToken)
	}

	subject, err := p.activeSubjectToken(ctx, client, in.SubjectToken)
	if err != nil {
		return IAMToken{}, err
	}
	if subject.Act.depth() >= maxActors {
		return IAMToken{}, fosite.ErrInvalidGrant.WithHint("The subject token was exchanged too many times.")
	}
	scopes := strings.Fields(subject.Scope)
	if len(in.Scopes) > 0 {
		for _, s := range in.Scopes {
			if !slices.Contains(scopes, s) {
				return IAMToken{}, fosite.ErrInvalidScope.WithHintf("Scope '%s' is not a scope of the subject token.", s)
			}
		}
		scopes = slices.Compact(slices.Sorted(slices.Values(in.Scopes)))
	}
	audience, err := grantAudience(client, url.Values{}, []string{p.defaultAudience})
	if err != nil {
		return IAMToken{}, err
	}
	now := p.opts.Now()
	g := &issuance{client: client, subject: subject.Subject, scopes: scopes, audience: audience,
		originJTI: subject.OriginJTI, authTime: now, familyIssuedAt: now, iam: in.Caller,
		notAfter: time.Unix(subject.ExpiresAt, 0), act: &Actor{Subject: in.Caller.Principal, Actor: subject.Act}}
	lifetime, err := g.capped(client.GetEffectiveLifespan(fosite.GrantTypeAuthorizationCode, fosite.AccessToken, p.opts.AccessTTL), now)
	if err != nil {
		return IAMToken{}, err
	}
	token, _, err := p.tokens.MintContext(ctx, Grant{Subject: g.subject, ClientID: client.ID, Scopes: scopes, Audience: audience,
		OriginJTI: g.originJTI, Lifetime: lifetime, IAM: in.Caller, Act: g.act})
	if err != nil {
		return IAMToken{}, fosite.ErrServerError.WithWrap(err)
	}
	out := IAMToken{AccessToken: token, TokenType: "Bearer", ExpiresIn: int32(lifetime.Seconds()),
		IssuedTokenType: issued, Scope: scopes}
	if issued == TokenTypeRefreshToken {
		if out.RefreshToken, err = p.nextRefreshToken(ctx, g); err != nil {
			return IAMToken{}, err
		}
	}
	return out, nil
}

// activeSubjectToken returns the claims of a subject token that is an
// access token issued for client (its aud contains the client's id) and
// active as introspection says; invalid_grant otherwise, without saying
// which check failed.
func (p *Provider) activeSubjectToken(ctx context.Context, client *Client, token string) (AccessTokenClaims, error) {
	refused := fosite.ErrInvalidGrant.WithHint("The subject token is invalid, expired, revoked or not issued for this application.")
	claims, ok := p.verifyAccessToken(token)
	if !ok || !slices.Contains(claims.Audience, client.ID) {
		return AccessTokenClaims{}, refused
	}
	t := claims.revocationToken()
	ids := storedIDs(p.clients, t.ClientID)
	check, err := p.revocations.Check(ctx, t, ids)
	if err != nil {
		return AccessTokenClaims{}, fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	if check.Revoked {
		return AccessTokenClaims{}, refused
	}
	owner, err := getClient(ctx, prefetched{src: p.clients, ids: ids, records: check.Clients}, claims.ClientID)
	switch {
	case errors.Is(err, fosite.ErrNotFound):
		return AccessTokenClaims{}, refused
	case err != nil:
		return AccessTokenClaims{}, fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	switch ok, err := p.iamStillAllowed(ctx, claims, owner, check.PolicyGeneration); {
	case err != nil:
		return AccessTokenClaims{}, err
	case !ok:
		return AccessTokenClaims{}, refused
	}
	return claims, nil
}
