package oauth

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ory/fosite"
)

// Grant types lineage handles at /token.
const (
	GrantClientCredentials = "client_credentials"
)

// clientCredentialsGrant is the client_credentials grant (RFC 6749 §4.4)
// minting JWT access tokens (RFC 9068). It writes nothing to the store.
type clientCredentialsGrant struct {
	tokens          *AccessTokens
	accessTTL       time.Duration
	defaultAudience []string
	now             func() time.Time
}

var _ fosite.TokenEndpointHandler = (*clientCredentialsGrant)(nil)

// HandleTokenEndpointRequest implements RFC 6749 §4.4.2: it decides the
// scopes (RFC 6749 §3.3), the audience (RFC 8707 §2.2) and the lifetime.
func (g *clientCredentialsGrant) HandleTokenEndpointRequest(_ context.Context, req fosite.AccessRequester) error {
	client, ok := req.GetClient().(*Client)
	if !ok || client.IsPublic() {
		return fosite.ErrUnauthorizedClient.WithHint("Public clients may not use the client_credentials grant.")
	}
	if !client.GetGrantTypes().Has(GrantClientCredentials) {
		return fosite.ErrUnauthorizedClient.WithHint("The client may not use the client_credentials grant.")
	}
	scopes, err := grantScopes(client, req.GetRequestedScopes())
	if err != nil {
		return err
	}
	audience, err := grantAudience(client, req.GetRequestForm(), g.defaultAudience)
	if err != nil {
		return err
	}
	for _, s := range scopes {
		req.GrantScope(s)
	}
	for _, a := range audience {
		req.GrantAudience(a)
	}
	lifetime := client.GetEffectiveLifespan(fosite.GrantTypeClientCredentials, fosite.AccessToken, g.accessTTL)
	session := req.GetSession().(*Session)
	session.Subject = client.ID
	session.SetExpiresAt(fosite.AccessToken, g.now().Add(lifetime))
	return nil
}

// PopulateTokenEndpointResponse implements RFC 6749 §4.4.3.
func (g *clientCredentialsGrant) PopulateTokenEndpointResponse(ctx context.Context, req fosite.AccessRequester, resp fosite.AccessResponder) error {
	if !g.CanHandleTokenEndpointRequest(ctx, req) {
		return fosite.ErrUnknownRequest
	}
	client := req.GetClient().(*Client)
	lifetime := client.GetEffectiveLifespan(fosite.GrantTypeClientCredentials, fosite.AccessToken, g.accessTTL)
	token, _, err := g.tokens.MintContext(ctx, Grant{
		Subject:  client.ID,
		ClientID: client.ID,
		Scopes:   req.GetGrantedScopes(),
		Audience: req.GetGrantedAudience(),
		Lifetime: lifetime,
	})
	if err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	resp.SetAccessToken(token)
	resp.SetTokenType("Bearer")
	resp.SetExpiresIn(lifetime)
	resp.SetScopes(req.GetGrantedScopes())
	return nil
}

// CanSkipClientAuth implements fosite.TokenEndpointHandler.
func (g *clientCredentialsGrant) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool {
	return false
}

// CanHandleTokenEndpointRequest implements fosite.TokenEndpointHandler.
func (g *clientCredentialsGrant) CanHandleTokenEndpointRequest(_ context.Context, req fosite.AccessRequester) bool {
	return req.GetGrantTypes().ExactOne(GrantClientCredentials)
}

// errInvalidTarget is RFC 8707 §2's error for a resource or audience the
// client may not have; fosite does not define it.
var errInvalidTarget = &fosite.RFC6749Error{
	ErrorField:       "invalid_target",
	DescriptionField: "The requested resource is invalid, missing, unknown, or malformed.",
	CodeField:        http.StatusBadRequest,
}

// userScopes are scopes that make no sense without a user.
var userScopes = []string{"openid", "offline_access"}

// grantScopes returns the requested scopes if the client has each one
// exactly, or, when none is requested, the client's own scopes that do not
// need a user (RFC 6749 §3.3: "a pre-defined default value").
func grantScopes(client *Client, requested []string) ([]string, error) {
	if len(requested) == 0 {
		return slices.DeleteFunc(slices.Clone(client.Scopes), func(s string) bool { return slices.Contains(userScopes, s) }), nil
	}
	for _, s := range requested {
		if !slices.Contains(client.Scopes, s) {
			return nil, fosite.ErrInvalidScope.WithHintf("The client may not request scope '%s'.", s)
		}
	}
	return slices.Compact(slices.Sorted(slices.Values(requested))), nil
}

// grantAudience returns the requested audience — RFC 8707 resource
// indicators and the audience parameter — each of which must be one of the
// client's audiences exactly; none requested → the client's audiences, else
// the default audience (DESIGN.md "Tokens").
func grantAudience(client *Client, form url.Values, defaultAudience []string) ([]string, error) {
	var requested []string
	for _, r := range form["resource"] {
		u, err := url.Parse(r)
		if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(r, "#") {
			return nil, errInvalidTarget.WithHint("A resource must be an absolute URI without a fragment (RFC 8707).")
		}
		requested = append(requested, r)
	}
	for _, a := range form["audience"] {
		requested = append(requested, strings.Fields(a)...)
	}
	if len(requested) == 0 {
		if len(client.Audiences) > 0 {
			return slices.Clone(client.Audiences), nil
		}
		return slices.Clone(defaultAudience), nil
	}
	for _, a := range requested {
		if !slices.Contains(client.Audiences, a) {
			return nil, errInvalidTarget.WithHintf("The client may not request audience '%s'.", a)
		}
	}
	return slices.Compact(slices.Sorted(slices.Values(requested))), nil
}

// unsupportedGrant answers unsupported_grant_type (RFC 6749 §5.2) for any
// grant type no other handler knows, instead of fosite's invalid_request.
type unsupportedGrant struct {
	known []string
}

func (u *unsupportedGrant) HandleTokenEndpointRequest(context.Context, fosite.AccessRequester) error {
	return fosite.ErrUnsupportedGrantType
}

func (u *unsupportedGrant) PopulateTokenEndpointResponse(ctx context.Context, req fosite.AccessRequester, _ fosite.AccessResponder) error {
	if !u.CanHandleTokenEndpointRequest(ctx, req) {
		return fosite.ErrUnknownRequest
	}
	return fosite.ErrUnsupportedGrantType
}

func (u *unsupportedGrant) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool {
	return true
}

func (u *unsupportedGrant) CanHandleTokenEndpointRequest(_ context.Context, req fosite.AccessRequester) bool {
	gts := req.GetGrantTypes()
	return len(gts) != 1 || !slices.Contains(u.known, gts[0])
}
