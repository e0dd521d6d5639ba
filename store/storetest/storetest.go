package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

// Run runs the conformance suite. Every subtest gets a new, empty store from
// newStore, and subtests run one after another, so newStore may empty one
// shared backend (and should leave closing it to t.Cleanup).
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Clients", clientTests()},
		{"SigningKeys", signingKeyTests()},
		{"Locks", lockTests()},
		{"Nonces", nonceTests()},
		{"Users", userTests()},
		{"Audit", auditTests()},
		{"IAMUsers", iamUserTests()},
		{"AccessKeys", accessKeyTests()},
		{"IAMRoles", iamRoleTests()},
		{"OrgPolicies", orgPolicyTests()},
		{"AuthorizationCodes", codeTests()},
		{"RefreshTokens", refreshTokenTests()},
		{"LoginSessions", loginSessionTests()},
		{"Consents", consentTests()},
		{"Throttles", throttleTests()},
		{"RateLimits", rateLimitTests()},
		{"Revocations", revocationTests()},
		{"Concurrency", concurrencyTests()},
		{"Ping", []test{{"Healthy", testPing}}},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) { tt.run(t, newStore(t)) })
			}
		})
	}
}

// test is one conformance test, run on a new, empty store.
type test struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// pollDeadline bounds how long a test waits for a lock or nonce to expire.
// Expiry is only ever awaited, never timed: a slow machine waits longer.
const pollDeadline = 15 * time.Second

// shortTTL is how long locks and nonces live in expiry tests.
const shortTTL = 100 * time.Millisecond

// eventually calls cond until it reports true, failing t after pollDeadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(pollDeadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, pollDeadline)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// noErr fails t when err is not nil.
func noErr(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", what, err)
	}
}

// wantErr fails t unless errors.Is(err, target).
func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error = %v, want %v", what, err, target)
	}
}

// diff lists, field by field, how got differs from want (two values of one
// struct type): times compare with Equal, json.RawMessage as JSON values,
// and an empty slice equals a nil one.
func diff(want, got any) []string {
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	var out []string
	for i := range wv.NumField() {
		name := wv.Type().Field(i).Name
		w, g := wv.Field(i), gv.Field(i)
		same := true
		switch wi := w.Interface().(type) {
		case time.Time:
			same = wi.Equal(g.Interface().(time.Time))
		case json.RawMessage:
			same = jsonEqual(wi, g.Interface().(json.RawMessage))
		case []json.RawMessage:
			gi := g.Interface().([]json.RawMessage)
			same = len(wi) == len(gi)
			for j := 0; same && j < len(wi); j++ {
				same = jsonEqual(wi[j], gi[j])
			}
		default:
			if w.Kind() == reflect.Slice && w.Len() == 0 && g.Len() == 0 {
				break
			}
			same = reflect.DeepEqual(w.Interface(), g.Interface())
		}
		if !same {
			out = append(out, fmt.Sprintf("%s: got %s, want %s", name, show(g), show(w)))
		}
	}
	return out
}

// show formats a field for diff, JSON as text.
func show(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case json.RawMessage:
		return fmt.Sprintf("%q", string(x))
	case []json.RawMessage:
		s := make([]string, len(x))
		for i, r := range x {
			s[i] = string(r)
		}
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%#v", v.Interface())
}

// jsonEqual reports whether a and b hold the same JSON value; two empty
// messages are equal.
func jsonEqual(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var av, bv any
	if json.Unmarshal(a, &av) != nil || json.Unmarshal(b, &bv) != nil {
		return false
	}
	return reflect.DeepEqual(av, bv)
}

// sameRecord fails t when got differs from want in any field.
func sameRecord(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := diff(want, got); len(d) > 0 {
		t.Errorf("%s differs:\n\t%s", what, strings.Join(d, "\n\t"))
	}
}

// everyFieldSet fails t when a field of v is its zero value, so that a field
// added to a record without a fixture value is noticed.
func everyFieldSet(t *testing.T, v any) {
	t.Helper()
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		if rv.Field(i).IsZero() {
			t.Errorf("fixture %T leaves %s unset: the round-trip test would not cover it", v, rv.Type().Field(i).Name)
		}
	}
}

// ids returns the IDs of cs, in order.
func ids(cs []store.Client) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// kids returns the KIDs of ks, in order.
func kids(ks []store.SigningKey) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.KID
	}
	return out
}

// oddID is an id a user may choose that is awkward for a key-value store.
type oddID struct {
	name string
	id   string
}

// oddIDs returns the awkward ids the suite stores.
func oddIDs() []oddID {
	return []oddID{
		{"plain", "web"},
		{"ARN", "arn:aws:iam::111122223333:role/x"},
		{"hash tag", "{tag}"},
		{"empty hash tag", "{}"},
		{"unicode", "клиент-客户-🔑"},
		{"spaces", "  my client  "},
		{"control characters", "a\x00b\nc\td"},
		{"key-like", "client:web"},
		{"set name", "clients"},
		{"very long", strings.Repeat("long-id/", 2048)},
	}
}

// sortedIDs is oddIDs' ids in byte order.
func sortedIDs() []string {
	odd := oddIDs()
	out := make([]string, len(odd))
	for i, o := range odd {
		out[i] = o.id
	}
	slices.Sort(out)
	return out
}
