package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lineage-oss/lineage/store"
)

// ErrExceeded reports a request refused by a rate limit; see Exceeded.
var ErrExceeded = errors.New("ratelimit: rate exceeded")

// Exceeded is ErrExceeded with the limit that refused and the time to wait
// (HTTP Retry-After, RFC 9110 §10.2.3).
type Exceeded struct {
	// Limit names the limit: "token_per_client", "failed_client_auth",
	// "failed_client_auth_per_ip", "failed_sigv4" or "failed_sigv4_per_ip".
	Limit      string
	RetryAfter time.Duration
}

func (e *Exceeded) Error() string {
	return fmt.Sprintf("%v: %s, retry after %v", ErrExceeded, e.Limit, e.RetryAfter)
}

// Unwrap makes errors.Is(err, ErrExceeded) hold.
func (e *Exceeded) Unwrap() error { return ErrExceeded }

// Options are the limits; a limit whose Rate is 0 is off.
type Options struct {
	// TokenPerClient limits /token requests (the standard grants and
	// CreateTokenWithIAM) per authenticated client.
	TokenPerClient store.RateLimit
	// FailedClientAuth and FailedClientAuthPerIP limit failed client
	// authentications per claimed client id and per client IP.
	FailedClientAuth      store.RateLimit
	FailedClientAuthPerIP store.RateLimit
	// FailedSigV4 and FailedSigV4PerIP limit failed SigV4 authentications
	// per claimed access key id and per client IP.
	FailedSigV4      store.RateLimit
	FailedSigV4PerIP store.RateLimit
	// Logger receives a warning when the store cannot answer.
	Logger *slog.Logger
	// Now is the clock of the instance's own record of keys over their
	// limit (nil: time.Now); the store keeps its own.
	Now func() time.Time
}

// Limiter applies the limits. A nil *Limiter limits nothing.
//
// Failures are counted in the store, on the failure path only. So that a
// success costs no store round trip, whether a key is over its failure
// limit is answered from the instance's own record, which each counted
// failure updates from the store's answer: a key that reached its limit
// is refused here until the store says one more failure would fit. An
// instance learns of a key over its limit from the first failure of that
// key it counts, so with n instances a key gets at most n more checks a
// period than its limit before every instance refuses it.
type Limiter struct {
	rates store.RateLimits
	o     Options

	mu      sync.Mutex
	blocked map[string]time.Time // failure key -> refused until
	// nBlocked is len(blocked), readable without mu: while nothing is
	// blocked — nearly always — a request costs no key, no allocation
	// and no lock.
	nBlocked atomic.Int64
	sweepAt  int
}

// minBlockedSweep is the size below which expired entries of blocked are
// left for lookups to drop.
const minBlockedSweep = 1024

// New returns a Limiter keeping its state in rates.
func New(rates store.RateLimits, o Options) *Limiter {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Limiter{rates: rates, o: o, blocked: make(map[string]time.Time), sweepAt: minBlockedSweep}
}

// check is one limit applied to one key.
type check struct {
	name  string // the limit's name, for Exceeded and logs
	key   string // the store key: the limit's name and the id
	limit store.RateLimit
}

// checks returns the limits that apply: those that are on, to a known id.
func checks(all ...check) []check {
	var out []check
	for _, c := range all {
		if c.limit.Rate > 0 && c.key != "" {
			out = append(out, c)
		}
	}
	return out
}

func keyed(name, id string, limit store.RateLimit) check {
	if id == "" {
		return check{}
	}
	return check{name: name, key: name + ":" + id, limit: limit}
}

// Token counts one /token request of the authenticated client, and
// refuses it with an *Exceeded when the client is over TokenPerClient
// (one store round trip per request while the limit is on).
func (l *Limiter) Token(ctx context.Context, clientID string) error {
	if l == nil || l.o.TokenPerClient.Rate <= 0 || clientID == "" {
		return nil
	}
	c := keyed("token_per_client", clientID, l.o.TokenPerClient)
	d, err := l.rates.AllowRate(ctx, c.key, c.limit)
	switch {
	case err != nil:
		l.warn(ctx, c, err)
	case !d.Allowed:
		return &Exceeded{Limit: c.name, RetryAfter: d.RetryAfter}
	}
	return nil
}

func (l *Limiter) clientAuth(clientID, ip string) []check {
	return checks(
		keyed("failed_client_auth", clientID, l.o.FailedClientAuth),
		keyed("failed_client_auth_per_ip", ip, l.o.FailedClientAuthPerIP),
	)
}

func (l *Limiter) sigV4(accessKeyID, ip string) []check {
	return checks(
		keyed("failed_sigv4", accessKeyID, l.o.FailedSigV4),
		keyed("failed_sigv4_per_ip", ip, l.o.FailedSigV4PerIP),
	)
}

// ClientAuth refuses, with an *Exceeded and before any credential is
// checked, a claimed client id or a client IP (either may be empty: not
// known) over its failed-authentication limit. It reads no store.
func (l *Limiter) ClientAuth(clientID, ip string) error {
	if l == nil || l.nBlocked.Load() == 0 {
		return nil
	}
	return l.refused(l.clientAuth(clientID, ip))
}

// ClientAuthFailed counts a failed client authentication of the claimed
// client id and the client IP, and returns an *Exceeded when it is one
// too many for either: the request is then refused as over the limit.
func (l *Limiter) ClientAuthFailed(ctx context.Context, clientID, ip string) error {
	if l == nil {
		return nil
	}
	return l.failed(ctx, l.clientAuth(clientID, ip))
}

// SigV4 is ClientAuth for SigV4: the claimed access key id and the client
// IP against FailedSigV4 and FailedSigV4PerIP.
func (l *Limiter) SigV4(accessKeyID, ip string) error {
	if l == nil || l.nBlocked.Load() == 0 {
		return nil
	}
	return l.refused(l.sigV4(accessKeyID, ip))
}

// SigV4Failed is ClientAuthFailed for SigV4.
func (l *Limiter) SigV4Failed(ctx context.Context, accessKeyID, ip string) error {
	if l == nil {
		return nil
	}
	return l.failed(ctx, l.sigV4(accessKeyID, ip))
}

// refused returns an *Exceeded for the key of cs this instance knows to
// be over its limit, the one with the longest wait.
func (l *Limiter) refused(cs []check) error {
	if len(cs) == 0 {
		return nil
	}
	now := l.o.Now()
	var worst *Exceeded
	l.mu.Lock()
	defer l.mu.Unlock()
	defer func() { l.nBlocked.Store(int64(len(l.blocked))) }()
	for _, c := range cs {
		until, ok := l.blocked[c.key]
		if !ok {
			continue
		}
		if !now.Before(until) {
			delete(l.blocked, c.key)
			continue
		}
		if wait := until.Sub(now); worst == nil || wait > worst.RetryAfter {
			worst = &Exceeded{Limit: c.name, RetryAfter: wait}
		}
	}
	if worst == nil {
		return nil
	}
	return worst
}

// failed counts one failure under each of cs (one store round trip each)
// and records the keys that reached their limit.
func (l *Limiter) failed(ctx context.Context, cs []check) error {
	var worst *Exceeded
	for _, c := range cs {
		d, err := l.rates.AllowRate(ctx, c.key, c.limit)
		switch {
		case err != nil:
			l.warn(ctx, c, err)
		case !d.Allowed:
			l.block(c.key, d.RetryAfter)
			if worst == nil || d.RetryAfter > worst.RetryAfter {
				worst = &Exceeded{Limit: c.name, RetryAfter: d.RetryAfter}
			}
		case d.Remaining == 0:
			// The last failure that fits: the next one fits in one
			// interval at the earliest.
			l.block(c.key, c.limit.Period/time.Duration(c.limit.Rate))
		}
	}
	if worst == nil {
		return nil
	}
	return worst
}

// block records that key is over its limit for wait.
func (l *Limiter) block(key string, wait time.Duration) {
	now := l.o.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	defer func() { l.nBlocked.Store(int64(len(l.blocked))) }()
	l.blocked[key] = now.Add(wait)
	if len(l.blocked) < l.sweepAt {
		return
	}
	for k, until := range l.blocked {
		if !now.Before(until) {
			delete(l.blocked, k)
		}
	}
	l.sweepAt = max(minBlockedSweep, 2*len(l.blocked))
}

func (l *Limiter) warn(ctx context.Context, c check, err error) {
	l.o.Logger.WarnContext(ctx, "rate limit not applied: the store did not answer", "limit", c.name, "error", err.Error())
}
