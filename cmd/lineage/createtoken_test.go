package main

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// signInAs runs an authorization request through login (as username) and
// consent, and returns where the browser ends: the callback (location) or
// a page of the issuer.
func (b *browser) signInAs(authURL, username, password string) page {
	b.t.Helper()
	login := b.get(authURL)
	if login.status != 200 || !strings.Contains(login.body, "password") {
		b.t.Fatalf("no login page: %d\n%s", login.status, login.body)
	}
	next := b.submit(login, map[string]string{"username": username, "password": password})
	if next.location == "" && next.action == "/consent" {
		next = b.submit(next, map[string]string{"decision": "allow"})
	}
	return next
}

func TestCreateTokenDenyPolicy(t *testing.T) {
	iss := startIssuer(t, "{}")
	ctx := context.Background()
	const password = "a-password-for-the-deny-tests"
	for _, name := range []string{"alice", "bob"} {
		adminJSON(t, iss, "POST", "/admin/v1/users", `{"username":"`+name+`","password":"`+password+`"}`, 201)
	}
	denyAlice := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"*","Condition":{"StringEquals":{"g:UserId":"alice"}}}]}`
	denyBob := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iamToken::generatePkiToken","Resource":"*","Condition":{"StringEquals":{"aws:username":"bob"}}}]}`
	setOrgPolicies := func(policies ...string) {
		t.Helper()
		adminJSON(t, iss, "PUT", "/admin/v1/iam/org-policies", `{"policies":[`+strings.Join(policies, ",")+`]}`, 200)
	}
	cfg := webClient(iss.url)
	// flow signs username in and returns the page it ends on and the PKCE
	// verifier of its request.
	flow := func(username string) (page, string) {
		verifier := oauth2.GenerateVerifier()
		end := newBrowser(t, iss.url).signInAs(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n")), username, password)
		return end, verifier
	}
	exchange := func(end page, verifier string) (*oauth2.Token, error) {
		t.Helper()
		if end.location == "" {
			t.Fatalf("no redirect to the callback: %d\n%s", end.status, end.body)
		}
		cb, _ := url.Parse(end.location)
		return cfg.Exchange(ctx, cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	}
	refresh := func(token string) tokenResponse {
		return postToken(t, iss.url, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}}, "web", svcSecret)
	}
	wantDenied := func(what string, r tokenResponse, code string) {
		t.Helper()
		if r.status != 400 || r.body["error"] != code || !strings.Contains(r.raw, "A policy denies sso-oauth:CreateToken") {
			t.Fatalf("%s: %d %s, want 400 %s saying a policy denies it", what, r.status, r.raw, code)
		}
		if _, ok := r.body["access_token"]; ok {
			t.Fatalf("%s: a refused request got a token", what)
		}
	}

	t.Run("a user Deny ends alice's sign-in on an error page; bob signs in", func(t *testing.T) {
		setOrgPolicies(denyAlice)
		end, _ := flow("alice")
		if end.location != "" {
			t.Fatalf("alice was sent back to the client: %s", end.location)
		}
		if end.status != 403 || !strings.Contains(end.body, "Sign-in not allowed") ||
			!strings.Contains(end.body, "does not allow this application to issue tokens for this account") {
			t.Fatalf("alice's sign-in ended on %d:\n%s", end.status, end.body)
		}
		if strings.Contains(end.body, "g:UserId") || strings.Contains(end.body, "Deny") {
			t.Fatalf("the error page shows the policy:\n%s", end.body)
		}
		end, verifier := flow("bob")
		tok, err := exchange(end, verifier)
		if err != nil || tok.AccessToken == "" || tok.RefreshToken == "" || tok.Extra("id_token") == nil {
			t.Fatalf("bob's tokens: %v %v", tok, err)
		}
	})

	t.Run("a Deny added later stops refreshes and code exchanges; removed, flows work again", func(t *testing.T) {
		setOrgPolicies()
		end, verifier := flow("bob")
		tok, err := exchange(end, verifier)
		if err != nil {
			t.Fatal(err)
		}
		pending, pendingVerifier := flow("bob") // a code issued before the Deny
		if r := refresh(tok.RefreshToken); r.status != 200 {
			t.Fatalf("a refresh without a Deny: %d %s", r.status, r.raw)
		} else {
			tok.RefreshToken = r.body["refresh_token"].(string)
		}

		setOrgPolicies(denyAlice, denyBob) // Huawei-style action name
		wantDenied("bob's refresh", refresh(tok.RefreshToken), "invalid_grant")
		cb, _ := url.Parse(pending.location)
		wantDenied("bob's code exchange", postToken(t, iss.url, url.Values{"grant_type": {"authorization_code"},
			"code": {cb.Query().Get("code")}, "redirect_uri": {callback}, "code_verifier": {pendingVerifier}}, "web", svcSecret), "invalid_grant")
		if end, _ := flow("bob"); end.status != 403 || end.location != "" {
			t.Fatalf("bob's sign-in under a Deny ended on %d %s", end.status, end.location)
		}

		setOrgPolicies()
		end, verifier = flow("bob")
		if _, err := exchange(end, verifier); err != nil {
			t.Fatalf("a new flow once the Deny is gone: %v", err)
		}
		// The refused refresh spent nothing: the lineage goes on.
		if r := refresh(tok.RefreshToken); r.status != 200 {
			t.Fatalf("the lineage's refresh once the Deny is gone: %d %s", r.status, r.raw)
		}
	})

	t.Run("a client Deny stops client_credentials with unauthorized_client", func(t *testing.T) {
		setOrgPolicies()
		created := adminJSON(t, iss, "POST", "/admin/v1/clients", `{"id":"batch","grant_types":["client_credentials"],"scopes":["read"],
			"policies":[{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"*","Condition":{"StringEquals":{"lineage:ClientId":"batch"}}}]}]}`, 201)
		secret := created["secret"].(string)
		wantDenied("batch's client_credentials", postToken(t, iss.url, cc(), "batch", secret), "unauthorized_client")
		// Other clients are not concerned.
		if r := postToken(t, iss.url, cc(), "svc", svcSecret); r.status != 200 {
			t.Fatalf("svc's client_credentials: %d %s", r.status, r.raw)
		}
		// Without its policy, the client gets tokens.
		adminJSON(t, iss, "PUT", "/admin/v1/clients/batch", `{"id":"batch","grant_types":["client_credentials"],"scopes":["read"]}`, 200)
		if r := postToken(t, iss.url, cc(), "batch", secret); r.status != 200 {
			t.Fatalf("batch's client_credentials without its Deny: %d %s", r.status, r.raw)
		}
	})

	t.Run("an org guardrail denies the whole account", func(t *testing.T) {
		setOrgPolicies(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"*","Condition":{"StringEquals":{"g:DomainId":"111122223333"}}}]}`)
		t.Cleanup(func() { setOrgPolicies() })
		wantDenied("svc's client_credentials", postToken(t, iss.url, cc(), "svc", svcSecret), "unauthorized_client")
		if end, _ := flow("bob"); end.status != 403 {
			t.Fatalf("bob's sign-in under an account-wide Deny ended on %d %s", end.status, end.location)
		}
	})
}
