package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

func userTests() []test {
	return []test{
		{"RoundTrip", testUserRoundTrip},
		{"EmptyFields", testUserEmptyFields},
		{"CreateConflict", testUserCreateConflict},
		{"Missing", testUserMissing},
		{"UpdateReplaces", testUserUpdateReplaces},
		{"DeleteRemoves", testUserDelete},
		{"ListSortedByUsername", testUserListSorted},
		{"OddUsernames", testUserOddUsernames},
		{"InvalidJSON", testUserInvalidJSON},
		{"NoAliasing", testUserNoAliasing},
	}
}

// fullUser returns a user with every field set, the policies spaced out as
// a person would write them.
func fullUser(username string) store.User {
	return store.User{
		Username:     username,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
		Email:        "Ünïcode.User+tag@example.com",
		Policies: []json.RawMessage{
			json.RawMessage(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}`),
			json.RawMessage(`{"Version":"2012-10-17","Statement":[]}`),
		},
		Disabled:  true,
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("UTC-3", -3*3600)),
		// A time.Now reading carries a monotonic clock and the local zone.
		UpdatedAt: time.Now(),
	}
}

// oddUsernames returns oddIDs and names that look like the keys of users.
func oddUsernames() []oddID {
	return append(oddIDs(),
		oddID{"user set name", "users"},
		oddID{"user key-like", "user:alice"},
	)
}

// usernames returns the Usernames of us, in order.
func usernames(us []store.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Username
	}
	return out
}

func testUserRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := fullUser("alice")
	everyFieldSet(t, want)
	noErr(t, s.CreateUser(ctx, want), "CreateUser")

	got, err := s.GetUser(ctx, "alice")
	noErr(t, err, "GetUser")
	sameRecord(t, "GetUser", want, got)

	list, err := s.ListUsers(ctx)
	noErr(t, err, "ListUsers")
	if len(list) != 1 {
		t.Fatalf("ListUsers returned %d users, want 1", len(list))
	}
	sameRecord(t, "ListUsers[0]", want, list[0])
}

func testUserEmptyFields(t *testing.T, s store.Store) {
	ctx := t.Context()
	tests := []struct {
		name string
		user store.User
	}{
		{"nil slices", store.User{Username: "nil"}},
		{"empty slices", store.User{Username: "empty", Policies: []json.RawMessage{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noErr(t, s.CreateUser(ctx, tt.user), "CreateUser")
			got, err := s.GetUser(ctx, tt.user.Username)
			noErr(t, err, "GetUser")
			// A user without a password must not read back with one, nor a
			// user without policies with some.
			sameRecord(t, "GetUser", store.User{Username: tt.user.Username}, got)
			if !got.CreatedAt.IsZero() || !got.UpdatedAt.IsZero() {
				t.Errorf("zero times read back as %v and %v", got.CreatedAt, got.UpdatedAt)
			}
		})
	}
}

func testUserCreateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := fullUser("alice")
	noErr(t, s.CreateUser(ctx, first), "first CreateUser")

	// A second sign-up under a taken name must not replace the password.
	second := store.User{Username: "alice", PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$YXR0YWNrZXI$attacker"}
	wantErr(t, s.CreateUser(ctx, second), store.ErrConflict, "second CreateUser")

	got, err := s.GetUser(ctx, "alice")
	noErr(t, err, "GetUser")
	sameRecord(t, "user after a refused create", first, got)
	list, err := s.ListUsers(ctx)
	noErr(t, err, "ListUsers")
	if len(list) != 1 {
		t.Errorf("ListUsers returned %d users after a refused create, want 1", len(list))
	}
}

func testUserMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	noErr(t, s.CreateUser(ctx, store.User{Username: "present"}), "CreateUser")
	tests := []struct {
		name string
		op   func() error
	}{
		{"get", func() error { _, err := s.GetUser(ctx, "missing"); return err }},
		{"update", func() error { return s.UpdateUser(ctx, store.User{Username: "missing"}) }},
		{"delete", func() error { return s.DeleteUser(ctx, "missing") }},
		{"get of a prefix", func() error { _, err := s.GetUser(ctx, "pres"); return err }},
		{"get with another case", func() error { _, err := s.GetUser(ctx, "Present"); return err }},
		{"get of a client's id", func() error { _, err := s.GetUser(ctx, "web"); return err }},
	}
	// Clients and users are apart: a client does not make a user.
	noErr(t, s.CreateClient(ctx, store.Client{ID: "web"}), "CreateClient")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.op(), store.ErrNotFound, tt.name)
		})
	}
	// A refused update must not have created the user.
	list, err := s.ListUsers(ctx)
	noErr(t, err, "ListUsers")
	if got := usernames(list); !slices.Equal(got, []string{"present"}) {
		t.Errorf("ListUsers = %q, want [present]", got)
	}
}

func testUserUpdateReplaces(t *testing.T, s store.Store) {
	ctx := t.Context()
	noErr(t, s.CreateUser(ctx, fullUser("alice")), "CreateUser")

	// The update drops most fields: they must be gone, not merged.
	want := store.User{
		Username:     "alice",
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$bmV3c2FsdA$bmV3aGFzaA",
		Policies:     []json.RawMessage{json.RawMessage(`{"new":true}`)},
		CreatedAt:    time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		UpdatedAt:    time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC),
	}
	noErr(t, s.UpdateUser(ctx, want), "UpdateUser")
	got, err := s.GetUser(ctx, "alice")
	noErr(t, err, "GetUser")
	sameRecord(t, "user after UpdateUser", want, got)

	list, err := s.ListUsers(ctx)
	noErr(t, err, "ListUsers")
	if len(list) != 1 {
		t.Fatalf("ListUsers returned %d users after an update, want 1", len(list))
	}
	sameRecord(t, "ListUsers[0] after UpdateUser", want, list[0])
}

func testUserDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, name := range []string{"a", "b", "c"} {
		noErr(t, s.CreateUser(ctx, fullUser(name)), "CreateUser "+name)
	}
	noErr(t, s.DeleteUser(ctx, "b"), "DeleteUser")

	_, err := s.GetUser(ctx, "b")
	wantErr(t, err, store.ErrNotFound, "GetUser after delete")
	wantErr(t, s.DeleteUser(ctx, "b"), store.ErrNotFound, "second DeleteUser")
	wantErr(t, s.UpdateUser(ctx, fullUser("b")), store.ErrNotFound, "UpdateUser after delete")
	list, err := s.ListUsers(ctx)
	noErr(t, err, "ListUsers")
	if got := usernames(list); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("ListUsers after delete = %q, want [a c]", got)
	}

	// The username is free again, and the old password is gone with it.
	again := store.User{Username: "b", Email: "b@example.com"}
	noErr(t, s.CreateUser(ctx, again), "CreateUser after delete")
	got, err := s.GetUser(ctx, "b")
	noErr(t, err, "GetUser after re-create")
	sameRecord(t, "re-created user", again, got)
}

func testUserListSorted(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, err := s.ListUsers(ctx)
	noErr(t, err, "ListUsers of an empty store")
	if len(list) != 0 {
		t.Fatalf("empty store lists %d users", len(list))
	}

	created := []string{"bob", "alice2", "Zoe", "alice10", "alice", "élodie", "0", "alice1"}
	for _, name := range created {
		noErr(t, s.CreateUser(ctx, store.User{Username: name, Email: name + "@example.com"}), "CreateUser "+name)
	}
	list, err = s.ListUsers(ctx)
	noErr(t, err, "ListUsers")
	want := slices.Sorted(slices.Values(created))
	if got := usernames(list); !slices.Equal(got, want) {
		t.Fatalf("ListUsers = %q, want %q", got, want)
	}
	for _, u := range list {
		if u.Email != u.Username+"@example.com" {
			t.Errorf("ListUsers: user %q carries %q, another user's record", u.Username, u.Email)
		}
	}
}

func testUserOddUsernames(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, tt := range oddUsernames() {
		t.Run(tt.name, func(t *testing.T) {
			want := fullUser(tt.id)
			noErr(t, s.CreateUser(ctx, want), "CreateUser")
			got, err := s.GetUser(ctx, tt.id)
			noErr(t, err, "GetUser")
			sameRecord(t, "GetUser", want, got)
			wantErr(t, s.CreateUser(ctx, want), store.ErrConflict, "second CreateUser")

			want.Email = "updated@example.com"
			noErr(t, s.UpdateUser(ctx, want), "UpdateUser")
			got, err = s.GetUser(ctx, tt.id)
			noErr(t, err, "GetUser after update")
			sameRecord(t, "GetUser after update", want, got)
		})
	}

	list, err := s.ListUsers(ctx)
	noErr(t, err, "ListUsers")
	var want []string
	for _, tt := range oddUsernames() {
		want = append(want, tt.id)
	}
	slices.Sort(want)
	if got := usernames(list); !slices.Equal(got, want) {
		t.Fatalf("ListUsers = %q, want %q", got, want)
	}

	for _, tt := range oddUsernames() {
		noErr(t, s.DeleteUser(ctx, tt.id), "DeleteUser "+tt.name)
		_, err := s.GetUser(ctx, tt.id)
		wantErr(t, err, store.ErrNotFound, "GetUser after delete of "+tt.name)
	}
	list, err = s.ListUsers(ctx)
	noErr(t, err, "ListUsers")
	if len(list) != 0 {
		t.Errorf("ListUsers after deleting every user = %q", usernames(list))
	}
}

func testUserInvalidJSON(t *testing.T, s store.Store) {
	ctx := t.Context()
	tests := []struct {
		name     string
		policies []json.RawMessage
	}{
		{"policy not JSON", []json.RawMessage{json.RawMessage(`{}`), json.RawMessage(`{`)}},
		{"policy as YAML", []json.RawMessage{json.RawMessage(`Version: 2012-10-17`)}},
		{"empty policy", []json.RawMessage{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := fullUser("bad")
			u.Policies = tt.policies
			err := s.CreateUser(ctx, u)
			if err == nil {
				t.Fatal("CreateUser accepted invalid JSON")
			}
			for _, sentinel := range []error{store.ErrUnavailable, store.ErrConflict, store.ErrNotFound} {
				if errors.Is(err, sentinel) {
					t.Errorf("CreateUser: invalid JSON reported as %v: %v", sentinel, err)
				}
			}
			_, err = s.GetUser(ctx, "bad")
			wantErr(t, err, store.ErrNotFound, "GetUser after a refused create")

			noErr(t, s.CreateUser(ctx, store.User{Username: "good"}), "CreateUser good")
			u.Username = "good"
			if err := s.UpdateUser(ctx, u); err == nil {
				t.Error("UpdateUser accepted invalid JSON")
			}
			got, err := s.GetUser(ctx, "good")
			noErr(t, err, "GetUser after a refused update")
			sameRecord(t, "user after a refused update", store.User{Username: "good"}, got)
			noErr(t, s.DeleteUser(ctx, "good"), "DeleteUser")
		})
	}
}

func testUserNoAliasing(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := fullUser("alice")
	want := fullUser("alice")
	want.UpdatedAt = in.UpdatedAt
	noErr(t, s.CreateUser(ctx, in), "CreateUser")

	scribble := func(u *store.User) {
		u.Policies[0][0] = '['
		u.Policies[1] = json.RawMessage(`{"Statement":"allow everything"}`)
	}
	scribble(&in)
	got, err := s.GetUser(ctx, "alice")
	noErr(t, err, "GetUser")
	sameRecord(t, "user after the caller changed what it passed to CreateUser", want, got)

	scribble(&got)
	again, err := s.GetUser(ctx, "alice")
	noErr(t, err, "GetUser")
	sameRecord(t, "user after the caller changed what GetUser returned", want, again)

	list, err := s.ListUsers(ctx)
	noErr(t, err, "ListUsers")
	scribble(&list[0])
	again, err = s.GetUser(ctx, "alice")
	noErr(t, err, "GetUser")
	sameRecord(t, "user after the caller changed what ListUsers returned", want, again)

	upd := fullUser("alice")
	upd.UpdatedAt = want.UpdatedAt
	noErr(t, s.UpdateUser(ctx, upd), "UpdateUser")
	scribble(&upd)
	again, err = s.GetUser(ctx, "alice")
	noErr(t, err, "GetUser")
	sameRecord(t, "user after the caller changed what it passed to UpdateUser", want, again)
}
