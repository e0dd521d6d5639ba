package main

import (
	"fmt"
	"io"

	"gopkg.in/yaml.v3"

	"github.com/lineage-oss/lineage/clients"
)

// demoClient is the confidential client --dev creates and prints.
type demoClient struct {
	ID           string
	Secret       string
	AdminToken   string
	UserPassword string // of the demo user "demo"
}

// devConfig returns the configuration of `serve --dev` without a file: a
// generated system secret, admin token and demo client on the embedded
// store. Environment overrides still apply on top of it.
func devConfig(random io.Reader) ([]byte, *demoClient, error) {
	var gen [4]string
	for i := range gen {
		s, err := clients.GenerateSecret(random)
		if err != nil {
			return nil, nil, err
		}
		gen[i] = s
	}
	demo := &demoClient{ID: "demo", Secret: gen[2], AdminToken: gen[0], UserPassword: gen[3][:16]}
	doc := map[string]any{
		"issuer":  "http://127.0.0.1:8080",
		"http":    map[string]any{"public": "127.0.0.1:8080", "admin": "127.0.0.1:8081", "admin_token": gen[0]},
		"secrets": map[string]any{"system": gen[1]},
		"clients": []any{map[string]any{
			"id":          demo.ID,
			"secret":      demo.Secret,
			"grant_types": []string{"client_credentials"},
			"scopes":      []string{"api:read", "api:write"},
		}, map[string]any{
			// A public web client for trying the authorization code flow
			// with PKCE in a browser.
			"id":            "demo-web",
			"redirect_uris": []string{"http://127.0.0.1:5555/callback"},
			"grant_types":   []string{"authorization_code", "refresh_token"},
			"scopes":        []string{"openid", "profile", "email", "offline_access"},
		}},
		"users": []any{map[string]any{"username": "demo", "password": demo.UserPassword, "email": "demo@example.com"}},
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("dev config: %w", err)
	}
	return out, demo, nil
}

func printDemo(w io.Writer, issuer, adminAddr string, demo *demoClient) {
	fmt.Fprintf(w, `lineage is running in development mode on the embedded in-memory store (nothing persists).

  issuer:        %[1]s
  demo client:   %[2]s
  client secret: %[3]s
  admin API:     http://%[4]s/admin/v1/ (Authorization: Bearer %[5]s)

Get an access token:

  curl -s -u '%[2]s:%[3]s' -d grant_type=client_credentials %[1]s/token

Verify it against %[1]s/.well-known/jwks.json

Sign in as user "demo" with password %[6]s through the public client
demo-web (redirect URI http://127.0.0.1:5555/callback, PKCE S256), e.g.:

  %[1]s/authorize?client_id=demo-web&response_type=code&scope=openid%%20email&redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A5555%%2Fcallback&state=xyz&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256
  (code_verifier: dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk, RFC 7636 appendix B)

Manage clients, users and keys:

  LINEAGE_ADMIN_URL=http://%[4]s LINEAGE_ADMIN_TOKEN=%[5]s go run ./cmd/lineage clients list
`, issuer, demo.ID, demo.Secret, adminAddr, demo.AdminToken, demo.UserPassword)
}
