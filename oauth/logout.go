package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"

	"github.com/ory/fosite"
)

// Logout is a validated RP-initiated logout request (OpenID Connect
// RP-Initiated Logout 1.0 §2).
type Logout struct {
	// RedirectTo is the post_logout_redirect_uri with state, or "" to show
	// the signed-out page.
	RedirectTo string
	// SessionID is the sid of the ID token hint, if any.
	SessionID string
}

// ParseLogout checks a logout request: the id_token_hint must be an ID
// token lineage signed (it may have expired), and a post_logout_redirect_uri
// must be registered, exactly, for the client the hint or client_id names.
func (p *Provider) ParseLogout(ctx context.Context, q url.Values) (Logout, error) {
	bad := func(hint string) error { return fosite.ErrInvalidRequest.WithHint(hint) }
	var out Logout
	clientID := q.Get("client_id")
	if hint := q.Get("id_token_hint"); hint != "" {
		v, err := p.keys.Verify(hint, IDTokenType)
		if err != nil {
			return out, bad("The id_token_hint is not an ID token of this issuer.")
		}
		var c IDTokenClaims
		if err := json.Unmarshal(v.Payload, &c); err != nil || c.Issuer != p.opts.Issuer || len(c.Audience) != 1 {
			return out, bad("The id_token_hint is not an ID token of this issuer.")
		}
		if clientID != "" && clientID != c.Audience[0] {
			return out, bad("client_id differs from the id_token_hint's audience.")
		}
		clientID, out.SessionID = c.Audience[0], c.SID
	}
	uri := q.Get("post_logout_redirect_uri")
	if uri == "" {
		return out, nil
	}
	if clientID == "" {
		return out, bad("post_logout_redirect_uri needs an id_token_hint or a client_id.")
	}
	client, err := getClient(ctx, p.clients, clientID)
	if errors.Is(err, fosite.ErrNotFound) {
		return out, bad("The client is unknown or disabled.")
	}
	if err != nil {
		return out, fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	if !slices.Contains(client.PostLogoutRedirectURIs, uri) {
		return out, bad("The post_logout_redirect_uri is not registered for this client.")
	}
	out.RedirectTo = uri
	if state := q.Get("state"); state != "" {
		out.RedirectTo = addQuery(uri, url.Values{"state": {state}})
	}
	return out, nil
}
