package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lineage-oss/lineage/web/pages/browsertest"
)

// TestBrowserFlow runs the authorization code flow in headless Chromium:
// the login page, consent, the app's callback; then the app exchanges the
// code with PKCE, verifies the ID token with go-oidc and refreshes. Every
// page passes axe-core (no serious or critical violation) and does not
// scroll sideways at a phone's and a desktop's width.
func TestBrowserFlow(t *testing.T) {
	iss := startIssuer(t, "{}")
	ctx := context.Background()

	codes := make(chan url.Values, 4)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r) // the browser also asks for /favicon.ico
			return
		}
		codes <- r.URL.Query()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><html lang="en"><title>App</title><main><h1>Signed in</h1></main></html>`))
	}))
	t.Cleanup(app.Close)
	created := adminJSON(t, iss, "POST", "/admin/v1/clients", `{"id":"browser-app","redirect_uris":["`+app.URL+`/callback"],
		"grant_types":["authorization_code","refresh_token"],"scopes":["openid","profile","email","offline_access"]}`, 201)
	cfg := &oauth2.Config{ClientID: "browser-app", ClientSecret: created["secret"].(string), RedirectURL: app.URL + "/callback",
		Endpoint: oauth2.Endpoint{AuthURL: iss.url + "/authorize", TokenURL: iss.url + "/token", AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:   []string{oidc.ScopeOpenID, "email", oidc.ScopeOfflineAccess}}
	provider, err := oidc.NewProvider(ctx, iss.url)
	if err != nil {
		t.Fatal(err)
	}

	b := browsertest.Start(t)
	checkPage := func(t *testing.T, p *browsertest.Page, what string) {
		t.Helper()
		if serious := p.Axe(t).Serious(); len(serious) > 0 {
			t.Errorf("%s: axe-core: %v", what, serious)
		}
		if p.HorizontalOverflow(t) {
			t.Errorf("%s scrolls sideways", what)
		}
		for _, e := range p.ConsoleErrors(t) {
			// A page answered with 400 or 401 is logged as a failed load.
			if !strings.Contains(e, "the server responded with a status of") {
				t.Errorf("%s: console error (CSP?): %s", what, e)
			}
		}
	}
	for _, width := range []int{375, 1280} {
		t.Run(map[int]string{375: "phone", 1280: "desktop"}[width], func(t *testing.T) {
			p := b.Page(t, width, 800)
			verifier := oauth2.GenerateVerifier()
			// prompt=consent: the second run asks again although the user
			// approved these scopes in the first.
			p.Navigate(t, cfg.AuthCodeURL("state-"+t.Name(), oauth2.S256ChallengeOption(verifier), oidc.Nonce("nonce-1"),
				oauth2.SetAuthURLParam("prompt", "consent")))
			checkPage(t, p, "login page")
			p.Fill(t, "#username", "zoe")
			p.Fill(t, "#password", "not the password")
			p.Click(t, "button[type=submit]")
			p.WaitURLPrefix(t, iss.url+"/login")
			if !strings.Contains(p.HTML(t), "incorrect") {
				t.Fatal("no error message after a wrong password")
			}
			checkPage(t, p, "login page with an error")
			p.Fill(t, "#password", zoePassword)
			p.Click(t, "button[type=submit]")
			p.WaitURLPrefix(t, iss.url+"/authorize")
			if !strings.Contains(p.HTML(t), `value="allow"`) {
				t.Fatal("no consent page after signing in")
			}
			checkPage(t, p, "consent page")
			p.Click(t, "button[value=allow]")
			p.WaitURLPrefix(t, app.URL+"/callback")
			q := <-codes
			if q.Get("state") != "state-"+t.Name() || q.Get("iss") != iss.url {
				t.Fatalf("callback %v", q)
			}

			tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatal(err)
			}
			rawID, _ := tok.Extra("id_token").(string)
			idToken, err := provider.Verifier(&oidc.Config{ClientID: "browser-app"}).Verify(ctx, rawID)
			if err != nil || idToken.Nonce != "nonce-1" || idToken.Subject != "zoe" {
				t.Fatalf("ID token: %v %+v", err, idToken)
			}
			next, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
			if err != nil || next.RefreshToken == tok.RefreshToken {
				t.Fatalf("refresh: %v", err)
			}
			if _, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
				t.Fatal("the rotated refresh token still works")
			}
			if _, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier)); err == nil {
				t.Fatal("a code was exchanged twice")
			}

			// The error page for a request that may not be redirected.
			e := b.Page(t, width, 800)
			e.Navigate(t, iss.url+"/authorize?client_id=nobody&response_type=code")
			if !strings.Contains(e.HTML(t), "not valid") {
				t.Fatal("no error page")
			}
			checkPage(t, e, "error page")
		})
	}
	var v map[string]any
	_ = json.Unmarshal([]byte(`{}`), &v)
}
