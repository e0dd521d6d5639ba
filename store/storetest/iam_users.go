package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

func iamUserTests() []test {
	return []test{
		{"RoundTrip", testIAMUserRoundTrip},
		{"EmptyFields", testIAMUserEmptyFields},
		{"CreateConflict", testIAMUserCreateConflict},
		{"Missing", testIAMUserMissing},
		{"UpdateReplaces", testIAMUserUpdateReplaces},
		{"DeleteRemoves", testIAMUserDelete},
		{"DeleteKeepsAccessKeys", testIAMUserDeleteKeepsKeys},
		{"ListSortedByName", testIAMUserListSorted},
		{"OddNames", testIAMUserOddNames},
		{"InvalidPolicies", testIAMUserInvalidPolicies},
		{"NoAliasing", testIAMUserNoAliasing},
	}
}

// fullIAMUser returns an IAM user with every field set, the policies spaced
// out as a person would write them.
func fullIAMUser(name string) store.IAMUser {
	return store.IAMUser{
		Name: name,
		ID:   "AIDAJQABLZS4A3QDU576Q",
		Policies: []json.RawMessage{
			json.RawMessage(`{ "Version": "2012-10-17", "Statement": [ {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
				"Resource": "arn:aws:s3:::bucket/*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ünïcode"}}} ] }`),
			json.RawMessage(`{"Version":"2012-10-17","Statement":[]}`),
		},
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("UTC+9", 9*3600)),
		// A time.Now reading carries a monotonic clock and the local zone.
		UpdatedAt: time.Now(),
	}
}

// oddIAMNames returns oddIDs and names that look like the keys of IAM
// users, roles and access keys.
func oddIAMNames() []oddID {
	return append(oddIDs(),
		oddID{"IAM user set name", "iam_users"},
		oddID{"IAM user key-like", "iam_user:alice"},
		oddID{"IAM role set name", "iam_roles"},
		oddID{"access key set-like", "iam_user_keys:alice"},
		oddID{"IAM-style name", "deploy+ci=prod,eu.west@example-1_2"},
	)
}

// iamUserNames returns the Names of us, in order.
func iamUserNames(us []store.IAMUser) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Name
	}
	return out
}

func testIAMUserRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := fullIAMUser("alice")
	everyFieldSet(t, want)
	noErr(t, s.CreateIAMUser(ctx, want), "CreateIAMUser")

	got, err := s.GetIAMUser(ctx, "alice")
	noErr(t, err, "GetIAMUser")
	sameRecord(t, "GetIAMUser", want, got)

	list, err := s.ListIAMUsers(ctx)
	noErr(t, err, "ListIAMUsers")
	if len(list) != 1 {
		t.Fatalf("ListIAMUsers returned %d users, want 1", len(list))
	}
	sameRecord(t, "ListIAMUsers[0]", want, list[0])
}

func testIAMUserEmptyFields(t *testing.T, s store.Store) {
	ctx := t.Context()
	tests := []struct {
		name string
		user store.IAMUser
	}{
		{"nil slices", store.IAMUser{Name: "nil"}},
		{"empty slices", store.IAMUser{Name: "empty", Policies: []json.RawMessage{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noErr(t, s.CreateIAMUser(ctx, tt.user), "CreateIAMUser")
			got, err := s.GetIAMUser(ctx, tt.user.Name)
			noErr(t, err, "GetIAMUser")
			// A user without policies must not read back with some.
			sameRecord(t, "GetIAMUser", store.IAMUser{Name: tt.user.Name}, got)
			if !got.CreatedAt.IsZero() || !got.UpdatedAt.IsZero() {
				t.Errorf("zero times read back as %v and %v", got.CreatedAt, got.UpdatedAt)
			}
		})
	}
}

func testIAMUserCreateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := fullIAMUser("alice")
	noErr(t, s.CreateIAMUser(ctx, first), "first CreateIAMUser")

	// A second create under a taken name must not replace the policies (nor
	// the aws:userid that other records refer to).
	second := store.IAMUser{
		Name:     "alice",
		ID:       "AIDAATTACKERATTACKER1",
		Policies: []json.RawMessage{json.RawMessage(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)},
	}
	wantErr(t, s.CreateIAMUser(ctx, second), store.ErrConflict, "second CreateIAMUser")

	got, err := s.GetIAMUser(ctx, "alice")
	noErr(t, err, "GetIAMUser")
	sameRecord(t, "IAM user after a refused create", first, got)
	list, err := s.ListIAMUsers(ctx)
	noErr(t, err, "ListIAMUsers")
	if len(list) != 1 {
		t.Errorf("ListIAMUsers returned %d users after a refused create, want 1", len(list))
	}
}

func testIAMUserMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	noErr(t, s.CreateIAMUser(ctx, store.IAMUser{Name: "present"}), "CreateIAMUser")
	// End users, roles and IAM users are apart: neither makes an IAM user.
	noErr(t, s.CreateUser(ctx, store.User{Username: "enduser"}), "CreateUser")
	noErr(t, s.CreateIAMRole(ctx, store.IAMRole{Name: "role", TrustPolicy: minimalTrust()}), "CreateIAMRole")
	tests := []struct {
		name string
		op   func() error
	}{
		{"get", func() error { _, err := s.GetIAMUser(ctx, "missing"); return err }},
		{"update", func() error { return s.UpdateIAMUser(ctx, store.IAMUser{Name: "missing"}) }},
		{"delete", func() error { return s.DeleteIAMUser(ctx, "missing") }},
		{"get of a prefix", func() error { _, err := s.GetIAMUser(ctx, "pres"); return err }},
		{"get with another case", func() error { _, err := s.GetIAMUser(ctx, "Present"); return err }},
		{"get of an end user's name", func() error { _, err := s.GetIAMUser(ctx, "enduser"); return err }},
		{"get of a role's name", func() error { _, err := s.GetIAMUser(ctx, "role"); return err }},
		{"end user of the IAM user's name", func() error { _, err := s.GetUser(ctx, "present"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.op(), store.ErrNotFound, tt.name)
		})
	}
	// A refused update must not have created the user.
	list, err := s.ListIAMUsers(ctx)
	noErr(t, err, "ListIAMUsers")
	if got := iamUserNames(list); !slices.Equal(got, []string{"present"}) {
		t.Errorf("ListIAMUsers = %q, want [present]", got)
	}
}

func testIAMUserUpdateReplaces(t *testing.T, s store.Store) {
	ctx := t.Context()
	noErr(t, s.CreateIAMUser(ctx, fullIAMUser("alice")), "CreateIAMUser")

	// The update drops a policy: it must be gone, not merged.
	want := store.IAMUser{
		Name:      "alice",
		ID:        "AIDAJQABLZS4A3QDU576Q",
		Policies:  []json.RawMessage{json.RawMessage(`{"new":true}`)},
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		UpdatedAt: time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC),
	}
	noErr(t, s.UpdateIAMUser(ctx, want), "UpdateIAMUser")
	got, err := s.GetIAMUser(ctx, "alice")
	noErr(t, err, "GetIAMUser")
	sameRecord(t, "IAM user after UpdateIAMUser", want, got)

	list, err := s.ListIAMUsers(ctx)
	noErr(t, err, "ListIAMUsers")
	if len(list) != 1 {
		t.Fatalf("ListIAMUsers returned %d users after an update, want 1", len(list))
	}
	sameRecord(t, "ListIAMUsers[0] after UpdateIAMUser", want, list[0])
}

func testIAMUserDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, name := range []string{"a", "b", "c"} {
		noErr(t, s.CreateIAMUser(ctx, fullIAMUser(name)), "CreateIAMUser "+name)
	}
	noErr(t, s.DeleteIAMUser(ctx, "b"), "DeleteIAMUser")

	_, err := s.GetIAMUser(ctx, "b")
	wantErr(t, err, store.ErrNotFound, "GetIAMUser after delete")
	wantErr(t, s.DeleteIAMUser(ctx, "b"), store.ErrNotFound, "second DeleteIAMUser")
	wantErr(t, s.UpdateIAMUser(ctx, fullIAMUser("b")), store.ErrNotFound, "UpdateIAMUser after delete")
	list, err := s.ListIAMUsers(ctx)
	noErr(t, err, "ListIAMUsers")
	if got := iamUserNames(list); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("ListIAMUsers after delete = %q, want [a c]", got)
	}

	// The name is free again, and the old policies are gone with it.
	again := store.IAMUser{Name: "b", ID: "AIDANEWNEWNEWNEWNEW12"}
	noErr(t, s.CreateIAMUser(ctx, again), "CreateIAMUser after delete")
	got, err := s.GetIAMUser(ctx, "b")
	noErr(t, err, "GetIAMUser after re-create")
	sameRecord(t, "re-created IAM user", again, got)
}

// testIAMUserDeleteKeepsKeys pins that deleting an IAM user leaves its
// access keys to the caller, who deletes them one by one.
func testIAMUserDeleteKeepsKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	noErr(t, s.CreateIAMUser(ctx, fullIAMUser("alice")), "CreateIAMUser")
	key := fullAccessKey("AKIAALICE00000000001", "alice", time.Now())
	noErr(t, s.CreateAccessKey(ctx, key), "CreateAccessKey")

	noErr(t, s.DeleteIAMUser(ctx, "alice"), "DeleteIAMUser")
	got, err := s.GetAccessKey(ctx, key.ID)
	noErr(t, err, "GetAccessKey after DeleteIAMUser")
	sameRecord(t, "access key after DeleteIAMUser", key, got)
	list, err := s.ListAccessKeys(ctx, "alice")
	noErr(t, err, "ListAccessKeys after DeleteIAMUser")
	if got := keyIDs(list); !slices.Equal(got, []string{key.ID}) {
		t.Errorf("ListAccessKeys after DeleteIAMUser = %q, want [%s]", got, key.ID)
	}

	noErr(t, s.DeleteAccessKey(ctx, key.ID), "DeleteAccessKey")
	list, err = s.ListAccessKeys(ctx, "alice")
	noErr(t, err, "ListAccessKeys")
	if len(list) != 0 {
		t.Errorf("ListAccessKeys after deleting the user's key = %q, want none", keyIDs(list))
	}
}

func testIAMUserListSorted(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, err := s.ListIAMUsers(ctx)
	noErr(t, err, "ListIAMUsers of an empty store")
	if len(list) != 0 {
		t.Fatalf("empty store lists %d IAM users", len(list))
	}

	created := []string{"bob", "alice2", "Zoe", "alice10", "alice", "élodie", "0", "alice1"}
	for _, name := range created {
		noErr(t, s.CreateIAMUser(ctx, store.IAMUser{Name: name, ID: "AIDA-" + name}), "CreateIAMUser "+name)
	}
	list, err = s.ListIAMUsers(ctx)
	noErr(t, err, "ListIAMUsers")
	want := slices.Sorted(slices.Values(created))
	if got := iamUserNames(list); !slices.Equal(got, want) {
		t.Fatalf("ListIAMUsers = %q, want %q", got, want)
	}
	for _, u := range list {
		if u.ID != "AIDA-"+u.Name {
			t.Errorf("ListIAMUsers: user %q carries id %q, another user's record", u.Name, u.ID)
		}
	}
}

func testIAMUserOddNames(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, tt := range oddIAMNames() {
		t.Run(tt.name, func(t *testing.T) {
			want := fullIAMUser(tt.id)
			noErr(t, s.CreateIAMUser(ctx, want), "CreateIAMUser")
			got, err := s.GetIAMUser(ctx, tt.id)
			noErr(t, err, "GetIAMUser")
			sameRecord(t, "GetIAMUser", want, got)
			wantErr(t, s.CreateIAMUser(ctx, want), store.ErrConflict, "second CreateIAMUser")

			want.Policies = want.Policies[1:]
			noErr(t, s.UpdateIAMUser(ctx, want), "UpdateIAMUser")
			got, err = s.GetIAMUser(ctx, tt.id)
			noErr(t, err, "GetIAMUser after update")
			sameRecord(t, "GetIAMUser after update", want, got)
		})
	}

	list, err := s.ListIAMUsers(ctx)
	noErr(t, err, "ListIAMUsers")
	var want []string
	for _, tt := range oddIAMNames() {
		want = append(want, tt.id)
	}
	slices.Sort(want)
	if got := iamUserNames(list); !slices.Equal(got, want) {
		t.Fatalf("ListIAMUsers = %q, want %q", got, want)
	}

	for _, tt := range oddIAMNames() {
		noErr(t, s.DeleteIAMUser(ctx, tt.id), "DeleteIAMUser "+tt.name)
		_, err := s.GetIAMUser(ctx, tt.id)
		wantErr(t, err, store.ErrNotFound, "GetIAMUser after delete of "+tt.name)
	}
	list, err = s.ListIAMUsers(ctx)
	noErr(t, err, "ListIAMUsers")
	if len(list) != 0 {
		t.Errorf("ListIAMUsers after deleting every user = %q", iamUserNames(list))
	}
}

// invalidPolicies are policy documents every IAM aggregate refuses: not
// JSON, or JSON but not one object.
func invalidPolicies() []struct {
	name   string
	policy json.RawMessage
} {
	return []struct {
		name   string
		policy json.RawMessage
	}{
		{"truncated", json.RawMessage(`{"Version": "2012-10-17", "Statement": [`)},
		{"YAML", json.RawMessage(`Version: 2012-10-17`)},
		{"empty", nil},
		{"blank", json.RawMessage(" \n\t")},
		{"array", json.RawMessage(`[{"Effect":"Allow"}]`)},
		{"string", json.RawMessage(`"{\"Effect\":\"Allow\"}"`)},
		{"null", json.RawMessage(`null`)},
		{"number", json.RawMessage(`42`)},
		{"two objects", json.RawMessage(`{} {}`)},
	}
}

func testIAMUserInvalidPolicies(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, tt := range invalidPolicies() {
		t.Run(tt.name, func(t *testing.T) {
			u := fullIAMUser("bad")
			u.Policies = append(u.Policies, tt.policy)
			wantInvalid(t, s.CreateIAMUser(ctx, u), "CreateIAMUser")
			_, err := s.GetIAMUser(ctx, "bad")
			wantErr(t, err, store.ErrNotFound, "GetIAMUser after a refused create")

			noErr(t, s.CreateIAMUser(ctx, store.IAMUser{Name: "good"}), "CreateIAMUser good")
			u.Name = "good"
			wantInvalid(t, s.UpdateIAMUser(ctx, u), "UpdateIAMUser")
			got, err := s.GetIAMUser(ctx, "good")
			noErr(t, err, "GetIAMUser after a refused update")
			sameRecord(t, "IAM user after a refused update", store.IAMUser{Name: "good"}, got)
			noErr(t, s.DeleteIAMUser(ctx, "good"), "DeleteIAMUser")
		})
	}
}

// wantInvalid fails t unless err is store.ErrInvalid and no other sentinel:
// the caller's mistake, not a missing record nor a broken store.
func wantInvalid(t *testing.T, err error, what string) {
	t.Helper()
	wantErr(t, err, store.ErrInvalid, what)
	for _, sentinel := range []error{store.ErrUnavailable, store.ErrConflict, store.ErrNotFound} {
		if errors.Is(err, sentinel) {
			t.Errorf("%s: refused argument also reported as %v: %v", what, sentinel, err)
		}
	}
}

func testIAMUserNoAliasing(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := fullIAMUser("alice")
	want := fullIAMUser("alice")
	want.UpdatedAt = in.UpdatedAt
	noErr(t, s.CreateIAMUser(ctx, in), "CreateIAMUser")

	scribble := func(u *store.IAMUser) {
		u.Policies[0][0] = '['
		u.Policies[1] = json.RawMessage(`{"Statement":"allow everything"}`)
	}
	scribble(&in)
	got, err := s.GetIAMUser(ctx, "alice")
	noErr(t, err, "GetIAMUser")
	sameRecord(t, "IAM user after the caller changed what it passed to CreateIAMUser", want, got)

	scribble(&got)
	again, err := s.GetIAMUser(ctx, "alice")
	noErr(t, err, "GetIAMUser")
	sameRecord(t, "IAM user after the caller changed what GetIAMUser returned", want, again)

	list, err := s.ListIAMUsers(ctx)
	noErr(t, err, "ListIAMUsers")
	scribble(&list[0])
	again, err = s.GetIAMUser(ctx, "alice")
	noErr(t, err, "GetIAMUser")
	sameRecord(t, "IAM user after the caller changed what ListIAMUsers returned", want, again)

	upd := fullIAMUser("alice")
	upd.UpdatedAt = want.UpdatedAt
	noErr(t, s.UpdateIAMUser(ctx, upd), "UpdateIAMUser")
	scribble(&upd)
	again, err = s.GetIAMUser(ctx, "alice")
	noErr(t, err, "GetIAMUser")
	sameRecord(t, "IAM user after the caller changed what it passed to UpdateIAMUser", want, again)
}
