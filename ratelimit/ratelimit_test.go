package ratelimit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/ratelimit"
	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/memory"
)

var threeAnHour = store.RateLimit{Rate: 3, Period: time.Hour, Burst: 3}

func limiters(st store.RateLimits, n int) []*ratelimit.Limiter {
	out := make([]*ratelimit.Limiter, n)
	for i := range out {
		out[i] = ratelimit.New(st, ratelimit.Options{
			TokenPerClient: threeAnHour, FailedClientAuth: threeAnHour, FailedClientAuthPerIP: store.RateLimit{Rate: 5, Period: time.Hour, Burst: 5},
			FailedSigV4: threeAnHour,
		})
	}
	return out
}

// exceeded returns err's *ratelimit.Exceeded, failing t if it has none.
func exceeded(t *testing.T, err error, limit, what string) *ratelimit.Exceeded {
	t.Helper()
	var e *ratelimit.Exceeded
	if !errors.As(err, &e) || !errors.Is(err, ratelimit.ErrExceeded) || e.Limit != limit || e.RetryAfter <= 0 {
		t.Fatalf("%s: %v, want an Exceeded of %s with a wait", what, err, limit)
	}
	return e
}

// TestTokenPerClientShared: instances sharing a store allow the limit in
// all, per client.
func TestTokenPerClientShared(t *testing.T) {
	ctx := t.Context()
	ls := limiters(memory.New(memory.Options{}), 2)
	for i := range 3 {
		if err := ls[i%2].Token(ctx, "svc"); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	e := exceeded(t, ls[1].Token(ctx, "svc"), "token_per_client", "fourth request")
	if e.RetryAfter > 20*time.Minute {
		t.Errorf("RetryAfter = %v, want at most one interval (20m)", e.RetryAfter)
	}
	if err := ls[0].Token(ctx, "other"); err != nil {
		t.Fatalf("another client: %v", err)
	}
}

// TestFailuresBoundedAcrossInstances: an attacker spreading guesses over n
// instances gets at most the limit plus n checks before every instance
// refuses the key, and a success of another key is not refused.
func TestFailuresBoundedAcrossInstances(t *testing.T) {
	ctx := t.Context()
	for _, n := range []int{1, 2, 3} {
		ls := limiters(memory.New(memory.Options{}), n)
		checked := 0
		for i := range 20 {
			l := ls[i%n]
			if l.ClientAuth("web", "") != nil {
				continue // refused before the secret is checked
			}
			checked++
			_ = l.ClientAuthFailed(ctx, "web", "")
		}
		if checked > threeAnHour.Burst+n {
			t.Errorf("%d instances: %d guesses checked, want at most %d", n, checked, threeAnHour.Burst+n)
		}
		for i, l := range ls {
			exceeded(t, l.ClientAuth("web", ""), "failed_client_auth", "instance after the guesses")
			if err := l.ClientAuth("other", ""); err != nil {
				t.Errorf("instance %d refuses another client: %v", i, err)
			}
		}
	}
}

// TestFailureOneTooMany: the failure past the limit is itself refused,
// per client id and per IP, and the limits are apart.
func TestFailureOneTooMany(t *testing.T) {
	ctx := t.Context()
	l := limiters(memory.New(memory.Options{}), 1)[0]
	for i := range 3 {
		if err := l.ClientAuthFailed(ctx, "web", "192.0.2.1"); err != nil {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	exceeded(t, l.ClientAuthFailed(ctx, "web", "192.0.2.1"), "failed_client_auth", "fourth failure")
	exceeded(t, l.ClientAuth("web", "192.0.2.9"), "failed_client_auth", "the client from another IP")
	if err := l.ClientAuth("api", "192.0.2.1"); err != nil {
		t.Fatalf("another client from the IP (4 failures of 5): %v", err)
	}
	_ = l.ClientAuthFailed(ctx, "api", "192.0.2.1")
	exceeded(t, l.ClientAuth("api", "192.0.2.1"), "failed_client_auth_per_ip", "the IP after 5 failures")
	// SigV4 counts apart from client authentication.
	if err := l.SigV4("web", "192.0.2.1"); err != nil {
		t.Fatalf("SigV4 of a key named as the client: %v", err)
	}
	for range 3 {
		_ = l.SigV4Failed(ctx, "AKIAEXAMPLE", "")
	}
	exceeded(t, l.SigV4("AKIAEXAMPLE", ""), "failed_sigv4", "the key after 3 failures")
}

// TestBlockEnds: a key refused for its limit is checked again once the
// store lets one more failure in.
func TestBlockEnds(t *testing.T) {
	ctx := t.Context()
	fast := store.RateLimit{Rate: 20, Period: time.Second, Burst: 1}
	l := ratelimit.New(memory.New(memory.Options{}), ratelimit.Options{FailedSigV4: fast})
	_ = l.SigV4Failed(ctx, "AKIAEXAMPLE", "")
	exceeded(t, l.SigV4("AKIAEXAMPLE", ""), "failed_sigv4", "after the one failure allowed")
	deadline := time.Now().Add(5 * time.Second)
	for l.SigV4("AKIAEXAMPLE", "") != nil {
		if time.Now().After(deadline) {
			t.Fatal("still refused after 5s; the interval is 50ms")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// brokenStore fails every call, as a store that cannot be reached.
type brokenStore struct{}

func (brokenStore) AllowRate(context.Context, string, store.RateLimit) (store.RateDecision, error) {
	return store.RateDecision{}, store.ErrUnavailable
}

// TestFailOpen: when the store does not answer, nothing is refused.
func TestFailOpen(t *testing.T) {
	ctx := t.Context()
	l := limiters(brokenStore{}, 1)[0]
	for range 10 {
		if err := l.Token(ctx, "svc"); err != nil {
			t.Fatalf("Token: %v", err)
		}
		if err := l.ClientAuthFailed(ctx, "web", "192.0.2.1"); err != nil {
			t.Fatalf("ClientAuthFailed: %v", err)
		}
		if err := l.ClientAuth("web", "192.0.2.1"); err != nil {
			t.Fatalf("ClientAuth: %v", err)
		}
	}
}

// TestNilLimiter: a nil Limiter (rate_limits.enabled: false) limits
// nothing.
func TestNilLimiter(t *testing.T) {
	var l *ratelimit.Limiter
	ctx := context.Background()
	if l.Token(ctx, "svc") != nil || l.ClientAuth("web", "ip") != nil || l.ClientAuthFailed(ctx, "web", "ip") != nil ||
		l.SigV4("AKIA", "ip") != nil || l.SigV4Failed(ctx, "AKIA", "ip") != nil {
		t.Fatal("a nil Limiter refused")
	}
}
