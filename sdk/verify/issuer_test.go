package verify_test

// The real issuer for the tests: cmd/lineage built once per run and
// started per test on the embedded in-memory store, with the clients and
// the user the tests need.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/lineage-oss/lineage/internal/issuertest"
	"github.com/lineage-oss/lineage/sdk/verify"
)

const (
	systemSecret = "system-secret-for-sdk-tests-0123456789-abcdef"
	adminToken   = "admin-token-for-sdk-tests-0123456789-abcdef"
	clientSecret = "client-secret-for-sdk-tests-0123456789-abcd"
	userPassword = "zoe-password-for-sdk-tests"
	apiAudience  = "https://api.example.com"
)

// issuer is one running lineage process.
type issuer struct {
	url, admin string
	proc       *issuertest.Process
}

const issuerConfig = `
issuer: %[1]q
http: {public: %[2]q, admin: %[3]q, admin_token: %[4]q}
secrets: {system: %[5]q}
store: {}
keys: {jwks_max_age: 0s}
log: {level: warn}
clients:
  - id: rs
    secret: %[6]q
    grant_types: [client_credentials]
    introspect: true
    revocation_events: true
  - id: svc
    secret: %[6]q
    grant_types: [client_credentials]
    scopes: [read, write]
    audiences: [%[7]q]
  - id: batch
    secret: %[6]q
    grant_types: [client_credentials]
    audiences: [%[7]q]
  - id: web
    secret: %[6]q
    redirect_uris: ["http://127.0.0.1:5555/callback"]
    grant_types: [authorization_code, refresh_token]
    scopes: [openid, offline_access]
    audiences: [%[7]q]
    first_party: true
users:
  - {username: zoe, password: %[8]q}
iam:
  account_id: "111122223333"
`

// startIssuer starts lineage on free ports (the module's shared test
// harness); it is killed when the test ends.
func startIssuer(t testing.TB) *issuer {
	t.Helper()
	public, admin := issuertest.FreeAddr(t), issuertest.FreeAddr(t)
	iss := &issuer{url: "http://" + public, admin: "http://" + admin}
	cfg := filepath.Join(t.TempDir(), "lineage.yaml")
	body := fmt.Sprintf(issuerConfig, iss.url, public, admin, adminToken, systemSecret, clientSecret, apiAudience, userPassword)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	iss.proc = issuertest.Start(t, nil, "serve", "--config", cfg)
	iss.proc.WaitReady(t, iss.url)
	return iss
}

// stop ends the process (SIGTERM) and waits for it.
func (iss *issuer) stop(t testing.TB) { iss.proc.Stop(t) }

// token returns a client_credentials access token of client.
func (iss *issuer) token(t testing.TB, client string) string {
	t.Helper()
	tok, err := (&clientcredentials.Config{ClientID: client, ClientSecret: clientSecret, TokenURL: iss.url + "/token"}).Token(context.Background())
	if err != nil {
		t.Fatalf("token for %s: %v", client, err)
	}
	return tok.AccessToken
}

// revoke revokes token as client at POST /revoke (RFC 7009).
func (iss *issuer) revoke(t testing.TB, client, token string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, iss.url+"/revoke", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(client, clientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: status %d", resp.StatusCode)
	}
}

// adminDo calls the admin API and decodes the JSON answer into out.
func (iss *issuer) adminDo(t testing.TB, method, path, body string, want int, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, iss.admin+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
}

// revokeBefore writes a before-T rule (T = now) for scope and id with the
// admin API.
func (iss *issuer) revokeBefore(t testing.TB, scope, id string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"kind": "before", "scope": scope, "id": id})
	iss.adminDo(t, http.MethodPost, "/admin/v1/revocations", string(body), http.StatusCreated, nil)
}

// signingKeys returns the kids of the issuer's keys by state (current,
// next, retired).
func (iss *issuer) signingKeys(t testing.TB) map[string]string {
	t.Helper()
	var out struct {
		Keys []struct{ KID, State string }
	}
	iss.adminDo(t, http.MethodGet, "/admin/v1/keys", "", http.StatusOK, &out)
	m := map[string]string{}
	for _, k := range out.Keys {
		m[k.State] = k.KID
	}
	return m
}

// lineage is the tokens of one authorization of user zoe at client web:
// the access tokens of the grant and of its refreshes, the ID token and
// the newest refresh token.
type lineage struct {
	access  []string
	idToken string
	refresh string
}

var (
	formAction  = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// authorize signs zoe in at client web (authorization code with PKCE;
// web is first-party: no consent), then refreshes refreshes times.
func (iss *issuer) authorize(t testing.TB, refreshes int) lineage {
	t.Helper()
	cfg := &oauth2.Config{ClientID: "web", ClientSecret: clientSecret, RedirectURL: "http://127.0.0.1:5555/callback",
		Scopes:   []string{"openid", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: iss.url + "/authorize", TokenURL: iss.url + "/token", AuthStyle: oauth2.AuthStyleInHeader}}
	pkce := oauth2.GenerateVerifier()
	jar, _ := cookiejar.New(nil)
	errCallback := errors.New("at the callback")
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), iss.url) {
			return errCallback
		}
		return nil
	}}
	resp, err := browser.Get(cfg.AuthCodeURL("state-123", oauth2.S256ChallengeOption(pkce)))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	action := formAction.FindSubmatch(page)
	if action == nil {
		t.Fatalf("no login form: %d\n%s", resp.StatusCode, page)
	}
	form := url.Values{"username": {"zoe"}, "password": {userPassword}}
	for _, m := range hiddenInput.FindAllSubmatch(page, -1) {
		form.Set(string(m[1]), html.UnescapeString(string(m[2])))
	}
	resp, err = browser.PostForm(iss.url+html.UnescapeString(string(action[1])), form)
	if !errors.Is(err, errCallback) {
		t.Fatalf("sign-in did not reach the callback: %v", err)
	}
	resp.Body.Close()
	cb, _ := url.Parse(resp.Header.Get("Location"))
	tok, err := cfg.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatal(err)
	}
	l := lineage{access: []string{tok.AccessToken}, idToken: tok.Extra("id_token").(string), refresh: tok.RefreshToken}
	for range refreshes {
		tok, err = cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: l.refresh}).Token()
		if err != nil {
			t.Fatal(err)
		}
		l.access = append(l.access, tok.AccessToken)
		l.refresh = tok.RefreshToken
	}
	return l
}

// recorder is the verifier's HTTP transport in the tests: it counts the
// requests by path, remembers the Last-Event-ID of each stream request,
// and can cut the event stream and keep it from reconnecting.
type recorder struct {
	base *http.Transport

	mu           sync.Mutex
	requests     map[string]int
	lastEventIDs []string
	streamDown   bool
	conns        map[net.Conn]bool
}

var _ http.RoundTripper = (*recorder)(nil)

func newRecorder() *recorder {
	r := &recorder{requests: map[string]int{}, conns: map[net.Conn]bool{}}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	r.base = &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.conns[c] = true
		r.mu.Unlock()
		return c, nil
	}}
	return r
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	stream := req.URL.Path == "/revocations" && req.URL.Query().Get("snapshot") == ""
	r.mu.Lock()
	key := req.URL.Path
	if req.URL.Query().Get("snapshot") != "" {
		key += "?snapshot"
	}
	r.requests[key]++
	down := stream && r.streamDown
	if stream {
		r.lastEventIDs = append(r.lastEventIDs, req.Header.Get("Last-Event-ID"))
	}
	r.mu.Unlock()
	if down {
		return nil, errors.New("test: the stream is cut")
	}
	return r.base.RoundTrip(req)
}

// count returns how many requests went to path ("/revocations?snapshot"
// for the snapshot).
func (r *recorder) count(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests[path]
}

func (r *recorder) streamIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lastEventIDs...)
}

// cutStream closes every connection (the open stream among them) and
// refuses new stream requests until restoreStream.
func (r *recorder) cutStream() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.streamDown = true
	for c := range r.conns {
		_ = c.Close()
		delete(r.conns, c)
	}
}

func (r *recorder) restoreStream() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.streamDown = false
}

// testClock is an adjustable clock for Options.Now.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// newVerifier returns a verifier of iss as client rs, with opts applied
// over the defaults of the tests, and the recorder of its requests.
func newVerifier(t testing.TB, iss *issuer, opts func(*verify.Options)) (*verify.Verifier, *recorder) {
	t.Helper()
	rec := newRecorder()
	o := verify.Options{
		Issuer:       iss.url,
		Audience:     apiAudience,
		ClientID:     "rs",
		ClientSecret: clientSecret,
		HTTPClient:   &http.Client{Transport: rec},
		Logger:       testLogger(t),
	}
	if opts != nil {
		opts(&o)
	}
	v, err := verify.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v, rec
}

// eventually polls check until it returns nil or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, within, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wantErr checks that err wraps want.
func wantErr(err, want error) error {
	if !errors.Is(err, want) {
		return fmt.Errorf("got %v, want %v", err, want)
	}
	return nil
}

// header returns the decoded JOSE header of a compact JWS.
func header(t testing.TB, token string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.SplitN(token, ".", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h
}
