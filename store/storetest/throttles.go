package storetest

import (
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

func throttleTests() []test {
	return []test{
		{"Counts", testThrottleCounts},
		{"WindowExpires", testThrottleWindowExpires},
		{"HitsDoNotExtendWindow", testThrottleWindowFixed},
		{"Reset", testThrottleReset},
		{"WindowMustBePositive", testThrottleWindow},
		{"OddKeys", testThrottleOddKeys},
	}
}

// hit calls HitThrottle and fails t unless it returns want.
func hit(t *testing.T, s store.Store, key string, window time.Duration, want int64, what string) {
	t.Helper()
	got, err := s.HitThrottle(t.Context(), key, window)
	noErr(t, err, what)
	if got != want {
		t.Fatalf("%s: HitThrottle(%q) = %d, want %d", what, key, got, want)
	}
}

// wantCount fails t unless ThrottleCount(key) is want.
func wantCount(t *testing.T, s store.Store, key string, want int64, what string) {
	t.Helper()
	got, err := s.ThrottleCount(t.Context(), key)
	noErr(t, err, what)
	if got != want {
		t.Fatalf("%s: ThrottleCount(%q) = %d, want %d", what, key, got, want)
	}
}

// throttleCount returns ThrottleCount(key), failing t on an error.
func throttleCount(t *testing.T, s store.Store, key string) int64 {
	t.Helper()
	n, err := s.ThrottleCount(t.Context(), key)
	noErr(t, err, "ThrottleCount")
	return n
}

func testThrottleCounts(t *testing.T, s store.Store) {
	const user, ip = "user:alice", "ip:192.0.2.1"
	steps := []struct {
		name string
		key  string
		want int64
	}{
		{"first failure", user, 1},
		{"second failure", user, 2},
		{"another key starts at one", ip, 1},
		{"third failure", user, 3},
		{"the other key counts on", ip, 2},
	}
	for _, st := range steps {
		hit(t, s, st.key, longLife, st.want, st.name)
		wantCount(t, s, st.key, st.want, st.name)
	}
	wantCount(t, s, "user:bob", 0, "a key never hit")
	wantCount(t, s, "user:Alice", 0, "a key with another case")
}

func testThrottleWindowExpires(t *testing.T, s store.Store) {
	hit(t, s, "short", shortTTL, 1, "first hit")
	hit(t, s, "short", shortTTL, 2, "second hit")
	hit(t, s, "long", longLife, 1, "hit of a key with a long window")
	eventually(t, "throttle window ends", func() bool { return throttleCount(t, s, "short") == 0 })
	// A new window starts at one.
	hit(t, s, "short", longLife, 1, "first hit of the next window")
	wantCount(t, s, "long", 1, "the key with a long window")
}

// testThrottleWindowFixed checks that the window runs from the first hit:
// hits with a longer window do not extend it, so a client that keeps
// failing is let in again once the window has passed, as it would be with
// a fixed window.
func testThrottleWindowFixed(t *testing.T, s store.Store) {
	hit(t, s, "key", shortTTL, 1, "first hit")
	hit(t, s, "key", longLife, 2, "hit with a longer window")
	eventually(t, "throttle window ends", func() bool { return throttleCount(t, s, "key") == 0 })
}

func testThrottleReset(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i := range 3 {
		hit(t, s, "user:alice", longLife, int64(i+1), "hit")
	}
	hit(t, s, "user:bob", longLife, 1, "hit of another key")
	noErr(t, s.ResetThrottle(ctx, "user:alice"), "ResetThrottle")
	wantCount(t, s, "user:alice", 0, "after a reset")
	wantCount(t, s, "user:bob", 1, "another key after a reset")
	hit(t, s, "user:alice", longLife, 1, "hit after a reset")
	noErr(t, s.ResetThrottle(ctx, "never-hit"), "ResetThrottle of a key never hit")
	wantCount(t, s, "never-hit", 0, "a key reset but never hit")
}

func testThrottleWindow(t *testing.T, s store.Store) {
	tests := []struct {
		name   string
		window time.Duration
	}{
		{"zero", 0},
		{"negative", -time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := s.HitThrottle(t.Context(), "key", tt.window)
			wantInvalid(t, err, "HitThrottle")
			if n != 0 {
				t.Errorf("refused HitThrottle returned count %d", n)
			}
		})
	}
	// The refused calls counted nothing.
	wantCount(t, s, "key", 0, "after refused hits")
	hit(t, s, "key", longLife, 1, "hit after refused ones")
}

func testThrottleOddKeys(t *testing.T, s store.Store) {
	for _, tt := range oddIDs() {
		hit(t, s, tt.id, longLife, 1, "first hit of "+tt.name)
		hit(t, s, tt.id, longLife, 2, "second hit of "+tt.name)
	}
	for _, tt := range oddIDs() {
		wantCount(t, s, tt.id, 2, tt.name)
		noErr(t, s.ResetThrottle(t.Context(), tt.id), "ResetThrottle "+tt.name)
		wantCount(t, s, tt.id, 0, tt.name+" after a reset")
	}
	// Throttles are apart from other records of the same name.
	noErr(t, s.PutConsent(t.Context(), store.Consent{Username: "web", ClientID: "web"}), "PutConsent")
	wantCount(t, s, "web", 0, "a key named as a consent")
}
