package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
		{"ConsumeSameCode", testRaceConsumeCode},
		{"RotateSameRefreshToken", testRaceRotateRefreshToken},
		{"RotateTwoFamilies", testRaceRotateTwoFamilies},
		{"RotateDistinctFamilies", testRaceRotateDistinctFamilies},
		{"HitSameThrottle", testRaceHitThrottle},
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

// testRaceConsumeCode is a code presented twice at once (dex's
// double-spent code): exactly one racer gets it, and every other is told
// the code was used, with the code's record.
func testRaceConsumeCode(t *testing.T, s store.Store) {
	ctx := t.Context()
	code := fullCode("code", time.Now().Add(longLife))
	noErr(t, s.CreateAuthorizationCode(ctx, code), "CreateAuthorizationCode")
	got := make([]store.AuthorizationCode, racers)
	errs := make([]error, racers)
	race(func(i int) {
		got[i], errs[i] = s.ConsumeAuthorizationCode(ctx, code.Hash)
	})
	oneWinner(t, errs, "use of the code")
	for i := range racers {
		sameRecord(t, fmt.Sprint("code returned to racer ", i), code, got[i])
	}
}

// rotation is what racers passed to RotateRefreshToken, each its own next
// token (nexts[i]) at its own time (at(i)), and what each got back.
type rotation struct {
	at    func(i int) time.Time
	nexts []store.RefreshToken
	got   []store.RefreshToken
	errs  []error
}

// newRotation returns a rotation for racers at at, racer i rotating into
// next(i).
func newRotation(at func(i int) time.Time, next func(i int) store.RefreshToken) *rotation {
	r := &rotation{at: at, got: make([]store.RefreshToken, racers), errs: make([]error, racers)}
	for i := range racers {
		r.nexts = append(r.nexts, next(i))
	}
	return r
}

// next is racer i's next token.
func (r *rotation) next(i int) store.RefreshToken { return r.nexts[i] }

// run is racer i rotating the family's token oldHash.
func (r *rotation) run(t *testing.T, s store.Store, i int, originJTI, oldHash string) {
	r.got[i], r.errs[i] = s.RotateRefreshToken(t.Context(), originJTI, oldHash, r.at(i), r.nexts[i])
}

// check fails t unless exactly one of the racers ids rotated old and every
// other was refused as reuse, with the old token rotated at the winner's
// time; and unless exactly one of their next tokens, the winner's, exists.
// It returns the winner.
func (r *rotation) check(t *testing.T, s store.Store, old store.RefreshToken, ids []int) int {
	t.Helper()
	family := "family " + old.OriginJTI + ": "
	winner := -1
	for _, i := range ids {
		switch err := r.errs[i]; {
		case err == nil && winner >= 0:
			t.Errorf("%sracers %d and %d both rotated the token", family, winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("%sracer %d: error = %v, want %v", family, i, err, store.ErrConflict)
		}
	}
	if winner < 0 {
		t.Fatalf("%sno racer rotated the token", family)
	}
	want := rotated(old, r.at(winner))
	for _, i := range ids {
		sameRecord(t, fmt.Sprint(family, "old token returned to racer ", i), want, r.got[i])
	}
	sameRecord(t, family+"old token after the race", want, getRefresh(t, s, old.OriginJTI, old.Hash, "GetRefreshToken"))
	for _, i := range ids {
		n := r.next(i)
		if i == winner {
			sameRecord(t, family+"the winner's next token", n, getRefresh(t, s, n.OriginJTI, n.Hash, "GetRefreshToken"))
			continue
		}
		wantNoRefresh(t, s, n.OriginJTI, n.Hash, fmt.Sprint(family, "next token of loser ", i))
	}
	return winner
}

// raceStart is when racers rotate: racer i at raceStart + i ms.
var raceStart = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

func raceAt(i int) time.Time { return raceStart.Add(time.Duration(i) * time.Millisecond) }

// testRaceRotateRefreshToken is two (here: sixteen) refreshes of one token
// at once: exactly one rotates it, every other is reuse (OAuth 2.0
// Security BCP: the caller revokes the family), and only the winner's next
// token exists.
func testRaceRotateRefreshToken(t *testing.T, s store.Store) {
	const family = "ZmFtaWx5LXJhY2U"
	old := fullRefreshToken(family, "rt", time.Now().Add(longLife))
	noErr(t, s.CreateRefreshToken(t.Context(), old), "CreateRefreshToken")
	r := newRotation(raceAt, func(i int) store.RefreshToken {
		return fullRefreshToken(family, fmt.Sprint("next-of-racer-", i), time.Now().Add(longLife))
	})
	race(func(i int) { r.run(t, s, i, family, old.Hash) })
	all := make([]int, racers)
	for i := range all {
		all[i] = i
	}
	winner := r.check(t, s, old, all)

	// The family goes on from the winner's token.
	next := getRefresh(t, s, family, r.next(winner).Hash, "GetRefreshToken")
	after := fullRefreshToken(family, "after", time.Now().Add(longLife))
	at := raceStart.Add(time.Hour)
	rotate(t, s, next, at, after, rotated(next, at), nil, "rotation of the winner's token")
}

// testRaceRotateTwoFamilies races on the tokens of two families at once,
// half the racers on each: each family has its own winner, and neither
// family's race touches the other's tokens.
func testRaceRotateTwoFamilies(t *testing.T, s store.Store) {
	ctx := t.Context()
	families := [2]string{"family-a", "family-b"}
	var olds [2]store.RefreshToken
	for f, family := range families {
		// The same token hash in both families: still two tokens.
		olds[f] = fullRefreshToken(family, "rt", time.Now().Add(longLife))
		noErr(t, s.CreateRefreshToken(ctx, olds[f]), "CreateRefreshToken")
	}
	r := newRotation(raceAt, func(i int) store.RefreshToken {
		return fullRefreshToken(families[i%2], fmt.Sprint("next-of-racer-", i), time.Now().Add(longLife))
	})
	race(func(i int) { r.run(t, s, i, families[i%2], olds[i%2].Hash) })

	var ids [2][]int
	for i := range racers {
		ids[i%2] = append(ids[i%2], i)
	}
	for f, family := range families {
		r.check(t, s, olds[f], ids[f])
		for _, i := range ids[1-f] {
			wantNoRefresh(t, s, family, r.next(i).Hash, fmt.Sprint(family, " holding racer ", i, "'s token of the other family"))
		}
	}
}

// testRaceRotateDistinctFamilies rotates a family per racer, five times
// each, all at once: every rotation succeeds.
func testRaceRotateDistinctFamilies(t *testing.T, s store.Store) {
	ctx := t.Context()
	const rotations = 5
	family := func(i int) string { return fmt.Sprint("family-", i) }
	token := func(i, n int) store.RefreshToken {
		return fullRefreshToken(family(i), fmt.Sprint("rt-", n), time.Now().Add(longLife))
	}
	for i := range racers {
		noErr(t, s.CreateRefreshToken(ctx, token(i, 0)), "CreateRefreshToken")
	}
	errs := make([]error, racers)
	race(func(i int) {
		for n := range rotations {
			if _, err := s.RotateRefreshToken(ctx, family(i), token(i, n).Hash, time.Now(), token(i, n+1)); err != nil {
				errs[i] = fmt.Errorf("rotation %d: %w", n+1, err)
				return
			}
		}
	})
	for i := range racers {
		noErr(t, errs[i], fmt.Sprint("racer ", i))
		for n := range rotations {
			if got := getRefresh(t, s, family(i), token(i, n).Hash, "GetRefreshToken"); got.RotatedAt.IsZero() {
				t.Errorf("family %d: rt-%d is still current", i, n)
			}
		}
		if got := getRefresh(t, s, family(i), token(i, rotations).Hash, "GetRefreshToken"); !got.RotatedAt.IsZero() {
			t.Errorf("family %d: the newest token reads back rotated at %v", i, got.RotatedAt)
		}
	}
}

// testRaceHitThrottle is failed logins at once: every one counts, each hit
// sees its own count, and none is lost.
func testRaceHitThrottle(t *testing.T, s store.Store) {
	counts := make([]int64, racers)
	errs := make([]error, racers)
	race(func(i int) {
		counts[i], errs[i] = s.HitThrottle(t.Context(), "user:alice", longLife)
	})
	for i := range racers {
		noErr(t, errs[i], fmt.Sprint("racer ", i))
	}
	slices.Sort(counts)
	for i, n := range counts {
		if n != int64(i+1) {
			t.Fatalf("the racers' counts are %v, want 1 to %d, each once", counts, racers)
		}
	}
	wantCount(t, s, "user:alice", racers, "after the race")
}

func testPing(t *testing.T, s store.Store) {
	noErr(t, s.Ping(t.Context()), "Ping")
}
