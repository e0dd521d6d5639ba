package web

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"
)

// metadata is the authorization server metadata (RFC 8414 §2, OpenID
// Connect Discovery 1.0 §3) for what lineage serves today.
type metadata struct {
	Issuer                       string   `json:"issuer"`
	AuthorizationEndpoint        string   `json:"authorization_endpoint"`
	TokenEndpoint                string   `json:"token_endpoint"`
	IntrospectionEndpoint        string   `json:"introspection_endpoint"`
	IntrospectionAuthMethods     []string `json:"introspection_endpoint_auth_methods_supported"`
	JWKSURI                      string   `json:"jwks_uri"`
	GrantTypesSupported          []string `json:"grant_types_supported"`
	ResponseTypesSupported       []string `json:"response_types_supported"`
	TokenEndpointAuthMethods     []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgs []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	SubjectTypesSupported        []string `json:"subject_types_supported"`
	IDTokenSigningAlgs           []string `json:"id_token_signing_alg_values_supported"`
	UserinfoEndpoint             string   `json:"userinfo_endpoint"`
	EndSessionEndpoint           string   `json:"end_session_endpoint"`
	ScopesSupported              []string `json:"scopes_supported"`
	ClaimsSupported              []string `json:"claims_supported"`
	CodeChallengeMethods         []string `json:"code_challenge_methods_supported"`
	ResponseModesSupported       []string `json:"response_modes_supported"`
	PromptValuesSupported        []string `json:"prompt_values_supported"`
	AuthorizationResponseISS     bool     `json:"authorization_response_iss_parameter_supported"`
}

type discovery struct {
	body []byte
}

func newDiscovery(opts Options) *discovery {
	m := metadata{
		Issuer:                       opts.Issuer,
		AuthorizationEndpoint:        opts.Issuer + "/authorize",
		TokenEndpoint:                opts.Issuer + "/token",
		IntrospectionEndpoint:        opts.Issuer + "/introspect",
		IntrospectionAuthMethods:     []string{"client_secret_basic", "client_secret_post", "private_key_jwt"},
		JWKSURI:                      opts.Issuer + "/.well-known/jwks.json",
		GrantTypesSupported:          []string{"authorization_code", "refresh_token", "client_credentials"},
		ResponseTypesSupported:       []string{"code"},
		TokenEndpointAuthMethods:     []string{"client_secret_basic", "client_secret_post", "private_key_jwt"},
		TokenEndpointAuthSigningAlgs: []string{"RS256", "PS256", "ES256", "EdDSA"},
		SubjectTypesSupported:        []string{"public"},
		IDTokenSigningAlgs:           opts.SigningAlgs,
		UserinfoEndpoint:             opts.Issuer + "/userinfo",
		EndSessionEndpoint:           opts.Issuer + "/logout",
		ScopesSupported:              []string{"openid", "profile", "email", "offline_access"},
		ClaimsSupported:              []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid", "jti", "origin_jti", "preferred_username", "email"},
		CodeChallengeMethods:         []string{"S256"},
		ResponseModesSupported:       []string{"query"},
		PromptValuesSupported:        []string{"none", "login", "consent"},
		AuthorizationResponseISS:     true,
	}
	body, _ := json.MarshalIndent(m, "", "  ") // plain strings: cannot fail
	return &discovery{body: body}
}

func (d *discovery) serve(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.JSONBlob(http.StatusOK, d.body)
}
