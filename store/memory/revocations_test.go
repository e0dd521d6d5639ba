package memory_test

import (
	"errors"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/memory"
)

// TestRevocationsByInjectedClock checks that entries expire by Options.Now
// exactly at their Until, that an Until not after that clock is refused,
// and that event IDs take their millisecond from it and still increase
// when it stands still or goes back.
func TestRevocationsByInjectedClock(t *testing.T) {
	ctx := t.Context()
	clk := &clock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := memory.New(memory.Options{Now: clk.Now})
	until := clk.Now().Add(time.Minute).Unix()
	put := func(r store.Revocation) string {
		t.Helper()
		id, err := s.PutRevocation(ctx, r, time.Time{}, 0)
		if err != nil {
			t.Fatalf("PutRevocation(%+v): %v", r, err)
		}
		return id
	}

	// The wall clock is long before the store's: an Until between the two
	// has passed.
	if _, err := s.PutRevocation(ctx, store.Revocation{Kind: store.RevokeJTI, ID: "j", Until: time.Now().Add(time.Hour).Unix()}, time.Time{}, 0); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("PutRevocation with an Until before the store's clock = %v, want ErrInvalid", err)
	}
	ms := clk.Now().UnixMilli()
	ids := []string{
		put(store.Revocation{Kind: store.RevokeJTI, ID: "j", Until: until}),
		put(store.Revocation{Kind: store.RevokeBefore, Scope: store.ScopeSubject, ID: "alice", Before: 100, Until: until}),
	}
	clk.Advance(-time.Hour)
	ids = append(ids, put(store.Revocation{Kind: store.RevokeOrigin, ID: "o", Until: until}))
	if want := []string{fmtID(ms, 0), fmtID(ms, 1), fmtID(ms, 2)}; !slices.Equal(ids, want) {
		t.Errorf("event IDs = %q, want %q", ids, want)
	}

	q := store.RevocationQuery{JTI: "j", OriginJTI: "o", Subject: "alice"}
	all := store.RevocationStatus{JTI: true, OriginJTI: true, SubjectBefore: 100}
	clk.Advance(time.Hour + time.Minute - time.Nanosecond)
	if st, _ := s.RevocationStatus(ctx, q); !reflect.DeepEqual(st, all) {
		t.Errorf("RevocationStatus a nanosecond before Until = %+v, want %+v", st, all)
	}
	clk.Advance(time.Nanosecond)
	if st, _ := s.RevocationStatus(ctx, q); !reflect.DeepEqual(st, store.RevocationStatus{}) {
		t.Errorf("RevocationStatus at Until = %+v, want none", st)
	}
}

// fmtID formats a stream ID.
func fmtID(ms int64, seq int) string { return strconv.FormatInt(ms, 10) + "-" + strconv.Itoa(seq) }
