package oauth

import (
	"errors"
	"net/url"
	"slices"
	"testing"

	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/store"
)

func TestGrantScopesAndAudience(t *testing.T) {
	c := &Client{Client: store.Client{ID: "c", Scopes: []string{"openid", "read", "write", "offline_access"},
		Audiences: []string{"https://a.example", "urn:b"}}}
	bare := &Client{Client: store.Client{ID: "bare"}}
	tests := []struct {
		name      string
		client    *Client
		scopes    []string
		form      url.Values
		wantScope []string
		wantAud   []string
		wantErr   string
	}{
		{name: "defaults", client: c, wantScope: []string{"read", "write"}, wantAud: []string{"https://a.example", "urn:b"}},
		{name: "requested, deduplicated", client: c, scopes: []string{"write", "read", "write"}, wantScope: []string{"read", "write"}, wantAud: []string{"https://a.example", "urn:b"}},
		{name: "unknown scope", client: c, scopes: []string{"admin"}, wantErr: "invalid_scope"},
		{name: "scope case matters", client: c, scopes: []string{"READ"}, wantErr: "invalid_scope"},
		{name: "resource", client: c, form: url.Values{"resource": {"https://a.example"}}, wantScope: []string{"read", "write"}, wantAud: []string{"https://a.example"}},
		{name: "audience list", client: c, form: url.Values{"audience": {"urn:b https://a.example"}}, wantScope: []string{"read", "write"}, wantAud: []string{"https://a.example", "urn:b"}},
		{name: "relative resource", client: c, form: url.Values{"resource": {"/api"}}, wantErr: "invalid_target"},
		{name: "prefix of an audience", client: c, form: url.Values{"audience": {"https://a"}}, wantErr: "invalid_target"},
		{name: "no audiences: default", client: bare, wantScope: []string{}, wantAud: []string{"https://issuer"}},
		{name: "no audiences: nothing may be requested", client: bare, form: url.Values{"audience": {"https://issuer"}}, wantErr: "invalid_target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scopes, err := grantScopes(tt.client, tt.scopes)
			var aud []string
			if err == nil {
				aud, err = grantAudience(tt.client, tt.form, []string{"https://issuer"})
			}
			if tt.wantErr != "" {
				var rfc *fosite.RFC6749Error
				if !errors.As(err, &rfc) || rfc.ErrorField != tt.wantErr {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(scopes, tt.wantScope) && !(len(scopes) == 0 && len(tt.wantScope) == 0) {
				t.Fatalf("scopes %v, want %v", scopes, tt.wantScope)
			}
			if !slices.Equal(aud, tt.wantAud) {
				t.Fatalf("audience %v, want %v", aud, tt.wantAud)
			}
		})
	}
}
