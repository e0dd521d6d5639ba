package verify

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	lru "github.com/hashicorp/golang-lru/v2"
)

// maxTokenBytes bounds the tokens Verify parses.
const maxTokenBytes = 64 << 10

// introspectedSize bounds how many IAM tokens' positive introspections
// are remembered.
const introspectedSize = 16_384

// sweepEvery is the period of the removal of expired revocation entries.
const sweepEvery = time.Minute

// accessTokenType is the typ of JWT access tokens (RFC 9068 §2.1).
const accessTokenType = "at+jwt"

// A Verifier verifies lineage access tokens locally and honours the
// issuer's revocations (see the package documentation). It is safe for
// concurrent use. Close stops its background work.
type Verifier struct {
	opts   Options
	algs   []jose.SignatureAlgorithm
	keys   *keyStore
	revs   *revocationSet
	stream *http.Client // opts.HTTPClient without a Timeout

	// tokens remembers verified tokens by the SHA-256 of the token; nil
	// when Options.CacheSize is negative.
	tokens *lru.Cache[[sha256.Size]byte, *verified]
	// introspected remembers, per jti, the policy change after which
	// introspection found an IAM token active.
	introspected *lru.Cache[string, int64]

	// lastContact is when the stream last carried an event or a comment
	// (or the snapshot was read), in unix nanoseconds of Options.Now.
	lastContact atomic.Int64

	stop      context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// verified is a token whose signature and time-independent claims checked
// out under the key kid.
type verified struct {
	claims Claims
	kid    string
}

// New returns a Verifier for opts.Issuer: it fetches the issuer's JWK Set
// (<issuer>/.well-known/jwks.json, RFC 7517 §5), reads the revocation
// snapshot (GET <issuer>/revocations?snapshot=1) and starts following the
// revocation event stream in the background. ctx bounds only these first
// requests; the stream runs until Close.
func New(ctx context.Context, opts Options) (*Verifier, error) {
	o := opts.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	algs := make([]jose.SignatureAlgorithm, 0, len(o.Algorithms))
	for _, a := range o.Algorithms {
		algs = append(algs, allowedAlgorithms[a])
	}
	stream := *o.HTTPClient
	stream.Timeout = 0
	v := &Verifier{
		opts:   o,
		algs:   algs,
		keys:   newKeyStore(o.endpoint("/.well-known/jwks.json"), o.HTTPClient, o.Now),
		revs:   newRevocationSet(o.Leeway),
		stream: &stream,
	}
	if o.CacheSize > 0 {
		v.tokens, _ = lru.New[[sha256.Size]byte, *verified](o.CacheSize)
	}
	v.introspected, _ = lru.New[string, int64](introspectedSize)
	if err := v.keys.refresh(ctx); err != nil {
		return nil, err
	}
	if err := v.loadSnapshot(ctx); err != nil {
		return nil, err
	}
	run, stop := context.WithCancel(context.Background())
	v.stop = stop
	v.wg.Add(2)
	go func() {
		defer v.wg.Done()
		v.follow(run)
	}()
	go func() {
		defer v.wg.Done()
		v.maintain(run)
	}()
	return v, nil
}

// Close stops following the event stream and waits for the background
// work to end. Verify keeps working on what the Verifier knows, as after a
// lost stream.
func (v *Verifier) Close() error {
	v.closeOnce.Do(func() {
		v.stop()
		v.wg.Wait()
	})
	return nil
}

// LastContact returns when the event stream (or the snapshot) last showed
// the issuer alive; a readiness probe may compare it with StaleAfter.
func (v *Verifier) LastContact() time.Time {
	return time.Unix(0, v.lastContact.Load())
}

func (v *Verifier) touch() { v.lastContact.Store(v.opts.Now().UnixNano()) }

// maintain forgets expired revocation entries and refetches the JWK Set
// after its max-age, until ctx ends.
func (v *Verifier) maintain(ctx context.Context) {
	sweep := time.NewTicker(sweepEvery)
	defer sweep.Stop()
	keys := time.NewTimer(time.Duration(v.keys.refreshEvery.Load()))
	defer keys.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			v.revs.sweep(v.opts.Now().Unix())
		case <-keys.C:
			if err := v.keys.refresh(ctx); err != nil && ctx.Err() == nil {
				v.opts.Logger.Warn("verify: JWK Set refresh failed", "error", err.Error())
			}
			keys.Reset(time.Duration(v.keys.refreshEvery.Load()))
		}
	}
}

// Verify checks an access token (RFC 9068 §4) and returns its claims:
//
//   - a compact JWS signed with one of Options.Algorithms by the key of
//     the issuer's JWK Set its kid names, whose alg is the key's; never a
//     token that brings its own key (jwk, jku, x5u, x5c: RFC 8725 §3.10)
//     or a critical extension;
//   - typ "at+jwt" (RFC 9068 §2.1, RFC 8725 §3.11; case-insensitive, with
//     or without "application/");
//   - iss is Options.Issuer, aud contains Options.Audience (if set), exp,
//     iat, jti and origin_jti are present, exp and nbf hold within the
//     leeway (RFC 7519 §4.1);
//   - no revocation covers it, and introspection (RFC 7662) says active
//     where the Verifier cannot tell alone (see the package
//     documentation).
//
// Errors wrap ErrInvalidToken, ErrRevoked or ErrUnavailable.
func (v *Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	t, err := v.verified(ctx, token)
	if err != nil {
		return Claims{}, err
	}
	now := v.opts.Now()
	if err := t.claims.checkTimes(now, v.opts.Leeway); err != nil {
		return Claims{}, err
	}
	if err := v.checkRevocation(ctx, token, &t.claims, now); err != nil {
		return Claims{}, err
	}
	return t.claims, nil
}

// verified returns the token's verified form: remembered, as long as its
// key is still published, or checked now.
func (v *Verifier) verified(ctx context.Context, token string) (*verified, error) {
	if v.tokens == nil {
		return v.verifySignature(ctx, token)
	}
	sum := sha256.Sum256([]byte(token))
	if t, ok := v.tokens.Get(sum); ok {
		if v.keys.has(t.kid) {
			return t, nil
		}
		// Its key left the JWK Set: the token is checked again (and
		// refused, unless the key is back).
		v.tokens.Remove(sum)
	}
	t, err := v.verifySignature(ctx, token)
	if err != nil {
		return nil, err
	}
	v.tokens.Add(sum, t)
	return t, nil
}

// verifySignature checks the JWS and the claims that do not change with
// time.
func (v *Verifier) verifySignature(ctx context.Context, token string) (*verified, error) {
	if len(token) > maxTokenBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrInvalidToken, maxTokenBytes)
	}
	jws, err := jose.ParseSignedCompact(token, v.algs)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	h := jws.Signatures[0].Header
	if h.JSONWebKey != nil {
		return nil, fmt.Errorf("%w: the header carries a key (jwk)", ErrInvalidToken)
	}
	for _, name := range []jose.HeaderKey{"jku", "x5u", "crit", "b64"} {
		if _, ok := h.ExtraHeaders[name]; ok {
			return nil, fmt.Errorf("%w: header parameter %q refused", ErrInvalidToken, name)
		}
	}
	if _, err := h.Certificates(x509.VerifyOptions{}); !errors.Is(err, jose.ErrMissingX5cHeader) {
		return nil, fmt.Errorf("%w: the header carries a certificate chain (x5c)", ErrInvalidToken)
	}
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	if !strings.EqualFold(strings.TrimPrefix(strings.ToLower(typ), "application/"), accessTokenType) {
		return nil, fmt.Errorf("%w: typ %q is not %s", ErrInvalidToken, typ, accessTokenType)
	}
	if h.KeyID == "" {
		return nil, fmt.Errorf("%w: no kid", ErrInvalidToken)
	}
	key, ok := v.keys.key(ctx, h.KeyID)
	if !ok {
		return nil, fmt.Errorf("%w: kid %q is not in the issuer's JWK Set", ErrInvalidToken, h.KeyID)
	}
	if key.Algorithm != h.Algorithm {
		return nil, fmt.Errorf("%w: alg %s is not the key's (%s)", ErrInvalidToken, h.Algorithm, key.Algorithm)
	}
	payload, err := jws.Verify(key.Key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	c, err := parseClaims(payload, v.opts.Issuer, v.opts.Audience)
	if err != nil {
		return nil, err
	}
	return &verified{claims: c, kid: h.KeyID}, nil
}

// checkRevocation refuses a token the revocation set covers, and asks the
// issuer where the Verifier cannot tell alone: every token while the
// stream is lost (FailClosed, or AcceptStale past MaxStaleness), and an
// IAM token issued before the last policy change of its account.
func (v *Verifier) checkRevocation(ctx context.Context, token string, c *Claims, now time.Time) error {
	if v.revs.revoked(c) {
		return fmt.Errorf("%w: by the revocation set", ErrRevoked)
	}
	if since := now.Sub(v.LastContact()); since > v.opts.StaleAfter {
		if v.opts.OnStreamLost != AcceptStale || since > v.opts.MaxStaleness {
			return v.checkActive(ctx, token)
		}
	}
	if c.IAMPrincipal == "" {
		return nil
	}
	changed, ok := v.revs.policyChange(account(c.IAMPrincipal))
	if !ok || c.IssuedAt.Unix() > changed {
		return nil
	}
	if after, ok := v.introspected.Get(c.JTI); ok && after == changed {
		return nil
	}
	if err := v.checkActive(ctx, token); err != nil {
		return err
	}
	v.introspected.Add(c.JTI, changed)
	return nil
}

// checkActive introspects the token: inactive is ErrRevoked, no answer
// ErrUnavailable.
func (v *Verifier) checkActive(ctx context.Context, token string) error {
	active, err := v.introspect(ctx, token)
	if err != nil {
		return err
	}
	if !active {
		return fmt.Errorf("%w: the issuer reports it inactive", ErrRevoked)
	}
	return nil
}
