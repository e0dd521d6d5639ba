package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

// racers is how many goroutines race for one thing.
const racers = 16

func concurrencyTests() []test {
	return []test{
		{"CreateSameClient", testRaceCreateClient},
		{"CreateDistinctClients", testRaceCreateDistinct},
		{"ClaimSameNonce", testRaceClaimNonce},
		{"AcquireSameLock", testRaceAcquireLock},
		{"CreateSameUser", testRaceCreateUser},
		{"AppendAudit", testRaceAppendAudit},
	}
}

// race runs f(i) for i in [0, racers) at once and returns once all have
// returned.
func race(f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}

func testRaceCreateClient(t *testing.T, s store.Store) {
	ctx := t.Context()
	errs := make([]error, racers)
	race(func(i int) {
		errs[i] = s.CreateClient(ctx, store.Client{ID: "web", Scopes: []string{fmt.Sprint("racer-", i)}})
	})

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("racers %d and %d both created the client", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("racer %d: error = %v, want %v", i, err, store.ErrConflict)
		}
	}
	if winner < 0 {
		t.Fatal("no racer created the client")
	}
	got, err := s.GetClient(ctx, "web")
	noErr(t, err, "GetClient")
	if want := fmt.Sprint("racer-", winner); len(got.Scopes) != 1 || got.Scopes[0] != want {
		t.Errorf("stored client carries %q, want the winner's [%s]", got.Scopes, want)
	}
	list, err := s.ListClients(ctx)
	noErr(t, err, "ListClients")
	if len(list) != 1 {
		t.Errorf("ListClients returned %d clients, want 1", len(list))
	}
}

func testRaceCreateDistinct(t *testing.T, s store.Store) {
	ctx := t.Context()
	errs := make([]error, racers)
	race(func(i int) {
		errs[i] = s.CreateClient(ctx, store.Client{ID: fmt.Sprintf("client-%02d", i)})
	})
	for i, err := range errs {
		noErr(t, err, fmt.Sprint("racer ", i))
	}
	list, err := s.ListClients(ctx)
	noErr(t, err, "ListClients")
	if len(list) != racers {
		t.Fatalf("ListClients returned %d clients, want %d", len(list), racers)
	}
	for i, c := range list {
		if want := fmt.Sprintf("client-%02d", i); c.ID != want {
			t.Errorf("ListClients[%d] = %q, want %q", i, c.ID, want)
		}
	}
}

func testRaceClaimNonce(t *testing.T, s store.Store) {
	ctx := t.Context()
	expiresAt := time.Now().Add(time.Hour)
	claimed := make([]bool, racers)
	errs := make([]error, racers)
	race(func(i int) {
		claimed[i], errs[i] = s.ClaimNonce(ctx, "jti", expiresAt)
	})
	wins := 0
	for i := range racers {
		noErr(t, errs[i], fmt.Sprint("racer ", i))
		if claimed[i] {
			wins++
		}
	}
	if wins != 1 {
		t.Errorf("%d racers claimed the same nonce, want exactly 1 (a replayed assertion accepted)", wins)
	}
}

func testRaceAcquireLock(t *testing.T, s store.Store) {
	ctx := t.Context()
	held := make([]bool, racers)
	errs := make([]error, racers)
	race(func(i int) {
		held[i], errs[i] = s.AcquireLock(ctx, "rotate-keys", fmt.Sprint("instance-", i), time.Hour)
	})
	winner := -1
	for i := range racers {
		noErr(t, errs[i], fmt.Sprint("racer ", i))
		if !held[i] {
			continue
		}
		if winner >= 0 {
			t.Errorf("racers %d and %d both hold the lock", winner, i)
		}
		winner = i
	}
	if winner < 0 {
		t.Fatal("no racer acquired the lock")
	}
	// The lock is the winner's: it may re-acquire, the others may not.
	for i := range racers {
		acquire(t, s, "rotate-keys", fmt.Sprint("instance-", i), time.Hour, i == winner,
			fmt.Sprint("re-acquire by racer ", i))
	}
}

// testRaceCreateUser is two sign-ups racing for one username: exactly one
// gets it, and the stored password hash is the winner's.
func testRaceCreateUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	errs := make([]error, racers)
	race(func(i int) {
		errs[i] = s.CreateUser(ctx, store.User{Username: "alice", PasswordHash: fmt.Sprint("hash-of-racer-", i)})
	})

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("racers %d and %d both created the user", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("racer %d: error = %v, want %v", i, err, store.ErrConflict)
		}
	}
	if winner < 0 {
		t.Fatal("no racer created the user")
	}
	got, err := s.GetUser(ctx, "alice")
	noErr(t, err, "GetUser")
	if want := fmt.Sprint("hash-of-racer-", winner); got.PasswordHash != want {
		t.Errorf("stored user carries password hash %q, want the winner's %q", got.PasswordHash, want)
	}
	list, err := s.ListUsers(ctx)
	noErr(t, err, "ListUsers")
	if len(list) != 1 {
		t.Errorf("ListUsers returned %d users, want 1", len(list))
	}
}

// testRaceAppendAudit appends from every racer at once: each record gets
// its own ID, and the trail lists them all, newest first.
func testRaceAppendAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	appended := make([]store.AuditRecord, racers)
	errs := make([]error, racers)
	race(func(i int) {
		appended[i], errs[i] = s.AppendAudit(ctx, store.AuditRecord{
			Actor:  fmt.Sprint("racer-", i),
			Action: "client.update",
			Target: "client/web",
		})
	})
	byID := make(map[string]store.AuditRecord, racers)
	for i := range racers {
		noErr(t, errs[i], fmt.Sprint("racer ", i))
		if prev, ok := byID[appended[i].ID]; ok {
			t.Errorf("racers %s and %s both got ID %s", prev.Actor, appended[i].Actor, appended[i].ID)
		}
		byID[appended[i].ID] = appended[i]
	}

	list := listAudit(t, s, 0, "")
	if len(list) != racers {
		t.Fatalf("ListAudit returned %d records, want %d", len(list), racers)
	}
	for i, r := range list {
		want, ok := byID[r.ID]
		if !ok {
			t.Errorf("ListAudit[%d] has ID %s, which no racer was given", i, r.ID)
			continue
		}
		sameRecord(t, "ListAudit["+r.ID+"]", want, r)
		if i > 0 && !parseAuditID(t, list[i-1].ID).after(parseAuditID(t, r.ID)) {
			t.Errorf("ListAudit[%d] = %s does not follow %s: not newest first", i, r.ID, list[i-1].ID)
		}
	}
}

func testPing(t *testing.T, s store.Store) {
	noErr(t, s.Ping(t.Context()), "Ping")
}
