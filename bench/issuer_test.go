package bench

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/internal/issuertest"
	"github.com/lineage-oss/lineage/store/redistest"
)

// testAdminToken is the admin token of the issuers the tests start.
const testAdminToken = "bench-test-admin-token-0123456789abcdefgh"

// issuer is a running `lineage serve --dev`.
type issuer struct {
	url, adminURL string
}

// startIssuer runs `lineage serve --dev` on free ports with the extra
// environment, waits until /health/ready answers 200, and stops it in
// t.Cleanup.
func startIssuer(t *testing.T, extraEnv ...string) issuer {
	t.Helper()
	public, adminAddr := issuertest.FreeAddr(t), issuertest.FreeAddr(t)
	iss := issuer{url: "http://" + public, adminURL: "http://" + adminAddr}
	env := append([]string{
		"LINEAGE_ISSUER=" + iss.url, "LINEAGE_HTTP_PUBLIC=" + public, "LINEAGE_HTTP_ADMIN=" + adminAddr,
		"LINEAGE_HTTP_ADMIN_TOKEN=" + testAdminToken, "LINEAGE_LOG_LEVEL=warn"}, extraEnv...)
	issuertest.Start(t, env, "serve", "--dev").WaitReady(t, iss.url)
	return iss
}

func (iss issuer) options(scenario string) Options {
	return Options{
		URL: iss.url, AdminURL: iss.adminURL, AdminToken: testAdminToken, Scenario: scenario,
		Concurrency: 8, Duration: 1500 * time.Millisecond, Warmup: 200 * time.Millisecond, Tokens: 500,
	}
}

// assertCleanedUp fails unless the issuer has no client and no user
// lineage bench made.
func (iss issuer) assertCleanedUp(t *testing.T) {
	t.Helper()
	a := newAdmin(iss.adminURL, testAdminToken, "")
	all, err := a.ListClients(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if strings.HasPrefix(c.ID, ClientIDPrefix) {
			t.Errorf("client %s is left behind", c.ID)
		}
	}
	users, err := a.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if strings.HasPrefix(u.Username, ClientIDPrefix) {
			t.Errorf("user %s is left behind", u.Username)
		}
	}
	iamUsers, err := a.ListIAMUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range iamUsers {
		if strings.HasPrefix(u.Name, ClientIDPrefix) {
			t.Errorf("IAM user %s is left behind", u.Name)
		}
	}
	roles, err := a.ListIAMRoles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if strings.HasPrefix(r.Name, ClientIDPrefix) {
			t.Errorf("IAM role %s is left behind", r.Name)
		}
	}
}

// assertIAMRun checks a create-token-with-iam report: every token
// answered right, and the set-up names what it made.
func assertIAMRun(t *testing.T, r Report) {
	t.Helper()
	assertClean(t, r)
	for _, want := range []string{"IAM user " + ClientIDPrefix, "role " + ClientIDPrefix, "application " + ClientIDPrefix} {
		if !strings.Contains(r.Setup.Summary, want) {
			t.Errorf("the summary lacks %q: %q", want, r.Setup.Summary)
		}
	}
}

// assertRefreshRun checks a refresh report: every refresh answered right,
// one lineage per worker and no restart.
func assertRefreshRun(t *testing.T, r Report, workers int) {
	t.Helper()
	assertClean(t, r)
	if r.Concurrency != workers || r.Setup.Pool["lineages"] != workers {
		t.Errorf("%d workers, pool %v; want %d lineages", r.Concurrency, r.Setup.Pool, workers)
	}
	if !strings.Contains(r.Setup.Summary, ClientIDPrefix) {
		t.Errorf("the summary names neither user nor client: %q", r.Setup.Summary)
	}
}

// assertClean fails on any failed request, and unless requests were
// measured with latencies.
func assertClean(t *testing.T, r Report) {
	t.Helper()
	if r.Requests == 0 || r.RequestsPerSecond <= 0 || r.DurationSeconds <= 0 {
		t.Fatalf("nothing measured: %+v", r)
	}
	if r.Failed != 0 || len(r.Errors) != 0 {
		t.Fatalf("%d requests failed: %v %v", r.Failed, r.Errors, r.ErrorSamples)
	}
	if r.Latency.P50 <= 0 || r.Latency.P50 > r.Latency.P90 || r.Latency.P90 > r.Latency.P99 ||
		r.Latency.P99 > r.Latency.P999 || r.Latency.P999 > r.Latency.Max {
		t.Fatalf("latency percentiles out of order: %+v", r.Latency)
	}
	var out bytes.Buffer
	if err := r.Format(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{r.Scenario, "req/s", "p99.9", "GOMAXPROCS"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, out.String())
		}
	}
	t.Logf("\n%s", out.String())
}

func TestAgainstTheBinary(t *testing.T) {

	t.Run("memory store", func(t *testing.T) {
		iss := startIssuer(t)

		t.Run("client-credentials", func(t *testing.T) {
			r, err := Run(context.Background(), iss.options(ScenarioClientCredentials), testWriter{t})
			if err != nil {
				t.Fatal(err)
			}
			assertClean(t, r)
			if r.Redis != nil {
				t.Error("a Redis section without --redis-url")
			}
			iss.assertCleanedUp(t)
		})

		t.Run("introspect", func(t *testing.T) {
			opts := iss.options(ScenarioIntrospect)
			r, err := Run(context.Background(), opts, testWriter{t})
			if err != nil {
				t.Fatal(err)
			}
			assertClean(t, r)
			pool := r.Setup.Pool
			if pool[KindValid] != 400 || pool[KindInactive] != 50 || pool[KindMalformed] != 50 {
				t.Errorf("pool %v, want 400 valid, 50 inactive, 50 malformed", pool)
			}
			var checked int64
			for _, kind := range []string{KindValid, KindInactive, KindMalformed} {
				if r.Checked[kind] == 0 {
					t.Errorf("no %s token answered right: %v", kind, r.Checked)
				}
				checked += r.Checked[kind]
			}
			if checked != r.Requests {
				t.Errorf("%d answers checked of %d requests", checked, r.Requests)
			}
			iss.assertCleanedUp(t)
		})

		t.Run("refresh", func(t *testing.T) {
			opts := iss.options(ScenarioRefresh)
			opts.Concurrency = 4
			r, err := Run(context.Background(), opts, testWriter{t})
			if err != nil {
				t.Fatal(err)
			}
			assertRefreshRun(t, r, 4)
			iss.assertCleanedUp(t)
		})

		t.Run("refresh lineages are the workers'", func(t *testing.T) {
			testRefreshLineages(t, iss)
			iss.assertCleanedUp(t)
		})

		t.Run("create-token-with-iam", func(t *testing.T) {
			r, err := Run(context.Background(), iss.options(ScenarioCreateTokenWithIAM), testWriter{t})
			if err != nil {
				t.Fatal(err)
			}
			assertIAMRun(t, r)
			iss.assertCleanedUp(t)
		})

		t.Run("create-token-with-iam signing for another region", func(t *testing.T) {
			opts := iss.options(ScenarioCreateTokenWithIAM)
			opts.Region = "eu-west-3"
			_, err := Run(context.Background(), opts, testWriter{t})
			if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") || !strings.Contains(err.Error(), "us-east-1") {
				t.Fatalf("error %v, want set-up to fail with the issuer's SignatureDoesNotMatch naming its region", err)
			}
			t.Log(err)
			iss.assertCleanedUp(t)
		})

		t.Run("refresh restarts a lost lineage", func(t *testing.T) {
			testRefreshRestart(t, iss)
			iss.assertCleanedUp(t)
		})

		t.Run("count", func(t *testing.T) {
			opts := iss.options(ScenarioIntrospect)
			opts.Count, opts.Mix = 300, Mix{Inactive: 0.5, Malformed: 0.5}
			r, err := Run(context.Background(), opts, testWriter{t})
			if err != nil {
				t.Fatal(err)
			}
			assertClean(t, r)
			if r.Requests != 300 || r.Checked[KindValid] != 0 {
				t.Errorf("%d requests (%v), want 300 of inactive and malformed tokens", r.Requests, r.Checked)
			}
		})

		t.Run("interrupted", func(t *testing.T) {
			opts := iss.options(ScenarioIntrospect)
			opts.Duration = time.Minute
			ctx, cancel := context.WithCancel(context.Background())
			var progress issuertest.Buffer
			go func() {
				// Interrupt once the measured phase has begun.
				for !strings.Contains(progress.String(), "measuring") {
					time.Sleep(10 * time.Millisecond)
				}
				cancel()
			}()
			start := time.Now()
			_, err := Run(ctx, opts, &progress)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want context.Canceled", err)
			}
			if time.Since(start) > 30*time.Second {
				t.Error("the run did not stop when interrupted")
			}
			iss.assertCleanedUp(t)
		})

		t.Run("wrong admin token", func(t *testing.T) {
			opts := iss.options(ScenarioClientCredentials)
			opts.AdminToken = strings.Repeat("x", 40)
			_, err := Run(context.Background(), opts, nil)
			if err == nil || !strings.Contains(err.Error(), "401") {
				t.Fatalf("error %v, want the admin API's 401", err)
			}
		})
	})

	t.Run("redis store", func(t *testing.T) {
		srv := redistest.Start(t)
		iss := startIssuer(t, "LINEAGE_STORE_REDIS_URL=redis://"+srv.Addr()+"/0")

		t.Run("introspect", func(t *testing.T) {
			opts := iss.options(ScenarioIntrospect)
			opts.RedisURL = "redis://" + srv.Addr() + "/0"
			r, err := Run(context.Background(), opts, testWriter{t})
			if err != nil {
				t.Fatal(err)
			}
			assertClean(t, r)
			if r.Redis == nil {
				t.Fatal("no Redis section with --redis-url")
			}
			// redistest.Start runs --save "" --appendonly no.
			if p := r.Redis.Persistence; p.Mode != "none" || p.AppendOnly != "no" || p.Save != "" || p.AppendFsync == "" {
				t.Errorf("persistence %+v, want none", p)
			}
			// Each introspection authenticates its caller, and a well-signed
			// token's client is read too: at least one GET per request.
			if got := r.Redis.Commands["get"]; got < r.Requests {
				t.Errorf("%d GETs for %d introspections: %v", got, r.Requests, r.Redis.Commands)
			}
			if _, ok := r.Redis.Commands["info"]; ok {
				t.Errorf("the bench's own INFO is counted: %v", r.Redis.Commands)
			}
			iss.assertCleanedUp(t)
		})

		t.Run("refresh", func(t *testing.T) {
			opts := iss.options(ScenarioRefresh)
			opts.Concurrency = 4
			opts.RedisURL = "redis://" + srv.Addr() + "/0"
			r, err := Run(context.Background(), opts, testWriter{t})
			if err != nil {
				t.Fatal(err)
			}
			assertRefreshRun(t, r, 4)
			if r.Redis == nil {
				t.Fatal("no Redis section with --redis-url")
			}
			// Every refresh rotates in the store: the next token is written
			// (HSET, in a script or not) each time.
			if got := r.Redis.Commands["hset"]; got < r.Requests {
				t.Errorf("%d HSETs for %d refreshes: %v", got, r.Requests, r.Redis.Commands)
			}
			iss.assertCleanedUp(t)
		})

		t.Run("refresh lineages are the workers'", func(t *testing.T) {
			testRefreshLineages(t, iss)
			iss.assertCleanedUp(t)
		})

		t.Run("create-token-with-iam", func(t *testing.T) {
			opts := iss.options(ScenarioCreateTokenWithIAM)
			opts.RedisURL = "redis://" + srv.Addr() + "/0"
			r, err := Run(context.Background(), opts, testWriter{t})
			if err != nil {
				t.Fatal(err)
			}
			assertIAMRun(t, r)
			if r.Redis == nil {
				t.Fatal("no Redis section with --redis-url")
			}
			iss.assertCleanedUp(t)
		})
	})
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
