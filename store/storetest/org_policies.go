package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/lineage-oss/lineage/store"
)

func orgPolicyTests() []test {
	return []test{
		{"NoneAtFirst", testOrgPoliciesNone},
		{"RoundTripInOrder", testOrgPoliciesRoundTrip},
		{"PutReplacesAsAWhole", testOrgPoliciesReplace},
		{"InvalidPolicies", testOrgPoliciesInvalid},
		{"NoAliasing", testOrgPoliciesNoAliasing},
	}
}

// orgPolicies returns n guardrails named after tag, spaced out as a person
// would write them, in an order that is not sorted.
func orgPolicies(tag string, n int) []json.RawMessage {
	out := make([]json.RawMessage, n)
	for i := range n {
		out[i] = json.RawMessage(fmt.Sprintf(`{ "Version": "2012-10-17", "Statement": [ { "Sid": "%s-%d", "Effect": "Deny",
			"Action": "iam:*", "Resource": "*", "Condition": { "StringNotEquals": { "aws:PrincipalTag/team": "ünïcode" } } } ] }`,
			tag, n-i))
	}
	return out
}

// getOrgPolicies returns GetOrgPolicies, failing t on an error or on a nil
// list: none is an empty list.
func getOrgPolicies(t *testing.T, s store.Store) []json.RawMessage {
	t.Helper()
	ps, err := s.GetOrgPolicies(t.Context())
	noErr(t, err, "GetOrgPolicies")
	if ps == nil {
		t.Error("GetOrgPolicies = nil, want a list")
	}
	return ps
}

// samePolicies fails t unless got holds want's policies as JSON values, in
// order.
func samePolicies(t *testing.T, what string, want, got []json.RawMessage) {
	t.Helper()
	ok := len(want) == len(got)
	for i := 0; ok && i < len(want); i++ {
		ok = jsonEqual(want[i], got[i])
	}
	if !ok {
		t.Errorf("%s = %s, want %s", what, showPolicies(got), showPolicies(want))
	}
}

// showPolicies formats ps for an error message.
func showPolicies(ps []json.RawMessage) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func testOrgPoliciesNone(t *testing.T, s store.Store) {
	if ps := getOrgPolicies(t, s); len(ps) != 0 {
		t.Errorf("GetOrgPolicies of an empty store = %s, want none", showPolicies(ps))
	}
}

func testOrgPoliciesRoundTrip(t *testing.T, s store.Store) {
	want := orgPolicies("guard", 3)
	// Not sorted either way: the store keeps the caller's order.
	want[0], want[1] = want[1], want[0]
	noErr(t, s.PutOrgPolicies(t.Context(), want), "PutOrgPolicies")
	samePolicies(t, "GetOrgPolicies", want, getOrgPolicies(t, s))
}

func testOrgPoliciesReplace(t *testing.T, s store.Store) {
	ctx := t.Context()
	steps := []struct {
		name string
		put  []json.RawMessage
		want []json.RawMessage
	}{
		{"three", orgPolicies("first", 3), orgPolicies("first", 3)},
		{"one fewer", orgPolicies("second", 2), orgPolicies("second", 2)},
		{"empty list", []json.RawMessage{}, nil},
		{"again", orgPolicies("third", 1), orgPolicies("third", 1)},
		{"nil list", nil, nil},
		{"the same twice", orgPolicies("fourth", 1), orgPolicies("fourth", 1)},
		{"the same twice, again", orgPolicies("fourth", 1), orgPolicies("fourth", 1)},
	}
	for _, st := range steps {
		noErr(t, s.PutOrgPolicies(ctx, st.put), "PutOrgPolicies "+st.name)
		samePolicies(t, "GetOrgPolicies after "+st.name, st.want, getOrgPolicies(t, s))
	}
}

func testOrgPoliciesInvalid(t *testing.T, s store.Store) {
	ctx := t.Context()
	stored := orgPolicies("stored", 2)
	noErr(t, s.PutOrgPolicies(ctx, stored), "PutOrgPolicies")
	for _, tt := range invalidPolicies() {
		t.Run(tt.name, func(t *testing.T) {
			// One bad policy among good ones refuses the whole list.
			put := append(orgPolicies("new", 2), tt.policy)
			wantInvalid(t, s.PutOrgPolicies(ctx, put), "PutOrgPolicies")
			samePolicies(t, "GetOrgPolicies after a refused put", stored, getOrgPolicies(t, s))
		})
	}
}

func testOrgPoliciesNoAliasing(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := orgPolicies("guard", 2)
	want := orgPolicies("guard", 2)
	noErr(t, s.PutOrgPolicies(ctx, in), "PutOrgPolicies")

	scribble := func(ps []json.RawMessage) {
		ps[0][0] = '['
		ps[1] = json.RawMessage(`{"Statement":"allow everything"}`)
	}
	scribble(in)
	samePolicies(t, "GetOrgPolicies after the caller changed what it passed to PutOrgPolicies", want, getOrgPolicies(t, s))

	got := getOrgPolicies(t, s)
	scribble(got)
	samePolicies(t, "GetOrgPolicies after the caller changed what GetOrgPolicies returned", want, getOrgPolicies(t, s))
}
