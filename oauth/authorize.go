package oauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/store"
)

// AuthorizeRequest is a validated authorization request (RFC 6749 §4.1.1,
// RFC 7636 §4.3, OpenID Connect Core §3.1.2.1).
type AuthorizeRequest struct {
	Client              *Client
	RedirectURI         string
	State               string
	Nonce               string
	Scopes              []string
	Audience            []string
	CodeChallenge       string
	CodeChallengeMethod string
	// Prompt holds the prompt values: none, login, consent.
	Prompt []string
	// MaxAge is max_age in seconds; -1 when absent.
	MaxAge int
}

// HasPrompt reports whether the request asked for prompt=value.
func (r AuthorizeRequest) HasPrompt(value string) bool { return slices.Contains(r.Prompt, value) }

// ClientName returns how to name the client on the hosted pages: its id
// (the client model has no display name yet).
func (r AuthorizeRequest) ClientName() string { return r.Client.ID }

// AuthorizeError is a refused authorization request. When Redirect is
// true the error goes back to the client's registered redirect URI (RFC
// 6749 §4.1.2.1); otherwise — unknown client, missing or unregistered
// redirect URI — it is shown to the user and never redirected.
type AuthorizeError struct {
	Redirect    bool
	RedirectURI string
	State       string
	Err         *fosite.RFC6749Error
}

func (e *AuthorizeError) Error() string {
	return "oauth: authorize: " + e.Err.ErrorField + ": " + e.Err.GetDescription()
}

// Unwrap exposes the RFC 6749 error.
func (e *AuthorizeError) Unwrap() error { return e.Err }

// RedirectTo returns the error response URI (RFC 6749 §4.1.2.1, RFC 9207).
func (e *AuthorizeError) RedirectTo(issuer string) string {
	q := url.Values{"error": {e.Err.ErrorField}, "iss": {issuer}}
	if d := e.Err.GetDescription(); d != "" {
		q.Set("error_description", d)
	}
	if e.State != "" {
		q.Set("state", e.State)
	}
	return addQuery(e.RedirectURI, q)
}

// addQuery appends q to uri's query, keeping what it has (RFC 6749 §3.1.2).
func addQuery(uri string, q url.Values) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	existing := u.Query()
	for k, vs := range q {
		for _, v := range vs {
			existing.Add(k, v)
		}
	}
	u.RawQuery = existing.Encode()
	return u.String()
}

// codeChallengePattern is RFC 7636 §4.2's code_challenge for S256: the
// base64url SHA-256 of the verifier, 43 characters.
var codeChallengePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// codeVerifierPattern is RFC 7636 §4.1's code_verifier.
var codeVerifierPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// ParseAuthorize validates an authorization request's parameters.
func (p *Provider) ParseAuthorize(ctx context.Context, q url.Values) (AuthorizeRequest, error) {
	show := func(hint string) error {
		return &AuthorizeError{Err: fosite.ErrInvalidRequest.WithHint(hint)}
	}
	for k, vs := range q {
		if len(vs) > 1 && (k == "client_id" || k == "redirect_uri" || k == "state") {
			return AuthorizeRequest{}, show("The " + k + " parameter is repeated.")
		}
	}
	id := q.Get("client_id")
	if id == "" {
		return AuthorizeRequest{}, show("The client_id parameter is missing.")
	}
	client, err := getClient(ctx, p.clients, id)
	if errors.Is(err, fosite.ErrNotFound) {
		return AuthorizeRequest{}, show("The client is unknown or disabled.")
	}
	if err != nil {
		return AuthorizeRequest{}, &AuthorizeError{Err: fosite.ErrTemporarilyUnavailable.WithWrap(err)}
	}
	redirectURI := q.Get("redirect_uri")
	switch {
	case redirectURI == "" && len(client.RedirectURIs) == 1 && !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		redirectURI = client.RedirectURIs[0]
	case redirectURI == "":
		return AuthorizeRequest{}, show("The redirect_uri parameter is missing.")
	case !slices.Contains(client.RedirectURIs, redirectURI):
		// Exact string comparison: no prefix, port or case leniency.
		return AuthorizeRequest{}, show("The redirect_uri is not registered for this client.")
	}

	req := AuthorizeRequest{Client: client, RedirectURI: redirectURI, State: q.Get("state"), Nonce: q.Get("nonce"), MaxAge: -1}
	fail := func(e *fosite.RFC6749Error) error {
		return &AuthorizeError{Redirect: true, RedirectURI: redirectURI, State: req.State, Err: e}
	}
	for k, vs := range q {
		if len(vs) > 1 && k != "resource" {
			return req, fail(fosite.ErrInvalidRequest.WithHintf("The %s parameter is repeated.", k))
		}
	}
	if q.Has("request") {
		return req, fail(fosite.ErrRequestNotSupported)
	}
	if q.Has("request_uri") {
		return req, fail(fosite.ErrRequestURINotSupported)
	}
	if rt := q.Get("response_type"); rt != "code" {
		return req, fail(fosite.ErrUnsupportedResponseType.WithHint("Only response_type=code is supported."))
	}
	if rm := q.Get("response_mode"); rm != "" && rm != "query" {
		return req, fail(fosite.ErrInvalidRequest.WithHint("Only response_mode=query is supported."))
	}
	if !client.GetGrantTypes().Has("authorization_code") {
		return req, fail(fosite.ErrUnauthorizedClient.WithHint("The client may not use the authorization code grant."))
	}
	req.Scopes = slices.Compact(slices.Sorted(slices.Values(strings.Fields(q.Get("scope")))))
	for _, s := range req.Scopes {
		if !slices.Contains(client.Scopes, s) {
			return req, fail(fosite.ErrInvalidScope.WithHintf("The client may not request scope '%s'.", s))
		}
	}
	aud, err := grantAudience(client, q, []string{p.defaultAudience})
	if err != nil {
		var rfc *fosite.RFC6749Error
		errors.As(err, &rfc)
		return req, fail(rfc)
	}
	req.Audience = aud

	req.CodeChallenge, req.CodeChallengeMethod = q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case req.CodeChallenge == "" && req.CodeChallengeMethod != "":
		return req, fail(fosite.ErrInvalidRequest.WithHint("code_challenge_method without code_challenge."))
	case req.CodeChallenge == "" && client.IsPublic():
		return req, fail(fosite.ErrInvalidRequest.WithHint("Public clients must use PKCE with S256 (RFC 7636)."))
	case req.CodeChallenge != "" && req.CodeChallengeMethod != "S256":
		return req, fail(fosite.ErrInvalidRequest.WithHint("code_challenge_method must be S256; plain is refused."))
	case req.CodeChallenge != "" && !codeChallengePattern.MatchString(req.CodeChallenge):
		return req, fail(fosite.ErrInvalidRequest.WithHint("code_challenge is not a base64url SHA-256."))
	}

	if v := q.Get("prompt"); v != "" {
		req.Prompt = strings.Fields(v)
		for _, pr := range req.Prompt {
			if pr != "none" && pr != "login" && pr != "consent" && pr != "select_account" {
				return req, fail(fosite.ErrInvalidRequest.WithHintf("Unknown prompt value '%s'.", pr))
			}
		}
		if req.HasPrompt("none") && len(req.Prompt) > 1 {
			return req, fail(fosite.ErrInvalidRequest.WithHint("prompt=none cannot be combined with other values."))
		}
	}
	if v := q.Get("max_age"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return req, fail(fosite.ErrInvalidRequest.WithHint("max_age is a number of seconds."))
		}
		req.MaxAge = n
	}
	if len(req.Nonce) > 512 || len(req.State) > 2048 {
		return req, fail(fosite.ErrInvalidRequest.WithHint("state or nonce is too long."))
	}
	return req, nil
}

// Authentication is who signed in at the hosted login page, and when.
type Authentication struct {
	Username  string
	AuthTime  time.Time
	SessionID string
}

// codeLifetime bounds an authorization code (RFC 6749 §4.1.2: "a maximum
// authorization code lifetime of 10 minutes is RECOMMENDED").
const codeLifetime = 5 * time.Minute

// IssueCode stores a code for the request and the signed-in user and
// returns the redirect URI carrying it (RFC 6749 §4.1.2, RFC 9207 iss).
// When a policy denies sso-oauth:CreateToken for the user or the client
// it returns ErrCreateTokenDenied; when that cannot be decided, a
// temporarily_unavailable *fosite.RFC6749Error.
func (p *Provider) IssueCode(ctx context.Context, req AuthorizeRequest, who Authentication) (string, error) {
	switch err := p.guard.check(ctx, req.Client, who.Username, GrantAuthorizationCode, req.Scopes); {
	case errors.Is(err, ErrCreateTokenDenied):
		return "", err
	case err != nil:
		return "", fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	code, err := randomToken(p.opts.Rand)
	if err != nil {
		return "", err
	}
	origin, err := newID(p.opts.Rand)
	if err != nil {
		return "", err
	}
	now := p.opts.Now()
	rec := store.AuthorizationCode{
		Hash: hashToken(code), ClientID: req.Client.ID, RedirectURI: req.RedirectURI,
		Subject: who.Username, Username: who.Username, Scopes: req.Scopes, Audience: req.Audience,
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: req.CodeChallengeMethod, Nonce: req.Nonce,
		AuthTime: who.AuthTime, SessionID: who.SessionID, OriginJTI: origin, ExpiresAt: now.Add(codeLifetime),
	}
	if err := p.codes.CreateAuthorizationCode(ctx, rec); err != nil {
		return "", fmt.Errorf("oauth: store code: %w", err)
	}
	q := url.Values{"code": {code}, "iss": {p.opts.Issuer}}
	if req.State != "" {
		q.Set("state", req.State)
	}
	return addQuery(req.RedirectURI, q), nil
}

// randomToken returns 256 random bits, base64url.
func randomToken(random interface{ Read([]byte) (int, error) }) (string, error) {
	b := make([]byte, 32)
	if _, err := random.Read(b); err != nil {
		return "", fmt.Errorf("oauth: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashToken is the hex SHA-256 under which codes and refresh tokens are
// stored: the store never holds them in the clear.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// verifyPKCE checks RFC 7636 §4.6 for S256.
func verifyPKCE(challenge, verifier string) bool {
	if !codeVerifierPattern.MatchString(verifier) {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}
