package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/lineage-oss/lineage/internal/issuertest"
)

// forgedTokens returns the module's standard forgeries of a genuine access
// token (internal/issuertest), by name.
func forgedTokens(t testing.TB, iss *testIssuer, genuine, idToken string) map[string]string {
	out := map[string]string{}
	for _, f := range issuertest.Forgeries(t, iss.url, genuine, idToken) {
		out[f.Name] = f.Token
	}
	return out
}

// TestForgedTokensAreInactive: /introspect answers active:false for every
// forged token, as the resource server (which may introspect any client's
// tokens), and /userinfo refuses them.
func TestForgedTokensAreInactive(t *testing.T) {
	iss := startIssuer(t, "{}")
	l := authorizeAndRefresh(t, iss, 0)
	wantActive(t, iss, "rs", svcSecret, l.access[0], true)
	for name, tok := range forgedTokens(t, iss, l.access[0], l.id[0]) {
		t.Run(name, func(t *testing.T) {
			wantActive(t, iss, "rs", svcSecret, tok, false)
			if status := userinfoStatus(t, iss, tok); status != 401 {
				t.Fatalf("userinfo: %d", status)
			}
		})
	}
}

// FuzzIntrospect sends arbitrary tokens, seeded with genuine and forged
// ones, to /introspect. Invariants: no 5xx, and active:true only for a
// token the issuer really issued, byte for byte.
func FuzzIntrospect(f *testing.F) {
	iss := startIssuer(f, "{}")
	tok := exchangeTokens(f, iss)
	genuine := map[string]bool{tok.access: true, tok.refresh: true, tok.id: true}
	f.Add(tok.access, "web")
	f.Add(tok.refresh, "web")
	f.Add(tok.id, "web")
	f.Add(tok.access, "rs")
	for _, forged := range forgedTokens(f, iss, tok.access, tok.id) {
		f.Add(forged, "rs")
	}
	f.Add("", "rs")
	f.Add(strings.Repeat("A", 22)+"."+strings.Repeat("B", 43), "web")
	f.Fuzz(func(t *testing.T, token, client string) {
		if client != "web" {
			client = "rs"
		}
		req := httptest.NewRequest(http.MethodPost, "/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(client, svcSecret)
		rec := httptest.NewRecorder()
		iss.app.public.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
		var out struct {
			Active bool `json:"active"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		if out.Active && !genuine[token] {
			t.Fatalf("a token the issuer did not issue is active: %q", token)
		}
	})
}

// FuzzRevoke sends arbitrary bodies and Authorization headers to /revoke.
// Invariants: no 5xx, and a token of a client whose secret the request
// does not carry is never revoked.
func FuzzRevoke(f *testing.F) {
	iss := startIssuer(f, "{}")
	tok := exchangeTokens(f, iss)
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	f.Add("token="+url.QueryEscape(tok.access), basic("svc", svcSecret))
	f.Add("token="+url.QueryEscape(tok.refresh)+"&token_type_hint=refresh_token", basic("svc", svcSecret))
	f.Add("token="+url.QueryEscape(tok.refresh), basic("web", "wrong"))
	f.Add("token="+url.QueryEscape(tok.access)+"&client_id=web", "")
	f.Add("token=a.b.c&token_type_hint=access_token", basic("first", svcSecret))
	f.Add("%zz&&==;", "Basic %%%")
	f.Fuzz(func(t *testing.T, body, authorization string) {
		if strings.Contains(authorization, "web") || strings.Contains(body, "client_id=web") || strings.Contains(body, "secret") {
			return // the owner's secret could be in the request
		}
		req := httptest.NewRequest(http.MethodPost, "/revoke", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		iss.app.public.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
		for _, token := range []string{tok.access, tok.refresh} {
			req := httptest.NewRequest(http.MethodPost, "/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth("web", svcSecret)
			rec := httptest.NewRecorder()
			iss.app.public.ServeHTTP(rec, req)
			if !strings.Contains(rec.Body.String(), `"active":true`) {
				t.Fatalf("web's token was revoked by body=%q auth=%q: %s", body, authorization, rec.Body.String())
			}
		}
	})
}

// issuedTokens are one code exchange's tokens.
type issuedTokens struct{ access, refresh, id string }

// exchangeTokens signs zoe in with the web client and returns the tokens.
func exchangeTokens(tb testing.TB, iss *testIssuer) issuedTokens {
	tok := lineageTokens(tb, iss)
	return issuedTokens{tok.AccessToken, tok.RefreshToken, tok.Extra("id_token").(string)}
}
