package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

func clientTests() []test {
	return []test{
		{"RoundTrip", testClientRoundTrip},
		{"EmptyFields", testClientEmptyFields},
		{"CreateConflict", testClientCreateConflict},
		{"Missing", testClientMissing},
		{"UpdateReplaces", testClientUpdateReplaces},
		{"DeleteRemoves", testClientDelete},
		{"ListSortedByID", testClientListSorted},
		{"OddIDs", testClientOddIDs},
		{"InvalidJSON", testClientInvalidJSON},
		{"NoAliasing", testClientNoAliasing},
	}
}

// fullClient returns a client with every field set, the JSON fields spaced
// out as a person would write them.
func fullClient(id string) store.Client {
	created := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("UTC+5:30", 5*3600+1800))
	return store.Client{
		ID:         id,
		SecretHash: []byte{0x00, 0x01, 0xfe, 0xff, 'h', 'm', 'a', 'c'},
		JWKS: json.RawMessage(`{ "keys": [ { "kty": "EC", "crv": "P-256", "kid": "k1",
			"x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" } ] }`),
		RedirectURIs:           []string{"http://127.0.0.1:5555/callback", "https://app.example.com/cb?x=1&y=2"},
		PostLogoutRedirectURIs: []string{"https://app.example.com/bye"},
		GrantTypes:             []string{"authorization_code", "refresh_token", "client_credentials"},
		Scopes:                 []string{"openid", "profile", "email", "offline_access"},
		Audiences:              []string{"https://api.example.com", "urn:example:aud"},
		FirstParty:             true,
		TokenRevocation:        true,
		Introspect:             true,
		RevocationEvents:       true,
		Disabled:               true,
		Policies: []json.RawMessage{
			json.RawMessage(`{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sso-oauth:CreateToken", "Resource": "*"}]}`),
			json.RawMessage(`{"Version":"2012-10-17","Statement":[]}`),
		},
		ActorPolicy: json.RawMessage(`{ "Version": "2012-10-17", "Statement": [ {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ünïcode"}}} ] }`),
		// Inline JWKS compact: the store compacts it, and the field is
		// compared as a whole.
		TrustedTokenIssuers: []store.TrustedTokenIssuer{
			{Issuer: "https://login.example.org", JWKSURI: "https://login.example.org/jwks.json", Audience: "lineage", UserClaim: "email"},
			{Issuer: "https://idp.example.com/tenant/ü", JWKS: json.RawMessage(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`), Audience: "urn:lineage:web"},
		},
		AccessTTL:      time.Hour,
		IDTTL:          90*time.Minute + 500*time.Millisecond,
		RefreshIdleTTL: 720 * time.Hour,
		RefreshMaxTTL:  2160*time.Hour + time.Nanosecond,
		CreatedAt:      created,
		// A time.Now reading carries a monotonic clock and the local zone.
		UpdatedAt: time.Now(),
	}
}

func testClientRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := fullClient("web")
	everyFieldSet(t, want)
	noErr(t, s.CreateClient(ctx, want), "CreateClient")

	got, err := s.GetClient(ctx, "web")
	noErr(t, err, "GetClient")
	sameRecord(t, "GetClient", want, got)

	list, err := s.ListClients(ctx)
	noErr(t, err, "ListClients")
	if len(list) != 1 {
		t.Fatalf("ListClients returned %d clients, want 1", len(list))
	}
	sameRecord(t, "ListClients[0]", want, list[0])
}

func testClientEmptyFields(t *testing.T, s store.Store) {
	ctx := t.Context()
	tests := []struct {
		name   string
		client store.Client
	}{
		{"nil slices", store.Client{ID: "nil"}},
		{"empty slices", store.Client{
			ID:                     "empty",
			SecretHash:             []byte{},
			JWKS:                   json.RawMessage{},
			RedirectURIs:           []string{},
			PostLogoutRedirectURIs: []string{},
			GrantTypes:             []string{},
			Scopes:                 []string{},
			Audiences:              []string{},
			Policies:               []json.RawMessage{},
			ActorPolicy:            json.RawMessage{},
			TrustedTokenIssuers:    []store.TrustedTokenIssuer{},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noErr(t, s.CreateClient(ctx, tt.client), "CreateClient")
			got, err := s.GetClient(ctx, tt.client.ID)
			noErr(t, err, "GetClient")
			// A public client without a secret must not read back with one,
			// nor a client without JWKS with some.
			sameRecord(t, "GetClient", store.Client{ID: tt.client.ID}, got)
			if !got.CreatedAt.IsZero() || !got.UpdatedAt.IsZero() {
				t.Errorf("zero times read back as %v and %v", got.CreatedAt, got.UpdatedAt)
			}
		})
	}
}

func testClientCreateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := fullClient("web")
	noErr(t, s.CreateClient(ctx, first), "first CreateClient")

	second := store.Client{ID: "web", RedirectURIs: []string{"https://attacker.example/cb"}}
	wantErr(t, s.CreateClient(ctx, second), store.ErrConflict, "second CreateClient")

	got, err := s.GetClient(ctx, "web")
	noErr(t, err, "GetClient")
	sameRecord(t, "client after a refused create", first, got)
	list, err := s.ListClients(ctx)
	noErr(t, err, "ListClients")
	if len(list) != 1 {
		t.Errorf("ListClients returned %d clients after a refused create, want 1", len(list))
	}
}

func testClientMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	noErr(t, s.CreateClient(ctx, store.Client{ID: "present"}), "CreateClient")
	tests := []struct {
		name string
		op   func() error
	}{
		{"get", func() error { _, err := s.GetClient(ctx, "missing"); return err }},
		{"update", func() error { return s.UpdateClient(ctx, store.Client{ID: "missing"}) }},
		{"delete", func() error { return s.DeleteClient(ctx, "missing") }},
		{"get of a prefix", func() error { _, err := s.GetClient(ctx, "pres"); return err }},
		{"get with another case", func() error { _, err := s.GetClient(ctx, "Present"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.op(), store.ErrNotFound, tt.name)
		})
	}
	// A refused update must not have created the client.
	list, err := s.ListClients(ctx)
	noErr(t, err, "ListClients")
	if got := ids(list); !slices.Equal(got, []string{"present"}) {
		t.Errorf("ListClients = %q, want [present]", got)
	}
}

func testClientUpdateReplaces(t *testing.T, s store.Store) {
	ctx := t.Context()
	noErr(t, s.CreateClient(ctx, fullClient("web")), "CreateClient")

	// The update drops most fields: they must be gone, not merged.
	want := store.Client{
		ID:           "web",
		RedirectURIs: []string{"https://new.example.com/cb"},
		Scopes:       []string{"openid"},
		Policies:     []json.RawMessage{json.RawMessage(`{"new":true}`)},
		AccessTTL:    5 * time.Minute,
		CreatedAt:    time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		UpdatedAt:    time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC),
	}
	noErr(t, s.UpdateClient(ctx, want), "UpdateClient")
	got, err := s.GetClient(ctx, "web")
	noErr(t, err, "GetClient")
	sameRecord(t, "client after UpdateClient", want, got)

	list, err := s.ListClients(ctx)
	noErr(t, err, "ListClients")
	if len(list) != 1 {
		t.Fatalf("ListClients returned %d clients after an update, want 1", len(list))
	}
	sameRecord(t, "ListClients[0] after UpdateClient", want, list[0])
}

func testClientDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, id := range []string{"a", "b", "c"} {
		noErr(t, s.CreateClient(ctx, fullClient(id)), "CreateClient "+id)
	}
	noErr(t, s.DeleteClient(ctx, "b"), "DeleteClient")

	_, err := s.GetClient(ctx, "b")
	wantErr(t, err, store.ErrNotFound, "GetClient after delete")
	wantErr(t, s.DeleteClient(ctx, "b"), store.ErrNotFound, "second DeleteClient")
	wantErr(t, s.UpdateClient(ctx, fullClient("b")), store.ErrNotFound, "UpdateClient after delete")
	list, err := s.ListClients(ctx)
	noErr(t, err, "ListClients")
	if got := ids(list); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("ListClients after delete = %q, want [a c]", got)
	}

	// The id is free again.
	again := store.Client{ID: "b", Scopes: []string{"openid"}}
	noErr(t, s.CreateClient(ctx, again), "CreateClient after delete")
	got, err := s.GetClient(ctx, "b")
	noErr(t, err, "GetClient after re-create")
	sameRecord(t, "re-created client", again, got)
}

func testClientListSorted(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, err := s.ListClients(ctx)
	noErr(t, err, "ListClients of an empty store")
	if len(list) != 0 {
		t.Fatalf("empty store lists %d clients", len(list))
	}

	created := []string{"b", "a2", "Z", "a10", "a", "é", "0", "a1"}
	for _, id := range created {
		noErr(t, s.CreateClient(ctx, store.Client{ID: id, Scopes: []string{"scope-of-" + id}}), "CreateClient "+id)
	}
	list, err = s.ListClients(ctx)
	noErr(t, err, "ListClients")
	want := slices.Sorted(slices.Values(created))
	if got := ids(list); !slices.Equal(got, want) {
		t.Fatalf("ListClients = %q, want %q", got, want)
	}
	for _, c := range list {
		if !slices.Equal(c.Scopes, []string{"scope-of-" + c.ID}) {
			t.Errorf("ListClients: client %q carries %q, another client's record", c.ID, c.Scopes)
		}
	}
}

func testClientOddIDs(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, tt := range oddIDs() {
		t.Run(tt.name, func(t *testing.T) {
			want := fullClient(tt.id)
			noErr(t, s.CreateClient(ctx, want), "CreateClient")
			got, err := s.GetClient(ctx, tt.id)
			noErr(t, err, "GetClient")
			sameRecord(t, "GetClient", want, got)
			wantErr(t, s.CreateClient(ctx, want), store.ErrConflict, "second CreateClient")

			want.Scopes = []string{"updated"}
			noErr(t, s.UpdateClient(ctx, want), "UpdateClient")
			got, err = s.GetClient(ctx, tt.id)
			noErr(t, err, "GetClient after update")
			sameRecord(t, "GetClient after update", want, got)
		})
	}

	list, err := s.ListClients(ctx)
	noErr(t, err, "ListClients")
	if got, want := ids(list), sortedIDs(); !slices.Equal(got, want) {
		t.Fatalf("ListClients = %q, want %q", got, want)
	}

	for _, tt := range oddIDs() {
		noErr(t, s.DeleteClient(ctx, tt.id), "DeleteClient "+tt.name)
		_, err := s.GetClient(ctx, tt.id)
		wantErr(t, err, store.ErrNotFound, "GetClient after delete of "+tt.name)
	}
	list, err = s.ListClients(ctx)
	noErr(t, err, "ListClients")
	if len(list) != 0 {
		t.Errorf("ListClients after deleting every client = %q", ids(list))
	}
}

func testClientInvalidJSON(t *testing.T, s store.Store) {
	ctx := t.Context()
	tests := []struct {
		name   string
		mutate func(c *store.Client)
	}{
		{"truncated jwks", func(c *store.Client) { c.JWKS = json.RawMessage(`{"keys": [`) }},
		{"actor_policy not JSON", func(c *store.Client) { c.ActorPolicy = json.RawMessage(`Version: 2012-10-17`) }},
		{"policy not JSON", func(c *store.Client) { c.Policies = []json.RawMessage{json.RawMessage(`{}`), json.RawMessage(`{`)} }},
		{"empty policy", func(c *store.Client) { c.Policies = []json.RawMessage{nil} }},
		{"trusted issuer jwks not JSON", func(c *store.Client) { c.TrustedTokenIssuers[1].JWKS = json.RawMessage(`{"keys":`) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fullClient("bad")
			tt.mutate(&c)
			err := s.CreateClient(ctx, c)
			if err == nil {
				t.Fatal("CreateClient accepted invalid JSON")
			}
			for _, sentinel := range []error{store.ErrUnavailable, store.ErrConflict, store.ErrNotFound} {
				if errors.Is(err, sentinel) {
					t.Errorf("CreateClient: invalid JSON reported as %v: %v", sentinel, err)
				}
			}
			_, err = s.GetClient(ctx, "bad")
			wantErr(t, err, store.ErrNotFound, "GetClient after a refused create")

			noErr(t, s.CreateClient(ctx, store.Client{ID: "good"}), "CreateClient good")
			c.ID = "good"
			if err := s.UpdateClient(ctx, c); err == nil {
				t.Error("UpdateClient accepted invalid JSON")
			}
			got, err := s.GetClient(ctx, "good")
			noErr(t, err, "GetClient after a refused update")
			sameRecord(t, "client after a refused update", store.Client{ID: "good"}, got)
			noErr(t, s.DeleteClient(ctx, "good"), "DeleteClient")
		})
	}
}

func testClientNoAliasing(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := fullClient("web")
	want := fullClient("web")
	want.UpdatedAt = in.UpdatedAt
	noErr(t, s.CreateClient(ctx, in), "CreateClient")

	scribble := func(c *store.Client) {
		c.SecretHash[0] ^= 0xff
		c.JWKS[0] = '['
		c.RedirectURIs[0] = "https://attacker.example/cb"
		c.PostLogoutRedirectURIs[0] = "https://attacker.example/bye"
		c.GrantTypes[0] = "implicit"
		c.Scopes[0] = "admin"
		c.Audiences[0] = "https://attacker.example"
		c.Policies[0][0] = '['
		c.Policies[1] = json.RawMessage(`{"Statement":"allow everything"}`)
		c.ActorPolicy[0] = '['
		c.TrustedTokenIssuers[0].Issuer = "https://attacker.example"
		c.TrustedTokenIssuers[1].JWKS[0] = '['
	}
	scribble(&in)
	got, err := s.GetClient(ctx, "web")
	noErr(t, err, "GetClient")
	sameRecord(t, "client after the caller changed what it passed to CreateClient", want, got)

	scribble(&got)
	again, err := s.GetClient(ctx, "web")
	noErr(t, err, "GetClient")
	sameRecord(t, "client after the caller changed what GetClient returned", want, again)

	list, err := s.ListClients(ctx)
	noErr(t, err, "ListClients")
	scribble(&list[0])
	again, err = s.GetClient(ctx, "web")
	noErr(t, err, "GetClient")
	sameRecord(t, "client after the caller changed what ListClients returned", want, again)

	upd := fullClient("web")
	upd.UpdatedAt = want.UpdatedAt
	noErr(t, s.UpdateClient(ctx, upd), "UpdateClient")
	scribble(&upd)
	again, err = s.GetClient(ctx, "web")
	noErr(t, err, "GetClient")
	sameRecord(t, "client after the caller changed what it passed to UpdateClient", want, again)
}
