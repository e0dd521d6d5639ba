package oauth

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/store"
)

// UserInfo is the UserInfo response (OpenID Connect Core §5.3.2).
type UserInfo struct {
	Subject           string `json:"sub"`
	PreferredUsername string `json:"preferred_username,omitempty"`
	Email             string `json:"email,omitempty"`
}

// errInvalidToken is RFC 6750 §3.1's invalid_token.
var errInvalidToken = &fosite.RFC6749Error{ErrorField: "invalid_token", DescriptionField: "The access token is invalid or expired.", CodeField: 401}

// UserInfo returns the claims about the user an access token was issued
// for. The token must be active (the same checks as introspection) and
// carry the openid scope; profile and email add their claims.
func (p *Provider) UserInfo(ctx context.Context, bearer string) (UserInfo, error) {
	claims, ok := p.verifyAccessToken(bearer)
	if !ok {
		return UserInfo{}, errInvalidToken
	}
	if _, err := getClient(ctx, p.clients, claims.ClientID); err != nil {
		if errors.Is(err, fosite.ErrNotFound) {
			return UserInfo{}, errInvalidToken
		}
		return UserInfo{}, fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	if active, err := p.notRevoked(ctx, claims); !active {
		if err != nil {
			return UserInfo{}, err
		}
		return UserInfo{}, errInvalidToken
	}
	scopes := splitScope(claims.Scope)
	if !slices.Contains(scopes, "openid") {
		return UserInfo{}, &fosite.RFC6749Error{ErrorField: "insufficient_scope", DescriptionField: "The access token lacks the openid scope.", CodeField: 403}
	}
	u, err := p.users.Get(ctx, claims.Subject)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return UserInfo{}, errInvalidToken
	case err != nil:
		return UserInfo{}, fosite.ErrTemporarilyUnavailable.WithWrap(err)
	case u.Disabled:
		return UserInfo{}, errInvalidToken
	}
	info := UserInfo{Subject: claims.Subject}
	if slices.Contains(scopes, "profile") {
		info.PreferredUsername = u.Username
	}
	if slices.Contains(scopes, "email") {
		info.Email = u.Email
	}
	return info, nil
}

func splitScope(s string) []string { return strings.Fields(s) }
