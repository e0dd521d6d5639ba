package storetest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

func rateLimitTests() []test {
	return []test{
		{"BurstThenRefused", testRateBurst},
		{"RetryAfter", testRateRetryAfter},
		{"RefusedEventsNotCounted", testRateRefusedNotCounted},
		{"Recovers", testRateRecovers},
		{"KeysApart", testRateKeysApart},
		{"OddKeys", testRateOddKeys},
		{"LimitMustBePositive", testRateInvalid},
		{"Concurrent", testRateConcurrent},
	}
}

// hourly allows three events an hour, all at once.
var hourly = store.RateLimit{Rate: 3, Period: time.Hour, Burst: 3}

// allowRate calls AllowRate and fails t unless it decides want.
func allowRate(t *testing.T, s store.Store, key string, l store.RateLimit, want bool, what string) store.RateDecision {
	t.Helper()
	d, err := s.AllowRate(t.Context(), key, l)
	noErr(t, err, what)
	checkDecision(t, "AllowRate", key, d, want, what)
	return d
}

func checkDecision(t *testing.T, call, key string, d store.RateDecision, want bool, what string) {
	t.Helper()
	if d.Allowed != want {
		t.Fatalf("%s: %s(%q) allowed = %v, want %v", what, call, key, d.Allowed, want)
	}
	switch {
	case !d.Allowed && d.Remaining != 0:
		t.Errorf("%s: %s(%q) refused with Remaining %d", what, call, key, d.Remaining)
	case d.Allowed && d.RetryAfter != 0:
		t.Errorf("%s: %s(%q) allowed with RetryAfter %v", what, call, key, d.RetryAfter)
	case !d.Allowed && d.RetryAfter <= 0:
		t.Errorf("%s: %s(%q) refused with RetryAfter %v, want a positive wait", what, call, key, d.RetryAfter)
	}
}

func testRateBurst(t *testing.T, s store.Store) {
	for i := range hourly.Burst {
		d := allowRate(t, s, "client:web", hourly, true, "event "+string(rune('1'+i)))
		if d.Remaining != hourly.Burst-1-i {
			t.Errorf("event %d: Remaining = %d, want %d", i+1, d.Remaining, hourly.Burst-1-i)
		}
	}
	allowRate(t, s, "client:web", hourly, false, "the event after the burst")
}

// testRateRetryAfter checks that a refused event is told when the next
// one fits: with three an hour, one every 20 minutes.
func testRateRetryAfter(t *testing.T, s store.Store) {
	for range hourly.Burst {
		allowRate(t, s, "k", hourly, true, "burst")
	}
	d := allowRate(t, s, "k", hourly, false, "after the burst")
	if d.RetryAfter > 20*time.Minute || d.RetryAfter < 19*time.Minute {
		t.Errorf("RetryAfter = %v, want just under 20m", d.RetryAfter)
	}
}

// testRateRefusedNotCounted checks that refused events do not push the
// next allowed one further away.
func testRateRefusedNotCounted(t *testing.T, s store.Store) {
	l := store.RateLimit{Rate: 10, Period: time.Second, Burst: 1}
	allowRate(t, s, "k", l, true, "first event")
	var first time.Duration
	for i := range 20 {
		d := allowRate(t, s, "k", l, false, "refused event")
		if i == 0 {
			first = d.RetryAfter
		}
		if d.RetryAfter > first {
			t.Fatalf("refused event %d: RetryAfter grew from %v to %v", i, first, d.RetryAfter)
		}
	}
	eventually(t, "an event fits again", func() bool {
		d, err := s.AllowRate(t.Context(), "k", l)
		noErr(t, err, "AllowRate")
		return d.Allowed
	})
}

func testRateRecovers(t *testing.T, s store.Store) {
	l := store.RateLimit{Rate: 10, Period: time.Second, Burst: 2}
	allowRate(t, s, "k", l, true, "first")
	allowRate(t, s, "k", l, true, "second")
	d := allowRate(t, s, "k", l, false, "third")
	if d.RetryAfter > 100*time.Millisecond {
		t.Errorf("RetryAfter = %v, want at most one interval (100ms)", d.RetryAfter)
	}
	eventually(t, "an event fits again", func() bool {
		d, err := s.AllowRate(t.Context(), "k", l)
		noErr(t, err, "AllowRate")
		return d.Allowed
	})
}

func testRateKeysApart(t *testing.T, s store.Store) {
	for range hourly.Burst {
		allowRate(t, s, "ip:192.0.2.1", hourly, true, "burst of one key")
	}
	allowRate(t, s, "ip:192.0.2.1", hourly, false, "after the burst")
	allowRate(t, s, "ip:192.0.2.2", hourly, true, "another key")
	allowRate(t, s, "IP:192.0.2.1", hourly, true, "a key with another case")
	// Rate limits are apart from throttles and other records of that name.
	wantCount(t, s, "ip:192.0.2.1", 0, "a throttle of the same name")
	hit(t, s, "ip:192.0.2.3", longLife, 1, "throttle hit")
	allowRate(t, s, "ip:192.0.2.3", hourly, true, "a key named as a throttle")
}

func testRateOddKeys(t *testing.T, s store.Store) {
	one := store.RateLimit{Rate: 1, Period: time.Hour, Burst: 1}
	for _, tt := range oddIDs() {
		allowRate(t, s, tt.id, one, true, "first event of "+tt.name)
	}
	for _, tt := range oddIDs() {
		allowRate(t, s, tt.id, one, false, "second event of "+tt.name)
	}
}

func testRateInvalid(t *testing.T, s store.Store) {
	tests := []struct {
		name  string
		limit store.RateLimit
	}{
		{"zero", store.RateLimit{}},
		{"zero rate", store.RateLimit{Period: time.Second, Burst: 1}},
		{"negative period", store.RateLimit{Rate: 1, Period: -time.Second, Burst: 1}},
		{"zero burst", store.RateLimit{Rate: 1, Period: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := s.AllowRate(t.Context(), "k", tt.limit)
			wantInvalid(t, err, "AllowRate")
			if d.Allowed {
				t.Error("refused AllowRate reported allowed")
			}
		})
	}
	one := store.RateLimit{Rate: 1, Period: time.Hour, Burst: 1}
	allowRate(t, s, "k", one, true, "an event after refused calls")
}

// testRateConcurrent checks that racing events are counted exactly: of
// many at once, Burst are allowed.
func testRateConcurrent(t *testing.T, s store.Store) {
	l := store.RateLimit{Rate: 5, Period: time.Hour, Burst: 5}
	var allowed atomic.Int32
	race(func(int) {
		d, err := s.AllowRate(t.Context(), "k", l)
		if err != nil {
			t.Errorf("AllowRate: %v", err)
			return
		}
		if d.Allowed {
			allowed.Add(1)
		}
	})
	if got := allowed.Load(); got != int32(l.Burst) {
		t.Errorf("%d of %d racing events allowed, want %d", got, racers, l.Burst)
	}
}
