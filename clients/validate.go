package clients

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/go-jose/go-jose/v4"

	"github.com/lineage-oss/lineage/store"
)

// ErrInvalid reports a client that breaks a rule of Validate.
var ErrInvalid = errors.New("clients: invalid client")

// GrantTypes are the grant types a client may be registered for.
var grantTypes = []string{
	"authorization_code", "refresh_token", "client_credentials",
	"urn:ietf:params:oauth:grant-type:jwt-bearer",
	"urn:ietf:params:oauth:grant-type:token-exchange",
	"urn:ietf:params:oauth:grant-type:device_code",
}

// Validate checks a client record and reports every problem at once, each
// wrapping ErrInvalid.
func Validate(c store.Client) error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	if c.ID == "" || len(c.ID) > 256 || strings.TrimSpace(c.ID) != c.ID || strings.IndexFunc(c.ID, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		add("id: 1 to 256 printable characters without spaces at either end")
	}
	if len(c.SecretHash) > 0 && len(c.JWKS) > 0 {
		add("a client authenticates with a secret or with keys (jwks), not both")
	}
	confidential := len(c.SecretHash) > 0 || len(c.JWKS) > 0
	for i, g := range c.GrantTypes {
		if !slices.Contains(grantTypes, g) {
			add("grant_types[%d]: unknown grant type %q", i, g)
		}
	}
	if slices.Contains(c.GrantTypes, "client_credentials") && !confidential {
		add("grant_types: client_credentials needs a confidential client (secret or jwks)")
	}
	if slices.Contains(c.GrantTypes, "authorization_code") && len(c.RedirectURIs) == 0 {
		add("redirect_uris: authorization_code needs at least one redirect URI")
	}
	for i, u := range c.RedirectURIs {
		if !absoluteWithoutFragment(u) {
			add("redirect_uris[%d]: an absolute URI without a fragment", i)
		}
	}
	for i, u := range c.PostLogoutRedirectURIs {
		if !absoluteWithoutFragment(u) {
			add("post_logout_redirect_uris[%d]: an absolute URI without a fragment", i)
		}
	}
	for i, a := range c.Audiences {
		if a == "" || strings.ContainsAny(a, " \t\n") {
			add("audiences[%d]: a non-empty value without spaces", i)
		}
	}
	for i, s := range c.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\n\"\\") {
			add("scopes[%d]: a scope token (RFC 6749 §3.3)", i)
		}
	}
	if len(c.JWKS) > 0 {
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(c.JWKS, &set); err != nil || len(set.Keys) == 0 {
			add("jwks: a JWK Set with at least one key")
		}
		for i, k := range set.Keys {
			if !k.IsPublic() || !k.Valid() {
				add("jwks.keys[%d]: a valid public key", i)
			}
		}
	}
	for i, p := range c.Policies {
		if !isObject(p) {
			add("policies[%d]: a JSON object", i)
		}
	}
	if len(c.ActorPolicy) > 0 && !isObject(c.ActorPolicy) {
		add("actor_policy: a JSON object")
	}
	issuers := map[string]bool{}
	for i, t := range c.TrustedTokenIssuers {
		if u, err := url.Parse(t.Issuer); err != nil || !u.IsAbs() || u.Host == "" {
			add("trusted_token_issuers[%d].issuer: the issuer's absolute URL (its iss claim)", i)
		} else if issuers[t.Issuer] {
			add("trusted_token_issuers[%d].issuer: a duplicate", i)
		}
		issuers[t.Issuer] = true
		if t.Audience == "" {
			add("trusted_token_issuers[%d].audience: required (the value the assertions' aud must contain)", i)
		}
		switch {
		case t.JWKSURI == "" && len(t.JWKS) == 0:
			add("trusted_token_issuers[%d]: set one of jwks_uri and jwks", i)
		case t.JWKSURI != "" && len(t.JWKS) > 0:
			add("trusted_token_issuers[%d]: set only one of jwks_uri and jwks", i)
		case t.JWKSURI != "":
			if u, err := url.Parse(t.JWKSURI); err != nil || u.Scheme != "https" || u.Host == "" {
				add("trusted_token_issuers[%d].jwks_uri: an absolute https URL", i)
			}
		default:
			var set jose.JSONWebKeySet
			if err := json.Unmarshal(t.JWKS, &set); err != nil || len(set.Keys) == 0 {
				add("trusted_token_issuers[%d].jwks: a JWK Set with at least one key", i)
			}
			for j, k := range set.Keys {
				if !k.IsPublic() || !k.Valid() {
					add("trusted_token_issuers[%d].jwks.keys[%d]: a valid public key", i, j)
				}
			}
		}
	}
	if len(c.TrustedTokenIssuers) > 0 && !slices.Contains(c.GrantTypes, "urn:ietf:params:oauth:grant-type:jwt-bearer") {
		add("trusted_token_issuers: only for a client with the grant type urn:ietf:params:oauth:grant-type:jwt-bearer")
	}
	if c.AccessTTL < 0 || c.IDTTL < 0 || c.RefreshIdleTTL < 0 || c.RefreshMaxTTL < 0 {
		add("lifetimes are not negative")
	}
	return errors.Join(errs...)
}

func absoluteWithoutFragment(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.IsAbs() && u.Host != "" && u.Fragment == "" && !strings.Contains(raw, "#")
}

func isObject(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil && m != nil
}
