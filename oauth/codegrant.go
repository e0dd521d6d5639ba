package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/revocation"
	"github.com/lineage-oss/lineage/store"
)

// Grant types of the web flows.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
)

// IDTokenType is the JWS typ of ID tokens.
const IDTokenType = "JWT"

// issuance is what one token response issues: a lineage's tokens for a
// user and a client.
type issuance struct {
	client         *Client
	subject        string
	username       string
	scopes         []string
	audience       []string
	originJTI      string
	authTime       time.Time
	sid            string
	nonce          string
	familyIssuedAt time.Time
	// rotate, for the refresh grant, is the token being exchanged.
	rotate *store.RefreshToken
	// refreshScopes are the next refresh token's scopes: the original
	// grant's, even when the access token was narrowed (RFC 6749 §6).
	refreshScopes []string
	// iam is the IAM caller of a CreateTokenWithIAM request, or the one a
	// refreshed IAM-minted lineage was issued to (zero: none).
	iam IAMIdentity
	// notAfter, when set, ends the lineage: no token of it outlives it
	// (token exchange: the subject token's exp, RFC 8693).
	notAfter time.Time
	// act is the act claim of the lineage's access tokens (token
	// exchange, RFC 8693 §4.1).
	act *Actor
}

// IDTokenClaims are the claims of a lineage ID token (OpenID Connect Core
// §2 plus jti and origin_jti, DESIGN.md "Tokens").
type IDTokenClaims struct {
	Issuer    string       `json:"iss"`
	Subject   string       `json:"sub"`
	Audience  jwt.Audience `json:"aud"`
	ExpiresAt int64        `json:"exp"`
	IssuedAt  int64        `json:"iat"`
	AuthTime  int64        `json:"auth_time"`
	Nonce     string       `json:"nonce,omitempty"`
	AtHash    string       `json:"at_hash"`
	SID       string       `json:"sid,omitempty"`
	JTI       string       `json:"jti"`
	OriginJTI string       `json:"origin_jti"`
	// The IAM claims of an IAM-minted lineage, as in AccessTokenClaims.
	IAMPrincipal  string `json:"iam_principal,omitempty"`
	IAMSource     string `json:"iam_source,omitempty"`
	IAMSessionIAT int64  `json:"iam_session_iat,omitempty"`
}

// authorizationCodeGrant exchanges an authorization code (RFC 6749 §4.1.3)
// with PKCE (RFC 7636 §4.6). The code is consumed atomically: a second
// exchange, concurrent or later, fails.
type authorizationCodeGrant struct{ p *Provider }

var _ fosite.TokenEndpointHandler = (*authorizationCodeGrant)(nil)

func (g *authorizationCodeGrant) HandleTokenEndpointRequest(ctx context.Context, req fosite.AccessRequester) error {
	client := req.GetClient().(*Client)
	if !client.GetGrantTypes().Has(GrantAuthorizationCode) {
		return fosite.ErrUnauthorizedClient.WithHint("The client may not use the authorization code grant.")
	}
	form := req.GetRequestForm()
	code := form.Get("code")
	if code == "" {
		return fosite.ErrInvalidRequest.WithHint("The code parameter is missing.")
	}
	rec, err := g.p.codes.ConsumeAuthorizationCode(ctx, hashToken(code))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fosite.ErrInvalidGrant.WithHint("The authorization code is invalid or expired.")
	case errors.Is(err, store.ErrConflict):
		// RFC 6749 §4.1.2: a code used twice may be stolen; everything its
		// first use issued is revoked.
		p := g.p
		p.opts.Observer.Reused(GrantAuthorizationCode)
		p.opts.Logger.WarnContext(ctx, "security: authorization code reused; lineage revoked",
			"client_id", rec.ClientID, "origin_jti", rec.OriginJTI)
		if _, err := p.revocations.RevokeLineage(ctx, rec.OriginJTI, time.Time{}); err != nil {
			return fosite.ErrTemporarilyUnavailable.WithWrap(err)
		}
		return fosite.ErrInvalidGrant.WithHint("The authorization code was already used.")
	case err != nil:
		return fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	if rec.ClientID != client.ID {
		return fosite.ErrInvalidGrant.WithHint("The authorization code was issued to another client.")
	}
	// A before-T rule written since the code was issued (for its user or
	// its client) stops it too.
	revoked, err := g.p.revocations.Revoked(ctx, revocation.Token{
		OriginJTI: rec.OriginJTI, Subject: rec.Subject, ClientID: rec.ClientID,
		IssuedAt: rec.ExpiresAt.Add(-codeLifetime),
	})
	switch {
	case err != nil:
		return fosite.ErrTemporarilyUnavailable.WithWrap(err)
	case revoked:
		return fosite.ErrInvalidGrant.WithHint("The authorization code was revoked.")
	}
	if form.Get("redirect_uri") != rec.RedirectURI {
		return fosite.ErrInvalidGrant.WithHint("The redirect_uri differs from the authorization request's.")
	}
	verifier := form.Get("code_verifier")
	switch {
	case rec.CodeChallenge == "" && verifier != "":
		return fosite.ErrInvalidGrant.WithHint("A code_verifier was sent but the authorization request had no code_challenge.")
	case rec.CodeChallenge != "" && !verifyPKCE(rec.CodeChallenge, verifier):
		return fosite.ErrInvalidGrant.WithHint("The code_verifier does not match the code_challenge.")
	}
	for _, s := range rec.Scopes {
		req.GrantScope(s)
	}
	for _, a := range rec.Audience {
		req.GrantAudience(a)
	}
	session := req.GetSession().(*Session)
	session.Subject, session.Username, session.OriginJTI = rec.Subject, rec.Username, rec.OriginJTI
	session.grant = &issuance{
		client: client, subject: rec.Subject, username: rec.Username, scopes: rec.Scopes, audience: rec.Audience,
		originJTI: rec.OriginJTI, authTime: rec.AuthTime, sid: rec.SessionID, nonce: rec.Nonce,
		familyIssuedAt: g.p.opts.Now(),
	}
	return nil
}

func (g *authorizationCodeGrant) PopulateTokenEndpointResponse(ctx context.Context, req fosite.AccessRequester, resp fosite.AccessResponder) error {
	if !g.CanHandleTokenEndpointRequest(ctx, req) {
		return fosite.ErrUnknownRequest
	}
	return g.p.issue(ctx, req.GetSession().(*Session).grant, resp)
}

func (g *authorizationCodeGrant) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool {
	return false
}

func (g *authorizationCodeGrant) CanHandleTokenEndpointRequest(_ context.Context, req fosite.AccessRequester) bool {
	return req.GetGrantTypes().ExactOne(GrantAuthorizationCode)
}

// refreshTokenGrant exchanges a refresh token (RFC 6749 §6) and rotates it
// within its lineage: the old token is spent in the same atomic step that
// records the new one; presenting it again is reuse.
type refreshTokenGrant struct{ p *Provider }

var _ fosite.TokenEndpointHandler = (*refreshTokenGrant)(nil)

func (g *refreshTokenGrant) HandleTokenEndpointRequest(ctx context.Context, req fosite.AccessRequester) error {
	client := req.GetClient().(*Client)
	if !client.GetGrantTypes().Has(GrantRefreshToken) {
		return fosite.ErrUnauthorizedClient.WithHint("The client may not use the refresh_token grant.")
	}
	token := req.GetRequestForm().Get("refresh_token")
	origin, ok := refreshOrigin(token)
	if !ok {
		return fosite.ErrInvalidGrant.WithHint("The refresh token is invalid.")
	}
	rec, err := g.p.refresh.GetRefreshToken(ctx, origin, hashToken(token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fosite.ErrInvalidGrant.WithHint("The refresh token is invalid or expired.")
	case err != nil:
		return fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	if rec.ClientID != client.ID {
		// Another client's token: refused without spending it.
		return fosite.ErrInvalidGrant.WithHint("The refresh token is invalid or expired.")
	}
	if !rec.RotatedAt.IsZero() {
		return g.p.reused(ctx, client, rec)
	}
	// The revocation set is read with the rotation, in the same round
	// trip (nextRefreshToken): nothing is handed out before it is.
	scopes := rec.Scopes
	if requested := req.GetRequestedScopes(); len(requested) > 0 {
		// RFC 6749 §6: a narrower scope may be asked for, never a wider one.
		for _, s := range requested {
			if !slices.Contains(rec.Scopes, s) {
				return fosite.ErrInvalidScope.WithHintf("Scope '%s' was not granted originally.", s)
			}
		}
		scopes = slices.Compact(slices.Sorted(slices.Values(requested)))
	}
	for _, s := range scopes {
		req.GrantScope(s)
	}
	for _, a := range rec.Audience {
		req.GrantAudience(a)
	}
	var act *Actor
	if len(rec.Act) > 0 {
		act = new(Actor)
		if err := json.Unmarshal(rec.Act, act); err != nil {
			return fosite.ErrServerError.WithWrap(fmt.Errorf("oauth: stored act claim: %w", err))
		}
	}
	session := req.GetSession().(*Session)
	session.Subject, session.Username, session.OriginJTI = rec.Subject, rec.Username, rec.OriginJTI
	session.grant = &issuance{
		client: client, subject: rec.Subject, username: rec.Username, scopes: scopes, audience: rec.Audience,
		originJTI: rec.OriginJTI, authTime: rec.AuthTime, sid: rec.SessionID,
		familyIssuedAt: rec.FamilyIssuedAt, rotate: &rec, refreshScopes: rec.Scopes, iam: recordIdentity(rec),
		notAfter: rec.NotAfter, act: act,
	}
	return nil
}

func (g *refreshTokenGrant) PopulateTokenEndpointResponse(ctx context.Context, req fosite.AccessRequester, resp fosite.AccessResponder) error {
	if !g.CanHandleTokenEndpointRequest(ctx, req) {
		return fosite.ErrUnknownRequest
	}
	return g.p.issue(ctx, req.GetSession().(*Session).grant, resp)
}

func (g *refreshTokenGrant) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool {
	return false
}

func (g *refreshTokenGrant) CanHandleTokenEndpointRequest(_ context.Context, req fosite.AccessRequester) bool {
	return req.GetGrantTypes().ExactOne(GrantRefreshToken)
}

// reused answers a refresh token presented after its rotation (OAuth 2.0
// Security BCP §4.14.2): invalid_grant, and — unless it comes within
// tokens.refresh_reuse_grace of the rotation — the whole lineage is
// revoked and a security event logged.
func (p *Provider) reused(ctx context.Context, client *Client, rec store.RefreshToken) error {
	refused := fosite.ErrInvalidGrant.WithHint("The refresh token was already used.")
	rotated := rec.RotatedAt
	if rotated.IsZero() {
		rotated = p.opts.Now() // lost a concurrent rotation just now
	}
	if p.opts.Now().Sub(rotated) < p.opts.RefreshReuseGrace {
		return refused
	}
	p.opts.Observer.Reused(GrantRefreshToken)
	p.opts.Logger.WarnContext(ctx, "security: refresh token reused; lineage revoked",
		"client_id", rec.ClientID, "origin_jti", rec.OriginJTI)
	if _, err := p.revocations.RevokeLineage(ctx, rec.OriginJTI, p.lineageEnd(client, rec)); err != nil {
		return fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	return refused
}

// refreshOrigin returns the lineage id a refresh token carries: tokens are
// "<origin_jti>.<256 random bits>", so that a family's keys share one
// Redis Cluster slot.
func refreshOrigin(token string) (string, bool) {
	origin, random, ok := strings.Cut(token, ".")
	if !ok || len(origin) != 22 || len(random) != 43 {
		return "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(origin); err != nil {
		return "", false
	}
	return origin, true
}

// issue signs the access token (and the ID token for openid), then, when
// the client may refresh, stores the lineage's next refresh token —
// rotating the presented one in one atomic step — and writes the response.
func (p *Provider) issue(ctx context.Context, g *issuance, resp fosite.AccessResponder) error {
	client := g.client
	accessTTL, err := g.capped(client.GetEffectiveLifespan(fosite.GrantTypeAuthorizationCode, fosite.AccessToken, p.opts.AccessTTL), p.opts.Now())
	if err != nil {
		return err
	}
	access, _, err := p.tokens.MintContext(ctx, Grant{Subject: g.subject, ClientID: client.ID, Scopes: g.scopes,
		Audience: g.audience, OriginJTI: g.originJTI, Lifetime: accessTTL, IAM: g.iam, Act: g.act})
	if err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	resp.SetAccessToken(access)
	resp.SetTokenType("Bearer")
	resp.SetExpiresIn(accessTTL)
	resp.SetScopes(g.scopes)

	if slices.Contains(g.scopes, "openid") {
		idToken, err := p.idToken(ctx, g, access)
		if err != nil {
			return fosite.ErrServerError.WithWrap(err)
		}
		resp.SetExtra("id_token", idToken)
	}

	if g.rotate != nil || p.refreshes(client, g.scopes) {
		refresh, err := p.nextRefreshToken(ctx, g)
		if err != nil {
			return err
		}
		resp.SetExtra("refresh_token", refresh)
	}
	return nil
}

// capped returns lifetime, shortened so that a token issued at now ends no
// later than the lineage's notAfter; invalid_grant once that has passed.
func (g *issuance) capped(lifetime time.Duration, now time.Time) (time.Duration, error) {
	if g.notAfter.IsZero() {
		return lifetime, nil
	}
	left := g.notAfter.Sub(now).Truncate(time.Second)
	if left <= 0 {
		return 0, fosite.ErrInvalidGrant.WithHint("The token's lineage has ended: its subject token expired.")
	}
	return min(lifetime, left), nil
}

// refreshes reports whether a grant gets a refresh token: the client may
// use the refresh_token grant, and an OpenID Connect request asked for
// offline_access (OpenID Connect Core §11).
func (p *Provider) refreshes(client *Client, scopes []string) bool {
	if !client.GetGrantTypes().Has(GrantRefreshToken) {
		return false
	}
	return !slices.Contains(scopes, "openid") || slices.Contains(scopes, "offline_access")
}

func (p *Provider) nextRefreshToken(ctx context.Context, g *issuance) (string, error) {
	random, err := randomToken(p.opts.Rand)
	if err != nil {
		return "", fosite.ErrServerError.WithWrap(err)
	}
	token := g.originJTI + "." + random
	now := p.opts.Now()
	idle := g.client.GetEffectiveLifespan(fosite.GrantTypeRefreshToken, fosite.RefreshToken, p.opts.RefreshIdleTTL)
	expires := now.Add(idle)
	if end := g.familyIssuedAt.Add(g.client.refreshMaxTTL(p.opts.RefreshMaxTTL)); end.Before(expires) {
		expires = end
	}
	if !g.notAfter.IsZero() && g.notAfter.Before(expires) {
		expires = g.notAfter
	}
	if !expires.After(now) {
		return "", fosite.ErrInvalidGrant.WithHint("The refresh token's lineage has reached its maximum lifetime.")
	}
	refreshScopes := g.scopes
	if g.refreshScopes != nil {
		refreshScopes = g.refreshScopes
	}
	next := store.RefreshToken{
		Hash: hashToken(token), OriginJTI: g.originJTI, ClientID: g.client.ID, Subject: g.subject,
		Username: g.username, Scopes: refreshScopes, Audience: g.audience, AuthTime: g.authTime, SessionID: g.sid,
		IssuedAt: now, FamilyIssuedAt: g.familyIssuedAt, ExpiresAt: expires,
		IAMPrincipal: g.iam.Principal, IAMSource: g.iam.Source, IAMSessionIssuedAt: g.iam.SessionIssuedAt,
		NotAfter: g.notAfter,
	}
	if g.act != nil {
		if next.Act, err = json.Marshal(g.act); err != nil {
			return "", fosite.ErrServerError.WithWrap(err)
		}
	}
	if g.rotate == nil {
		err = p.refresh.CreateRefreshToken(ctx, next)
	} else {
		var st store.RevocationStatus
		presented := recordIdentity(*g.rotate)
		_, st, err = p.refresh.RotateRefreshTokenChecked(ctx, g.originJTI, g.rotate.Hash, now, next, store.RevocationQuery{
			OriginJTI: g.rotate.OriginJTI, Subject: g.rotate.Subject, Client: g.rotate.ClientID,
			Principals: presented.principals(),
		})
		if err == nil && p.revocations.Covers(st, revocation.Token{IssuedAt: g.rotate.IssuedAt, SessionIssuedAt: presented.SessionIssuedAt}) {
			// The presented token is revoked: the next one, stored, is
			// never handed out (and is covered by the same lineage or
			// rule only if issued before T; nobody holds it either way).
			return "", fosite.ErrInvalidGrant.WithHint("The refresh token was revoked.")
		}
	}
	switch {
	case errors.Is(err, store.ErrConflict):
		// The loser of a concurrent refresh: reuse too.
		return "", p.reused(ctx, g.client, *g.rotate)
	case errors.Is(err, store.ErrNotFound):
		return "", fosite.ErrInvalidGrant.WithHint("The refresh token is invalid or expired.")
	case err != nil:
		return "", fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	return token, nil
}

// idToken signs an ID token for the grant (OpenID Connect Core §2, §3.1.3.6
// at_hash).
func (p *Provider) idToken(ctx context.Context, g *issuance, accessToken string) (string, error) {
	jti, err := newID(p.opts.Rand)
	if err != nil {
		return "", err
	}
	now := p.opts.Now()
	ttl, err := g.capped(g.client.GetEffectiveLifespan(fosite.GrantTypeAuthorizationCode, fosite.IDToken, p.opts.IDTTL), now)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(accessToken))
	c := IDTokenClaims{
		Issuer: p.opts.Issuer, Subject: g.subject, Audience: jwt.Audience{g.client.ID},
		ExpiresAt: now.Add(ttl).Unix(), IssuedAt: now.Unix(), AuthTime: g.authTime.Unix(),
		AtHash: base64.RawURLEncoding.EncodeToString(sum[:16]), SID: g.sid, JTI: jti, OriginJTI: g.originJTI,
	}
	if g.rotate == nil {
		c.Nonce = g.nonce
	}
	if g.iam.Principal != "" {
		c.IAMPrincipal, c.IAMSource, c.IAMSessionIAT = g.iam.Principal, g.iam.Source, g.iam.SessionIssuedAt.Unix()
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("oauth: marshal id token: %w", err)
	}
	return p.keys.SignContext(ctx, IDTokenType, payload)
}
