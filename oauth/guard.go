package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/store"
)

// Guard decides whether policy lets a standard grant issue tokens
// (DESIGN.md "IAM model": at /authorize and /token only an explicit Deny of
// sso-oauth:CreateToken — org guardrails, users[].policies,
// clients[].policies — refuses; nothing needs an Allow). It is asked at
// every use: each code, each refresh, each client_credentials request.
type Guard interface {
	// CreateTokenDenied reports an explicit Deny. An error decides
	// nothing; the grant is refused as temporarily unavailable.
	CreateTokenDenied(ctx context.Context, r GuardRequest) (bool, error)
}

// GuardRequest is a grant about to issue tokens, as Guard sees it.
type GuardRequest struct {
	ClientID       string
	ClientPolicies []json.RawMessage
	// Username is the end user; empty for client_credentials, whose token
	// subject is the client.
	Username     string
	UserPolicies []json.RawMessage
	GrantType    string
	// Scopes are those the tokens would carry.
	Scopes []string
	Origin Origin
}

// Origin is where a request comes from (aws:SourceIp,
// aws:SecureTransport), as the HTTP layer — which knows the trusted
// proxies — found it.
type Origin struct {
	SourceIP        string
	SecureTransport bool
}

type originKey struct{}

// WithOrigin returns ctx carrying the request's origin, for the Guard.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

func originOf(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}

// ErrCreateTokenDenied reports that a policy denies sso-oauth:CreateToken
// for the user or the client of a grant.
var ErrCreateTokenDenied = errors.New("oauth: a policy denies sso-oauth:CreateToken")

// createTokenGuard puts a grant's user and client policies before the
// Guard.
type createTokenGuard struct {
	guard Guard // nil: no checks
	users UserSource
	// userPolicies remembers users' policies for UserPolicyTTL (nil:
	// read each time), so that a refresh costs no extra store round trip.
	userPolicies *expirable.LRU[string, []json.RawMessage]
}

// UserPolicyTTL is how long the Provider remembers an end user's policies
// for the sso-oauth:CreateToken check (users' policies come from the
// configuration file or the store; a change reaches every instance within
// it).
const UserPolicyTTL = time.Second

// newCreateTokenGuard returns the guard of a Provider.
func newCreateTokenGuard(g Guard, users UserSource) createTokenGuard {
	return createTokenGuard{guard: g, users: users,
		userPolicies: expirable.NewLRU[string, []json.RawMessage](1<<14, nil, UserPolicyTTL)}
}

// policiesOf returns the policies of the user username (none for a
// username that names no user any more).
func (g createTokenGuard) policiesOf(ctx context.Context, username string) ([]json.RawMessage, error) {
	if g.userPolicies != nil {
		if p, ok := g.userPolicies.Get(username); ok {
			return p, nil
		}
	}
	u, err := g.users.Get(ctx, username)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, err
	}
	if g.userPolicies != nil {
		g.userPolicies.Add(username, u.Policies)
	}
	return u.Policies, nil
}

// check returns ErrCreateTokenDenied when policy denies the grant, and an
// error wrapping the cause when it cannot be decided. A username that
// names no user (any more) has no policies of its own.
func (g createTokenGuard) check(ctx context.Context, client *Client, username, grant string, scopes []string) error {
	if g.guard == nil {
		return nil
	}
	r := GuardRequest{ClientID: client.ID, ClientPolicies: client.Policies, Username: username,
		GrantType: grant, Scopes: scopes, Origin: originOf(ctx)}
	if username != "" {
		policies, err := g.policiesOf(ctx, username)
		if err != nil {
			return fmt.Errorf("oauth: policy check: %w", err)
		}
		r.UserPolicies = policies
	}
	denied, err := g.guard.CreateTokenDenied(ctx, r)
	switch {
	case err != nil:
		return fmt.Errorf("oauth: policy check: %w", err)
	case denied:
		return ErrCreateTokenDenied
	}
	return nil
}

// guardToken checks a token request that its grant handler accepted,
// before anything is issued or a refresh token rotated: a Deny is
// invalid_grant (RFC 6749 §5.2) — unauthorized_client for
// client_credentials, where the client asks for itself — and an undecided
// check is temporarily_unavailable.
func (p *Provider) guardToken(ctx context.Context, req fosite.AccessRequester) error {
	client, ok := req.GetClient().(*Client)
	if !ok || p.guard.guard == nil {
		return nil
	}
	grant := req.GetGrantTypes()[0]
	var username string
	if s, ok := req.GetSession().(*Session); ok && grant != GrantClientCredentials {
		username = s.Username
	}
	err := p.guard.check(ctx, client, username, grant, req.GetGrantedScopes())
	switch {
	case errors.Is(err, ErrCreateTokenDenied) && grant == GrantClientCredentials:
		return fosite.ErrUnauthorizedClient.WithHint("A policy denies sso-oauth:CreateToken for this client.")
	case errors.Is(err, ErrCreateTokenDenied):
		return fosite.ErrInvalidGrant.WithHint("A policy denies sso-oauth:CreateToken for this user or client.")
	case err != nil:
		return fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	return nil
}
