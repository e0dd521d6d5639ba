package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/lineage-oss/lineage/store/redistest"
)

// introspectStatus asks /introspect about token as rs and returns the
// status and, for a 200, the active flag.
func introspectStatus(iss *testIssuer, token string) (int, bool, error) {
	req, _ := http.NewRequest(http.MethodPost, iss.url+"/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("rs", svcSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	var out struct {
		Active bool `json:"active"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.Active, nil
}

// eventuallyIntrospects waits until introspection answers 200 again (the
// store is back) and returns the active flag.
func eventuallyIntrospects(t *testing.T, iss *testIssuer, token string) bool {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, active, err := introspectStatus(iss, token)
		if err == nil && status == 200 {
			return active
		}
		if time.Now().After(deadline) {
			t.Fatalf("introspection did not recover: %d %v", status, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRevocationSurvivesRedisKill: with appendfsync always, a revocation
// answered 200 survives SIGKILL of Redis right after the answer.
func TestRevocationSurvivesRedisKill(t *testing.T) {
	redis := redistest.Start(t, redistest.WithAppendFsyncAlways())
	iss := startIssuer(t, fmt.Sprintf("{redis_url: %q}", "redis://"+redis.Addr()+"/0"))
	tok := clientCredentialsToken(t, iss, "svc")
	kept := clientCredentialsToken(t, iss, "svc")
	wantActive(t, iss, "rs", svcSecret, tok, true)
	if status, body := revoke(t, iss, "svc", svcSecret, tok); status != 200 {
		t.Fatalf("revoke: %d %s", status, body)
	}
	redis.Kill()
	redis.Restart(t)
	if eventuallyIntrospects(t, iss, tok) {
		t.Fatal("a revoked token is active after Redis was killed and restarted")
	}
	if !eventuallyIntrospects(t, iss, kept) {
		t.Fatal("an unrevoked token is inactive after the restart")
	}
}

// TestFailClosedWhileRedisIsDown: introspection under load while Redis is
// stopped never answers active:true — not for a revoked token, and not for
// any token it could not check — and recovers without a restart.
func TestFailClosedWhileRedisIsDown(t *testing.T) {
	redis := redistest.Start(t, redistest.WithAppendFsyncAlways())
	iss := startIssuer(t, fmt.Sprintf("{redis_url: %q}", "redis://"+redis.Addr()+"/0"))
	valid := clientCredentialsToken(t, iss, "svc")
	revoked := clientCredentialsToken(t, iss, "svc")
	if status, _ := revoke(t, iss, "svc", svcSecret, revoked); status != 200 {
		t.Fatal("revoke failed")
	}

	type answer struct {
		start, end time.Time
		token      string
		status     int
		active     bool
	}
	var (
		mu      sync.Mutex
		answers []answer
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := []string{valid, revoked}[i%2]
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				status, active, err := introspectStatus(iss, tok)
				if err != nil {
					continue
				}
				mu.Lock()
				answers = append(answers, answer{start, time.Now(), tok, status, active})
				mu.Unlock()
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	redis.Kill()
	down := time.Now()
	time.Sleep(3 * time.Second) // long enough for requests to fail fast and end within it
	up := time.Now()
	redis.Restart(t)
	if !eventuallyIntrospects(t, iss, valid) {
		t.Fatal("a valid token is inactive after Redis came back")
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()

	var during, unavailable, afterActive int
	for _, a := range answers {
		if a.token == revoked && a.active {
			t.Fatalf("a revoked token answered active:true (%d)", a.status)
		}
		if a.start.After(down) && a.end.Before(up) {
			during++
			if a.active {
				t.Fatalf("active:true while Redis was down: %d", a.status)
			}
			if a.status == http.StatusServiceUnavailable {
				unavailable++
			}
		}
		if a.start.After(up) && a.token == valid && a.active {
			afterActive++
		}
	}
	t.Logf("%d answers: %d while Redis was down (%d of them 503), %d active after it came back", len(answers), during, unavailable, afterActive)
	if during == 0 || unavailable == 0 || afterActive == 0 {
		t.Fatalf("the run did not exercise the outage: %d during, %d 503, %d after", during, unavailable, afterActive)
	}
	// The failed checks show in the metrics.
	if got := metric(scrape(t, iss), "lineage_revocation_checks_total", "result", "store_error"); got < 1 {
		t.Fatalf("lineage_revocation_checks_total{result=store_error} = %v after the outage", got)
	}
}

// TestTwoInstancesShareRevocations: two issuer processes on one Redis;
// revoking through A makes a token inactive through B, and so does
// disabling its client through A — and a process killed with SIGKILL right
// after a revocation loses nothing.
func TestTwoInstancesShareRevocations(t *testing.T) {
	redis := redistest.Start(t, redistest.WithAppendFsyncAlways())
	addrA, adminA, addrB, adminB := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	issuer := "http://" + addrA
	config := func(public, admin string) string {
		return writeConfig(t, fmt.Sprintf(`
issuer: %q
http: {public: %q, admin: %q, admin_token: %q}
secrets: {system: %q}
store: {redis_url: "redis://%s/0"}
clients:
  - {id: rs, secret: %q, grant_types: [client_credentials], introspect: true, revocation_events: true}
`, issuer, public, admin, adminToken, systemSecret, redis.Addr(), svcSecret))
	}
	a := startBinary(t, nil, "serve", "--config", config(addrA, adminA))
	a.WaitReady(t, issuer)
	b := startBinary(t, nil, "serve", "--config", config(addrB, adminB))
	b.WaitReady(t, "http://"+addrB)
	instA, instB := &testIssuer{url: issuer, admin: "http://" + adminA}, &testIssuer{url: "http://" + addrB, admin: "http://" + adminB}

	var created struct {
		Secret string `json:"secret"`
	}
	code, out := binaryCLI(t, instA.admin, "clients", "create", "--id", "billing", "--scope", "read", "--json")
	if code != 0 || json.Unmarshal([]byte(out), &created) != nil {
		t.Fatalf("clients create: exit %d\n%s", code, out)
	}
	billing := clientcredentials.Config{ClientID: "billing", ClientSecret: created.Secret, TokenURL: issuer + "/token"}
	token := func() string {
		tok, err := billing.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	first, second := token(), token()
	wantActive(t, instB, "rs", svcSecret, first, true)
	if status, body := revoke(t, instA, "billing", created.Secret, first); status != 200 {
		t.Fatalf("revoke through A: %d %s", status, body)
	}
	// SIGKILL of the instance that answered loses nothing: the entry is
	// in Redis before the 200.
	if err := a.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wantActive(t, instB, "rs", svcSecret, first, false)
	wantActive(t, instB, "rs", svcSecret, second, true)

	a = startBinary(t, nil, "serve", "--config", config(addrA, adminA))
	a.WaitReady(t, issuer)
	if code, out := binaryCLI(t, instA.admin, "clients", "disable", "billing"); code != 0 {
		t.Fatalf("disable through A: exit %d\n%s", code, out)
	}
	wantActive(t, instB, "rs", svcSecret, second, false)
	if code, out := binaryCLI(t, instB.admin, "revoke", "list", "--json"); code != 0 || !strings.Contains(out, `"scope": "client"`) {
		t.Fatalf("revoke list through B: exit %d\n%s", code, out)
	}
}

// commandCalls returns Redis's per-command call counts (INFO commandstats).
func commandCalls(t *testing.T, redis *redistest.Server) map[string]int {
	t.Helper()
	info, err := redis.Client(t).Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(strings.SplitN(rest, ",", 2)[0])
		calls[strings.TrimPrefix(name, "cmdstat_")] = n
	}
	return calls
}

// TestCheckCostIndependentOfLineageSize: introspecting a token of a
// lineage of one refresh token and of a lineage of 10,000 costs the same
// Redis commands: a check reads a fixed handful of keys, never the
// lineage.
func TestCheckCostIndependentOfLineageSize(t *testing.T) {
	redis := redistest.Start(t)
	iss := startIssuer(t, fmt.Sprintf("{redis_url: %q}", "redis://"+redis.Addr()+"/0"))
	small := authorizeAndRefresh(t, iss, 0)
	big := authorizeAndRefresh(t, iss, 0)

	// Grow the big lineage to 10,000 refresh tokens: rotations straight
	// through the store, as the refresh grant makes them.
	ctx := context.Background()
	st := iss.app.store
	origin, _, _ := strings.Cut(big.refresh, ".")
	cur, err := st.GetRefreshToken(ctx, origin, sha256Hex(big.refresh))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 10000; i++ {
		token := fmt.Sprintf("%s.%043d", origin, i)
		next := cur
		next.Hash, next.IssuedAt, next.RotatedAt = sha256Hex(token), iss.clock.now(), time.Time{}
		if _, err := st.RotateRefreshToken(ctx, origin, cur.Hash, iss.clock.now(), next); err != nil {
			t.Fatalf("rotation %d: %v", i, err)
		}
		cur, big.refresh = next, token
	}

	// cost introspects token as client id and returns the Redis commands
	// it took.
	cost := func(id, token string) map[string]int {
		before := commandCalls(t, redis)
		wantActive(t, iss, id, svcSecret, token, true)
		after := commandCalls(t, redis)
		delta := map[string]int{}
		for k, v := range after {
			if d := v - before[k]; d > 0 && k != "info" && k != "hello" { // this test's own connection
				delta[k] = d
			}
		}
		return delta
	}
	for _, tt := range []struct {
		name      string
		one, many map[string]int
	}{
		{"access token", cost("rs", small.access[0]), cost("rs", big.access[0])},
		{"refresh token", cost("web", small.refresh), cost("web", big.refresh)},
	} {
		if fmt.Sprint(tt.one) != fmt.Sprint(tt.many) || len(tt.one) == 0 {
			t.Fatalf("%s: commands for a lineage of 1: %v; of 10,000: %v", tt.name, tt.one, tt.many)
		}
		t.Logf("%s: Redis commands per introspection, lineage of 1 and of 10,000: %v", tt.name, tt.one)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
