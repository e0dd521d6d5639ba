package memory_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/memory"
	"github.com/lineage-oss/lineage/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := memory.New(memory.Options{})
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// clock is a hand-moved clock for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestInjectedClock checks that locks and nonces expire by Options.Now, not
// by the wall clock: exactly at their expiry and not a nanosecond before.
func TestInjectedClock(t *testing.T) {
	ctx := t.Context()
	clk := &clock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := memory.New(memory.Options{Now: clk.Now})

	if ok, err := s.AcquireLock(ctx, "l", "a", time.Minute); err != nil || !ok {
		t.Fatalf("AcquireLock = %v, %v; want true", ok, err)
	}
	ok, err := s.ClaimNonce(ctx, "n", clk.Now().Add(time.Minute))
	if err != nil || !ok {
		t.Fatalf("ClaimNonce = %v, %v; want true", ok, err)
	}
	// A nonce that expires before the (far future) store clock is already
	// expired, even though the wall clock is earlier still.
	if ok, err := s.ClaimNonce(ctx, "past", clk.Now().Add(-time.Nanosecond)); err != nil || !ok {
		t.Fatalf("ClaimNonce of an expired nonce = %v, %v; want true", ok, err)
	}
	if ok, _ := s.ClaimNonce(ctx, "past", clk.Now().Add(time.Minute)); !ok {
		t.Fatal("an expired nonce was recorded")
	}

	clk.Advance(time.Minute - time.Nanosecond)
	if ok, _ := s.AcquireLock(ctx, "l", "b", time.Minute); ok {
		t.Fatal("lock taken over a nanosecond before its ttl passed")
	}
	if ok, _ := s.ClaimNonce(ctx, "n", clk.Now().Add(time.Minute)); ok {
		t.Fatal("nonce claimed again a nanosecond before it expired")
	}

	clk.Advance(time.Nanosecond)
	if ok, _ := s.AcquireLock(ctx, "l", "b", time.Minute); !ok {
		t.Fatal("lock not free once its ttl passed")
	}
	if ok, _ := s.ClaimNonce(ctx, "n", clk.Now().Add(time.Minute)); !ok {
		t.Fatal("nonce not claimable once it expired")
	}
}

// TestExpiredNoncesAreSwept checks that a long-running store does not keep
// every nonce it ever saw: claiming many short-lived nonces over time keeps
// the live ones only, so a replay inside the window is still refused.
func TestExpiredNoncesAreSwept(t *testing.T) {
	ctx := t.Context()
	clk := &clock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := memory.New(memory.Options{Now: clk.Now})
	for i := range 20_000 {
		key := strconv.Itoa(i)
		if ok, err := s.ClaimNonce(ctx, key, clk.Now().Add(time.Second)); err != nil || !ok {
			t.Fatalf("ClaimNonce %d = %v, %v", i, ok, err)
		}
		if ok, _ := s.ClaimNonce(ctx, key, clk.Now().Add(time.Second)); ok {
			t.Fatalf("replay of nonce %d accepted", i)
		}
		clk.Advance(time.Millisecond)
	}
	if n := s.NonceCount(); n > 4096 {
		t.Errorf("store holds %d nonces, but at most 1000 are live", n)
	}
}

// TestAuditIDsFromClock checks that audit record IDs take their millisecond
// from Options.Now and still strictly increase when that clock stands still
// or goes back, and that a zero Time is the time in the ID.
func TestAuditIDsFromClock(t *testing.T) {
	ctx := t.Context()
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := &clock{now: start}
	s := memory.New(memory.Options{Now: clk.Now})
	ms := strconv.FormatInt(start.UnixMilli(), 10)
	later := strconv.FormatInt(start.Add(time.Second).UnixMilli(), 10)
	steps := []struct {
		name    string
		advance time.Duration
		wantID  string
		// wantTime is the Time of the appended record.
		wantTime time.Time
	}{
		{"first", 0, ms + "-0", start},
		{"clock stands still", 0, ms + "-1", start},
		{"clock stands still again", 0, ms + "-2", start},
		{"clock goes back", -time.Hour, ms + "-3", start},
		{"clock passes the last ID", time.Hour + time.Second, later + "-0", start.Add(time.Second)},
		{"less than a millisecond later", 999 * time.Microsecond, later + "-1", start.Add(time.Second)},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		r, err := s.AppendAudit(ctx, store.AuditRecord{Action: st.name})
		if err != nil {
			t.Fatalf("%s: AppendAudit: %v", st.name, err)
		}
		if r.ID != st.wantID || !r.Time.Equal(st.wantTime) {
			t.Errorf("%s: AppendAudit = ID %s, Time %v; want %s, %v", st.name, r.ID, r.Time, st.wantID, st.wantTime)
		}
	}
	// A Time the caller sets is kept, whatever the clock says.
	at := time.Date(1999, 12, 31, 23, 59, 59, 1, time.UTC)
	r, err := s.AppendAudit(ctx, store.AuditRecord{Action: "dated", Time: at})
	if err != nil || !r.Time.Equal(at) || r.ID != later+"-2" {
		t.Errorf("AppendAudit with a Time = %s, %v, %v; want %s-2, %v", r.ID, r.Time, err, later, at)
	}
}

// TestAuditTrimmed checks that a long-running store keeps a bounded audit
// trail: the newest records (at least as many as store/redis keeps), with
// the oldest dropped.
func TestAuditTrimmed(t *testing.T) {
	const retained = 100_000
	ctx := t.Context()
	s := memory.New(memory.Options{})
	var first, last store.AuditRecord
	for i := range retained + retained/10 + 1 {
		r, err := s.AppendAudit(ctx, store.AuditRecord{Action: "client.update"})
		if err != nil {
			t.Fatalf("AppendAudit %d: %v", i, err)
		}
		if i == 0 {
			first = r
		}
		last = r
	}
	if n := s.AuditCount(); n < retained || n > retained+retained/10 {
		t.Errorf("store holds %d audit records, want between %d and %d", n, retained, retained+retained/10)
	}
	newest, err := s.ListAudit(ctx, 1, "")
	if err != nil || len(newest) != 1 || newest[0].ID != last.ID {
		t.Fatalf("ListAudit(1) = %v, %v; want the last record %s", newest, err, last.ID)
	}
	// Page to the end: the first record is gone.
	before, pages := "", 0
	for {
		rs, err := s.ListAudit(ctx, 0, before)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) == 0 {
			break
		}
		pages++
		before = rs[len(rs)-1].ID
	}
	if before == first.ID {
		t.Errorf("the oldest record %s is still listed after %d pages", first.ID, pages)
	}
}
