package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/net/html"
	"golang.org/x/oauth2"
)

const callback = "http://127.0.0.1:5555/callback"

// browser is an HTTP client with cookies that stops at the client's
// callback, like a browser handing the redirect to the app.
type browser struct {
	t      testing.TB
	client *http.Client
	issuer string
}

var errAtCallback = errors.New("reached the callback")

func newBrowser(t testing.TB, issuer string) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, issuer: issuer}
	b.client = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), issuer) {
			return errAtCallback
		}
		return nil
	}}
	return b
}

// page is a response: its final URL, status, body and first form.
type page struct {
	status   int
	location string // set when stopped at a redirect outside the issuer
	body     string
	action   string
	fields   url.Values
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil && !errors.Is(err, errAtCallback) {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, body: string(raw)}
	if errors.Is(err, errAtCallback) {
		p.location = resp.Header.Get("Location")
	}
	p.action, p.fields = parseForm(string(raw))
	return p
}

func (b *browser) get(u string) page {
	req, _ := http.NewRequest("GET", u, nil)
	return b.do(req)
}

func (b *browser) submit(p page, set map[string]string) page {
	b.t.Helper()
	if p.action == "" {
		b.t.Fatalf("no form on the page (status %d):\n%s", p.status, p.body)
	}
	form := url.Values{}
	for k, v := range p.fields {
		form[k] = v
	}
	for k, v := range set {
		form.Set(k, v)
	}
	req, _ := http.NewRequest("POST", b.issuer+p.action, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// parseForm returns the first form's action and its input values.
func parseForm(body string) (string, url.Values) {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return "", nil
	}
	var action string
	fields := url.Values{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attr := map[string]string{}
			for _, a := range n.Attr {
				attr[a.Key] = a.Val
			}
			switch n.Data {
			case "form":
				if action == "" {
					action = attr["action"]
				}
			case "input":
				if attr["type"] == "hidden" {
					fields.Set(attr["name"], attr["value"])
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return action, fields
}

// signIn runs the authorization request through login and, when the
// server asks for it, consent, and returns the callback URL.
func (b *browser) signIn(authURL string, consent bool) *url.URL {
	b.t.Helper()
	login := b.get(authURL)
	if login.status != 200 || !strings.Contains(login.body, "password") {
		b.t.Fatalf("no login page: %d\n%s", login.status, login.body)
	}
	next := b.submit(login, map[string]string{"username": "zoe", "password": zoePassword})
	if consent && next.location == "" {
		if next.status != 200 || next.action != "/consent" {
			b.t.Fatalf("no consent page: %d %s\n%s", next.status, next.location, next.body)
		}
		next = b.submit(next, map[string]string{"decision": "allow"})
	}
	if next.location == "" {
		b.t.Fatalf("no redirect to the callback: %d\n%s", next.status, next.body)
	}
	u, _ := url.Parse(next.location)
	return u
}

func webClient(issuer string) *oauth2.Config {
	return &oauth2.Config{ClientID: "web", ClientSecret: svcSecret, RedirectURL: callback,
		Endpoint: oauth2.Endpoint{AuthURL: issuer + "/authorize", TokenURL: issuer + "/token", AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:   []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}}
}

func TestAuthorizationCodeFlow(t *testing.T) {
	iss := startIssuer(t, "{}")
	ctx := context.Background()
	cfg := webClient(iss.url)
	verifier := oauth2.GenerateVerifier()
	b := newBrowser(t, iss.url)
	cb := b.signIn(cfg.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n-1")), true)
	q := cb.Query()
	if cb.String()[:len(callback)] != callback || q.Get("state") != "st-1" || q.Get("iss") != iss.url || q.Get("code") == "" {
		t.Fatalf("callback %s", cb)
	}

	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}

	provider, err := oidc.NewProvider(ctx, iss.url)
	if err != nil {
		t.Fatal(err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idToken, err := provider.Verifier(&oidc.Config{ClientID: "web"}).Verify(ctx, rawID)
	if err != nil {
		t.Fatalf("go-oidc refuses the ID token: %v", err)
	}
	if err := idToken.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Fatalf("at_hash: %v", err)
	}
	var idc struct {
		Nonce     string `json:"nonce"`
		SID       string `json:"sid"`
		JTI       string `json:"jti"`
		OriginJTI string `json:"origin_jti"`
		AuthTime  int64  `json:"auth_time"`
	}
	if err := idToken.Claims(&idc); err != nil {
		t.Fatal(err)
	}
	ac, _ := verifyAccessToken(t, iss.url, tok.AccessToken)
	if idToken.Subject != "zoe" || idc.Nonce != "n-1" || idc.SID == "" || idc.JTI == "" || idc.AuthTime == 0 ||
		idc.OriginJTI == "" || idc.OriginJTI != ac.OriginJTI || ac.ID == ac.OriginJTI || ac.Subject != "zoe" {
		t.Fatalf("ID token %+v, access token %+v", idc, ac)
	}

	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || info.Subject != "zoe" || info.Email != "zoe@example.com" {
		t.Fatalf("userinfo %+v %v", info, err)
	}

	// Refresh rotates within the lineage; the old refresh token is refused.
	first := tok.RefreshToken
	if first == "" {
		t.Fatal("no refresh token for offline_access")
	}
	refreshed, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: first}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if refreshed.RefreshToken == "" || refreshed.RefreshToken == first {
		t.Fatal("the refresh token did not rotate")
	}
	rc, _ := verifyAccessToken(t, iss.url, refreshed.AccessToken)
	if rc.OriginJTI != ac.OriginJTI {
		t.Fatalf("the refreshed access token left the lineage: %s vs %s", rc.OriginJTI, ac.OriginJTI)
	}
	if _, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: first}).Token(); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("a rotated refresh token: %v", err)
	}
	// That reuse revoked the lineage: its newest refresh token fails too.
	if _, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshed.RefreshToken}).Token(); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("the newest refresh token of a reused lineage: %v", err)
	}

	// A second grant of the same user starts another lineage, without
	// asking for consent again; prompt=none works with the session.
	cb2 := b.get(cfg.AuthCodeURL("st-2", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "none")))
	u2, _ := url.Parse(cb2.location)
	tok2, err := cfg.Exchange(ctx, u2.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("second grant: %v (%s)", err, cb2.location)
	}
	if c2, _ := verifyAccessToken(t, iss.url, tok2.AccessToken); c2.OriginJTI == ac.OriginJTI {
		t.Fatal("a second grant shares the first grant's lineage")
	}
	// A code used twice fails, and revokes what its first use issued
	// (RFC 6749 §4.1.2).
	if _, err := cfg.Exchange(ctx, u2.Query().Get("code"), oauth2.VerifierOption(verifier)); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("a code used twice: %v", err)
	}
	if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok2)); err == nil {
		t.Fatal("userinfo accepts a token of a code used twice")
	}

	// RP-initiated logout ends the session.
	bye := b.get(iss.url + "/logout?" + url.Values{"id_token_hint": {rawID}, "post_logout_redirect_uri": {"http://127.0.0.1:5555/bye"}, "state": {"s"}}.Encode())
	if bye.location != "http://127.0.0.1:5555/bye?state=s" {
		t.Fatalf("logout redirect %q (%d %s)", bye.location, bye.status, bye.body)
	}
	after := b.get(cfg.AuthCodeURL("st-3", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "none")))
	if u, _ := url.Parse(after.location); u == nil || u.Query().Get("error") != "login_required" {
		t.Fatalf("after logout prompt=none gave %q", after.location)
	}
}

func TestAuthorizeErrors(t *testing.T) {
	iss := startIssuer(t, "{}")
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	base := url.Values{"client_id": {"web"}, "response_type": {"code"}, "redirect_uri": {callback}, "scope": {"openid"},
		"state": {"s1"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	with := func(k, v string) url.Values {
		q := url.Values{}
		for kk, vv := range base {
			q[kk] = vv
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	tests := []struct {
		name      string
		q         url.Values
		wantError string // in the redirect; "" means a page, never a redirect
	}{
		{name: "unregistered redirect_uri", q: with("redirect_uri", "http://127.0.0.1:5555/evil")},
		{name: "redirect_uri prefix", q: with("redirect_uri", callback+"/x")},
		{name: "unknown client", q: with("client_id", "nobody")},
		{name: "disabled client", q: with("client_id", "off")},
		{name: "missing redirect_uri for openid", q: with("redirect_uri", "")},
		{name: "plain PKCE refused", q: with("code_challenge_method", "plain"), wantError: "invalid_request"},
		{name: "public client without PKCE", q: func() url.Values {
			q := with("client_id", "spa")
			q.Del("code_challenge")
			q.Del("code_challenge_method")
			return q
		}(), wantError: "invalid_request"},
		{name: "token response type", q: with("response_type", "token"), wantError: "unsupported_response_type"},
		{name: "unknown scope", q: with("scope", "openid admin"), wantError: "invalid_scope"},
		{name: "prompt none without a session", q: with("prompt", "none"), wantError: "login_required"},
		{name: "request object", q: with("request", "x.y.z"), wantError: "request_not_supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newBrowser(t, iss.url).get(iss.url + "/authorize?" + tt.q.Encode())
			if tt.wantError == "" {
				if p.location != "" || p.status != http.StatusBadRequest {
					t.Fatalf("%d %q, want a 400 page and no redirect", p.status, p.location)
				}
				return
			}
			u, err := url.Parse(p.location)
			if err != nil || !strings.HasPrefix(p.location, callback) || u.Query().Get("error") != tt.wantError ||
				u.Query().Get("state") != "s1" || u.Query().Get("iss") != iss.url {
				t.Fatalf("redirect %q (%d), want error=%s with state and iss", p.location, p.status, tt.wantError)
			}
		})
	}
}

func TestLoginPage(t *testing.T) {
	iss := startIssuer(t, "{}")
	cfg := webClient(iss.url)
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))
	b := newBrowser(t, iss.url)
	login := b.get(authURL)
	wrong := b.submit(login, map[string]string{"username": "zoe", "password": "wrong password"})
	unknown := b.submit(login, map[string]string{"username": "mallory", "password": "wrong password"})
	if wrong.status != http.StatusUnauthorized || unknown.status != http.StatusUnauthorized ||
		!strings.Contains(wrong.body, "incorrect") || !strings.Contains(unknown.body, "incorrect") {
		t.Fatalf("bad credentials: %d / %d", wrong.status, unknown.status)
	}
	if strings.Contains(wrong.body, zoePassword) {
		t.Fatal("the page echoes a password")
	}
	forged := b.submit(login, map[string]string{"username": "zoe", "password": zoePassword, "csrf": "forged"})
	if forged.status != http.StatusForbidden {
		t.Fatalf("a forged CSRF token: %d", forged.status)
	}
	// Throttled after five failures for the username; no lockout message
	// reveals whether the account exists.
	for range 5 {
		b.submit(login, map[string]string{"username": "bob", "password": "x"})
	}
	slow := b.submit(login, map[string]string{"username": "bob", "password": "x"})
	if slow.status != http.StatusTooManyRequests {
		t.Fatalf("sixth failure: %d", slow.status)
	}
	// First-party clients skip consent.
	first := &oauth2.Config{ClientID: "first", ClientSecret: svcSecret, RedirectURL: callback,
		Endpoint: oauth2.Endpoint{AuthURL: iss.url + "/authorize", TokenURL: iss.url + "/token"}, Scopes: []string{"openid"}}
	cb := newBrowser(t, iss.url).signIn(first.AuthCodeURL("f", oauth2.S256ChallengeOption(verifier)), false)
	if cb.Query().Get("code") == "" {
		t.Fatalf("first-party flow: %s", cb)
	}
	var m map[string]any
	_ = json.Unmarshal([]byte("{}"), &m)
}

// lineageTokens signs zoe in with the web client and returns the token
// response of the code exchange.
func lineageTokens(t testing.TB, iss *testIssuer) *oauth2.Token {
	t.Helper()
	cfg := webClient(iss.url)
	verifier := oauth2.GenerateVerifier()
	cb := newBrowser(t, iss.url).signIn(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), true)
	tok, err := cfg.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestConcurrentRefresh: of parallel refreshes with one token exactly one
// succeeds; the losers get invalid_grant.
func TestConcurrentRefresh(t *testing.T) {
	iss := startIssuer(t, "{}")
	tok := lineageTokens(t, iss)
	const n = 8
	results := make(chan tokenResponse, n)
	start := make(chan struct{})
	for range n {
		go func() {
			<-start
			results <- postToken(t, iss.url, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, "web", svcSecret)
		}()
	}
	close(start)
	won := 0
	for range n {
		r := <-results
		switch {
		case r.status == 200:
			won++
		case r.body["error"] != "invalid_grant":
			t.Fatalf("a loser got %d %s", r.status, r.raw)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d parallel refreshes succeeded, want exactly 1", won, n)
	}
}

// TestRefreshLifetimes: a family ends after refresh_idle_ttl unused and,
// in any case, refresh_max_ttl after the original grant.
func TestRefreshLifetimes(t *testing.T) {
	iss := startIssuer(t, "{}")
	refresh := func(token string) tokenResponse {
		return postToken(t, iss.url, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}}, "web", svcSecret)
	}
	idle := lineageTokens(t, iss)
	iss.clock.add(720*time.Hour + time.Minute) // tokens.refresh_idle_ttl
	if r := refresh(idle.RefreshToken); r.body["error"] != "invalid_grant" {
		t.Fatalf("a refresh token unused past the idle lifetime: %d %s", r.status, r.raw)
	}

	tok := lineageTokens(t, iss)
	current := tok.RefreshToken
	// Used every 700h, the family still ends 2160h after the grant.
	for i := range 4 {
		iss.clock.add(700 * time.Hour)
		r := refresh(current)
		if i < 3 {
			if r.status != 200 {
				t.Fatalf("refresh %d within the lifetimes: %d %s", i, r.status, r.raw)
			}
			current = r.body["refresh_token"].(string)
			continue
		}
		if r.body["error"] != "invalid_grant" {
			t.Fatalf("a refresh 2800h after the grant: %d %s", r.status, r.raw)
		}
	}
}

// TestMaxAgeAndPromptLogin: a session older than max_age, or prompt=login,
// shows the login page again instead of issuing a code.
func TestMaxAgeAndPromptLogin(t *testing.T) {
	iss := startIssuer(t, "{}")
	cfg := webClient(iss.url)
	verifier := oauth2.GenerateVerifier()
	b := newBrowser(t, iss.url)
	b.signIn(cfg.AuthCodeURL("a", oauth2.S256ChallengeOption(verifier)), true)
	fresh := b.get(cfg.AuthCodeURL("b", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("max_age", "3600")))
	if fresh.location == "" {
		t.Fatalf("a fresh session within max_age did not get a code: %d", fresh.status)
	}
	forced := b.get(cfg.AuthCodeURL("c", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "login")))
	if forced.location != "" || !strings.Contains(forced.body, "password") {
		t.Fatalf("prompt=login did not show the login page: %d %s", forced.status, forced.location)
	}
	iss.clock.add(2 * time.Hour)
	old := b.get(cfg.AuthCodeURL("d", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("max_age", "3600")))
	if old.location != "" || !strings.Contains(old.body, "password") {
		t.Fatalf("a session older than max_age got %d %s", old.status, old.location)
	}
	again := b.submit(old, map[string]string{"username": "zoe", "password": zoePassword})
	u, _ := url.Parse(again.location)
	if u == nil || u.Query().Get("code") == "" || u.Query().Get("state") != "d" {
		t.Fatalf("after signing in again: %d %q", again.status, again.location)
	}
}

// TestLoginThrottlePerForwardedIP: behind a trusted proxy (the test's
// 127.0.0.1), failures count against the client address X-Forwarded-For
// names: 20 failures from one address slow that address down, not another.
func TestLoginThrottlePerForwardedIP(t *testing.T) {
	iss := startIssuer(t, "{}")
	cfg := webClient(iss.url)
	b := newBrowser(t, iss.url)
	login := b.get(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	try := func(user, ip string) int {
		form := url.Values{}
		for k, v := range login.fields {
			form[k] = v
		}
		form.Set("username", user)
		form.Set("password", "wrong")
		req, _ := http.NewRequest("POST", iss.url+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", ip)
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 20 {
		if code := try(fmt.Sprintf("user%d", i), "203.0.113.7"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, code)
		}
	}
	if code := try("someone-else", "203.0.113.7"); code != http.StatusTooManyRequests {
		t.Fatalf("21st failure from one address: %d, want 429", code)
	}
	if code := try("someone-else", "203.0.113.8"); code != http.StatusUnauthorized {
		t.Fatalf("another address: %d, want 401", code)
	}
}
