package storetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

func revocationTests() []test {
	return []test{
		{"ClientRecordsInTheSameRead", testRevocationClientRecords},
		{"RoundTrip", testRevocationRoundTrip},
		{"UnknownIDs", testRevocationUnknown},
		{"BeforeKeepsLatestT", testRevocationBeforeKeepsMax},
		{"Expires", testRevocationExpires},
		{"Invalid", testRevocationInvalid},
		{"OddIDs", testRevocationOddIDs},
		{"Events", testRevocationEvents},
		{"EventsAfter", testRevocationEventsAfter},
		{"EventsLimit", testRevocationEventsLimit},
		{"InvalidCursor", testRevocationInvalidCursor},
		{"WaitForEvent", testRevocationWait},
		{"WaitTimesOut", testRevocationWaitTimeout},
		{"WaitCancelled", testRevocationWaitCancelled},
		{"LastEvent", testRevocationLastEvent},
		{"Trim", testRevocationTrim},
		{"ConcurrentPuts", testRevocationConcurrentPuts},
		{"ConcurrentBeforeRules", testRevocationConcurrentBefore},
	}
}

// inAnHour is an Until (unix seconds) an hour from now.
func inAnHour() int64 { return time.Now().Add(time.Hour).Unix() }

// putRevocation calls PutRevocation without trimming or waiting for
// replicas and returns the event's ID, failing t on an error.
func putRevocation(t *testing.T, s store.Store, r store.Revocation) string {
	t.Helper()
	id, err := s.PutRevocation(t.Context(), r, time.Time{}, 0)
	noErr(t, err, fmt.Sprintf("PutRevocation(%s %s %.40q)", r.Kind, r.Scope, r.ID))
	if id == "" {
		t.Fatalf("PutRevocation(%s %s %.40q) returned no event ID", r.Kind, r.Scope, r.ID)
	}
	return id
}

// status calls RevocationStatus, failing t on an error.
func status(t *testing.T, s store.Store, q store.RevocationQuery) store.RevocationStatus {
	t.Helper()
	st, err := s.RevocationStatus(t.Context(), q)
	noErr(t, err, "RevocationStatus")
	return st
}

// wantStatus fails t unless q reads as want.
func wantStatus(t *testing.T, s store.Store, what string, q store.RevocationQuery, want store.RevocationStatus) {
	t.Helper()
	if got := status(t, s, q); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: RevocationStatus = %+v, want %+v", what, got, want)
	}
}

// events calls RevocationEvents without waiting, failing t on an error.
func events(t *testing.T, s store.Store, after string, limit int) []store.RevocationEvent {
	t.Helper()
	evs, err := s.RevocationEvents(t.Context(), after, limit, 0)
	noErr(t, err, fmt.Sprintf("RevocationEvents(%q, %d)", after, limit))
	return evs
}

// sameEvents fails t unless got is want, in order.
func sameEvents(t *testing.T, what string, want, got []store.RevocationEvent) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %+v, want %+v", what, got, want)
	}
}

// eventIDs returns the IDs of evs, in order.
func eventIDs(evs []store.RevocationEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

// lastEvent calls LastRevocationEvent, failing t on an error.
func lastEvent(t *testing.T, s store.Store) string {
	t.Helper()
	id, err := s.LastRevocationEvent(t.Context())
	noErr(t, err, "LastRevocationEvent")
	return id
}

// fiveRevocations returns one revocation of each kind and scope.
func fiveRevocations() []store.Revocation {
	until := inAnHour()
	return []store.Revocation{
		{Kind: store.RevokeJTI, ID: "jti-1", Until: until},
		{Kind: store.RevokeOrigin, ID: "origin-1", Until: until + 1},
		{Kind: store.RevokeBefore, Scope: store.ScopeSubject, ID: "alice", Before: 1_700_000_000, Until: until + 2},
		{Kind: store.RevokeBefore, Scope: store.ScopeClient, ID: "web", Before: 1_700_000_001, Until: until + 3},
		{Kind: store.RevokePolicy, Scope: store.ScopeAccount, ID: "111122223333", Until: until + 4},
	}
}

// putAll puts rs in order and returns their events; it fails t unless the
// IDs strictly increase.
func putAll(t *testing.T, s store.Store, rs []store.Revocation) []store.RevocationEvent {
	t.Helper()
	out := make([]store.RevocationEvent, len(rs))
	for i, r := range rs {
		out[i] = store.RevocationEvent{ID: putRevocation(t, s, r), Revocation: r}
		if i > 0 && !parseAuditID(t, out[i].ID).after(parseAuditID(t, out[i-1].ID)) {
			t.Fatalf("event ID %s does not follow the previous ID %s", out[i].ID, out[i-1].ID)
		}
	}
	return out
}

// testRevocationRoundTrip puts one entry of each kind and reads each back,
// each under its own kind and scope only.
func testRevocationRoundTrip(t *testing.T, s store.Store) {
	until := inAnHour()
	puts := []store.Revocation{
		{Kind: store.RevokeJTI, ID: "jti-1", Until: until},
		{Kind: store.RevokeOrigin, ID: "origin-1", Until: until},
		{Kind: store.RevokeBefore, Scope: store.ScopeSubject, ID: "alice", Before: 100, Until: until},
		{Kind: store.RevokeBefore, Scope: store.ScopeClient, ID: "web", Before: 200, Until: until},
		{Kind: store.RevokeBefore, Scope: store.ScopePrincipal, ID: "arn:aws:iam::111122223333:role/x", Before: 300, Until: until},
		{Kind: store.RevokePolicy, Scope: store.ScopeAccount, ID: "111122223333", Until: until},
	}
	putAll(t, s, puts)

	all := store.RevocationQuery{
		JTI: "jti-1", OriginJTI: "origin-1",
		Subject: "alice", Client: "web", Principals: []string{"arn:aws:iam::111122223333:user/y", "arn:aws:iam::111122223333:role/x"},
		PolicyAccount: "111122223333",
	}
	wantStatus(t, s, "every field", all, store.RevocationStatus{
		JTI: true, OriginJTI: true, SubjectBefore: 100, ClientBefore: 200, PrincipalBefore: 300, PolicyGeneration: 1,
	})
	tests := []struct {
		name string
		q    store.RevocationQuery
		want store.RevocationStatus
	}{
		{"jti alone", store.RevocationQuery{JTI: "jti-1"}, store.RevocationStatus{JTI: true}},
		{"origin_jti alone", store.RevocationQuery{OriginJTI: "origin-1"}, store.RevocationStatus{OriginJTI: true}},
		{"subject alone", store.RevocationQuery{Subject: "alice"}, store.RevocationStatus{SubjectBefore: 100}},
		{"client alone", store.RevocationQuery{Client: "web"}, store.RevocationStatus{ClientBefore: 200}},
		{"principal alone", store.RevocationQuery{Principals: all.Principals}, store.RevocationStatus{PrincipalBefore: 300}},
		{"policy generation alone", store.RevocationQuery{PolicyAccount: "111122223333"}, store.RevocationStatus{PolicyGeneration: 1}},
		{"another account's generation", store.RevocationQuery{PolicyAccount: "444455556666"}, store.RevocationStatus{}},
		// An id counts under its own kind and scope only.
		{"ids under other fields", store.RevocationQuery{
			JTI: "origin-1", OriginJTI: "jti-1", Subject: "web", Client: all.Principals[1], Principals: []string{"alice"},
		}, store.RevocationStatus{}},
		{"account id as subject", store.RevocationQuery{Subject: "111122223333", Principals: []string{"111122223333"}}, store.RevocationStatus{}},
		{"ids in another case", store.RevocationQuery{JTI: "JTI-1", Subject: "Alice"}, store.RevocationStatus{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantStatus(t, s, tt.name, tt.q, tt.want) })
	}
}

func testRevocationUnknown(t *testing.T, s store.Store) {
	q := store.RevocationQuery{JTI: "j", OriginJTI: "o", Subject: "s", Client: "c", Principals: []string{"p"}}
	wantStatus(t, s, "empty store", q, store.RevocationStatus{})
	wantStatus(t, s, "empty query", store.RevocationQuery{}, store.RevocationStatus{})
	putAll(t, s, fiveRevocations())
	wantStatus(t, s, "unknown ids", q, store.RevocationStatus{})
	wantStatus(t, s, "empty query", store.RevocationQuery{}, store.RevocationStatus{})
}

// testRevocationBeforeKeepsMax checks that a before rule keeps the latest
// T it was given, and that each put is still an event.
func testRevocationBeforeKeepsMax(t *testing.T, s store.Store) {
	until := inAnHour()
	q := store.RevocationQuery{Subject: "alice"}
	rule := func(before int64) store.Revocation {
		return store.Revocation{Kind: store.RevokeBefore, Scope: store.ScopeSubject, ID: "alice", Before: before, Until: until}
	}
	putRevocation(t, s, rule(200))
	putRevocation(t, s, rule(100))
	wantStatus(t, s, "200 then 100", q, store.RevocationStatus{SubjectBefore: 200})
	putRevocation(t, s, rule(300))
	wantStatus(t, s, "then 300", q, store.RevocationStatus{SubjectBefore: 300})
	if evs := events(t, s, "", 10); len(evs) != 3 || evs[1].Before != 100 {
		t.Errorf("events = %+v, want the three puts as given", evs)
	}
}

// testRevocationExpires checks that entries go once their Until has
// passed, and that an entry put again keeps the later Until.
func testRevocationExpires(t *testing.T, s store.Store) {
	// At least two seconds, so that the entries are there when first read.
	soon, later := time.Now().Unix()+3, inAnHour()
	putAll(t, s, []store.Revocation{
		{Kind: store.RevokeJTI, ID: "gone", Until: soon},
		{Kind: store.RevokeOrigin, ID: "gone", Until: soon},
		{Kind: store.RevokeBefore, Scope: store.ScopeSubject, ID: "gone", Before: 100, Until: soon},
		{Kind: store.RevokeBefore, Scope: store.ScopeClient, ID: "gone", Before: 100, Until: soon},
		{Kind: store.RevokeBefore, Scope: store.ScopePrincipal, ID: "gone", Before: 100, Until: soon},
		{Kind: store.RevokePolicy, Scope: store.ScopeAccount, ID: "gone", Until: soon},
		// Put again with a later Until, or first with the later one: kept.
		{Kind: store.RevokeJTI, ID: "kept", Until: soon},
		{Kind: store.RevokeJTI, ID: "kept", Until: later},
		{Kind: store.RevokeOrigin, ID: "kept", Until: later},
		{Kind: store.RevokeOrigin, ID: "kept", Until: soon},
		{Kind: store.RevokeBefore, Scope: store.ScopeSubject, ID: "kept", Before: 100, Until: soon},
		{Kind: store.RevokeBefore, Scope: store.ScopeSubject, ID: "kept", Before: 50, Until: later},
		{Kind: store.RevokeBefore, Scope: store.ScopeClient, ID: "kept", Before: 100, Until: later},
		{Kind: store.RevokeBefore, Scope: store.ScopeClient, ID: "kept", Before: 50, Until: soon},
	})
	gone := store.RevocationQuery{JTI: "gone", OriginJTI: "gone", Subject: "gone", Client: "gone", Principals: []string{"gone"}}
	kept := store.RevocationQuery{JTI: "kept", OriginJTI: "kept", Subject: "kept", Client: "kept"}
	keptStatus := store.RevocationStatus{JTI: true, OriginJTI: true, SubjectBefore: 100, ClientBefore: 100}
	wantStatus(t, s, "before Until", gone, store.RevocationStatus{
		JTI: true, OriginJTI: true, SubjectBefore: 100, ClientBefore: 100, PrincipalBefore: 100,
	})
	wantStatus(t, s, "kept entries before Until", kept, keptStatus)

	eventually(t, "entries gone after their Until", func() bool {
		return reflect.DeepEqual(status(t, s, gone), store.RevocationStatus{})
	})
	// The store's clock has passed soon: the kept entries outlived it.
	wantStatus(t, s, "kept entries after the earlier Until", kept, keptStatus)
	if evs := events(t, s, "", 100); len(evs) != 14 {
		t.Errorf("RevocationEvents = %d events, want all 14: events do not expire with their entries", len(evs))
	}
}

func testRevocationInvalid(t *testing.T, s store.Store) {
	until := inAnHour()
	tests := []struct {
		name string
		r    store.Revocation
	}{
		{"no kind", store.Revocation{ID: "x", Until: until}},
		{"unknown kind", store.Revocation{Kind: "subject", ID: "x", Until: until}},
		{"kind in another case", store.Revocation{Kind: "JTI", ID: "x", Until: until}},
		{"no id", store.Revocation{Kind: store.RevokeJTI, Until: until}},
		{"before without id", store.Revocation{Kind: store.RevokeBefore, Scope: store.ScopeSubject, Before: 100, Until: until}},
		{"jti with a scope", store.Revocation{Kind: store.RevokeJTI, ID: "x", Scope: store.ScopeSubject, Until: until}},
		{"origin_jti with a scope", store.Revocation{Kind: store.RevokeOrigin, ID: "x", Scope: store.ScopeClient, Until: until}},
		{"before without scope", store.Revocation{Kind: store.RevokeBefore, ID: "x", Before: 100, Until: until}},
		{"before with the account scope", store.Revocation{Kind: store.RevokeBefore, ID: "x", Scope: store.ScopeAccount, Before: 100, Until: until}},
		{"before with an unknown scope", store.Revocation{Kind: store.RevokeBefore, ID: "x", Scope: "user", Before: 100, Until: until}},
		{"before without T", store.Revocation{Kind: store.RevokeBefore, ID: "x", Scope: store.ScopeSubject, Until: until}},
		{"before with a negative T", store.Revocation{Kind: store.RevokeBefore, ID: "x", Scope: store.ScopeSubject, Before: -1, Until: until}},
		{"policy without scope", store.Revocation{Kind: store.RevokePolicy, ID: "x", Until: until}},
		{"policy with the subject scope", store.Revocation{Kind: store.RevokePolicy, ID: "x", Scope: store.ScopeSubject, Until: until}},
		{"no until", store.Revocation{Kind: store.RevokeJTI, ID: "x"}},
		{"negative until", store.Revocation{Kind: store.RevokeJTI, ID: "x", Until: -1}},
		{"until now", store.Revocation{Kind: store.RevokeJTI, ID: "x", Until: time.Now().Unix()}},
		{"until passed", store.Revocation{Kind: store.RevokeOrigin, ID: "x", Until: time.Now().Add(-time.Hour).Unix()}},
		{"before rule until passed", store.Revocation{Kind: store.RevokeBefore, ID: "x", Scope: store.ScopeSubject, Before: 100, Until: time.Now().Add(-time.Second).Unix()}},
		{"policy until passed", store.Revocation{Kind: store.RevokePolicy, ID: "x", Scope: store.ScopeAccount, Until: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := s.PutRevocation(t.Context(), tt.r, time.Time{}, 0)
			wantErr(t, err, store.ErrInvalid, "PutRevocation")
			if id != "" {
				t.Errorf("refused PutRevocation returned the event ID %q", id)
			}
		})
	}
	// Nothing was recorded, nor appended.
	wantStatus(t, s, "after refused puts", store.RevocationQuery{JTI: "x", OriginJTI: "x", Subject: "x", Client: "x", Principals: []string{"x"}}, store.RevocationStatus{})
	if last := lastEvent(t, s); last != "0-0" {
		t.Errorf("LastRevocationEvent after refused puts = %q, want 0-0", last)
	}
}

// testRevocationOddIDs puts every kind under every awkward id: each reads
// back under its own id only, and its event carries the id unchanged.
func testRevocationOddIDs(t *testing.T, s store.Store) {
	until := inAnHour()
	var want []store.RevocationEvent
	for i, o := range oddIDs() {
		want = append(want, putAll(t, s, []store.Revocation{
			{Kind: store.RevokeJTI, ID: o.id, Until: until},
			{Kind: store.RevokeOrigin, ID: o.id, Until: until},
			{Kind: store.RevokeBefore, Scope: store.ScopeSubject, ID: o.id, Before: int64(100 + i), Until: until},
			{Kind: store.RevokeBefore, Scope: store.ScopeClient, ID: o.id, Before: int64(200 + i), Until: until},
			{Kind: store.RevokeBefore, Scope: store.ScopePrincipal, ID: o.id, Before: int64(300 + i), Until: until},
			{Kind: store.RevokePolicy, Scope: store.ScopeAccount, ID: o.id, Until: until},
		})...)
	}
	for i, o := range oddIDs() {
		t.Run(o.name, func(t *testing.T) {
			q := store.RevocationQuery{JTI: o.id, OriginJTI: o.id, Subject: o.id, Client: o.id, Principals: []string{o.id}}
			wantStatus(t, s, o.name, q, store.RevocationStatus{
				JTI: true, OriginJTI: true,
				SubjectBefore: int64(100 + i), ClientBefore: int64(200 + i), PrincipalBefore: int64(300 + i),
			})
		})
	}
	sameEvents(t, "RevocationEvents", want, events(t, s, "", 1000))
}

// testRevocationEvents checks that every put is an event, in order, with
// the ID PutRevocation returned and the revocation as given.
func testRevocationEvents(t *testing.T, s store.Store) {
	if evs := events(t, s, "", 10); len(evs) != 0 {
		t.Fatalf("RevocationEvents of an empty store = %+v, want none", evs)
	}
	want := putAll(t, s, fiveRevocations())
	for _, after := range []string{"", "0", "0-0"} {
		sameEvents(t, fmt.Sprintf("RevocationEvents(%q)", after), want, events(t, s, after, 10))
	}
	// A policy put twice is two events, and two generations.
	again := putAll(t, s, fiveRevocations()[4:])
	sameEvents(t, "RevocationEvents after another put", append(want, again...), events(t, s, "", 10))
	wantStatus(t, s, "policy generation", store.RevocationQuery{PolicyAccount: "111122223333"}, store.RevocationStatus{PolicyGeneration: 2})
}

func testRevocationEventsAfter(t *testing.T, s store.Store) {
	want := putAll(t, s, fiveRevocations())
	sameEvents(t, "RevocationEvents after the 2nd", want[2:], events(t, s, want[1].ID, 10))
	sameEvents(t, "RevocationEvents after the 1st", want[1:], events(t, s, want[0].ID, 10))
	if evs := events(t, s, want[4].ID, 10); len(evs) != 0 {
		t.Errorf("RevocationEvents after the last = %+v, want none", evs)
	}
	// Any stream ID is a cursor, also one no event has.
	first := parseAuditID(t, want[0].ID)
	if first.ms > 0 {
		before := auditID{first.ms - 1, 0}.String()
		sameEvents(t, "RevocationEvents after a millisecond earlier", want, events(t, s, before, 10))
	}
	for _, beyond := range []string{"99999999999999-0", "18446744073709551615-18446744073709551615"} {
		if evs := events(t, s, beyond, 10); len(evs) != 0 {
			t.Errorf("RevocationEvents after %s = %+v, want none", beyond, evs)
		}
	}
}

func testRevocationEventsLimit(t *testing.T, s store.Store) {
	want := putAll(t, s, fiveRevocations())
	sameEvents(t, "RevocationEvents limit 2", want[:2], events(t, s, "", 2))
	sameEvents(t, "RevocationEvents limit 2 after the 2nd", want[2:4], events(t, s, want[1].ID, 2))
	sameEvents(t, "RevocationEvents limit 1", want[:1], events(t, s, "", 1))
	// Not positive: the largest page.
	sameEvents(t, "RevocationEvents limit 0", want, events(t, s, "", 0))
	sameEvents(t, "RevocationEvents limit -1", want, events(t, s, "", -1))

	// Paging through with the last ID of each page reads every event once.
	var got []store.RevocationEvent
	for after := "0"; ; {
		page := events(t, s, after, 2)
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1].ID
	}
	sameEvents(t, "paged RevocationEvents", want, got)
}

func testRevocationInvalidCursor(t *testing.T, s store.Store) {
	putAll(t, s, fiveRevocations())
	for _, after := range []string{
		"x", "1", "1-", "-1", "-", "1-2-3", "1-x", "x-1", " 1-2", "1-2 ", "+1-2", "1-+2",
		"18446744073709551616-0", "0-18446744073709551616", "$", "+", ">", "*", "(1-2", "0x1-0", "1.5-0",
	} {
		for _, wait := range []time.Duration{0, pollDeadline} {
			evs, err := s.RevocationEvents(t.Context(), after, 10, wait)
			wantErr(t, err, store.ErrInvalid, fmt.Sprintf("RevocationEvents(%q) waiting %v", after, wait))
			if len(evs) != 0 {
				t.Errorf("RevocationEvents(%q) returned %+v with its error", after, evs)
			}
		}
	}
}

// testRevocationWait checks that a reader waiting for events gets one
// appended during its wait.
func testRevocationWait(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := putAll(t, s, fiveRevocations()[:1])
	type result struct {
		evs []store.RevocationEvent
		err error
	}
	got := make(chan result, 1)
	go func() {
		evs, err := s.RevocationEvents(ctx, first[0].ID, 10, pollDeadline)
		got <- result{evs, err}
	}()
	// Most likely the reader waits by now; if not, it finds the event
	// without waiting, which is right too.
	time.Sleep(50 * time.Millisecond)
	r := store.Revocation{Kind: store.RevokeOrigin, ID: "during the wait", Until: inAnHour()}
	id := putRevocation(t, s, r)
	res := <-got
	noErr(t, res.err, "waiting RevocationEvents")
	sameEvents(t, "waiting RevocationEvents", []store.RevocationEvent{{ID: id, Revocation: r}}, res.evs)
}

// testRevocationWaitTimeout checks that a wait without events ends with
// none, not an error.
func testRevocationWaitTimeout(t *testing.T, s store.Store) {
	ctx := t.Context()
	evs, err := s.RevocationEvents(ctx, "", 10, 100*time.Millisecond)
	noErr(t, err, "RevocationEvents of an empty store waiting")
	if len(evs) != 0 {
		t.Errorf("RevocationEvents of an empty store waiting = %+v, want none", evs)
	}
	want := putAll(t, s, fiveRevocations())
	evs, err = s.RevocationEvents(ctx, want[4].ID, 10, 100*time.Millisecond)
	noErr(t, err, "RevocationEvents after the last waiting")
	if len(evs) != 0 {
		t.Errorf("RevocationEvents after the last waiting = %+v, want none", evs)
	}
	// With events there, it does not wait.
	evs, err = s.RevocationEvents(ctx, want[3].ID, 10, pollDeadline)
	noErr(t, err, "RevocationEvents after the 4th waiting")
	sameEvents(t, "RevocationEvents after the 4th waiting", want[4:], evs)
}

// testRevocationWaitCancelled checks that cancelling the context ends a
// wait with the context's error.
func testRevocationWaitCancelled(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	evs, err := s.RevocationEvents(ctx, "", 10, pollDeadline)
	wantErr(t, err, context.Canceled, "RevocationEvents with its context cancelled")
	if len(evs) != 0 {
		t.Errorf("cancelled RevocationEvents returned %+v", evs)
	}
}

func testRevocationLastEvent(t *testing.T, s store.Store) {
	if last := lastEvent(t, s); last != "0-0" {
		t.Errorf("LastRevocationEvent of an empty store = %q, want 0-0", last)
	}
	want := putAll(t, s, fiveRevocations())
	if last := lastEvent(t, s); last != want[4].ID {
		t.Errorf("LastRevocationEvent = %q, want the last put's %q", last, want[4].ID)
	}
	// Every event after "0-0" up to the last one is all of them.
	sameEvents(t, "RevocationEvents from 0-0", want, events(t, s, "0-0", 10))
}

// testRevocationTrim checks that a put drops the events older than its
// trimBefore, and keeps the newer ones.
func testRevocationTrim(t *testing.T, s store.Store) {
	ctx := t.Context()
	early := putAll(t, s, fiveRevocations()[:3])

	// A trimBefore older than every event drops none.
	r := store.Revocation{Kind: store.RevokeJTI, ID: "keeps all", Until: inAnHour()}
	id, err := s.PutRevocation(ctx, r, time.Now().Add(-time.Hour), 0)
	noErr(t, err, "PutRevocation trimming an hour back")
	early = append(early, store.RevocationEvent{ID: id, Revocation: r})
	sameEvents(t, "RevocationEvents after trimming an hour back", early, events(t, s, "", 10))

	// A trimBefore after them, once the clock has passed it, drops them all.
	cutoff := time.UnixMilli(int64(parseAuditID(t, id).ms) + 1)
	eventually(t, "the clock passes the cutoff", func() bool { return time.Now().After(cutoff) })
	r = store.Revocation{Kind: store.RevokeJTI, ID: "trims", Until: inAnHour()}
	id, err = s.PutRevocation(ctx, r, cutoff, 0)
	noErr(t, err, "PutRevocation trimming to the cutoff")
	sameEvents(t, "RevocationEvents after trimming", []store.RevocationEvent{{ID: id, Revocation: r}}, events(t, s, "", 10))
	if last := lastEvent(t, s); last != id {
		t.Errorf("LastRevocationEvent after trimming = %q, want %q", last, id)
	}
	// Trimming drops events, not entries.
	wantStatus(t, s, "entries of trimmed events", store.RevocationQuery{JTI: "jti-1", OriginJTI: "origin-1", Subject: "alice"},
		store.RevocationStatus{JTI: true, OriginJTI: true, SubjectBefore: 1_700_000_000})
}

// testRevocationConcurrentPuts puts from every racer at once: each event
// gets its own ID, and the stream holds them all, in ID order.
func testRevocationConcurrentPuts(t *testing.T, s store.Store) {
	ctx := t.Context()
	until := inAnHour()
	ids := make([]string, racers)
	errs := make([]error, racers)
	race(func(i int) {
		ids[i], errs[i] = s.PutRevocation(ctx, store.Revocation{Kind: store.RevokeJTI, ID: fmt.Sprint("jti-", i), Until: until}, time.Time{}, 0)
	})
	for i, err := range errs {
		noErr(t, err, fmt.Sprint("racer ", i))
	}
	evs := events(t, s, "", 100)
	if len(evs) != racers {
		t.Fatalf("RevocationEvents = %d events, want %d", len(evs), racers)
	}
	for i, ev := range evs {
		if i > 0 && !parseAuditID(t, ev.ID).after(parseAuditID(t, evs[i-1].ID)) {
			t.Errorf("event ID %s does not follow %s", ev.ID, evs[i-1].ID)
		}
		racer := slices.Index(ids, ev.ID)
		if racer < 0 {
			t.Errorf("event %s is no racer's", ev.ID)
			continue
		}
		if ev.Revocation.ID != fmt.Sprint("jti-", racer) {
			t.Errorf("event %s revokes %q, want racer %d's jti", ev.ID, ev.Revocation.ID, racer)
		}
		wantStatus(t, s, ev.Revocation.ID, store.RevocationQuery{JTI: ev.Revocation.ID}, store.RevocationStatus{JTI: true})
	}
	sorted := slices.Clone(ids)
	slices.SortFunc(sorted, func(a, b string) int {
		if parseAuditID(t, a).after(parseAuditID(t, b)) {
			return 1
		}
		return -1
	})
	if got := eventIDs(evs); !slices.Equal(got, sorted) {
		t.Errorf("RevocationEvents IDs = %q, want the racers' %q", got, sorted)
	}
}

// testRevocationConcurrentBefore has every racer put a before rule for one
// subject at once: the rule ends with the latest T.
func testRevocationConcurrentBefore(t *testing.T, s store.Store) {
	ctx := t.Context()
	until := inAnHour()
	errs := make([]error, racers)
	race(func(i int) {
		r := store.Revocation{Kind: store.RevokeBefore, Scope: store.ScopeSubject, ID: "alice", Before: int64(1000 + i), Until: until}
		_, errs[i] = s.PutRevocation(ctx, r, time.Time{}, 0)
	})
	for i, err := range errs {
		noErr(t, err, fmt.Sprint("racer ", i))
	}
	wantStatus(t, s, "raced before rule", store.RevocationQuery{Subject: "alice"}, store.RevocationStatus{SubjectBefore: 1000 + racers - 1})
	if evs := events(t, s, "", 100); len(evs) != racers {
		t.Errorf("RevocationEvents = %d events, want %d", len(evs), racers)
	}
}

// testRevocationClientRecords: a status read can carry client records
// (introspection reads its caller and the token's client with the check):
// existing ones come back as stored, enabled or not; missing ones are
// absent.
func testRevocationClientRecords(t *testing.T, s store.Store) {
	ctx := t.Context()
	web := store.Client{ID: "web", SecretHash: []byte("h"), GrantTypes: []string{"client_credentials"}, TokenRevocation: true}
	off := store.Client{ID: "off", Disabled: true}
	noErr(t, s.CreateClient(ctx, web), "CreateClient web")
	noErr(t, s.CreateClient(ctx, off), "CreateClient off")
	st := status(t, s, store.RevocationQuery{JTI: "j", ClientRecords: []string{"web", "off", "nobody"}})
	if len(st.Clients) != 2 || st.Clients["web"].ID != "web" || string(st.Clients["web"].SecretHash) != "h" ||
		!st.Clients["off"].Disabled || st.JTI {
		t.Fatalf("status with client records: %+v", st)
	}
	only := status(t, s, store.RevocationQuery{ClientRecords: []string{"web"}})
	if len(only.Clients) != 1 {
		t.Fatalf("client records alone: %+v", only)
	}
	if empty := status(t, s, store.RevocationQuery{}); !reflect.DeepEqual(empty, store.RevocationStatus{}) {
		t.Fatalf("empty query: %+v", empty)
	}
}
