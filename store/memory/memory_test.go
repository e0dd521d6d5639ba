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
