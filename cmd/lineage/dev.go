package main

import (
	"fmt"
	"io"

	"gopkg.in/yaml.v3"

	"github.com/lineage-oss/lineage/clients"
)

// demoClient is the confidential client --dev creates and prints.
type demoClient struct {
	ID         string
	Secret     string
	AdminToken string
}

// devConfig returns the configuration of `serve --dev` without a file: a
// generated system secret, admin token and demo client on the embedded
// store. Environment overrides still apply on top of it.
func devConfig(random io.Reader) ([]byte, *demoClient, error) {
	var gen [3]string
	for i := range gen {
		s, err := clients.GenerateSecret(random)
		if err != nil {
			return nil, nil, err
		}
		gen[i] = s
	}
	demo := &demoClient{ID: "demo", Secret: gen[2], AdminToken: gen[0]}
	doc := map[string]any{
		"issuer":  "http://127.0.0.1:8080",
		"http":    map[string]any{"public": "127.0.0.1:8080", "admin": "127.0.0.1:8081", "admin_token": gen[0]},
		"secrets": map[string]any{"system": gen[1]},
		"clients": []any{map[string]any{
			"id":          demo.ID,
			"secret":      demo.Secret,
			"grant_types": []string{"client_credentials"},
			"scopes":      []string{"api:read", "api:write"},
		}},
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

Manage clients, users and keys:

  LINEAGE_ADMIN_URL=http://%[4]s LINEAGE_ADMIN_TOKEN=%[5]s go run ./cmd/lineage clients list
`, issuer, demo.ID, demo.Secret, adminAddr, demo.AdminToken)
}
