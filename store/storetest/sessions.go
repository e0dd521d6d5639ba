package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

func loginSessionTests() []test {
	return []test{
		{"RoundTrip", testSessionRoundTrip},
		{"CreateConflict", testSessionCreateConflict},
		{"Missing", testSessionMissing},
		{"DeleteIsIdempotent", testSessionDelete},
		{"InvalidExpiry", testSessionInvalidExpiry},
		{"Expires", testSessionExpires},
		{"OddIDs", testSessionOddIDs},
	}
}

// fullSession returns a login session with every field set.
func fullSession(id string, expiresAt time.Time) store.LoginSession {
	return store.LoginSession{
		ID:        id,
		Username:  "alice",
		AuthTime:  time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("UTC+1", 3600)),
		ExpiresAt: expiresAt,
	}
}

// getSession returns GetLoginSession(id), failing t on an error.
func getSession(t *testing.T, s store.Store, id, what string) store.LoginSession {
	t.Helper()
	got, err := s.GetLoginSession(t.Context(), id)
	noErr(t, err, what)
	return got
}

// wantNoSession fails t unless GetLoginSession(id) is ErrNotFound.
func wantNoSession(t *testing.T, s store.Store, id, what string) {
	t.Helper()
	_, err := s.GetLoginSession(t.Context(), id)
	wantErr(t, err, store.ErrNotFound, what)
}

func testSessionRoundTrip(t *testing.T, s store.Store) {
	want := fullSession("sid-1", time.Now().Add(longLife))
	everyFieldSet(t, want)
	noErr(t, s.CreateLoginSession(t.Context(), want), "CreateLoginSession")
	sameRecord(t, "GetLoginSession", want, getSession(t, s, "sid-1", "GetLoginSession"))
}

func testSessionCreateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := fullSession("sid", time.Now().Add(longLife))
	noErr(t, s.CreateLoginSession(ctx, first), "first CreateLoginSession")
	second := fullSession("sid", time.Now().Add(2*longLife))
	second.Username = "mallory"
	wantErr(t, s.CreateLoginSession(ctx, second), store.ErrConflict, "second CreateLoginSession")
	sameRecord(t, "session after a refused create", first, getSession(t, s, "sid", "GetLoginSession"))
}

func testSessionMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	noErr(t, s.CreateLoginSession(ctx, fullSession("present", time.Now().Add(longLife))), "CreateLoginSession")
	// Codes and consents are apart: none makes a session.
	noErr(t, s.CreateAuthorizationCode(ctx, fullCode("code", time.Now().Add(longLife))), "CreateAuthorizationCode")
	noErr(t, s.PutConsent(ctx, store.Consent{Username: "alice", ClientID: "web"}), "PutConsent")
	for _, id := range []string{"missing", "pres", "Present", "", tokenHash("code"), "alice", "web"} {
		wantNoSession(t, s, id, "GetLoginSession("+id+")")
	}
}

func testSessionDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	other := fullSession("b", time.Now().Add(longLife))
	noErr(t, s.CreateLoginSession(ctx, fullSession("a", time.Now().Add(longLife))), "CreateLoginSession a")
	noErr(t, s.CreateLoginSession(ctx, other), "CreateLoginSession b")
	steps := []struct {
		name string
		id   string
	}{
		{"delete a session", "a"},
		{"delete it again", "a"},
		{"delete a session never created", "never"},
	}
	for _, st := range steps {
		noErr(t, s.DeleteLoginSession(ctx, st.id), st.name)
		wantNoSession(t, s, st.id, "GetLoginSession after: "+st.name)
	}
	sameRecord(t, "the other session", other, getSession(t, s, "b", "GetLoginSession"))

	// The id is free again.
	again := fullSession("a", time.Now().Add(longLife))
	again.Username = "bob"
	noErr(t, s.CreateLoginSession(ctx, again), "CreateLoginSession after delete")
	sameRecord(t, "re-created session", again, getSession(t, s, "a", "GetLoginSession"))
}

func testSessionInvalidExpiry(t *testing.T, s store.Store) {
	tests := []struct {
		name      string
		expiresAt time.Time
	}{
		{"a second ago", time.Now().Add(-time.Second)},
		{"long ago", time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"zero time", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantInvalid(t, s.CreateLoginSession(t.Context(), fullSession("sid", tt.expiresAt)), "CreateLoginSession")
			wantNoSession(t, s, "sid", "GetLoginSession after a refused create")
		})
	}
}

func testSessionExpires(t *testing.T, s store.Store) {
	ctx := t.Context()
	noErr(t, s.CreateLoginSession(ctx, fullSession("short", time.Now().Add(shortLife))), "CreateLoginSession")
	long := fullSession("long", time.Now().Add(longLife))
	noErr(t, s.CreateLoginSession(ctx, long), "CreateLoginSession")
	eventually(t, "login session expires", func() bool {
		_, err := s.GetLoginSession(ctx, "short")
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetLoginSession: %v", err)
		}
		return err != nil
	})
	sameRecord(t, "longer-lived session", long, getSession(t, s, "long", "GetLoginSession"))
	noErr(t, s.CreateLoginSession(ctx, fullSession("short", time.Now().Add(longLife))), "CreateLoginSession after expiry")
}

func testSessionOddIDs(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, tt := range oddIDs() {
		t.Run(tt.name, func(t *testing.T) {
			want := fullSession(tt.id, time.Now().Add(longLife))
			want.Username = "user-of-" + tt.name
			noErr(t, s.CreateLoginSession(ctx, want), "CreateLoginSession")
			sameRecord(t, "GetLoginSession", want, getSession(t, s, tt.id, "GetLoginSession"))
			wantErr(t, s.CreateLoginSession(ctx, want), store.ErrConflict, "second CreateLoginSession")
		})
	}
	for _, tt := range oddIDs() {
		noErr(t, s.DeleteLoginSession(ctx, tt.id), "DeleteLoginSession "+tt.name)
		wantNoSession(t, s, tt.id, "GetLoginSession after delete of "+tt.name)
	}
}
