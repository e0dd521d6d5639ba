package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lineage-oss/lineage/admin"
)

// Error kinds of the refresh scenario.
const (
	// ErrLineageRestart is a request that, instead of a refresh, signed in
	// again to begin a new lineage, because the worker's previous refresh
	// failed and left it unsure whether its refresh token had rotated (a
	// timeout) or sure that it is spent (an error answer).
	ErrLineageRestart = "lineage_restart"
	// ErrSignIn is a sign-in that failed: at a restart the worker tries
	// again at its next request.
	ErrSignIn = "sign_in_failed"
)

// refreshRedirectURI is the refresh client's redirect URI. Nothing listens
// there: the code is read from the Location header of the redirect, which
// is not followed.
const refreshRedirectURI = "http://127.0.0.1:1/callback"

// refreshIdleTTL is the refresh client's refresh_idle_ttl: every rotation
// stores a token that lives this long, so that what a run leaves in the
// store (rotated tokens are kept until they expire) goes within the hour
// rather than with the issuer's default of 30 days. A worker presents its
// token again within its request timeout, far sooner.
const refreshIdleTTL = time.Hour

// maxSignIns bounds how many sign-ins set-up runs at a time: each makes
// the issuer verify an argon2id hash, 64 MiB of memory apiece.
const maxSignIns = 8

// refreshUserPasswordBytes is the user's random password's entropy: 24
// bytes, 32 characters.
const refreshUserPasswordBytes = 24

// refresh is the refresh_token grant (RFC 6749 §6) with rotation: each
// worker walks its own lineage. Set-up creates one user and one
// first-party confidential client (authorization_code and refresh_token,
// scopes openid and offline_access), and signs each worker in through the
// hosted login form (codeFlow). Each request then presents the worker's
// current refresh token with client_secret_basic and replaces it with the
// rotated one of the answer, which must be a 200 with an access token of
// the same lineage (origin_jti), a new refresh token and an ID token. A
// worker whose refresh fails begins a new lineage with a fresh sign-in,
// counted as ErrLineageRestart.
type refresh struct {
	flow     *codeFlow
	lineages []lineage
}

var _ Scenario = (*refresh)(nil)

func (s *refresh) Name() string { return ScenarioRefresh }

// Setup creates the user and the client through the admin API and signs
// each worker in.
func (s *refresh) Setup(ctx context.Context, env *Env) (Setup, error) {
	password := randomToken(refreshUserPasswordBytes)
	user, err := env.Admin.CreateUser(ctx, "user", password)
	if err != nil {
		return Setup{}, err
	}
	c, err := env.Admin.CreateClient(ctx, "refresh", admin.ClientInput{
		GrantTypes:     []string{"authorization_code", "refresh_token"},
		Scopes:         []string{"openid", "offline_access"},
		RedirectURIs:   []string{refreshRedirectURI},
		FirstParty:     true,
		RefreshIdleTTL: admin.Duration(refreshIdleTTL),
	})
	if err != nil {
		return Setup{}, err
	}
	s.flow = &codeFlow{
		public: env.Public, clientID: c.Client.ID, auth: BasicAuth(c.Client.ID, c.Secret),
		redirectURI: refreshRedirectURI, scope: "openid offline_access",
		username: user.Username, password: password,
	}
	if s.lineages, err = signInMany(ctx, env, s.flow, env.Options.Concurrency); err != nil {
		return Setup{}, err
	}
	return Setup{
		Summary: fmt.Sprintf("%d lineages, one per worker, each begun by signing user %s in to first-party client %s through /authorize and the login form",
			len(s.lineages), user.Username, c.Client.ID),
		Pool: map[string]int{"lineages": len(s.lineages)},
	}, nil
}

// signInMany begins n lineages, maxSignIns at a time, each sign-in tried
// up to mintAttempts times.
func signInMany(ctx context.Context, env *Env, f *codeFlow, n int) ([]lineage, error) {
	workers := min(n, maxSignIns)
	env.progressf("signing the user in for %d lineages (one per worker), %d sign-ins at a time", n, workers)
	start := time.Now()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	out := make([]lineage, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n) && ctx.Err() == nil; i = next.Add(1) - 1 {
				var err error
				for range mintAttempts {
					// A sign-in is four requests; each may take the timeout.
					sctx, done := context.WithTimeout(ctx, 4*env.Options.Timeout)
					out[i], err = f.signIn(sctx)
					done()
					if err == nil || ctx.Err() != nil {
						break
					}
				}
				if err != nil {
					cancel(fmt.Errorf("sign in: %w", err))
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
	env.progressf("began %d lineages in %v (%.1f sign-ins/s)", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	return out, nil
}

func (s *refresh) Worker(i int) Worker {
	return &refreshWorker{flow: s.flow, l: s.lineages[i]}
}

var _ Worker = (*refreshWorker)(nil)

// refreshWorker walks one lineage at a time.
type refreshWorker struct {
	flow *codeFlow
	l    lineage
	// lost is why the current lineage ended; the next request begins a
	// new one.
	lost *Failure
	buf  bytes.Buffer
}

func (w *refreshWorker) Do(ctx context.Context) Result {
	if w.lost != nil {
		l, err := w.flow.signIn(ctx)
		if err != nil {
			return Result{Err: err}
		}
		cause := w.lost
		w.l, w.lost = l, nil
		return Result{Err: &Failure{Kind: ErrLineageRestart, Detail: "began a new lineage after a failed refresh (" + cause.Kind + ")"}}
	}
	sent := w.l.refresh
	err := w.flow.public.PostForm(ctx, "/token", w.flow.auth, "grant_type=refresh_token&refresh_token="+url.QueryEscape(sent), &w.buf)
	if err != nil {
		w.lost = failureOf(err)
		return Result{Err: err}
	}
	tr, ac, err := parseUserTokens(w.buf.Bytes())
	switch {
	case tr.RefreshToken == "" || tr.RefreshToken == sent:
		// Nothing to go on with: the lineage ends here.
		if err == nil {
			err = failf(ErrWrongAnswer, "the refresh token did not rotate: the answer gives back the one presented")
		}
		w.lost = failureOf(err)
		return Result{Err: err}
	default:
		// Rotated: the lineage goes on with the new token even when
		// another check fails.
		w.l.refresh, w.l.access = tr.RefreshToken, tr.AccessToken
	}
	if err != nil {
		return Result{Err: err}
	}
	if ac.OriginJTI != w.l.origin {
		return Result{Err: failf(ErrWrongAnswer, "the refreshed access token left its lineage: origin_jti changed")}
	}
	return Result{}
}
