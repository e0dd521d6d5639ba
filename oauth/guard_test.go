package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/lineage-oss/lineage/store"
)

// fakeGuard denies the requests whose user or client policies hold
// "deny", and records what it was asked.
type fakeGuard struct {
	err  error
	seen []GuardRequest
}

func (g *fakeGuard) CreateTokenDenied(_ context.Context, r GuardRequest) (bool, error) {
	g.seen = append(g.seen, r)
	if g.err != nil {
		return false, g.err
	}
	for _, p := range slices.Concat(r.UserPolicies, r.ClientPolicies) {
		if string(p) == `"deny"` {
			return true, nil
		}
	}
	return false, nil
}

type fakeUsers map[string]store.User

func (u fakeUsers) Get(_ context.Context, name string) (store.User, error) {
	if name == "broken" {
		return store.User{}, errors.New("store down")
	}
	if user, ok := u[name]; ok {
		return user, nil
	}
	return store.User{}, fmt.Errorf("users: %w", store.ErrNotFound)
}

func TestCreateTokenGuard(t *testing.T) {
	deny := []json.RawMessage{json.RawMessage(`"deny"`)}
	users := fakeUsers{"alice": {Username: "alice", Policies: deny}, "bob": {Username: "bob"}}
	web := &Client{Client: store.Client{ID: "web"}}
	locked := &Client{Client: store.Client{ID: "locked", Policies: deny}}
	tests := []struct {
		name     string
		guardErr error
		client   *Client
		username string
		want     error // nil, ErrCreateTokenDenied, or errUndecided
	}{
		{name: "the user's policies deny", client: web, username: "alice", want: ErrCreateTokenDenied},
		{name: "no Deny", client: web, username: "bob"},
		{name: "the client's policies deny", client: locked, username: "bob", want: ErrCreateTokenDenied},
		{name: "client_credentials: no user", client: locked, want: ErrCreateTokenDenied},
		{name: "a user gone has no policies", client: web, username: "carol"},
		{name: "the user cannot be read", client: web, username: "broken", want: errUndecided},
		{name: "the guard cannot decide", guardErr: errors.New("org policies unavailable"), client: web, username: "bob", want: errUndecided},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			guard := &fakeGuard{err: tt.guardErr}
			g := createTokenGuard{guard: guard, users: users}
			ctx := WithOrigin(context.Background(), Origin{SourceIP: "192.0.2.7", SecureTransport: true})
			err := g.check(ctx, tt.client, tt.username, GrantRefreshToken, []string{"openid"})
			switch {
			case tt.want == errUndecided:
				if err == nil || errors.Is(err, ErrCreateTokenDenied) {
					t.Fatalf("err = %v, want an undecided check", err)
				}
			case !errors.Is(err, tt.want) || (tt.want == nil && err != nil):
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if len(guard.seen) == 1 {
				r := guard.seen[0]
				if r.ClientID != tt.client.ID || r.Username != tt.username || r.GrantType != GrantRefreshToken ||
					r.Origin != (Origin{SourceIP: "192.0.2.7", SecureTransport: true}) || !slices.Equal(r.Scopes, []string{"openid"}) {
					t.Fatalf("the guard was asked %+v", r)
				}
			}
		})
	}
	if err := (createTokenGuard{users: users}).check(context.Background(), locked, "alice", GrantAuthorizationCode, nil); err != nil {
		t.Fatalf("without a Guard: %v, want no check", err)
	}
}

// errUndecided marks the cases where the check must fail closed.
var errUndecided = errors.New("undecided")
