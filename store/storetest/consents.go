package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

func consentTests() []test {
	return []test{
		{"RoundTrip", testConsentRoundTrip},
		{"EmptyScopes", testConsentEmptyScopes},
		{"Missing", testConsentMissing},
		{"PutReplaces", testConsentReplace},
		{"PerUserAndClient", testConsentPerUserAndClient},
		{"OddNames", testConsentOddNames},
		{"UsernameWithNUL", testConsentUsernameWithNUL},
		{"NoAliasing", testConsentNoAliasing},
	}
}

// fullConsent returns a consent with every field set.
func fullConsent(username, clientID string) store.Consent {
	return store.Consent{
		Username:  username,
		ClientID:  clientID,
		Scopes:    []string{"openid", "profile", "offline_access"},
		GrantedAt: time.Now(),
	}
}

// getConsent returns GetConsent(username, clientID), failing t on an error.
func getConsent(t *testing.T, s store.Store, username, clientID, what string) store.Consent {
	t.Helper()
	got, err := s.GetConsent(t.Context(), username, clientID)
	noErr(t, err, what)
	return got
}

func testConsentRoundTrip(t *testing.T, s store.Store) {
	want := fullConsent("alice", "web")
	everyFieldSet(t, want)
	noErr(t, s.PutConsent(t.Context(), want), "PutConsent")
	sameRecord(t, "GetConsent", want, getConsent(t, s, "alice", "web", "GetConsent"))
}

func testConsentEmptyScopes(t *testing.T, s store.Store) {
	for _, scopes := range [][]string{nil, {}} {
		want := store.Consent{Username: "alice", ClientID: "web", Scopes: scopes}
		noErr(t, s.PutConsent(t.Context(), want), "PutConsent")
		got := getConsent(t, s, "alice", "web", "GetConsent")
		sameRecord(t, "GetConsent", want, got)
		if !got.GrantedAt.IsZero() {
			t.Errorf("zero GrantedAt read back as %v", got.GrantedAt)
		}
	}
}

func testConsentMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	noErr(t, s.PutConsent(ctx, fullConsent("alice", "web")), "PutConsent")
	tests := []struct {
		name               string
		username, clientID string
	}{
		{"unknown user", "bob", "web"},
		{"unknown client", "alice", "other"},
		{"swapped", "web", "alice"},
		{"username with another case", "Alice", "web"},
		{"client of a prefix", "alice", "we"},
		{"joined differently", "alice\x01", "web"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.GetConsent(ctx, tt.username, tt.clientID)
			wantErr(t, err, store.ErrNotFound, "GetConsent")
		})
	}
}

func testConsentReplace(t *testing.T, s store.Store) {
	ctx := t.Context()
	noErr(t, s.PutConsent(ctx, fullConsent("alice", "web")), "PutConsent")
	// The second put drops scopes: they must be gone, not merged.
	want := store.Consent{
		Username:  "alice",
		ClientID:  "web",
		Scopes:    []string{"openid"},
		GrantedAt: time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC),
	}
	noErr(t, s.PutConsent(ctx, want), "PutConsent replacing")
	sameRecord(t, "consent after a replace", want, getConsent(t, s, "alice", "web", "GetConsent"))
}

// testConsentPerUserAndClient gives users consents for clients, crosswise:
// each pair reads back its own.
func testConsentPerUserAndClient(t *testing.T, s store.Store) {
	ctx := t.Context()
	users := []string{"alice", "bob", "alice\x01"}
	clients := []string{"web", "cli", "\x00web"}
	for _, u := range users {
		for _, c := range clients {
			consent := fullConsent(u, c)
			consent.Scopes = []string{"scope-of-" + u + "-" + c}
			noErr(t, s.PutConsent(ctx, consent), "PutConsent")
		}
	}
	for _, u := range users {
		for _, c := range clients {
			got := getConsent(t, s, u, c, "GetConsent")
			if got.Username != u || got.ClientID != c || len(got.Scopes) != 1 || got.Scopes[0] != "scope-of-"+u+"-"+c {
				t.Errorf("GetConsent(%q, %q) = %+v, another pair's consent", u, c, got)
			}
		}
	}
}

func testConsentOddNames(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, tt := range oddIDs() {
		t.Run(tt.name, func(t *testing.T) {
			// The odd string is the client of one consent and, when it
			// may be, the user of another.
			want := fullConsent("alice", tt.id)
			noErr(t, s.PutConsent(ctx, want), "PutConsent")
			sameRecord(t, "GetConsent", want, getConsent(t, s, "alice", tt.id, "GetConsent"))
			if strings.ContainsRune(tt.id, 0) {
				return
			}
			mine := fullConsent(tt.id, "web")
			noErr(t, s.PutConsent(ctx, mine), "PutConsent of the odd user")
			sameRecord(t, "GetConsent of the odd user", mine, getConsent(t, s, tt.id, "web", "GetConsent"))
		})
	}
}

// testConsentUsernameWithNUL checks that a username holding NUL is refused:
// username + NUL + client is what a consent is keyed by, so ("a\x00b", "c")
// could otherwise read the consent of ("a", "b\x00c").
func testConsentUsernameWithNUL(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := fullConsent("a", "b\x00c")
	noErr(t, s.PutConsent(ctx, want), "PutConsent")
	wantInvalid(t, s.PutConsent(ctx, fullConsent("a\x00b", "c")), "PutConsent of a username with NUL")
	_, err := s.GetConsent(ctx, "a\x00b", "c")
	wantInvalid(t, err, "GetConsent of a username with NUL")
	sameRecord(t, "consent after refused calls", want, getConsent(t, s, "a", "b\x00c", "GetConsent"))
}

func testConsentNoAliasing(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := fullConsent("alice", "web")
	want := in
	want.Scopes = []string{"openid", "profile", "offline_access"}
	noErr(t, s.PutConsent(ctx, in), "PutConsent")

	in.Scopes[0] = "admin"
	got := getConsent(t, s, "alice", "web", "GetConsent")
	sameRecord(t, "consent after the caller changed what it passed to PutConsent", want, got)
	got.Scopes[0] = "admin"
	sameRecord(t, "consent after the caller changed what GetConsent returned", want, getConsent(t, s, "alice", "web", "GetConsent"))
}
