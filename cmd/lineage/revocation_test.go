package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// revoke posts a token to /revoke (RFC 7009 §2.1) as client id and returns
// the status and body.
func revoke(t *testing.T, iss *testIssuer, id, secret, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, iss.url+"/revoke", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// userinfoStatus calls /userinfo with an access token.
func userinfoStatus(t *testing.T, iss *testIssuer, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, iss.url+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// lineageOf is every token one authorization and its refreshes issued.
type lineageOf struct {
	access, id []string
	refresh    string // the newest refresh token
}

// authorizeAndRefresh signs zoe in with the web client and refreshes n
// times.
func authorizeAndRefresh(t *testing.T, iss *testIssuer, n int) lineageOf {
	t.Helper()
	tok := lineageTokens(t, iss)
	l := lineageOf{access: []string{tok.AccessToken}, id: []string{tok.Extra("id_token").(string)}, refresh: tok.RefreshToken}
	for range n {
		r := postToken(t, iss.url, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {l.refresh}}, "web", svcSecret)
		if r.status != 200 {
			t.Fatalf("refresh: %d %s", r.status, r.raw)
		}
		l.access = append(l.access, r.body["access_token"].(string))
		l.id = append(l.id, r.body["id_token"].(string))
		l.refresh = r.body["refresh_token"].(string)
	}
	return l
}

// wantLineageActive checks every token of l by introspection (as its
// client, and as the resource server for access tokens) and /userinfo.
func wantLineageActive(t *testing.T, iss *testIssuer, l lineageOf, want bool) {
	t.Helper()
	wantStatus := map[bool]int{true: 200, false: 401}[want]
	for i, at := range l.access {
		wantActive(t, iss, "web", svcSecret, at, want)
		wantActive(t, iss, "rs", svcSecret, at, want)
		if got := userinfoStatus(t, iss, at); got != wantStatus {
			t.Fatalf("userinfo with access token %d: %d, want %d", i, got, wantStatus)
		}
	}
	for _, id := range l.id {
		wantActive(t, iss, "web", svcSecret, id, want)
	}
	wantActive(t, iss, "web", svcSecret, l.refresh, want)
}

// TestRevokingARefreshTokenRevokesItsLineage: one authorization, three
// refreshes; revoking the newest refresh token makes all four access
// tokens, the ID tokens and the refresh token inactive at once, and
// /userinfo refuses them; a second authorization of the same user stays
// active; another client cannot revoke it.
func TestRevokingARefreshTokenRevokesItsLineage(t *testing.T) {
	iss := startIssuer(t, "{}")
	first := authorizeAndRefresh(t, iss, 3)
	second := authorizeAndRefresh(t, iss, 0)
	wantLineageActive(t, iss, first, true)
	wantLineageActive(t, iss, second, true)

	if status, body := revoke(t, iss, "web", svcSecret, first.refresh); status != 200 || body != "" {
		t.Fatalf("revoke: %d %q", status, body)
	}
	wantLineageActive(t, iss, first, false)
	if r := postToken(t, iss.url, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.refresh}}, "web", svcSecret); r.body["error"] != "invalid_grant" {
		t.Fatalf("refresh with a revoked lineage: %d %s", r.status, r.raw)
	}
	wantLineageActive(t, iss, second, true)

	// Another client: 200, no effect (RFC 7009 §2.2), for both kinds.
	for _, tok := range []string{second.refresh, second.access[0]} {
		if status, _ := revoke(t, iss, "first", svcSecret, tok); status != 200 {
			t.Fatalf("foreign revoke: %d", status)
		}
	}
	wantLineageActive(t, iss, second, true)
}

// TestRevokeAccessTokenRevokesOnlyIt: an access token revokes its jti, not
// its lineage.
func TestRevokeAccessTokenRevokesOnlyIt(t *testing.T) {
	iss := startIssuer(t, "{}")
	l := authorizeAndRefresh(t, iss, 1)
	if status, _ := revoke(t, iss, "web", svcSecret, l.access[0]); status != 200 {
		t.Fatalf("revoke: %d", status)
	}
	wantActive(t, iss, "rs", svcSecret, l.access[0], false)
	wantActive(t, iss, "rs", svcSecret, l.access[1], true)
	wantActive(t, iss, "web", svcSecret, l.refresh, true)
}

// TestRevokeEndpointErrors: what /revoke answers for bad requests.
func TestRevokeEndpointErrors(t *testing.T) {
	iss := startIssuer(t, "{}")
	tok := clientCredentialsToken(t, iss, "svc")
	for _, tt := range []struct {
		name, id, secret, token string
		status                  int
		errCode                 string
	}{
		{"no token", "svc", svcSecret, "", 400, "invalid_request"},
		{"bad secret", "svc", "wrong-secret-wrong-secret-wrong-secret", tok, 401, "invalid_client"},
		{"unknown token", "svc", svcSecret, "not-a-token", 200, ""},
		{"refresh-shaped unknown token", "svc", svcSecret, strings.Repeat("A", 22) + "." + strings.Repeat("B", 43), 200, ""},
		{"foreign token", "short-lived", svcSecret, tok, 200, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := revoke(t, iss, tt.id, tt.secret, tt.token)
			if status != tt.status || (tt.errCode != "" && !strings.Contains(body, `"error":"`+tt.errCode+`"`)) {
				t.Fatalf("%d %s, want %d %s", status, body, tt.status, tt.errCode)
			}
		})
	}
	wantActive(t, iss, "rs", svcSecret, tok, true)
}

// clientCredentialsToken gets an access token for a config client.
func clientCredentialsToken(t *testing.T, iss *testIssuer, id string) string {
	t.Helper()
	r := postToken(t, iss.url, cc(), id, svcSecret)
	if r.status != 200 {
		t.Fatalf("token for %s: %d %s", id, r.status, r.raw)
	}
	return r.body["access_token"].(string)
}

// TestReuseRevokesTheLineage: a rotated refresh token presented again
// revokes its whole lineage (OAuth 2.0 Security BCP); so does a second use
// of an authorization code (RFC 6749 §4.1.2).
func TestReuseRevokesTheLineage(t *testing.T) {
	iss := startIssuer(t, "{}")
	t.Run("refresh token", func(t *testing.T) {
		tok := lineageTokens(t, iss)
		r := postToken(t, iss.url, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, "web", svcSecret)
		if r.status != 200 {
			t.Fatalf("refresh: %d %s", r.status, r.raw)
		}
		wantActive(t, iss, "rs", svcSecret, r.body["access_token"].(string), true)
		again := postToken(t, iss.url, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, "web", svcSecret)
		if again.body["error"] != "invalid_grant" {
			t.Fatalf("reuse: %d %s", again.status, again.raw)
		}
		wantActive(t, iss, "rs", svcSecret, tok.AccessToken, false)
		wantActive(t, iss, "rs", svcSecret, r.body["access_token"].(string), false)
		wantActive(t, iss, "web", svcSecret, r.body["refresh_token"].(string), false)
	})
	t.Run("authorization code", func(t *testing.T) {
		cfg := webClient(iss.url)
		verifier := "v-" + strings.Repeat("x", 50)
		cb := newBrowser(t, iss.url).signIn(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), true)
		code := cb.Query().Get("code")
		exchange := func() tokenResponse {
			return postToken(t, iss.url, url.Values{"grant_type": {"authorization_code"}, "code": {code},
				"redirect_uri": {callback}, "code_verifier": {verifier}}, "web", svcSecret)
		}
		first := exchange()
		if first.status != 200 {
			t.Fatalf("exchange: %d %s", first.status, first.raw)
		}
		if second := exchange(); second.body["error"] != "invalid_grant" {
			t.Fatalf("second exchange: %d %s", second.status, second.raw)
		}
		wantActive(t, iss, "rs", svcSecret, first.body["access_token"].(string), false)
		wantActive(t, iss, "web", svcSecret, first.body["refresh_token"].(string), false)
	})
}

// jsonBody marshals v for a request body.
func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestAdminRevocations: before-T rules for a subject and a client, jti and
// family revocations through the admin API, and the list.
func TestAdminRevocations(t *testing.T) {
	iss := startIssuer(t, "{}")
	zoe := authorizeAndRefresh(t, iss, 0)
	svc := clientCredentialsToken(t, iss, "svc")
	other := clientCredentialsToken(t, iss, "short-lived")

	out := adminJSON(t, iss, "POST", "/admin/v1/revocations", jsonBody(map[string]string{"kind": "before", "scope": "subject", "id": "zoe"}), 201)
	if out["event_id"] == "" || out["before"] == nil {
		t.Fatalf("before rule: %v", out)
	}
	wantLineageActive(t, iss, zoe, false)
	wantActive(t, iss, "rs", svcSecret, svc, true)
	// A token issued after T is not covered (iat <= T, seconds).
	iss.clock.add(2 * time.Second)
	later := authorizeAndRefresh(t, iss, 0)
	wantLineageActive(t, iss, later, true)

	adminJSON(t, iss, "POST", "/admin/v1/revocations", jsonBody(map[string]string{"kind": "before", "scope": "client", "id": "svc"}), 201)
	wantActive(t, iss, "rs", svcSecret, svc, false)
	wantActive(t, iss, "rs", svcSecret, other, true)

	claims, _ := verifyAccessToken(t, iss.url, other)
	adminJSON(t, iss, "POST", "/admin/v1/revocations", jsonBody(map[string]string{"kind": "jti", "id": claims.ID}), 201)
	wantActive(t, iss, "rs", svcSecret, other, false)

	for _, bad := range []map[string]string{
		{"kind": "before", "scope": "subject", "id": "zoe", "before": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)},
		{"kind": "before", "scope": "galaxy", "id": "zoe"},
		{"kind": "jti", "id": ""},
		{"kind": "everything", "id": "x"},
		{"kind": "jti", "id": "x", "before": "2020-01-01T00:00:00Z"},
	} {
		if out := adminJSON(t, iss, "POST", "/admin/v1/revocations", jsonBody(bad), 400); out["error"] != "invalid_request" {
			t.Fatalf("%v: %v, want invalid_request", bad, out)
		}
	}
	out = adminJSON(t, iss, "GET", "/admin/v1/revocations", "", 200)
	list, _ := out["revocations"].([]any)
	if len(list) != 3 || out["last_event_id"] == "" {
		t.Fatalf("list: %v", out)
	}
}

// sseEvent is one event read from /revocations.
type sseEvent struct {
	id   string
	data map[string]any
}

// openStream connects to /revocations as rs, resuming after lastID when set.
func openStream(t *testing.T, iss *testIssuer, ctx context.Context, lastID string) (*http.Response, <-chan sseEvent, <-chan string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, iss.url+"/revocations", nil)
	req.SetBasicAuth("rs", svcSecret)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events, comments := make(chan sseEvent, 1024), make(chan string, 16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, ":"):
				select {
				case comments <- line:
				default:
				}
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.data)
			case line == "" && ev.id != "":
				events <- ev
				ev = sseEvent{}
			}
		}
	}()
	return resp, events, comments
}

// TestRevocationStream: a subscriber sees revocations as they happen; one
// that disconnects during a burst and resumes with Last-Event-ID misses
// none; one that starts afterwards gets them from the snapshot; idle
// streams carry heartbeats; clients without revocation_events are refused.
func TestRevocationStream(t *testing.T) {
	iss := startIssuer(t, "{}")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, events, _ := openStream(t, iss, ctx, "")

	revokeSubject := func(i int) {
		adminJSON(t, iss, "POST", "/admin/v1/revocations", jsonBody(map[string]string{"kind": "before", "scope": "subject", "id": fmt.Sprintf("user-%d", i)}), 201)
	}
	next := func(ch <-chan sseEvent) sseEvent {
		t.Helper()
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("stream ended")
			}
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10s")
		}
		return sseEvent{}
	}
	revokeSubject(0)
	ev := next(events)
	if ev.data["kind"] != "before" || ev.data["scope"] != "subject" || ev.data["id"] != "user-0" || ev.data["until"] == nil {
		t.Fatalf("event: %+v", ev)
	}
	lastSeen := ev.id

	// A burst, with the subscriber gone part-way.
	const burst = 50
	seen := map[string]bool{}
	for i := 1; i <= burst; i++ {
		revokeSubject(i)
		if i == 10 {
			for len(seen) < 5 {
				ev := next(events)
				seen[ev.data["id"].(string)] = true
				lastSeen = ev.id
			}
			cancel()
			resp.Body.Close()
		}
	}
	resp2, events2, _ := openStream(t, iss, context.Background(), lastSeen)
	defer resp2.Body.Close()
	for len(seen) < burst {
		ev := next(events2)
		seen[ev.data["id"].(string)] = true
	}
	for i := 1; i <= burst; i++ {
		if !seen[fmt.Sprintf("user-%d", i)] {
			t.Fatalf("user-%d missed after the resume", i)
		}
	}

	// A late subscriber: the snapshot holds every live entry.
	req, _ := http.NewRequest(http.MethodGet, iss.url+"/revocations?snapshot=1", nil)
	req.SetBasicAuth("rs", svcSecret)
	snap, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Revocations []map[string]any `json:"revocations"`
		LastEventID string           `json:"last_event_id"`
	}
	_ = json.NewDecoder(snap.Body).Decode(&body)
	snap.Body.Close()
	if len(body.Revocations) != burst+1 || body.LastEventID == "" {
		t.Fatalf("snapshot: %d entries, last %q", len(body.Revocations), body.LastEventID)
	}

	// Heartbeats on an idle stream (every 5 s).
	hbCtx, hbCancel := context.WithCancel(context.Background())
	defer hbCancel()
	hb, _, comments := openStream(t, iss, hbCtx, "")
	defer hb.Body.Close()
	select {
	case c := <-comments:
		if !strings.Contains(c, "heartbeat") {
			t.Fatalf("comment %q", c)
		}
	case <-time.After(12 * time.Second):
		t.Fatal("no heartbeat within 12s")
	}

	// Clients without revocation_events, and bad resumes.
	for _, tt := range []struct {
		name, id, lastID string
		status           int
	}{
		{"no permission", "svc", "", 403},
		{"bad Last-Event-ID", "rs", "yesterday", 400},
	} {
		req, _ := http.NewRequest(http.MethodGet, iss.url+"/revocations", nil)
		req.SetBasicAuth(tt.id, svcSecret)
		if tt.lastID != "" {
			req.Header.Set("Last-Event-ID", tt.lastID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Fatalf("%s: %d, want %d", tt.name, resp.StatusCode, tt.status)
		}
	}
}

// TestClientLifetimesBoundedByTheRevocationHorizon: a client written at run
// time may not outlive what the revocation set keeps (an entry expiring
// before the token it revokes would bring the token back).
func TestClientLifetimesBoundedByTheRevocationHorizon(t *testing.T) {
	iss := startIssuer(t, "{}")
	out := adminJSON(t, iss, "POST", "/admin/v1/clients", `{"id":"eternal","grant_types":["client_credentials"],"access_ttl":"100000h"}`, 400)
	if !strings.Contains(fmt.Sprint(out["error_description"]), "may not exceed") {
		t.Fatalf("answer %v", out)
	}
	adminJSON(t, iss, "POST", "/admin/v1/clients", `{"id":"fine","grant_types":["client_credentials"],"access_ttl":"2h"}`, 201)
}

// TestRevokeCommand: `lineage revoke` writes each kind through the admin
// API, prints what it did, refuses bad input with the usage and rejected
// exit codes, and lists the live entries.
func TestRevokeCommand(t *testing.T) {
	iss := startIssuer(t, "{}")
	env := cliEnv(iss)
	zoe := authorizeAndRefresh(t, iss, 0)
	svc := clientCredentialsToken(t, iss, "svc")
	claims, _ := verifyAccessToken(t, iss.url, svc)

	r := lineageCLI(t, env, "", "revoke", "jti", claims.ID)
	r.check(t, 0)
	if !strings.Contains(r.stdout, "revoked token") {
		t.Fatalf("stdout: %s", r.stdout)
	}
	wantActive(t, iss, "rs", svcSecret, svc, false)

	lineageCLI(t, env, "", "revoke", "family", claims.OriginJTI).check(t, 0)
	lineageCLI(t, env, "", "revoke", "subject", "--before", iss.clock.now().UTC().Format(time.RFC3339), "--", "zoe").check(t, 0)
	wantLineageActive(t, iss, zoe, false)
	lineageCLI(t, env, "", "revoke", "client", "short-lived").check(t, 0)
	lineageCLI(t, env, "", "revoke", "principal", "arn:aws:iam::111122223333:user/deployer").check(t, 0)

	lineageCLI(t, env, "", "revoke", "subject", "--before", iss.clock.now().Add(time.Hour).UTC().Format(time.RFC3339), "zoe").check(t, 6)
	lineageCLI(t, env, "", "revoke", "subject").check(t, 2)
	lineageCLI(t, env, "", "revoke", "galaxy", "x").check(t, 2)

	var list struct {
		Revocations []map[string]any `json:"revocations"`
	}
	lineageCLI(t, env, "", "revoke", "list", "--json").decode(t, &list)
	if len(list.Revocations) != 5 {
		t.Fatalf("%d live entries, want 5: %v", len(list.Revocations), list.Revocations)
	}
	table := lineageCLI(t, env, "", "revoke", "list")
	table.check(t, 0)
	if !strings.Contains(table.stdout, "KIND") || !strings.Contains(table.stdout, "short-lived") {
		t.Fatalf("table:\n%s", table.stdout)
	}
}

// TestRevocationPermissions: a client with token_revocation off gets
// invalid_request at /revoke; another client cannot introspect a refresh
// token, even with the introspect flag; a client may hold only so many
// event streams.
func TestRevocationPermissions(t *testing.T) {
	iss := startIssuer(t, "{}")
	created := adminJSON(t, iss, "POST", "/admin/v1/clients", `{"id":"no-revoke","grant_types":["client_credentials"],"token_revocation":false}`, 201)
	secret, _ := created["secret"].(string)
	r := postToken(t, iss.url, cc(), "no-revoke", secret)
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.raw)
	}
	status, body := revoke(t, iss, "no-revoke", secret, r.body["access_token"].(string))
	if status != 400 || !strings.Contains(body, `"error":"invalid_request"`) {
		t.Fatalf("revoke with token_revocation off: %d %s", status, body)
	}
	wantActive(t, iss, "rs", svcSecret, r.body["access_token"].(string), true)

	l := authorizeAndRefresh(t, iss, 0)
	wantActive(t, iss, "rs", svcSecret, l.refresh, false) // not the owner
	wantActive(t, iss, "web", svcSecret, l.refresh, true)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range streamsPerClient {
		resp, _, _ := openStream(t, iss, ctx, "")
		defer resp.Body.Close()
	}
	req, _ := http.NewRequest(http.MethodGet, iss.url+"/revocations", nil)
	req.SetBasicAuth("rs", svcSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("stream %d: %d", streamsPerClient+1, resp.StatusCode)
	}
}
