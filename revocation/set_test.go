package revocation_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/revocation"
	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/memory"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newSet(t *testing.T) (*revocation.Set, *clock) {
	t.Helper()
	clk := &clock{t: time.Now()}
	st := memory.New(memory.Options{Now: clk.now})
	set, err := revocation.New(st, revocation.Options{Horizon: time.Hour, Leeway: 30 * time.Second, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return set, clk
}

func TestRevokedCoversTheRightTokens(t *testing.T) {
	set, clk := newSet(t)
	ctx := context.Background()
	issued := clk.now().Add(-time.Minute)
	tok := func(mod func(*revocation.Token)) revocation.Token {
		t := revocation.Token{JTI: "j1", OriginJTI: "o1", Subject: "zoe", ClientID: "web", Principals: []string{"arn:aws:iam::1:user/x"}, IssuedAt: issued}
		if mod != nil {
			mod(&t)
		}
		return t
	}
	check := func(name string, tk revocation.Token, want bool) {
		t.Helper()
		got, err := set.Revoked(ctx, tk)
		if err != nil || got != want {
			t.Fatalf("%s: Revoked = %v, %v; want %v", name, got, err, want)
		}
	}
	check("nothing revoked", tok(nil), false)
	if _, err := set.RevokeToken(ctx, "j1", clk.now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	check("its jti", tok(nil), true)
	check("another jti of the lineage", tok(func(t *revocation.Token) { t.JTI = "j2" }), false)
	if _, err := set.RevokeLineage(ctx, "o1", time.Time{}); err != nil {
		t.Fatal(err)
	}
	check("its lineage", tok(func(t *revocation.Token) { t.JTI = "j2" }), true)
	check("a refresh token of the lineage (no jti)", tok(func(t *revocation.Token) { t.JTI = "" }), true)
	check("another lineage", tok(func(t *revocation.Token) { t.JTI, t.OriginJTI = "j3", "o2" }), false)

	for _, scope := range []string{store.ScopeSubject, store.ScopeClient, store.ScopePrincipal} {
		set, clk := newSet(t)
		id := map[string]string{store.ScopeSubject: "zoe", store.ScopeClient: "web", store.ScopePrincipal: "arn:aws:iam::1:user/x"}[scope]
		at := clk.now()
		if _, err := set.RevokeBefore(ctx, scope, id, at); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name string
			iat  time.Time
			want bool
		}{
			{"issued before T", at.Add(-time.Hour / 2), true},
			{"issued at T (same second)", at, true},
			{"issued after T", at.Add(2 * time.Second), false},
		} {
			got, err := set.Revoked(ctx, revocation.Token{JTI: "j4", OriginJTI: "o4", Subject: "zoe", ClientID: "web", Principals: []string{"arn:aws:iam::1:user/x"}, IssuedAt: tt.iat})
			if err != nil || got != tt.want {
				t.Fatalf("%s rule, token %s: %v %v, want %v", scope, tt.name, got, err, tt.want)
			}
		}
	}
}

// TestPrincipalRulesCoverTheSession: a principal's rule covers a token by
// the issue time of the credential that minted it (iam_session_iat), so a
// token minted after T with a session from before T is revoked; any of the
// token's principals (the session's role, the one that assumed it) counts;
// subject and client rules still go by the token's iat.
func TestPrincipalRulesCoverTheSession(t *testing.T) {
	set, clk := newSet(t)
	ctx := context.Background()
	at := clk.now()
	if _, err := set.RevokeBefore(ctx, store.ScopePrincipal, "arn:aws:iam::1:user/ci", at); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name       string
		principals []string
		session    time.Time
		iat        time.Time
		want       bool
	}{
		{"token after T, session before T", []string{"arn:aws:iam::1:role/App", "arn:aws:iam::1:user/ci"}, at.Add(-time.Minute), at.Add(time.Hour), true},
		{"token before T, session after T", []string{"arn:aws:iam::1:role/App", "arn:aws:iam::1:user/ci"}, at.Add(2 * time.Second), at.Add(-time.Hour), false},
		{"another principal", []string{"arn:aws:iam::1:role/App", "arn:aws:iam::1:user/other"}, at.Add(-time.Minute), at.Add(-time.Minute), false},
		{"no session time: the token's iat", []string{"arn:aws:iam::1:user/ci"}, time.Time{}, at, true},
	} {
		got, err := set.Revoked(ctx, revocation.Token{JTI: "j", OriginJTI: "o", Principals: tt.principals, SessionIssuedAt: tt.session, IssuedAt: tt.iat})
		if err != nil || got != tt.want {
			t.Fatalf("%s: %v %v, want %v", tt.name, got, err, tt.want)
		}
	}
}

func TestRevokeBeforeRefusesTheFutureAndUnknownScopes(t *testing.T) {
	set, clk := newSet(t)
	ctx := context.Background()
	if _, err := set.RevokeBefore(ctx, store.ScopeSubject, "zoe", clk.now().Add(time.Minute)); !errors.Is(err, revocation.ErrInvalid) {
		t.Fatalf("future T: %v", err)
	}
	if _, err := set.RevokeBefore(ctx, "galaxy", "zoe", time.Time{}); !errors.Is(err, revocation.ErrInvalid) {
		t.Fatalf("unknown scope: %v", err)
	}
	ev, err := set.RevokeBefore(ctx, store.ScopeSubject, "zoe", time.Time{})
	if err != nil || ev.Before != clk.now().Unix() || ev.Until <= ev.Before {
		t.Fatalf("default T: %+v %v", ev, err)
	}
}

func TestEntriesExpireWithTheLastTokenTheyAffect(t *testing.T) {
	set, clk := newSet(t)
	ctx := context.Background()
	if _, err := set.RevokeToken(ctx, "j1", clk.now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := set.RevokeBefore(ctx, store.ScopeSubject, "zoe", time.Time{}); err != nil {
		t.Fatal(err)
	}
	tk := revocation.Token{JTI: "j1", Subject: "zoe", IssuedAt: clk.now()}
	clk.add(time.Minute + 31*time.Second + time.Second) // the token is dead past leeway
	if revoked, _ := set.Revoked(ctx, revocation.Token{JTI: "j1", IssuedAt: clk.now().Add(time.Hour)}); revoked {
		t.Fatal("the jti entry outlived its token plus leeway")
	}
	if revoked, _ := set.Revoked(ctx, tk); !revoked {
		t.Fatal("the before rule ended before the horizon")
	}
	clk.add(time.Hour)
	snap, err := set.Snapshot(ctx)
	if err != nil || len(snap.Revocations) != 0 {
		t.Fatalf("snapshot after every entry expired: %v %v", snap, err)
	}
}

func TestSnapshotMergesAndResumes(t *testing.T) {
	set, clk := newSet(t)
	ctx := context.Background()
	first := clk.now()
	_, _ = set.RevokeBefore(ctx, store.ScopeClient, "web", first)
	clk.add(10 * time.Second)
	_, _ = set.RevokeLineage(ctx, "o1", time.Time{})
	last, err := set.RevokeBefore(ctx, store.ScopeClient, "web", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := set.Snapshot(ctx)
	entries, lastID := snap.Revocations, snap.LastEventID
	if err != nil || len(entries) != 2 || lastID != last.ID {
		t.Fatalf("snapshot: %+v %q %v", entries, lastID, err)
	}
	if entries[0].Kind != store.RevokeBefore || entries[0].Before != clk.now().Unix() {
		t.Fatalf("the client rule should carry the later T: %+v", entries[0])
	}
	evs, err := set.Events(ctx, lastID, 10, 0)
	if err != nil || len(evs) != 0 {
		t.Fatalf("events after the snapshot's id: %v %v", evs, err)
	}
}

func TestHubWakesSubscribersAndCapsStreams(t *testing.T) {
	set, _ := newSet(t)
	hub := revocation.NewHub(set, 2, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go hub.Run(ctx)

	r1, ok1 := hub.Subscribe("rs")
	_, ok2 := hub.Subscribe("rs")
	_, ok3 := hub.Subscribe("rs")
	if !ok1 || !ok2 || ok3 {
		t.Fatalf("cap of 2: %v %v %v", ok1, ok2, ok3)
	}
	if _, ok := hub.Subscribe("other"); !ok {
		t.Fatal("the cap is per client")
	}
	r1()
	r1() // a second release changes nothing
	if _, ok := hub.Subscribe("rs"); !ok {
		t.Fatal("a released stream frees its place")
	}
	if _, ok := hub.Subscribe("rs"); ok {
		t.Fatal("a double release freed two places")
	}

	deadline := time.After(10 * time.Second)
	for {
		changed := hub.Changed()
		if _, err := set.RevokeLineage(ctx, "o1", time.Time{}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-changed:
			return
		case <-time.After(200 * time.Millisecond):
			// The hub may not have started tailing yet: revoke again.
		case <-deadline:
			t.Fatal("the hub never woke its subscribers")
		}
	}
}

func TestPoliciesChangedAdvancesTheGeneration(t *testing.T) {
	set, _ := newSet(t)
	ctx := context.Background()
	tok := revocation.Token{JTI: "j", OriginJTI: "o", PolicyAccount: "111122223333"}
	for want := int64(0); want < 3; want++ {
		c, err := set.Check(ctx, tok, nil)
		if err != nil || c.PolicyGeneration != want || c.Revoked {
			t.Fatalf("generation %d: %+v %v", want, c, err)
		}
		ev, err := set.PoliciesChanged(ctx, "111122223333")
		if err != nil || ev.Kind != store.RevokePolicy || ev.Scope != store.ScopeAccount || ev.Revocation.ID != "111122223333" || ev.ID == "" {
			t.Fatalf("PoliciesChanged: %+v %v", ev, err)
		}
	}
	if c, _ := set.Check(ctx, revocation.Token{JTI: "j", PolicyAccount: "444455556666"}, nil); c.PolicyGeneration != 0 {
		t.Fatalf("another account's generation %d", c.PolicyGeneration)
	}
}
