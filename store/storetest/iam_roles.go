package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

func iamRoleTests() []test {
	return []test{
		{"RoundTrip", testIAMRoleRoundTrip},
		{"EmptyFields", testIAMRoleEmptyFields},
		{"CreateConflict", testIAMRoleCreateConflict},
		{"Missing", testIAMRoleMissing},
		{"UpdateReplaces", testIAMRoleUpdateReplaces},
		{"DeleteRemoves", testIAMRoleDelete},
		{"ListSortedByName", testIAMRoleListSorted},
		{"OddNames", testIAMRoleOddNames},
		{"InvalidPolicies", testIAMRoleInvalidPolicies},
		{"NoAliasing", testIAMRoleNoAliasing},
	}
}

// minimalTrust returns the smallest trust policy a role may have.
func minimalTrust() json.RawMessage { return json.RawMessage(`{}`) }

// fullIAMRole returns an IAM role with every field set, the policies spaced
// out as a person would write them.
func fullIAMRole(name string) store.IAMRole {
	return store.IAMRole{
		Name:               name,
		ID:                 "AROAJQABLZS4A3QDU576Q",
		MaxSessionDuration: 12*time.Hour + time.Nanosecond,
		TrustPolicy: json.RawMessage(`{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow",
			"Principal": { "Federated": "https://issuer.example.com" }, "Action": "sts:AssumeRoleWithWebIdentity",
			"Condition": { "StringEquals": { "issuer.example.com:aud": "ünïcode" } } } ] }`),
		Policies: []json.RawMessage{
			json.RawMessage(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}`),
			json.RawMessage(`{"Version":"2012-10-17","Statement":[]}`),
		},
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("UTC-3", -3*3600)),
		// A time.Now reading carries a monotonic clock and the local zone.
		UpdatedAt: time.Now(),
	}
}

// roleNames returns the Names of rs, in order.
func roleNames(rs []store.IAMRole) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name
	}
	return out
}

func testIAMRoleRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := fullIAMRole("deploy")
	everyFieldSet(t, want)
	noErr(t, s.CreateIAMRole(ctx, want), "CreateIAMRole")

	got, err := s.GetIAMRole(ctx, "deploy")
	noErr(t, err, "GetIAMRole")
	sameRecord(t, "GetIAMRole", want, got)

	list, err := s.ListIAMRoles(ctx)
	noErr(t, err, "ListIAMRoles")
	if len(list) != 1 {
		t.Fatalf("ListIAMRoles returned %d roles, want 1", len(list))
	}
	sameRecord(t, "ListIAMRoles[0]", want, list[0])
}

func testIAMRoleEmptyFields(t *testing.T, s store.Store) {
	ctx := t.Context()
	tests := []struct {
		name string
		role store.IAMRole
	}{
		{"nil slices", store.IAMRole{Name: "nil", TrustPolicy: minimalTrust()}},
		{"empty slices", store.IAMRole{Name: "empty", TrustPolicy: minimalTrust(), Policies: []json.RawMessage{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noErr(t, s.CreateIAMRole(ctx, tt.role), "CreateIAMRole")
			got, err := s.GetIAMRole(ctx, tt.role.Name)
			noErr(t, err, "GetIAMRole")
			// A role without policies must not read back with some.
			sameRecord(t, "GetIAMRole", store.IAMRole{Name: tt.role.Name, TrustPolicy: minimalTrust()}, got)
			if !got.CreatedAt.IsZero() || !got.UpdatedAt.IsZero() {
				t.Errorf("zero times read back as %v and %v", got.CreatedAt, got.UpdatedAt)
			}
		})
	}
}

func testIAMRoleCreateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := fullIAMRole("deploy")
	noErr(t, s.CreateIAMRole(ctx, first), "first CreateIAMRole")

	// A second create under a taken name must not replace who may assume
	// the role.
	second := store.IAMRole{
		Name:        "deploy",
		TrustPolicy: json.RawMessage(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`),
	}
	wantErr(t, s.CreateIAMRole(ctx, second), store.ErrConflict, "second CreateIAMRole")

	got, err := s.GetIAMRole(ctx, "deploy")
	noErr(t, err, "GetIAMRole")
	sameRecord(t, "IAM role after a refused create", first, got)
	list, err := s.ListIAMRoles(ctx)
	noErr(t, err, "ListIAMRoles")
	if len(list) != 1 {
		t.Errorf("ListIAMRoles returned %d roles after a refused create, want 1", len(list))
	}
}

func testIAMRoleMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	noErr(t, s.CreateIAMRole(ctx, store.IAMRole{Name: "present", TrustPolicy: minimalTrust()}), "CreateIAMRole")
	// IAM users are apart: a user does not make a role.
	noErr(t, s.CreateIAMUser(ctx, store.IAMUser{Name: "someone"}), "CreateIAMUser")
	tests := []struct {
		name string
		op   func() error
	}{
		{"get", func() error { _, err := s.GetIAMRole(ctx, "missing"); return err }},
		{"update", func() error {
			return s.UpdateIAMRole(ctx, store.IAMRole{Name: "missing", TrustPolicy: minimalTrust()})
		}},
		{"delete", func() error { return s.DeleteIAMRole(ctx, "missing") }},
		{"get of a prefix", func() error { _, err := s.GetIAMRole(ctx, "pres"); return err }},
		{"get with another case", func() error { _, err := s.GetIAMRole(ctx, "Present"); return err }},
		{"get of an IAM user's name", func() error { _, err := s.GetIAMRole(ctx, "someone"); return err }},
		{"IAM user of the role's name", func() error { _, err := s.GetIAMUser(ctx, "present"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.op(), store.ErrNotFound, tt.name)
		})
	}
	// A refused update must not have created the role.
	list, err := s.ListIAMRoles(ctx)
	noErr(t, err, "ListIAMRoles")
	if got := roleNames(list); !slices.Equal(got, []string{"present"}) {
		t.Errorf("ListIAMRoles = %q, want [present]", got)
	}
}

func testIAMRoleUpdateReplaces(t *testing.T, s store.Store) {
	ctx := t.Context()
	noErr(t, s.CreateIAMRole(ctx, fullIAMRole("deploy")), "CreateIAMRole")

	// The update drops the policies and narrows the trust: replaced, not
	// merged.
	want := store.IAMRole{
		Name:               "deploy",
		ID:                 "AROAJQABLZS4A3QDU576Q",
		MaxSessionDuration: time.Hour,
		TrustPolicy:        json.RawMessage(`{"Statement":[]}`),
		CreatedAt:          time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		UpdatedAt:          time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC),
	}
	noErr(t, s.UpdateIAMRole(ctx, want), "UpdateIAMRole")
	got, err := s.GetIAMRole(ctx, "deploy")
	noErr(t, err, "GetIAMRole")
	sameRecord(t, "IAM role after UpdateIAMRole", want, got)

	list, err := s.ListIAMRoles(ctx)
	noErr(t, err, "ListIAMRoles")
	if len(list) != 1 {
		t.Fatalf("ListIAMRoles returned %d roles after an update, want 1", len(list))
	}
	sameRecord(t, "ListIAMRoles[0] after UpdateIAMRole", want, list[0])
}

func testIAMRoleDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, name := range []string{"a", "b", "c"} {
		noErr(t, s.CreateIAMRole(ctx, fullIAMRole(name)), "CreateIAMRole "+name)
	}
	noErr(t, s.DeleteIAMRole(ctx, "b"), "DeleteIAMRole")

	_, err := s.GetIAMRole(ctx, "b")
	wantErr(t, err, store.ErrNotFound, "GetIAMRole after delete")
	wantErr(t, s.DeleteIAMRole(ctx, "b"), store.ErrNotFound, "second DeleteIAMRole")
	wantErr(t, s.UpdateIAMRole(ctx, fullIAMRole("b")), store.ErrNotFound, "UpdateIAMRole after delete")
	list, err := s.ListIAMRoles(ctx)
	noErr(t, err, "ListIAMRoles")
	if got := roleNames(list); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("ListIAMRoles after delete = %q, want [a c]", got)
	}

	// The name is free again, and the old trust is gone with it.
	again := store.IAMRole{Name: "b", TrustPolicy: json.RawMessage(`{"Statement":[]}`)}
	noErr(t, s.CreateIAMRole(ctx, again), "CreateIAMRole after delete")
	got, err := s.GetIAMRole(ctx, "b")
	noErr(t, err, "GetIAMRole after re-create")
	sameRecord(t, "re-created IAM role", again, got)
}

func testIAMRoleListSorted(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, err := s.ListIAMRoles(ctx)
	noErr(t, err, "ListIAMRoles of an empty store")
	if len(list) != 0 {
		t.Fatalf("empty store lists %d IAM roles", len(list))
	}

	created := []string{"deploy", "admin2", "Zeta", "admin10", "admin", "élan", "0", "admin1"}
	for _, name := range created {
		r := store.IAMRole{Name: name, ID: "AROA-" + name, TrustPolicy: minimalTrust()}
		noErr(t, s.CreateIAMRole(ctx, r), "CreateIAMRole "+name)
	}
	list, err = s.ListIAMRoles(ctx)
	noErr(t, err, "ListIAMRoles")
	want := slices.Sorted(slices.Values(created))
	if got := roleNames(list); !slices.Equal(got, want) {
		t.Fatalf("ListIAMRoles = %q, want %q", got, want)
	}
	for _, r := range list {
		if r.ID != "AROA-"+r.Name {
			t.Errorf("ListIAMRoles: role %q carries id %q, another role's record", r.Name, r.ID)
		}
	}
}

func testIAMRoleOddNames(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, tt := range oddIAMNames() {
		t.Run(tt.name, func(t *testing.T) {
			want := fullIAMRole(tt.id)
			noErr(t, s.CreateIAMRole(ctx, want), "CreateIAMRole")
			got, err := s.GetIAMRole(ctx, tt.id)
			noErr(t, err, "GetIAMRole")
			sameRecord(t, "GetIAMRole", want, got)
			wantErr(t, s.CreateIAMRole(ctx, want), store.ErrConflict, "second CreateIAMRole")

			want.MaxSessionDuration = time.Hour
			noErr(t, s.UpdateIAMRole(ctx, want), "UpdateIAMRole")
			got, err = s.GetIAMRole(ctx, tt.id)
			noErr(t, err, "GetIAMRole after update")
			sameRecord(t, "GetIAMRole after update", want, got)
		})
	}

	list, err := s.ListIAMRoles(ctx)
	noErr(t, err, "ListIAMRoles")
	var want []string
	for _, tt := range oddIAMNames() {
		want = append(want, tt.id)
	}
	slices.Sort(want)
	if got := roleNames(list); !slices.Equal(got, want) {
		t.Fatalf("ListIAMRoles = %q, want %q", got, want)
	}

	for _, tt := range oddIAMNames() {
		noErr(t, s.DeleteIAMRole(ctx, tt.id), "DeleteIAMRole "+tt.name)
		_, err := s.GetIAMRole(ctx, tt.id)
		wantErr(t, err, store.ErrNotFound, "GetIAMRole after delete of "+tt.name)
	}
	list, err = s.ListIAMRoles(ctx)
	noErr(t, err, "ListIAMRoles")
	if len(list) != 0 {
		t.Errorf("ListIAMRoles after deleting every role = %q", roleNames(list))
	}
}

// testIAMRoleInvalidPolicies checks that a role's trust policy (which it
// must have) and policies are each one JSON object.
func testIAMRoleInvalidPolicies(t *testing.T, s store.Store) {
	ctx := t.Context()
	type mutation struct {
		name   string
		mutate func(r *store.IAMRole)
	}
	var tests []mutation
	for _, p := range invalidPolicies() {
		tests = append(tests,
			mutation{"trust policy " + p.name, func(r *store.IAMRole) { r.TrustPolicy = p.policy }},
			mutation{"policy " + p.name, func(r *store.IAMRole) { r.Policies = append(r.Policies, p.policy) }},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fullIAMRole("bad")
			tt.mutate(&r)
			wantInvalid(t, s.CreateIAMRole(ctx, r), "CreateIAMRole")
			_, err := s.GetIAMRole(ctx, "bad")
			wantErr(t, err, store.ErrNotFound, "GetIAMRole after a refused create")

			good := store.IAMRole{Name: "good", TrustPolicy: minimalTrust()}
			noErr(t, s.CreateIAMRole(ctx, good), "CreateIAMRole good")
			r.Name = "good"
			wantInvalid(t, s.UpdateIAMRole(ctx, r), "UpdateIAMRole")
			got, err := s.GetIAMRole(ctx, "good")
			noErr(t, err, "GetIAMRole after a refused update")
			sameRecord(t, "IAM role after a refused update", good, got)
			noErr(t, s.DeleteIAMRole(ctx, "good"), "DeleteIAMRole")
		})
	}
}

func testIAMRoleNoAliasing(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := fullIAMRole("deploy")
	want := fullIAMRole("deploy")
	want.UpdatedAt = in.UpdatedAt
	noErr(t, s.CreateIAMRole(ctx, in), "CreateIAMRole")

	scribble := func(r *store.IAMRole) {
		r.TrustPolicy[0] = '['
		r.Policies[0][0] = '['
		r.Policies[1] = json.RawMessage(`{"Statement":"allow everything"}`)
	}
	scribble(&in)
	got, err := s.GetIAMRole(ctx, "deploy")
	noErr(t, err, "GetIAMRole")
	sameRecord(t, "IAM role after the caller changed what it passed to CreateIAMRole", want, got)

	scribble(&got)
	again, err := s.GetIAMRole(ctx, "deploy")
	noErr(t, err, "GetIAMRole")
	sameRecord(t, "IAM role after the caller changed what GetIAMRole returned", want, again)

	list, err := s.ListIAMRoles(ctx)
	noErr(t, err, "ListIAMRoles")
	scribble(&list[0])
	again, err = s.GetIAMRole(ctx, "deploy")
	noErr(t, err, "GetIAMRole")
	sameRecord(t, "IAM role after the caller changed what ListIAMRoles returned", want, again)

	upd := fullIAMRole("deploy")
	upd.UpdatedAt = want.UpdatedAt
	noErr(t, s.UpdateIAMRole(ctx, upd), "UpdateIAMRole")
	scribble(&upd)
	again, err = s.GetIAMRole(ctx, "deploy")
	noErr(t, err, "GetIAMRole")
	sameRecord(t, "IAM role after the caller changed what it passed to UpdateIAMRole", want, again)
}
