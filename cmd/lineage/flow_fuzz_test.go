package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// registeredRedirects are every redirect URI of the test configuration.
var registeredRedirects = []string{"http://127.0.0.1:5555/callback", "http://127.0.0.1:5555/other"}

// checkRedirect fails t when a response redirects anywhere but back into
// the issuer or to a registered redirect URI exactly (its query aside).
func checkRedirect(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	loc := rec.Header().Get("Location")
	if loc == "" {
		return
	}
	if strings.HasPrefix(loc, "/authorize?") {
		return
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("unparsable Location %q", loc)
	}
	u.RawQuery = ""
	if !slices.Contains(registeredRedirects, u.String()) || strings.Contains(loc, "#") {
		t.Fatalf("redirect to an unregistered URI: %q", loc)
	}
}

// FuzzAuthorize sends arbitrary query strings to /authorize. Invariants:
// no 5xx, and never a redirect to an unregistered URI.
func FuzzAuthorize(f *testing.F) {
	iss := startIssuer(f, "{}")
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	good := url.Values{"client_id": {"web"}, "response_type": {"code"}, "redirect_uri": {"http://127.0.0.1:5555/callback"},
		"scope": {"openid email"}, "state": {"s"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	f.Add(good.Encode())
	f.Add(strings.Replace(good.Encode(), "callback", "evil", 1))
	f.Add(good.Encode() + "&redirect_uri=http%3A%2F%2Fevil.example%2F")
	f.Add(good.Encode() + "&prompt=none")
	f.Add(good.Encode() + "&max_age=-1&prompt=login+none")
	f.Add("client_id=spa&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A5555%2Fcallback")
	f.Add("client_id=web&redirect_uri=http%3A%2F%2F127.0.0.1%3A5555%2Fcallback%23frag&response_type=code")
	f.Add("%zz=%zz&&&client_id")
	f.Add("client_id=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fkeyed&response_type=code")
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest(http.MethodGet, "/authorize", nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		iss.app.public.ServeHTTP(rec, req)
		checkRedirect(t, rec)
	})
}

// FuzzLoginForm posts arbitrary login forms, with and without a valid CSRF
// cookie. Invariants: no 5xx, never a redirect off the issuer but to a
// registered URI, and never a session without the right password.
func FuzzLoginForm(f *testing.F) {
	iss := startIssuer(f, "{}")
	// A CSRF cookie and its token, taken from a real login page.
	b := newBrowser(f, iss.url)
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	ret := url.Values{"client_id": {"web"}, "response_type": {"code"}, "redirect_uri": {"http://127.0.0.1:5555/callback"},
		"scope": {"openid"}, "state": {"s"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	login := b.get(iss.url + "/authorize?" + ret.Encode())
	u, _ := url.Parse(iss.url)
	var csrfCookie string
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "lineage_csrf" {
			csrfCookie = c.Value
		}
	}
	form := url.Values{"username": {"zoe"}, "password": {"wrong"}, "csrf": {login.fields.Get("csrf")}, "return": {ret.Encode()}}
	f.Add(form.Encode(), true)
	form.Set("return", "client_id=web&redirect_uri=http%3A%2F%2Fevil.example%2F")
	f.Add(form.Encode(), true)
	form.Set("return", "//evil.example/x")
	f.Add(form.Encode(), true)
	f.Add("username=zoe&password=x&csrf=forged", true)
	f.Add("", false)
	f.Add("%zz", true)
	f.Fuzz(func(t *testing.T, body string, withCookie bool) {
		req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if withCookie {
			req.AddCookie(&http.Cookie{Name: "lineage_csrf", Value: csrfCookie})
		}
		rec := httptest.NewRecorder()
		iss.app.public.ServeHTTP(rec, req)
		checkRedirect(t, rec)
		form, _ := url.ParseQuery(body)
		for _, c := range rec.Result().Cookies() {
			if c.Name == "lineage_session" && c.Value != "" && form.Get("password") != zoePassword {
				t.Fatalf("a session without the password: %q", body)
			}
		}
	})
}
