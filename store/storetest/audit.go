package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

func auditTests() []test {
	return []test{
		{"RoundTrip", testAuditRoundTrip},
		{"ZeroTimeIsSet", testAuditZeroTime},
		{"EmptyFields", testAuditEmptyFields},
		{"IDsIncrease", testAuditIDsIncrease},
		{"NewestFirst", testAuditNewestFirst},
		{"Pages", testAuditPages},
		{"Limit", testAuditLimit},
		{"Cursors", testAuditCursors},
		{"InvalidCursor", testAuditInvalidCursor},
		{"OddStrings", testAuditOddStrings},
		{"InvalidJSON", testAuditInvalidJSON},
		{"NoAliasing", testAuditNoAliasing},
	}
}

// maxAuditPage is the most records one ListAudit returns, and what a limit
// that is not positive (or is larger) means.
const maxAuditPage = 1000

// auditID is an audit record ID, "<ms>-<seq>" as a Redis stream entry ID.
type auditID struct{ ms, seq uint64 }

// parseAuditID parses id, failing t when it is not of the form
// "<ms>-<seq>".
func parseAuditID(t *testing.T, id string) auditID {
	t.Helper()
	ms, seq, ok := strings.Cut(id, "-")
	m, err1 := strconv.ParseUint(ms, 10, 64)
	n, err2 := strconv.ParseUint(seq, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		t.Fatalf("audit record ID %q is not of the form <ms>-<seq>", id)
	}
	return auditID{m, n}
}

// after reports whether a sorts after b.
func (a auditID) after(b auditID) bool {
	return a.ms > b.ms || a.ms == b.ms && a.seq > b.seq
}

func (a auditID) String() string { return fmt.Sprintf("%d-%d", a.ms, a.seq) }

// fullAudit returns an audit record with every field set but ID, the JSON
// fields spaced out as a person would write them.
func fullAudit(action string) store.AuditRecord {
	return store.AuditRecord{
		Time:   time.Date(2026, 3, 4, 5, 6, 7, 891011121, time.FixedZone("UTC+5:45", 5*3600+45*60)),
		Actor:  "admin-key-7f3a",
		Action: action,
		Target: "client/web",
		Before: json.RawMessage(`{ "id": "web", "scopes": [ "openid" ], "disabled": false }`),
		After:  json.RawMessage(`{ "id": "web", "scopes": [ "openid", "ünïcode" ], "disabled": true }`),
	}
}

// appendAudit appends one record per action, in order, and returns what
// AppendAudit returned; it fails t unless the IDs strictly increase.
func appendAudit(t *testing.T, s store.Store, actions ...string) []store.AuditRecord {
	t.Helper()
	out := make([]store.AuditRecord, len(actions))
	for i, a := range actions {
		r, err := s.AppendAudit(t.Context(), store.AuditRecord{Actor: "admin", Action: a, Target: "client/" + a})
		noErr(t, err, "AppendAudit "+a)
		if i > 0 && !parseAuditID(t, r.ID).after(parseAuditID(t, out[i-1].ID)) {
			t.Fatalf("AppendAudit %s: ID %s does not follow the previous ID %s", a, r.ID, out[i-1].ID)
		}
		out[i] = r
	}
	return out
}

// actions returns n actions, "action-0000" and on.
func actions(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("action-%04d", i)
	}
	return out
}

// auditIDs returns the IDs of rs, in order.
func auditIDs(rs []store.AuditRecord) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// newestFirst returns rs reversed.
func newestFirst(rs []store.AuditRecord) []store.AuditRecord {
	out := slices.Clone(rs)
	slices.Reverse(out)
	return out
}

// sameAudit fails t unless got holds want's records, field for field, in
// order.
func sameAudit(t *testing.T, what string, want, got []store.AuditRecord) {
	t.Helper()
	if !slices.Equal(auditIDs(got), auditIDs(want)) {
		t.Fatalf("%s = %q, want %q", what, auditIDs(got), auditIDs(want))
	}
	for i := range want {
		sameRecord(t, what+"["+want[i].ID+"]", want[i], got[i])
	}
}

// listAudit calls ListAudit and fails t on an error.
func listAudit(t *testing.T, s store.Store, limit int, before string) []store.AuditRecord {
	t.Helper()
	rs, err := s.ListAudit(t.Context(), limit, before)
	noErr(t, err, fmt.Sprintf("ListAudit(%d, %q)", limit, before))
	return rs
}

func testAuditRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := fullAudit("client.update")
	got, err := s.AppendAudit(ctx, want)
	noErr(t, err, "AppendAudit")
	if got.ID == "" {
		t.Fatal("AppendAudit returned no ID")
	}
	parseAuditID(t, got.ID)
	want.ID = got.ID
	everyFieldSet(t, want)
	sameRecord(t, "AppendAudit", want, got)

	list := listAudit(t, s, 10, "")
	sameAudit(t, "ListAudit", []store.AuditRecord{want}, list)
}

// testAuditZeroTime checks that a record appended without a time gets the
// time it was appended at: the millisecond in its ID.
func testAuditZeroTime(t *testing.T, s store.Store) {
	ctx := t.Context()
	before := time.Now()
	got, err := s.AppendAudit(ctx, store.AuditRecord{Actor: "admin", Action: "user.create", Target: "user/alice"})
	noErr(t, err, "AppendAudit")
	if got.Time.IsZero() {
		t.Fatal("AppendAudit left a zero Time")
	}
	// The store's clock (Redis's for store/redis) runs on this machine.
	if got.Time.Before(before.Add(-time.Minute)) || got.Time.After(time.Now().Add(time.Minute)) {
		t.Errorf("AppendAudit set Time %v, not about now (%v)", got.Time, before)
	}
	id := parseAuditID(t, got.ID)
	if want := time.UnixMilli(int64(id.ms)); !got.Time.Equal(want) {
		t.Errorf("AppendAudit set Time %v, want the time in ID %s, %v", got.Time, got.ID, want)
	}
	list := listAudit(t, s, 10, "")
	sameAudit(t, "ListAudit", []store.AuditRecord{got}, list)
}

func testAuditEmptyFields(t *testing.T, s store.Store) {
	ctx := t.Context()
	tests := []struct {
		name string
		in   store.AuditRecord
	}{
		{"nil slices", store.AuditRecord{Action: "nil"}},
		{"empty slices", store.AuditRecord{Action: "empty", Before: json.RawMessage{}, After: json.RawMessage{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.AppendAudit(ctx, tt.in)
			noErr(t, err, "AppendAudit")
			// A create has nothing before it, a delete nothing after it: no
			// empty JSON may appear in their place.
			want := store.AuditRecord{ID: got.ID, Time: got.Time, Action: tt.in.Action}
			sameRecord(t, "AppendAudit", want, got)
			list := listAudit(t, s, 1, "")
			sameAudit(t, "ListAudit", []store.AuditRecord{want}, list)
		})
	}
}

// testAuditIDsIncrease appends faster than a clock ticks: every ID is new
// and follows the one before, and an ID the caller sets is replaced.
func testAuditIDsIncrease(t *testing.T, s store.Store) {
	ctx := t.Context()
	var prev auditID
	seen := make(map[string]bool)
	for i := range 200 {
		in := store.AuditRecord{Action: fmt.Sprint("action-", i)}
		if i%2 == 0 {
			in.ID = "99999999999999-0"
		}
		got, err := s.AppendAudit(ctx, in)
		noErr(t, err, "AppendAudit")
		if got.ID == in.ID {
			t.Fatalf("AppendAudit kept the ID %q the caller set", in.ID)
		}
		id := parseAuditID(t, got.ID)
		if seen[got.ID] {
			t.Fatalf("AppendAudit %d returned ID %s twice", i, got.ID)
		}
		seen[got.ID] = true
		if i > 0 && !id.after(prev) {
			t.Fatalf("AppendAudit %d returned ID %s, not after %s", i, got.ID, prev)
		}
		prev = id
	}
	if n := len(listAudit(t, s, 0, "")); n != 200 {
		t.Errorf("ListAudit returned %d records, want 200", n)
	}
}

func testAuditNewestFirst(t *testing.T, s store.Store) {
	list := listAudit(t, s, 10, "")
	if len(list) != 0 {
		t.Fatalf("empty store lists %d audit records", len(list))
	}
	appended := appendAudit(t, s, actions(7)...)
	sameAudit(t, "ListAudit", newestFirst(appended), listAudit(t, s, 10, ""))
	sameAudit(t, "ListAudit with a limit of exactly the count", newestFirst(appended), listAudit(t, s, 7, ""))
	sameAudit(t, "ListAudit with a limit of 3", newestFirst(appended)[:3], listAudit(t, s, 3, ""))
}

// testAuditPages pages through the trail with before set to the last ID of
// the previous page: every record once, newest first, no page above the
// limit; records appended meanwhile do not move the cursor.
func testAuditPages(t *testing.T, s store.Store) {
	const limit = 10
	appended := appendAudit(t, s, actions(25)...)
	want := newestFirst(appended)

	var got []store.AuditRecord
	var sizes []int
	before := ""
	for page := 0; ; page++ {
		if page > len(appended) {
			t.Fatalf("ListAudit still returns records after %d pages of %d: the cursor is ignored", page, limit)
		}
		rs := listAudit(t, s, limit, before)
		if len(rs) == 0 {
			break
		}
		sizes = append(sizes, len(rs))
		got = append(got, rs...)
		before = rs[len(rs)-1].ID
		if page == 0 {
			// Changes made while an admin pages do not shift later pages.
			appendAudit(t, s, "appended-while-paging-1", "appended-while-paging-2")
		}
	}
	if !slices.Equal(sizes, []int{10, 10, 5}) {
		t.Errorf("pages of %d hold %v records, want [10 10 5]", limit, sizes)
	}
	sameAudit(t, "records of every page", want, got)
}

func testAuditLimit(t *testing.T, s store.Store) {
	appended := appendAudit(t, s, actions(maxAuditPage+5)...)
	want := newestFirst(appended)
	tests := []struct {
		name  string
		limit int
		want  int
	}{
		{"one", 1, 1},
		{"zero means the maximum", 0, maxAuditPage},
		{"negative means the maximum", -1, maxAuditPage},
		{"most negative", math.MinInt, maxAuditPage},
		{"maximum", maxAuditPage, maxAuditPage},
		{"above the maximum", maxAuditPage + 1, maxAuditPage},
		{"largest int", math.MaxInt, maxAuditPage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := listAudit(t, s, tt.limit, "")
			sameAudit(t, "ListAudit", want[:tt.want], got)
		})
	}
	rest := listAudit(t, s, 0, want[maxAuditPage-1].ID)
	sameAudit(t, "ListAudit after a full page", want[maxAuditPage:], rest)
}

// testAuditCursors checks that any well-formed ID is a cursor, also one no
// record has (as when its record was trimmed).
func testAuditCursors(t *testing.T, s store.Store) {
	appended := appendAudit(t, s, "a", "b", "c")
	all := newestFirst(appended)
	newest := parseAuditID(t, appended[2].ID)
	tests := []struct {
		name   string
		before string
		want   []store.AuditRecord
	}{
		{"newest", appended[2].ID, all[1:]},
		{"middle", appended[1].ID, all[2:]},
		{"oldest", appended[0].ID, nil},
		{"after the newest, not stored", auditID{newest.ms, newest.seq + 1}.String(), all},
		{"far future", "99999999999999-0", all},
		{"largest", "18446744073709551615-18446744073709551615", all},
		{"0-1", "0-1", nil},
		{"0-0", "0-0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sameAudit(t, "ListAudit", tt.want, listAudit(t, s, 10, tt.before))
		})
	}
}

func testAuditInvalidCursor(t *testing.T, s store.Store) {
	appendAudit(t, s, "a")
	for _, before := range []string{
		"abc", "1", "1-", "-1", "-", "+", "1-2-3", " 1-0", "1-0 ", "(1-0", "1 -0",
		"18446744073709551616-0", "1-18446744073709551616", "-1-0", "+1-0", "1-+0",
		"01-0", "1-00", "1.5-0", "1_0-0", "٣-0", "0x1-0", "1-0\x00",
	} {
		t.Run(fmt.Sprintf("%q", before), func(t *testing.T) {
			for _, limit := range []int{10, 0} {
				rs, err := s.ListAudit(t.Context(), limit, before)
				if err == nil {
					t.Fatalf("ListAudit(%d, %q) = %d records, want an error", limit, before, len(rs))
				}
				for _, sentinel := range []error{store.ErrUnavailable, store.ErrConflict, store.ErrNotFound} {
					if errors.Is(err, sentinel) {
						t.Errorf("ListAudit: invalid cursor reported as %v: %v", sentinel, err)
					}
				}
			}
		})
	}
}

func testAuditOddStrings(t *testing.T, s store.Store) {
	var want []store.AuditRecord
	for _, tt := range oddIDs() {
		r := fullAudit(tt.id)
		r.Actor, r.Target = tt.id, tt.id
		got, err := s.AppendAudit(t.Context(), r)
		noErr(t, err, "AppendAudit "+tt.name)
		r.ID = got.ID
		sameRecord(t, "AppendAudit "+tt.name, r, got)
		want = append(want, r)
	}
	sameAudit(t, "ListAudit", newestFirst(want), listAudit(t, s, 0, ""))
}

func testAuditInvalidJSON(t *testing.T, s store.Store) {
	ctx := t.Context()
	tests := []struct {
		name   string
		mutate func(r *store.AuditRecord)
	}{
		{"truncated before", func(r *store.AuditRecord) { r.Before = json.RawMessage(`{"id": "web"`) }},
		{"after not JSON", func(r *store.AuditRecord) { r.After = json.RawMessage(`id: web`) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fullAudit("client.update")
			tt.mutate(&r)
			got, err := s.AppendAudit(ctx, r)
			if err == nil {
				t.Fatalf("AppendAudit accepted invalid JSON and returned ID %q", got.ID)
			}
			for _, sentinel := range []error{store.ErrUnavailable, store.ErrConflict, store.ErrNotFound} {
				if errors.Is(err, sentinel) {
					t.Errorf("AppendAudit: invalid JSON reported as %v: %v", sentinel, err)
				}
			}
			if list := listAudit(t, s, 0, ""); len(list) != 0 {
				t.Errorf("a refused AppendAudit left %d records", len(list))
			}
		})
	}
}

func testAuditNoAliasing(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := fullAudit("client.update")
	want := fullAudit("client.update")
	got, err := s.AppendAudit(ctx, in)
	noErr(t, err, "AppendAudit")
	want.ID = got.ID

	scribble := func(r *store.AuditRecord) {
		r.Before[0] = '['
		r.After[0] = '['
	}
	scribble(&in)
	sameAudit(t, "audit after the caller changed what it passed to AppendAudit", []store.AuditRecord{want}, listAudit(t, s, 0, ""))

	scribble(&got)
	sameAudit(t, "audit after the caller changed what AppendAudit returned", []store.AuditRecord{want}, listAudit(t, s, 0, ""))

	list := listAudit(t, s, 0, "")
	scribble(&list[0])
	sameAudit(t, "audit after the caller changed what ListAudit returned", []store.AuditRecord{want}, listAudit(t, s, 0, ""))
}
