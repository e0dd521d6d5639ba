package storetest

import (
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

func lockTests() []test {
	return []test{
		{"Exclusive", testLockExclusive},
		{"Expires", testLockExpires},
		{"ReacquireExtends", testLockReacquireExtends},
		{"TTLMustBePositive", testLockTTL},
	}
}

// acquire calls AcquireLock and fails t unless it reports want.
func acquire(t *testing.T, s store.Store, name, owner string, ttl time.Duration, want bool, what string) {
	t.Helper()
	got, err := s.AcquireLock(t.Context(), name, owner, ttl)
	noErr(t, err, what)
	if got != want {
		t.Fatalf("%s: AcquireLock(%q, %q) = %v, want %v", what, name, owner, got, want)
	}
}

func testLockExclusive(t *testing.T, s store.Store) {
	ctx := t.Context()
	const lock = "rotate-keys"
	steps := []struct {
		name    string
		release bool // ReleaseLock instead of AcquireLock
		owner   string
		want    bool
	}{
		{name: "free lock is taken", owner: "a", want: true},
		{name: "other owner is refused", owner: "b", want: false},
		{name: "holder re-acquires", owner: "a", want: true},
		{name: "release by another owner", release: true, owner: "b"},
		{name: "still held after a wrong release", owner: "b", want: false},
		{name: "release by the holder", release: true, owner: "a"},
		{name: "other owner takes the released lock", owner: "b", want: true},
		{name: "old holder is now refused", owner: "a", want: false},
		{name: "release of a lock held by someone else", release: true, owner: "a"},
		{name: "new holder keeps it", owner: "c", want: false},
	}
	for _, st := range steps {
		if st.release {
			noErr(t, s.ReleaseLock(ctx, lock, st.owner), st.name)
			continue
		}
		acquire(t, s, lock, st.owner, time.Hour, st.want, st.name)
	}

	// Names are independent, odd ones included.
	for _, tt := range oddIDs() {
		acquire(t, s, tt.id, "a", time.Hour, true, "lock named "+tt.name)
		acquire(t, s, tt.id, "b", time.Hour, false, "second owner of lock named "+tt.name)
	}
	acquire(t, s, lock, "a", time.Hour, false, "first lock after locking others")
	noErr(t, s.ReleaseLock(ctx, "never-taken", "a"), "ReleaseLock of a lock never taken")
}

func testLockExpires(t *testing.T, s store.Store) {
	const lock = "expiring"
	acquire(t, s, lock, "a", shortTTL, true, "first acquire")
	eventually(t, "lock acquirable by another owner after its ttl", func() bool {
		ok, err := s.AcquireLock(t.Context(), lock, "b", time.Hour)
		noErr(t, err, "AcquireLock")
		return ok
	})
	acquire(t, s, lock, "a", time.Hour, false, "expired holder after the lock moved on")
}

func testLockReacquireExtends(t *testing.T, s store.Store) {
	// Both locks start with shortTTL; only "extended" is re-acquired with a
	// long one. Once "control" has expired, the short ttl has passed.
	acquire(t, s, "control", "a", shortTTL, true, "acquire control")
	acquire(t, s, "extended", "a", shortTTL, true, "acquire extended")
	acquire(t, s, "extended", "a", time.Hour, true, "re-acquire extended")
	eventually(t, "control lock expires", func() bool {
		ok, err := s.AcquireLock(t.Context(), "control", "b", time.Hour)
		noErr(t, err, "AcquireLock")
		return ok
	})
	acquire(t, s, "extended", "b", time.Hour, false, "other owner after the first ttl of an extended lock")
}

func testLockTTL(t *testing.T, s store.Store) {
	tests := []struct {
		name string
		ttl  time.Duration
	}{
		{"zero", 0},
		{"negative", -time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := s.AcquireLock(t.Context(), "lock", "a", tt.ttl)
			if err == nil || ok {
				t.Fatalf("AcquireLock with ttl %v = %v, %v; want an error", tt.ttl, ok, err)
			}
		})
	}
	// The refused calls took nothing.
	acquire(t, s, "lock", "b", time.Hour, true, "acquire after refused calls")
}
