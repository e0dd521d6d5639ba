package admin

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/lineage-oss/lineage/store"
)

// Duration is a lifetime written as a Go duration string ("15m", "720h").
type Duration time.Duration

// MarshalJSON writes the duration as a string ("" for zero).
func (d Duration) MarshalJSON() ([]byte, error) {
	if d == 0 {
		return []byte(`""`), nil
	}
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string; "" is zero.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"15m\"")
	}
	if s == "" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q", s)
	}
	*d = Duration(v)
	return nil
}

// Client authentication methods (RFC 7591 §2 token_endpoint_auth_method).
const (
	AuthSecretBasic   = "client_secret_basic"
	AuthPrivateKeyJWT = "private_key_jwt"
	AuthNone          = "none"
)

// ClientInput is a client as the admin API accepts it. A secret is never
// given: lineage generates it (client_secret_basic, the default, accepts
// client_secret_post too).
type ClientInput struct {
	ID                      string            `json:"id"`
	TokenEndpointAuthMethod string            `json:"token_endpoint_auth_method,omitempty"`
	JWKS                    json.RawMessage   `json:"jwks,omitempty"`
	RedirectURIs            []string          `json:"redirect_uris,omitempty"`
	PostLogoutRedirectURIs  []string          `json:"post_logout_redirect_uris,omitempty"`
	GrantTypes              []string          `json:"grant_types,omitempty"`
	Scopes                  []string          `json:"scopes,omitempty"`
	Audiences               []string          `json:"audiences,omitempty"`
	FirstParty              bool              `json:"first_party,omitempty"`
	TokenRevocation         *bool             `json:"token_revocation,omitempty"`
	Introspect              bool              `json:"introspect,omitempty"`
	RevocationEvents        bool              `json:"revocation_events,omitempty"`
	Disabled                bool              `json:"disabled,omitempty"`
	Policies                []json.RawMessage `json:"policies,omitempty"`
	ActorPolicy             json.RawMessage   `json:"actor_policy,omitempty"`
	// TrustedTokenIssuers are the issuers whose JWTs the client may trade
	// with the jwt-bearer grant (RFC 7523 §2.1).
	TrustedTokenIssuers []store.TrustedTokenIssuer `json:"trusted_token_issuers,omitempty"`
	AccessTTL           Duration                   `json:"access_ttl,omitempty"`
	IDTTL               Duration                   `json:"id_ttl,omitempty"`
	RefreshIdleTTL      Duration                   `json:"refresh_idle_ttl,omitempty"`
	RefreshMaxTTL       Duration                   `json:"refresh_max_ttl,omitempty"`
}

// Client is a client as the admin API shows it: everything but the secret.
type Client struct {
	ID                      string                     `json:"id"`
	Source                  string                     `json:"source"` // config or api
	TokenEndpointAuthMethod string                     `json:"token_endpoint_auth_method"`
	JWKS                    json.RawMessage            `json:"jwks,omitempty"`
	RedirectURIs            []string                   `json:"redirect_uris"`
	PostLogoutRedirectURIs  []string                   `json:"post_logout_redirect_uris"`
	GrantTypes              []string                   `json:"grant_types"`
	Scopes                  []string                   `json:"scopes"`
	Audiences               []string                   `json:"audiences"`
	FirstParty              bool                       `json:"first_party"`
	TokenRevocation         bool                       `json:"token_revocation"`
	Introspect              bool                       `json:"introspect"`
	RevocationEvents        bool                       `json:"revocation_events"`
	Disabled                bool                       `json:"disabled"`
	Policies                []json.RawMessage          `json:"policies"`
	ActorPolicy             json.RawMessage            `json:"actor_policy,omitempty"`
	TrustedTokenIssuers     []store.TrustedTokenIssuer `json:"trusted_token_issuers"`
	AccessTTL               Duration                   `json:"access_ttl"`
	IDTTL                   Duration                   `json:"id_ttl"`
	RefreshIdleTTL          Duration                   `json:"refresh_idle_ttl"`
	RefreshMaxTTL           Duration                   `json:"refresh_max_ttl"`
	CreatedAt               time.Time                  `json:"created_at,omitzero"`
	UpdatedAt               time.Time                  `json:"updated_at,omitzero"`
}

// ClientSecret is a client with the secret generated for it: shown once.
type ClientSecret struct {
	Client Client `json:"client"`
	Secret string `json:"secret,omitempty"`
}

// UserInput is a new user.
type UserInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Email    string `json:"email,omitempty"`
}

// User is a user as the admin API shows it: no password hash.
type User struct {
	Username  string    `json:"username"`
	Source    string    `json:"source"`
	Email     string    `json:"email,omitempty"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

func authMethod(c store.Client) string {
	switch {
	case len(c.SecretHash) > 0:
		return AuthSecretBasic
	case len(c.JWKS) > 0:
		return AuthPrivateKeyJWT
	default:
		return AuthNone
	}
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func clientView(c store.Client, configured bool) Client {
	source := "api"
	if configured {
		source = "config"
	}
	return Client{
		ID: c.ID, Source: source, TokenEndpointAuthMethod: authMethod(c), JWKS: c.JWKS,
		RedirectURIs: orEmpty(c.RedirectURIs), PostLogoutRedirectURIs: orEmpty(c.PostLogoutRedirectURIs),
		GrantTypes: orEmpty(c.GrantTypes), Scopes: orEmpty(c.Scopes), Audiences: orEmpty(c.Audiences),
		FirstParty: c.FirstParty, TokenRevocation: c.TokenRevocation, Introspect: c.Introspect,
		RevocationEvents: c.RevocationEvents, Disabled: c.Disabled, Policies: orEmpty(c.Policies),
		ActorPolicy: c.ActorPolicy, TrustedTokenIssuers: orEmpty(c.TrustedTokenIssuers),
		AccessTTL: Duration(c.AccessTTL), IDTTL: Duration(c.IDTTL),
		RefreshIdleTTL: Duration(c.RefreshIdleTTL), RefreshMaxTTL: Duration(c.RefreshMaxTTL),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

func userView(u store.User, configured bool) User {
	source := "api"
	if configured {
		source = "config"
	}
	return User{Username: u.Username, Source: source, Email: u.Email, Disabled: u.Disabled, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}
