package bench

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// codeFlow signs a user in the way a browser and a confidential client do
// together — the authorization code flow (RFC 6749 §4.1) with PKCE S256
// (RFC 7636) through the issuer's hosted login form — and exchanges the
// code for the tokens that begin a refresh-token lineage.
type codeFlow struct {
	public      *Public
	clientID    string
	auth        string // the client's client_secret_basic header
	redirectURI string // registered; nothing listens there
	scope       string
	username    string
	password    string
}

// lineage is one refresh-token lineage as its worker knows it.
type lineage struct {
	// origin is its id: the origin_jti claim of its access tokens.
	origin string
	// refresh is its current refresh token, the next to present.
	refresh string
	// access is the last access token it got.
	access string
}

// userTokens is the part of a token response (RFC 6749 §5.1, OpenID
// Connect Core §3.1.3.3) to a user's grant that is checked.
type userTokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

// tokenClaims are the claims of an access or ID token that are checked.
type tokenClaims struct {
	OriginJTI string `json:"origin_jti"`
	Nonce     string `json:"nonce"`
}

// parseUserTokens reads a 200 token response and checks it: a JWT access
// token of type Bearer with a lifetime and an origin_jti claim, a refresh
// token and an ID token (the scope holds openid and offline_access). It
// returns what it could read even when a check fails, and the access
// token's claims.
func parseUserTokens(body []byte) (userTokens, tokenClaims, error) {
	var tr userTokens
	if err := json.Unmarshal(body, &tr); err != nil {
		return userTokens{}, tokenClaims{}, failf(ErrUnexpectedBody, "the token response is not JSON")
	}
	if !isJWT(tr.AccessToken) || !strings.EqualFold(tr.TokenType, "Bearer") || tr.ExpiresIn <= 0 {
		return tr, tokenClaims{}, failf(ErrUnexpectedBody, "the token response lacks a JWT access_token, token_type Bearer or expires_in")
	}
	if tr.RefreshToken == "" {
		return tr, tokenClaims{}, failf(ErrUnexpectedBody, "the token response has no refresh_token (offline_access)")
	}
	if !isJWT(tr.IDToken) {
		return tr, tokenClaims{}, failf(ErrUnexpectedBody, "the token response has no JWT id_token (openid)")
	}
	var ac tokenClaims
	if err := jwtClaims(tr.AccessToken, &ac); err != nil || ac.OriginJTI == "" {
		return tr, tokenClaims{}, failf(ErrUnexpectedBody, "the access token has no origin_jti claim")
	}
	return tr, ac, nil
}

// isJWT reports whether s has the three dot-separated parts of a JWS in
// compact serialisation.
func isJWT(s string) bool { return strings.Count(s, ".") == 2 && len(s) > 4 }

// jwtClaims decodes a JWT's payload into v, without verifying the
// signature: the bench checks what the issuer says, the issuer's own
// tests check its signatures.
func jwtClaims(token string, v any) error {
	_, rest, _ := strings.Cut(token, ".")
	payload, _, ok := strings.Cut(rest, ".")
	if !ok {
		return fmt.Errorf("not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// signIn begins a lineage: GET /authorize (the login page), POST the
// login form with the user's credentials, GET /authorize again with the
// session cookie, read the code from the redirect to the callback (not
// followed), and exchange it at /token with the PKCE verifier. A browser's
// cookie jar lives for this one sign-in, so each lineage has its own login
// session. ctx bounds the whole flow. Errors are *Failure of kind
// ErrSignIn that say which step failed and how.
func (f *codeFlow) signIn(ctx context.Context) (lineage, error) {
	l, step, err := f.walk(ctx)
	if err != nil {
		ff := failureOf(err)
		return lineage{}, &Failure{Kind: ErrSignIn, Detail: fmt.Sprintf("%s: %s (%s)", step, ff.Detail, ff.Kind)}
	}
	return l, nil
}

func (f *codeFlow) walk(ctx context.Context) (lineage, string, error) {
	verifier, state, nonce := randomToken(32), randomToken(16), randomToken(16)
	sum := sha256.Sum256([]byte(verifier))
	authorize := f.public.base + "/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {f.clientID}, "redirect_uri": {f.redirectURI}, "scope": {f.scope},
		"state": {state}, "nonce": {nonce},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}.Encode()
	b := newBrowser(f.public)

	step := "GET /authorize"
	page, err := b.send(ctx, http.MethodGet, authorize, nil)
	if err != nil {
		return lineage{}, step, err
	}
	if page.status != http.StatusOK {
		return lineage{}, step, page.failure("not the login page")
	}
	action, fields := parseForm(page.body)
	if action == "" || fields.Get("csrf") == "" || fields.Get("return") == "" {
		return lineage{}, step, failf(ErrUnexpectedBody, "the login page has no form with the hidden fields csrf and return")
	}

	step = "POST the login form"
	target, err := resolve(authorize, action)
	if err != nil {
		return lineage{}, step, failf(ErrUnexpectedBody, "the login form's action %q is not a URL", truncate(action, 100))
	}
	form := url.Values{"csrf": {fields.Get("csrf")}, "return": {fields.Get("return")}, "username": {f.username}, "password": {f.password}}
	page, err = b.send(ctx, http.MethodPost, target, form)
	if err != nil {
		return lineage{}, step, err
	}
	if page.status != http.StatusSeeOther && page.status != http.StatusFound {
		return lineage{}, step, page.failure("no redirect back to /authorize")
	}

	step = "GET /authorize signed in"
	next, err := resolve(target, page.location)
	if err != nil {
		return lineage{}, step, failf(ErrUnexpectedBody, "the login form redirected to an invalid URL")
	}
	page, err = b.send(ctx, http.MethodGet, next, nil)
	if err != nil {
		return lineage{}, step, err
	}
	if page.status != http.StatusFound {
		return lineage{}, step, page.failure("no redirect to the callback (a consent page? the client is first-party)")
	}
	cb, err := url.Parse(page.location)
	if err != nil || !strings.HasPrefix(page.location, f.redirectURI+"?") {
		return lineage{}, step, failf(ErrWrongAnswer, "a redirect elsewhere than to the callback")
	}
	q := cb.Query()
	switch {
	case q.Get("error") != "":
		return lineage{}, step, failf(ErrWrongAnswer, "the callback got error=%s: %s", truncate(q.Get("error"), 64), truncate(q.Get("error_description"), 200))
	case q.Get("state") != state:
		return lineage{}, step, failf(ErrWrongAnswer, "the callback's state is not the request's")
	case q.Get("code") == "":
		return lineage{}, step, failf(ErrWrongAnswer, "the callback has no code")
	}

	step = "exchange the code at /token"
	var buf bytes.Buffer
	body := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")},
		"redirect_uri": {f.redirectURI}, "code_verifier": {verifier}}.Encode()
	if err := f.public.PostForm(ctx, "/token", f.auth, body, &buf); err != nil {
		return lineage{}, step, err
	}
	tr, ac, err := parseUserTokens(buf.Bytes())
	if err != nil {
		return lineage{}, step, err
	}
	var idc tokenClaims
	if err := jwtClaims(tr.IDToken, &idc); err != nil || idc.Nonce != nonce || idc.OriginJTI != ac.OriginJTI {
		return lineage{}, step, failf(ErrWrongAnswer, "the ID token lacks the request's nonce or the access token's origin_jti")
	}
	return lineage{origin: ac.OriginJTI, refresh: tr.RefreshToken, access: tr.AccessToken}, "", nil
}

// browser is an HTTP client with its own cookie jar that follows no
// redirect: the flow reads each Location itself, and the last one (to the
// client's callback) is where the code is.
type browser struct{ c *http.Client }

func newBrowser(p *Public) *browser {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &browser{c: &http.Client{
		Transport:     p.http.Transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// answer is one response of the browser flow.
type answer struct {
	status   int
	location string
	body     []byte
}

// failure describes an answer with an unexpected status.
func (a answer) failure(want string) *Failure {
	f := httpFailure(a.status, a.body)
	if a.status/100 == 2 || a.status/100 == 3 {
		f.Detail = fmt.Sprintf("%d answered, %s", a.status, want)
	} else {
		f.Detail = want + ": " + f.Detail
	}
	return f
}

func (b *browser) send(ctx context.Context, method, target string, form url.Values) (answer, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return answer{}, &Failure{Kind: ErrTransport, Detail: err.Error()}
	}
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return answer{}, transportFailure(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return answer{}, transportFailure(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return answer{status: resp.StatusCode, location: resp.Header.Get("Location"), body: raw}, nil
}

// resolve returns ref (a form action or a Location) against base.
func resolve(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil || ref == "" {
		return "", fmt.Errorf("invalid reference %q", ref)
	}
	return b.ResolveReference(r).String(), nil
}

// parseForm returns the action of the first form of an HTML page and the
// values of its hidden inputs.
func parseForm(page []byte) (string, url.Values) {
	z := html.NewTokenizer(bytes.NewReader(page))
	var action string
	inForm := false
	fields := url.Values{}
	for {
		switch z.Next() {
		case html.ErrorToken:
			return action, fields
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			switch {
			case t.Data == "form" && !inForm && action == "":
				inForm = true
				action = attr(t, "action")
			case t.Data == "input" && inForm && strings.EqualFold(attr(t, "type"), "hidden"):
				if name := attr(t, "name"); name != "" {
					fields.Set(name, attr(t, "value"))
				}
			}
		case html.EndTagToken:
			if inForm && z.Token().Data == "form" {
				return action, fields
			}
		}
	}
}

func attr(t html.Token, key string) string {
	for _, a := range t.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// randomToken returns n random bytes, base64url-encoded: secrets
// (password, PKCE verifier, state, nonce) come from crypto/rand.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = crand.Read(b) // never fails (crypto/rand's documentation)
	return base64.RawURLEncoding.EncodeToString(b)
}
