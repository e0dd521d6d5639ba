package storetest

import (
	"encoding/json"
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
		{"CreateSameIAMUser", testRaceCreateIAMUser},
		{"CreateSameIAMRole", testRaceCreateIAMRole},
		{"CreateSameAccessKey", testRaceCreateAccessKey},
		{"CreateKeysOfOneUser", testRaceCreateKeysOfOneUser},
		{"PutOrgPolicies", testRacePutOrgPolicies},
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

// oneWinner returns the index of the one racer whose error is nil, failing
// t when none or several are, or when a loser's error is not ErrConflict.
func oneWinner(t *testing.T, errs []error, what string) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("racers %d and %d both created the %s", winner, i, what)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("racer %d: error = %v, want %v", i, err, store.ErrConflict)
		}
	}
	if winner < 0 {
		t.Fatalf("no racer created the %s", what)
	}
	return winner
}

func testRaceCreateIAMUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	errs := make([]error, racers)
	race(func(i int) {
		errs[i] = s.CreateIAMUser(ctx, store.IAMUser{Name: "alice", ID: fmt.Sprint("AIDA-racer-", i)})
	})
	winner := oneWinner(t, errs, "IAM user")
	got, err := s.GetIAMUser(ctx, "alice")
	noErr(t, err, "GetIAMUser")
	if want := fmt.Sprint("AIDA-racer-", winner); got.ID != want {
		t.Errorf("stored IAM user carries id %q, want the winner's %q", got.ID, want)
	}
	list, err := s.ListIAMUsers(ctx)
	noErr(t, err, "ListIAMUsers")
	if len(list) != 1 {
		t.Errorf("ListIAMUsers returned %d users, want 1", len(list))
	}
}

// testRaceCreateIAMRole is two administrators creating one role with
// different trust: exactly one trust policy is stored, the winner's.
func testRaceCreateIAMRole(t *testing.T, s store.Store) {
	ctx := t.Context()
	trust := func(i int) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"racer-%d"}}]}`, i))
	}
	errs := make([]error, racers)
	race(func(i int) {
		errs[i] = s.CreateIAMRole(ctx, store.IAMRole{Name: "deploy", TrustPolicy: trust(i)})
	})
	winner := oneWinner(t, errs, "IAM role")
	got, err := s.GetIAMRole(ctx, "deploy")
	noErr(t, err, "GetIAMRole")
	if want := trust(winner); !jsonEqual(got.TrustPolicy, want) {
		t.Errorf("stored IAM role trusts %s, want the winner's %s", got.TrustPolicy, want)
	}
	list, err := s.ListIAMRoles(ctx)
	noErr(t, err, "ListIAMRoles")
	if len(list) != 1 {
		t.Errorf("ListIAMRoles returned %d roles, want 1", len(list))
	}
}

// testRaceCreateAccessKey is racers creating one key id, each for its own
// user: exactly one succeeds, the key is the winner's, and only the winner
// lists it.
func testRaceCreateAccessKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Now()
	errs := make([]error, racers)
	race(func(i int) {
		errs[i] = s.CreateAccessKey(ctx, store.AccessKey{
			ID:           "AKIAIOSFODNN7EXAMPLE",
			UserName:     fmt.Sprint("user-", i),
			SealedSecret: fmt.Append(nil, "secret-of-racer-", i),
			Active:       true,
			CreatedAt:    now,
		})
	})
	winner := oneWinner(t, errs, "access key")
	got, err := s.GetAccessKey(ctx, "AKIAIOSFODNN7EXAMPLE")
	noErr(t, err, "GetAccessKey")
	wantUser, wantSecret := fmt.Sprint("user-", winner), fmt.Sprint("secret-of-racer-", winner)
	if got.UserName != wantUser || string(got.SealedSecret) != wantSecret {
		t.Errorf("stored access key is %q's with secret %q, want the winner's (%q, %q)",
			got.UserName, got.SealedSecret, wantUser, wantSecret)
	}
	for i := range racers {
		var want []string
		if i == winner {
			want = []string{"AKIAIOSFODNN7EXAMPLE"}
		}
		wantKeyIDs(t, s, fmt.Sprint("user-", i), want...)
	}
}

// testRaceCreateKeysOfOneUser creates distinct keys of one user at once:
// the user lists every one.
func testRaceCreateKeysOfOneUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Now()
	errs := make([]error, racers)
	want := make([]string, racers)
	race(func(i int) {
		want[i] = fmt.Sprintf("AKIA%02d", i)
		errs[i] = s.CreateAccessKey(ctx, store.AccessKey{ID: want[i], UserName: "alice", CreatedAt: now})
	})
	for i, err := range errs {
		noErr(t, err, fmt.Sprint("racer ", i))
	}
	wantKeyIDs(t, s, "alice", want...)
}

// testRacePutOrgPolicies replaces the guardrails from every racer at once:
// the stored list is one racer's whole list, never a mix.
func testRacePutOrgPolicies(t *testing.T, s store.Store) {
	ctx := t.Context()
	errs := make([]error, racers)
	race(func(i int) {
		errs[i] = s.PutOrgPolicies(ctx, orgPolicies(fmt.Sprint("racer-", i), 3))
	})
	for i, err := range errs {
		noErr(t, err, fmt.Sprint("racer ", i))
	}
	got := getOrgPolicies(t, s)
	for i := range racers {
		want := orgPolicies(fmt.Sprint("racer-", i), 3)
		if len(got) == len(want) && jsonEqual(got[0], want[0]) {
			samePolicies(t, fmt.Sprint("GetOrgPolicies after the race, racer ", i, "'s list"), want, got)
			return
		}
	}
	t.Errorf("GetOrgPolicies after the race = %s, no racer's list", showPolicies(got))
}

func testPing(t *testing.T, s store.Store) {
	noErr(t, s.Ping(t.Context()), "Ping")
}
