package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"

	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/extra/redisotel/v9"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/lineage-oss/lineage/admin"
	"github.com/lineage-oss/lineage/clients"
	"github.com/lineage-oss/lineage/config"
	"github.com/lineage-oss/lineage/iam"
	"github.com/lineage-oss/lineage/iam/sigv4"
	"github.com/lineage-oss/lineage/jwks"
	"github.com/lineage-oss/lineage/login"
	"github.com/lineage-oss/lineage/metrics"
	"github.com/lineage-oss/lineage/oauth"
	"github.com/lineage-oss/lineage/revocation"
	"github.com/lineage-oss/lineage/secrets"
	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/memory"
	redisstore "github.com/lineage-oss/lineage/store/redis"
	"github.com/lineage-oss/lineage/users"
	"github.com/lineage-oss/lineage/web"
	"github.com/lineage-oss/lineage/web/pages"
)

// keyTickEvery is how often an instance reloads the key set and rotates
// when a rotation is due; publish-ahead is far longer.
const keyTickEvery = 15 * time.Second

// deps are the clock, randomness and logger every package receives, and
// the tracer provider (nil: telemetry off), which newApp sets.
type deps struct {
	now    func() time.Time
	rand   io.Reader
	logger *slog.Logger
	traces trace.TracerProvider
}

// app is the composed issuer.
type app struct {
	store     store.Store
	storeKind string
	keys      *jwks.Set
	hub       *revocation.Hub
	// stopStreams ends open revocation streams (graceful shutdown).
	stopStreams context.CancelFunc
	public      http.Handler
	admin       http.Handler
	logger      *slog.Logger
	// tracing exports spans (nil: telemetry off); shutting it down
	// flushes them.
	tracing *sdktrace.TracerProvider
}

// newApp builds every package from cfg. It creates the first signing key
// if the store has none.
func newApp(ctx context.Context, cfg config.Config, d deps) (*app, error) {
	tracing, err := newTracerProvider(ctx, cfg.Telemetry)
	if err != nil {
		return nil, err
	}
	d.traces = tracerProvider(tracing)
	st, kind, err := openStore(cfg.Store, d.now, d.traces)
	if err != nil {
		_ = shutdownTracing(context.Background(), tracing)
		return nil, err
	}
	streams, stopStreams := context.WithCancel(context.WithoutCancel(ctx))
	a := &app{store: st, storeKind: kind, logger: d.logger, stopStreams: stopStreams, tracing: tracing}
	if err := a.build(ctx, cfg, d, streams); err != nil {
		stopStreams()
		st.Close()
		_ = shutdownTracing(context.Background(), tracing)
		return nil, err
	}
	return a, nil
}

func (a *app) build(ctx context.Context, cfg config.Config, d deps, streams context.Context) error {
	keyring, err := secrets.NewKeyring(cfg.Secrets.System)
	if err != nil {
		return err
	}
	sealer, err := keyring.Sealer(secrets.PurposeAtRest, d.rand)
	if err != nil {
		return err
	}
	mac := keyring.MAC(secrets.PurposeClientSecret)

	configured, err := configuredClients(cfg.Clients, mac)
	if err != nil {
		return err
	}
	registry, err := clients.NewRegistry(configured, a.store, revocationHorizon(cfg))
	if err != nil {
		return err
	}

	owner := make([]byte, 8)
	if _, err := io.ReadFull(rand.Reader, owner); err != nil {
		return fmt.Errorf("instance id: %w", err)
	}
	a.keys, err = jwks.New(a.store, a.store, sealer, jwks.Options{
		Alg:          cfg.Tokens.SigningAlg,
		RotateEvery:  cfg.Keys.RotateEvery.D(),
		PublishAhead: 2 * cfg.Keys.JWKSMaxAge.D(),
		Overlap:      longestTokenLifetime(cfg) + cfg.Tokens.Leeway.D(),
		Owner:        hex.EncodeToString(owner),
		Now:          d.now,
		Rand:         d.rand,

		TracerProvider: d.traces,
	})
	if err != nil {
		return err
	}
	if err := a.keys.Tick(ctx); err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}

	configuredUsers, err := configuredUsers(cfg.Users, d.rand)
	if err != nil {
		return err
	}
	people, err := users.NewDirectory(configuredUsers, a.store, d.now, d.rand)
	if err != nil {
		return err
	}
	m := metrics.New()
	m.KeyAge(func() (time.Duration, bool) {
		st, ok := a.keys.Current()
		return d.now().Sub(st.SignsFrom), ok
	})
	revocations, err := revocation.New(a.store, revocation.Options{
		Horizon:      revocationHorizon(cfg),
		Leeway:       cfg.Tokens.Leeway.D(),
		WaitReplicas: cfg.Store.RevocationWaitReplicas,
		Now:          d.now,
		Observer:     m,
	})
	if err != nil {
		return err
	}
	a.hub = revocation.NewHub(revocations, streamsPerClient, d.logger, m)
	directory, err := newIAMDirectory(cfg, keyring, a.store, d)
	if err != nil {
		return err
	}
	limits, err := newRateLimits(cfg.RateLimits, a.store, d.logger)
	if err != nil {
		return err
	}
	provider, err := oauth.New(oauth.Options{
		Issuer:            cfg.Issuer,
		AccessTTL:         cfg.Tokens.AccessTTL.D(),
		IDTTL:             cfg.Tokens.IDTTL.D(),
		RefreshIdleTTL:    cfg.Tokens.RefreshIdleTTL.D(),
		RefreshMaxTTL:     cfg.Tokens.RefreshMaxTTL.D(),
		DefaultAudience:   cfg.Tokens.DefaultAudience,
		Leeway:            cfg.Tokens.Leeway.D(),
		RefreshReuseGrace: cfg.Tokens.RefreshReuseGrace.D(),
		VerifiedTokens:    verifiedTokens,
		Observer:          m,
		Now:               d.now,
		Rand:              d.rand,
		Logger:            d.logger,
	}, oauth.Deps{Clients: registry, Users: people, Nonces: a.store, Codes: a.store, Refresh: a.store, Keys: a.keys, MAC: mac,
		Revocations: revocations, Guard: &createTokenGuard{dir: directory, logger: d.logger}, IAMPolicies: directory,
		Limits: limits})
	if err != nil {
		return err
	}
	flows, err := newFlows(cfg, keyring, provider, people, a.store, d)
	if err != nil {
		return err
	}
	sts, sso, err := newIAMEndpoints(cfg, directory, provider, d)
	if err != nil {
		return err
	}
	sts.Limits, sso.Limits = limits, limits
	a.admin = web.NewAdmin(web.AdminOptions{
		Token:          cfg.HTTP.AdminToken,
		ActorID:        "admin-token:" + hex.EncodeToString(keyring.MAC(secrets.PurposeAdminActor).Sum([]byte(cfg.HTTP.AdminToken)))[:16],
		MaxBodyBytes:   cfg.HTTP.MaxBodyBytes,
		Logger:         d.logger,
		Metrics:        m,
		MetricsHandler: promhttp.HandlerFor(m.Registry(), promhttp.HandlerOpts{}),
		TracerProvider: d.traces,
	}, admin.New(admin.Options{
		Clients: registry, Users: people, Keys: a.keys, IAM: directory, Revocations: revocations, Audit: a.store,
		MAC: mac, Rand: d.rand, Now: d.now, Logger: d.logger,
	}))
	a.public = web.NewPublic(web.Options{
		Issuer:         cfg.Issuer,
		SigningAlgs:    []string{cfg.Tokens.SigningAlg},
		JWKSMaxAge:     cfg.Keys.JWKSMaxAge.D(),
		MaxBodyBytes:   cfg.HTTP.MaxBodyBytes,
		TrustedProxies: cfg.HTTP.TrustedProxies,
		Logger:         d.logger,
		Ready:          a.ready,
		Metrics:        m,
		TracerProvider: d.traces,
	}, provider, a.keys, sts, sso, flows, web.NewRevocationStream(provider, revocations, a.hub, streams))
	return nil
}

// newFlows builds the browser flows: hosted login and consent pages over
// the login service.
func newFlows(cfg config.Config, keyring *secrets.Keyring, provider *oauth.Provider, people *users.Directory, st store.Store, d deps) (*web.Flows, error) {
	renderer, err := pages.New()
	if err != nil {
		return nil, err
	}
	signIn, err := login.New(login.Options{Users: people, Sessions: st, Consents: st, Throttles: st, Now: d.now, Rand: d.rand})
	if err != nil {
		return nil, err
	}
	return &web.Flows{Provider: provider, Login: signIn, Pages: renderer, Issuer: cfg.Issuer,
		CSRFKey: keyring.Subkey(secrets.PurposeCSRF), Secure: strings.HasPrefix(cfg.Issuer, "https://"),
		Logger: d.logger, Now: d.now}, nil
}

// newIAMDirectory builds the IAM directory from the configuration and the
// store.
func newIAMDirectory(cfg config.Config, keyring *secrets.Keyring, st store.Store, d deps) (*iam.Directory, error) {
	opts := iam.Options{
		Account: iam.Account{ID: cfg.IAM.AccountID, Partition: cfg.IAM.Partition},
		Stores:  iam.Stores{Users: st, Keys: st, Roles: st, Org: st},
		Keyring: keyring, Now: d.now, Rand: d.rand, TracerProvider: d.traces,
	}
	for _, u := range cfg.IAM.Users {
		su := iam.StaticUser{Name: u.Name, AccessKeys: map[string]string{}}
		for _, p := range u.Policies {
			su.Policies = append(su.Policies, json.RawMessage(p))
		}
		for _, k := range u.AccessKeys {
			su.AccessKeys[k.ID] = k.Secret
		}
		opts.Users = append(opts.Users, su)
	}
	for _, r := range cfg.IAM.Roles {
		sr := iam.StaticRole{Name: r.Name, MaxSessionDuration: r.MaxSessionDuration.D(), TrustPolicy: json.RawMessage(r.TrustPolicy)}
		for _, p := range r.Policies {
			sr.Policies = append(sr.Policies, json.RawMessage(p))
		}
		opts.Roles = append(opts.Roles, sr)
	}
	for _, p := range cfg.IAM.OrgPolicies {
		opts.Org = append(opts.Org, json.RawMessage(p))
	}
	return iam.NewDirectory(opts)
}

// newIAMEndpoints builds the endpoints that authenticate with SigV4: STS
// (signing name sts) and the aws_iam=t operations (sso-oauth), each
// accepting only its own signing name.
func newIAMEndpoints(cfg config.Config, dir *iam.Directory, provider *oauth.Provider, d deps) (*web.STS, *web.SSOOIDC, error) {
	issuer, err := url.Parse(cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("issuer: %w", err)
	}
	verifier := func(service string) (*sigv4.Verifier, error) {
		return sigv4.New(sigv4.Options{Region: cfg.IAM.Region, Services: []string{service}, Host: issuer.Host,
			Now: d.now, MaxBodyBytes: cfg.HTTP.MaxBodyBytes})
	}
	stsVerifier, err := verifier("sts")
	if err != nil {
		return nil, nil, err
	}
	ssoVerifier, err := verifier("sso-oauth")
	if err != nil {
		return nil, nil, err
	}
	return &web.STS{Directory: dir, Verifier: stsVerifier, Now: d.now},
		&web.SSOOIDC{Directory: dir, Verifier: ssoVerifier, Provider: provider, Now: d.now}, nil
}

// verifiedTokens is how many verified tokens an instance remembers, so
// that introspecting a token again costs a hash instead of a signature
// check (about 0.5 KB each: some 64 MB at most).
const verifiedTokens = 1 << 17

// streamsPerClient caps the revocation streams one client may hold open
// on one instance.
const streamsPerClient = 8

// run keeps the key set current and tails the revocation event stream
// until ctx ends.
func (a *app) run(ctx context.Context) {
	go a.hub.Run(ctx)
	t := time.NewTicker(keyTickEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.keys.Tick(ctx); err != nil && ctx.Err() == nil {
				a.logger.Error("signing keys", "error", err.Error())
			}
		}
	}
}

// ready reports whether the store answers and a key signs.
func (a *app) ready(ctx context.Context) error {
	if err := a.store.Ping(ctx); err != nil {
		return err
	}
	if _, ok := a.keys.Current(); !ok {
		return jwks.ErrNoSigningKey
	}
	return nil
}

func (a *app) close() {
	a.stopStreams()
	ctx, cancel := context.WithTimeout(context.Background(), tracesFlushTimeout)
	defer cancel()
	if err := shutdownTracing(ctx, a.tracing); err != nil {
		a.logger.Warn("flushing traces", "error", err.Error())
	}
	if err := a.store.Close(); err != nil {
		a.logger.Warn("closing store", "error", err.Error())
	}
}

// openStore opens the configured store; with a tracer provider, every
// Redis command and pipeline becomes a client span (redisotel) whose
// attributes name the command but never its arguments.
func openStore(cfg config.Store, now func() time.Time, tp trace.TracerProvider) (store.Store, string, error) {
	if cfg.RedisURL == "" && len(cfg.Redis.Addrs) == 0 {
		return memory.New(memory.Options{Now: now}), "memory", nil
	}
	client, err := redisstore.NewClient(redisstore.Options{
		URL:        cfg.RedisURL,
		Addrs:      cfg.Redis.Addrs,
		MasterName: cfg.Redis.MasterName,
		Username:   cfg.Redis.Username,
		Password:   cfg.Redis.Password,
		DB:         cfg.Redis.DB,
		TLS:        cfg.Redis.TLS,
	})
	if err != nil {
		return nil, "", err
	}
	if tp != nil {
		if err := redisotel.InstrumentTracing(client, redisotel.WithTracerProvider(tp),
			redisotel.WithDBStatement(false), redisotel.WithCallerEnabled(false)); err != nil {
			client.Close()
			return nil, "", fmt.Errorf("telemetry: %w", err)
		}
	}
	return redisstore.New(client), "redis", nil
}

// configuredClients turns the file's clients into records; secrets become
// their HMAC at once and are not kept.
func configuredClients(cfgs []config.Client, mac *secrets.MAC) ([]store.Client, error) {
	out := make([]store.Client, 0, len(cfgs))
	for _, c := range cfgs {
		rec := store.Client{
			ID:                     c.ID,
			JWKS:                   json.RawMessage(c.JWKS),
			RedirectURIs:           c.RedirectURIs,
			PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
			GrantTypes:             c.GrantTypes,
			Scopes:                 c.Scopes,
			Audiences:              c.Audiences,
			FirstParty:             c.FirstParty,
			TokenRevocation:        c.TokenRevocationEnabled(),
			Introspect:             c.Introspect,
			RevocationEvents:       c.RevocationEvents,
			Disabled:               c.Disabled,
			ActorPolicy:            json.RawMessage(c.ActorPolicy),
			AccessTTL:              c.AccessTTL.D(),
			IDTTL:                  c.IDTTL.D(),
			RefreshIdleTTL:         c.RefreshIdleTTL.D(),
			RefreshMaxTTL:          c.RefreshMaxTTL.D(),
		}
		for _, p := range c.Policies {
			rec.Policies = append(rec.Policies, json.RawMessage(p))
		}
		for _, t := range c.TrustedTokenIssuers {
			rec.TrustedTokenIssuers = append(rec.TrustedTokenIssuers, store.TrustedTokenIssuer{
				Issuer: t.Issuer, JWKSURI: t.JWKSURI, JWKS: json.RawMessage(t.JWKS), Audience: t.Audience, UserClaim: t.UserClaim,
			})
		}
		switch {
		case c.Secret != "":
			rec.SecretHash = mac.Sum([]byte(c.Secret))
		case c.SecretHash != "":
			h, err := base64.RawURLEncoding.DecodeString(c.SecretHash)
			if err != nil {
				return nil, fmt.Errorf("client %q: secret_hash: %w", c.ID, err)
			}
			rec.SecretHash = h
		}
		if len(rec.JWKS) == 0 {
			rec.JWKS = nil
		}
		if len(rec.ActorPolicy) == 0 {
			rec.ActorPolicy = nil
		}
		out = append(out, rec)
	}
	return out, nil
}

// configuredUsers turns the file's users into records; plain passwords
// are hashed with argon2id at start and not kept.
func configuredUsers(cfgs []config.User, random io.Reader) ([]store.User, error) {
	out := make([]store.User, 0, len(cfgs))
	for _, u := range cfgs {
		rec := store.User{Username: u.Username, PasswordHash: u.PasswordHash, Email: u.Email}
		for _, p := range u.Policies {
			rec.Policies = append(rec.Policies, json.RawMessage(p))
		}
		if u.Password != "" {
			hash, err := users.HashPassword(u.Password, random)
			if err != nil {
				return nil, err
			}
			rec.PasswordHash = hash
		}
		out = append(out, rec)
	}
	return out, nil
}

// longestTokenLifetime is the longest a signed token can live: a retired
// key stays published that long (plus leeway).
// revocationHorizon is the longest any token can live, refresh families
// included: how long revocation entries and events are kept at most.
func revocationHorizon(cfg config.Config) time.Duration {
	longest := max(longestTokenLifetime(cfg), cfg.Tokens.RefreshMaxTTL.D())
	for _, c := range cfg.Clients {
		longest = max(longest, c.RefreshMaxTTL.D())
	}
	return longest
}

func longestTokenLifetime(cfg config.Config) time.Duration {
	longest := max(cfg.Tokens.AccessTTL.D(), cfg.Tokens.IDTTL.D())
	for _, c := range cfg.Clients {
		longest = max(longest, c.AccessTTL.D(), c.IDTTL.D())
	}
	return longest
}
