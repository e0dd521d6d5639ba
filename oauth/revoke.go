package oauth

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/store"
)

// Revoke answers a revocation request (RFC 7009 §2.1). The token is
// verified and must belong to the authenticated client before anything is
// written: a refresh token revokes its whole lineage (every access, ID and
// refresh token sharing its origin_jti), an access token its jti only.
// Another client's, an unknown or an expired token is answered like a
// revoked one — success, no effect, no hint (RFC 7009 §2.2). A client
// whose token_revocation is off gets invalid_request.
func (p *Provider) Revoke(ctx context.Context, r *http.Request) error {
	form, err := postForm(r, "Revocation")
	if err != nil {
		return err
	}
	caller, err := p.auth.authenticate(ctx, r, form)
	if err != nil {
		return err
	}
	return p.RevokeFor(ctx, caller.(*Client), form.Get("token"))
}

// RevokeFor revokes token for the client self, authenticated by the
// caller: by its secret (Revoke) or by an IAM principal allowed
// sso-oauth:RevokeTokenWithIAM on it (RevokeTokenWithIAM).
func (p *Provider) RevokeFor(ctx context.Context, self *Client, token string) error {
	if !self.TokenRevocation {
		return fosite.ErrInvalidRequest.WithHint("Token revocation is turned off for this client.")
	}
	if token == "" {
		return fosite.ErrInvalidRequest.WithHint("The token parameter is missing.")
	}
	// token_type_hint only orders a search (RFC 7009 §2.1); lineage's two
	// kinds of token cannot be mistaken for each other, so it is not needed.
	if origin, ok := refreshOrigin(token); ok {
		return p.revokeLineage(ctx, self, origin, token)
	}
	claims, ok := p.verifyAccessToken(token)
	if !ok || claims.ClientID != self.ID {
		return nil
	}
	if _, err := p.revocations.RevokeToken(ctx, claims.JTI, time.Unix(claims.ExpiresAt, 0)); err != nil {
		return fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	return nil
}

// revokeLineage revokes the lineage of a refresh token of client — spent
// or current — until the last token it can hold expires.
func (p *Provider) revokeLineage(ctx context.Context, client *Client, origin, token string) error {
	rec, err := p.refresh.GetRefreshToken(ctx, origin, hashToken(token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	if rec.ClientID != client.ID {
		return nil
	}
	if _, err := p.revocations.RevokeLineage(ctx, origin, p.lineageEnd(client, rec)); err != nil {
		return fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	return nil
}

// lineageEnd is the latest any token of rec's lineage can expire: its last
// possible refresh, plus the longest access or ID token minted with it.
func (p *Provider) lineageEnd(client *Client, rec store.RefreshToken) time.Time {
	access := client.GetEffectiveLifespan(fosite.GrantTypeRefreshToken, fosite.AccessToken, p.opts.AccessTTL)
	id := client.GetEffectiveLifespan(fosite.GrantTypeRefreshToken, fosite.IDToken, p.opts.IDTTL)
	return rec.FamilyIssuedAt.Add(client.refreshMaxTTL(p.opts.RefreshMaxTTL)).Add(max(access, id))
}
