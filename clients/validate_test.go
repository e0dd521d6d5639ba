package clients

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/lineage-oss/lineage/store"
)

func TestValidateTrustedTokenIssuers(t *testing.T) {
	jwks := json.RawMessage(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`)
	good := store.TrustedTokenIssuer{Issuer: "https://idp.example.com", JWKS: jwks, Audience: "lineage"}
	tests := []struct {
		name    string
		change  func(c *store.Client)
		wantErr string
	}{
		{name: "inline jwks", change: func(*store.Client) {}},
		{name: "jwks_uri", change: func(c *store.Client) {
			c.TrustedTokenIssuers[0].JWKS, c.TrustedTokenIssuers[0].JWKSURI = nil, "https://idp.example.com/jwks"
		}},
		{name: "http jwks_uri", change: func(c *store.Client) {
			c.TrustedTokenIssuers[0].JWKS, c.TrustedTokenIssuers[0].JWKSURI = nil, "http://127.0.0.1/jwks"
		}, wantErr: "jwks_uri: an absolute https URL"},
		{name: "both", change: func(c *store.Client) { c.TrustedTokenIssuers[0].JWKSURI = "https://idp.example.com/jwks" }, wantErr: "set only one"},
		{name: "neither", change: func(c *store.Client) { c.TrustedTokenIssuers[0].JWKS = nil }, wantErr: "set one of"},
		{name: "no audience", change: func(c *store.Client) { c.TrustedTokenIssuers[0].Audience = "" }, wantErr: "audience: required"},
		{name: "relative issuer", change: func(c *store.Client) { c.TrustedTokenIssuers[0].Issuer = "idp" }, wantErr: "issuer: the issuer's absolute URL"},
		{name: "duplicate issuer", change: func(c *store.Client) { c.TrustedTokenIssuers = append(c.TrustedTokenIssuers, good) }, wantErr: "a duplicate"},
		{name: "private key", change: func(c *store.Client) {
			c.TrustedTokenIssuers[0].JWKS = json.RawMessage(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`)
		}, wantErr: "a valid public key"},
		{name: "empty set", change: func(c *store.Client) { c.TrustedTokenIssuers[0].JWKS = json.RawMessage(`{"keys":[]}`) }, wantErr: "at least one key"},
		{name: "without the grant", change: func(c *store.Client) { c.GrantTypes = []string{"client_credentials"} }, wantErr: "only for a client with the grant type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := store.Client{ID: "app", SecretHash: []byte("h"), GrantTypes: []string{"urn:ietf:params:oauth:grant-type:jwt-bearer"},
				TrustedTokenIssuers: []store.TrustedTokenIssuer{good}}
			tt.change(&c)
			err := Validate(c)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
