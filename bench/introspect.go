package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lineage-oss/lineage/admin"
)

// introspectTokenTTL is the lifetime of the tokens introspect mints: long
// enough that none expires during a run. Deleting the clients at the end
// makes them inactive at once.
const introspectTokenTTL = 24 * time.Hour

// maxSetupWorkers bounds how many tokens set-up mints at a time.
const maxSetupWorkers = 64

// mintAttempts is how often set-up asks for one token before giving up.
const mintAttempts = 3

// introspect is token introspection (RFC 7662): workers send the tokens of
// a pre-minted pool in turn — valid ones of the introspecting client,
// well-signed ones of a client disabled during set-up, malformed ones —
// and check every answer's "active" (RFC 7662 §2.2). The pool holds
// Options.Tokens distinct tokens, so that the issuer cannot answer from a
// small cache.
type introspect struct {
	public *Public
	auth   string // of the introspecting client
	self   string // its id
	pool   []probe
	next   atomic.Uint64
}

var _ Scenario = (*introspect)(nil)

// probe is one introspection request of the pool.
type probe struct {
	kind string
	body string // the form: token=…
}

func (s *introspect) Name() string { return ScenarioIntrospect }

// Setup creates the introspecting client (with the introspect flag, so
// that another client's token is inactive only because that client is
// disabled) and the client to disable, mints the tokens, disables the
// client after checking that its token was active, and makes the
// malformed tokens.
func (s *introspect) Setup(ctx context.Context, env *Env) (Setup, error) {
	s.public = env.Public
	counts := env.Options.Mix.split(env.Options.Tokens)
	caller, err := env.Admin.CreateClient(ctx, "introspector", admin.ClientInput{
		GrantTypes: []string{"client_credentials"}, Introspect: true, AccessTTL: admin.Duration(introspectTokenTTL),
	})
	if err != nil {
		return Setup{}, err
	}
	s.auth, s.self = BasicAuth(caller.Client.ID, caller.Secret), caller.Client.ID

	valid, err := mintMany(ctx, env, s.auth, counts[KindValid], "valid")
	if err != nil {
		return Setup{}, err
	}
	var inactive []string
	if counts[KindInactive] > 0 {
		if inactive, err = s.inactiveTokens(ctx, env, counts[KindInactive]); err != nil {
			return Setup{}, err
		}
	}
	bases := valid
	if len(bases) == 0 && counts[KindMalformed] > 0 {
		// Tampered tokens need well-signed ones to start from.
		if bases, err = mintMany(ctx, env, s.auth, min(counts[KindMalformed], 256), "valid (to tamper with)"); err != nil {
			return Setup{}, err
		}
	}
	malformed := malformedTokens(env.Rand, bases, counts[KindMalformed])

	s.pool = make([]probe, 0, env.Options.Tokens)
	for kind, tokens := range map[string][]string{KindValid: valid, KindInactive: inactive, KindMalformed: malformed} {
		for _, t := range tokens {
			s.pool = append(s.pool, probe{kind: kind, body: "token=" + url.QueryEscape(t)})
		}
	}
	env.Rand.Shuffle(len(s.pool), func(i, j int) { s.pool[i], s.pool[j] = s.pool[j], s.pool[i] })
	if len(s.pool) == 0 {
		return Setup{}, errors.New("no token to introspect")
	}
	if env.Options.Tokens < DefaultTokens {
		env.progressf("note: %d distinct tokens; published figures use at least %d", env.Options.Tokens, DefaultTokens)
	}
	return Setup{
		Summary: fmt.Sprintf("%d distinct tokens: %d valid, %d inactive (client disabled), %d malformed; introspected by %s",
			len(s.pool), len(valid), len(inactive), len(malformed), s.self),
		Pool: map[string]int{KindValid: len(valid), KindInactive: len(inactive), KindMalformed: len(malformed)},
	}, nil
}

// inactiveTokens creates a second client, mints n tokens for it, checks
// that the introspecting client sees one as active, disables the client
// and checks that the same token is now inactive.
func (s *introspect) inactiveTokens(ctx context.Context, env *Env, n int) ([]string, error) {
	other, err := env.Admin.CreateClient(ctx, "disabled", admin.ClientInput{
		GrantTypes: []string{"client_credentials"}, AccessTTL: admin.Duration(introspectTokenTTL),
	})
	if err != nil {
		return nil, err
	}
	tokens, err := mintMany(ctx, env, BasicAuth(other.Client.ID, other.Secret), n, "inactive")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	before := probe{kind: KindValid, body: "token=" + url.QueryEscape(tokens[0])}
	if err := s.check(ctx, before, other.Client.ID, &buf); err != nil {
		return nil, fmt.Errorf("before %s is disabled, %s must see its token as active: %w", other.Client.ID, s.self, err)
	}
	if err := env.Admin.DisableClient(ctx, other.Client.ID); err != nil {
		return nil, err
	}
	env.progressf("disabled client %s", other.Client.ID)
	if err := s.check(ctx, probe{kind: KindInactive, body: before.body}, "", &buf); err != nil {
		return nil, fmt.Errorf("once %s is disabled its token must be inactive: %w", other.Client.ID, err)
	}
	return tokens, nil
}

func (s *introspect) Worker(int) Worker { return &introspectWorker{s: s} }

var _ Worker = (*introspectWorker)(nil)

type introspectWorker struct {
	s   *introspect
	buf bytes.Buffer
}

func (w *introspectWorker) Do(ctx context.Context) Result {
	p := w.s.pool[(w.s.next.Add(1)-1)%uint64(len(w.s.pool))]
	return Result{Kind: p.kind, Err: w.s.check(ctx, p, w.s.self, &w.buf)}
}

// check introspects p's token and checks the answer: a valid token is
// active and belongs to owner; any other is {"active":false} with nothing
// else (RFC 7662 §2.2).
func (s *introspect) check(ctx context.Context, p probe, owner string, buf *bytes.Buffer) error {
	if err := s.public.PostForm(ctx, "/introspect", s.auth, p.body, buf); err != nil {
		return err
	}
	var ir struct {
		Active   *bool  `json:"active"`
		ClientID string `json:"client_id"`
		JTI      string `json:"jti"`
	}
	if err := json.Unmarshal(buf.Bytes(), &ir); err != nil || ir.Active == nil {
		return failf(ErrUnexpectedBody, "the introspection response is not JSON with a boolean \"active\"")
	}
	want := p.kind == KindValid
	switch {
	case *ir.Active != want:
		return failf(ErrWrongAnswer, "a %s token introspected as active=%t", p.kind, *ir.Active)
	case want && ir.ClientID != owner:
		return failf(ErrWrongAnswer, "a valid token introspected with client_id %q, not %q", ir.ClientID, owner)
	case !want && (ir.ClientID != "" || ir.JTI != ""):
		return failf(ErrWrongAnswer, "an inactive answer (%s token) carries claims", p.kind)
	}
	return nil
}

// mintMany mints n access tokens with the client_credentials grant, a
// bounded number at a time, each asked for up to mintAttempts times.
func mintMany(ctx context.Context, env *Env, auth string, n int, what string) ([]string, error) {
	if n == 0 {
		return nil, nil
	}
	workers := min(env.Options.Concurrency, maxSetupWorkers, n)
	env.progressf("minting %d %s tokens at /token with %d workers", n, what, workers)
	start := time.Now()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	tokens := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var buf bytes.Buffer
			for i := next.Add(1) - 1; i < int64(n) && ctx.Err() == nil; i = next.Add(1) - 1 {
				var err error
				for range mintAttempts {
					rctx, done := context.WithTimeout(ctx, env.Options.Timeout)
					tokens[i], err = mintToken(rctx, env.Public, auth, &buf)
					done()
					if err == nil || ctx.Err() != nil {
						break
					}
				}
				if err != nil {
					cancel(fmt.Errorf("mint %s tokens: %w", what, err))
					return
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	env.progressf("minted %d %s tokens in %v (%.0f/s)", n, what, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	return tokens, nil
}

// base64URL is the alphabet of JWT segments (RFC 7515 §2).
const base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// malformedTokens returns n distinct strings no issuer may accept, made in
// turn in these ways: a random string; three random segments shaped like
// a JWT; a real token (from bases) with one character of its signature
// changed; with one character of its payload changed; without its
// signature; with "alg":"none" and no signature; with its signature cut
// short.
func malformedTokens(r *rand.Rand, bases []string, n int) []string {
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	for i := 0; len(out) < n; i++ {
		var t string
		parts := []string(nil)
		if len(bases) > 0 {
			parts = strings.Split(bases[r.IntN(len(bases))], ".")
		}
		switch {
		case i%7 == 1:
			t = randomString(r, 20+r.IntN(60)) + "." + randomString(r, 40+r.IntN(300)) + "." + randomString(r, 43+r.IntN(300))
		case len(parts) != 3 || len(parts[1]) < 3 || len(parts[2]) < 11:
			t = randomString(r, 16+r.IntN(500))
		case i%7 == 2:
			t = parts[0] + "." + parts[1] + "." + flipOne(r, parts[2])
		case i%7 == 3:
			t = parts[0] + "." + flipOne(r, parts[1]) + "." + parts[2]
		case i%7 == 4:
			t = parts[0] + "." + parts[1] + "."
		case i%7 == 5:
			t = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`)) + "." + parts[1] + "."
		case i%7 == 6:
			t = parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-8]
		default:
			t = randomString(r, 16+r.IntN(500))
		}
		if seen[t] {
			continue // the next turn makes another kind
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

func randomString(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = base64URL[r.IntN(len(base64URL))]
	}
	return string(b)
}

// flipOne changes one character of a Base64url segment, away from both
// ends: the last character may carry unused bits, so changing it might not
// change the decoded bytes.
func flipOne(r *rand.Rand, seg string) string {
	i := 1 + r.IntN(len(seg)-2)
	c := seg[i]
	for c == seg[i] {
		c = base64URL[r.IntN(len(base64URL))]
	}
	return seg[:i] + string(c) + seg[i+1:]
}
