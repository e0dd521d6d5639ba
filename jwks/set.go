package jwks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/lineage-oss/lineage/secrets"
	"github.com/lineage-oss/lineage/store"
)

// Errors returned by Sign and Verify.
var (
	// ErrNoSigningKey reports that no key signs yet (the set was never
	// rotated into shape, or every key was deleted).
	ErrNoSigningKey = errors.New("jwks: no signing key")
	// ErrBusy reports that another instance holds the rotation lock.
	ErrBusy = errors.New("jwks: another instance is rotating the keys")
	// ErrInvalidToken reports a JWS that is malformed, uses another
	// algorithm or type than its key, names an unknown kid, or whose
	// signature does not verify.
	ErrInvalidToken = errors.New("jwks: invalid token")
)

const rotationLock = "jwks-rotation"

// Options configure a Set.
type Options struct {
	// Alg is the algorithm of new keys: ES256 (default), RS256 or EdDSA.
	Alg string
	// RotateEvery is how long a key signs before the next one takes over.
	RotateEvery time.Duration
	// PublishAhead is the least time a key is published before it signs:
	// at least the JWKS Cache-Control max-age.
	PublishAhead time.Duration
	// Overlap is how long a key stays published after it stops signing:
	// the longest token lifetime plus the verifiers' clock leeway.
	Overlap time.Duration
	// Owner names this instance in the rotation lock.
	Owner string
	// Now and Rand are the clock and the randomness for new keys.
	Now  func() time.Time
	Rand io.Reader
	// TracerProvider traces SignContext (nil: no traces).
	TracerProvider trace.TracerProvider
}

// Set is the issuer's signing key set: it signs with the current key,
// verifies with any published one, serves the JWK Set and rotates. It reads
// the store on Reload and Tick only; Sign and Verify use an in-memory
// snapshot. Safe for concurrent use.
type Set struct {
	opts   Options
	keys   store.SigningKeys
	locks  store.Locks
	sealer *secrets.Sealer
	snap   atomic.Pointer[snapshot]
	tracer trace.Tracer
}

// New returns a Set over the stored keys; call Tick before signing.
func New(keys store.SigningKeys, locks store.Locks, sealer *secrets.Sealer, opts Options) (*Set, error) {
	if opts.Alg == "" {
		opts.Alg = ES256
	}
	if _, err := generateKeyCheck(opts.Alg); err != nil {
		return nil, err
	}
	if opts.RotateEvery <= 0 || opts.PublishAhead < 0 || opts.Overlap < 0 {
		return nil, errors.New("jwks: RotateEvery must be positive, PublishAhead and Overlap not negative")
	}
	if opts.Now == nil || opts.Rand == nil || opts.Owner == "" {
		return nil, errors.New("jwks: Now, Rand and Owner are required")
	}
	if opts.TracerProvider == nil {
		opts.TracerProvider = noop.NewTracerProvider()
	}
	s := &Set{opts: opts, keys: keys, locks: locks, sealer: sealer,
		tracer: opts.TracerProvider.Tracer("github.com/lineage-oss/lineage/jwks")}
	s.snap.Store(&snapshot{})
	return s, nil
}

func generateKeyCheck(alg string) (string, error) {
	switch alg {
	case ES256, RS256, EdDSA:
		return alg, nil
	}
	return "", fmt.Errorf("jwks: unsupported algorithm %q", alg)
}

// snapshot is an immutable view of the keys, ordered by SignsFrom.
type snapshot struct {
	keys []*Key
}

// signing returns the key that signs at now.
func (s *snapshot) signing(now time.Time) *Key {
	var cur *Key
	for _, k := range s.keys {
		if !k.SignsFrom.After(now) {
			cur = k
		}
	}
	return cur
}

// retiredAt returns when keys[i] stopped signing, or zero if it has not.
func retiredAt(keys []*Key, i int, now time.Time) time.Time {
	if i+1 < len(keys) && !keys[i+1].SignsFrom.After(now) {
		return keys[i+1].SignsFrom
	}
	return time.Time{}
}

// live reports whether keys[i] is still published at now.
func live(keys []*Key, i int, now time.Time, overlap time.Duration) bool {
	r := retiredAt(keys, i, now)
	return r.IsZero() || !now.After(r.Add(overlap))
}

func (s *snapshot) lookup(kid string) *Key {
	for _, k := range s.keys {
		if k.KID == kid {
			return k
		}
	}
	return nil
}

// Sign signs payload with the current key as a compact JWS whose header
// carries typ and kid.
func (s *Set) Sign(typ string, payload []byte) (string, error) {
	token, _, err := s.sign(typ, payload)
	return token, err
}

// SpanSign names the span of SignContext.
const SpanSign = "jwks.Sign"

// SignContext is Sign recorded as a span (SpanSign) in ctx's trace, with
// the token type, the algorithm and the kid; never the payload.
func (s *Set) SignContext(ctx context.Context, typ string, payload []byte) (string, error) {
	_, span := s.tracer.Start(ctx, SpanSign, trace.WithAttributes(attribute.String("jwt.typ", typ)))
	defer span.End()
	token, k, err := s.sign(typ, payload)
	if k != nil {
		span.SetAttributes(attribute.String("jwt.alg", k.Alg), attribute.String("jwt.kid", k.KID))
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "sign failed")
	}
	return token, err
}

// sign signs with the current key and returns it too (nil: none).
func (s *Set) sign(typ string, payload []byte) (string, *Key, error) {
	k := s.snap.Load().signing(s.opts.Now())
	if k == nil {
		return "", nil, ErrNoSigningKey
	}
	signer, err := k.signer(typ)
	if err != nil {
		return "", k, err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", k, fmt.Errorf("jwks: sign: %w", err)
	}
	token, err := jws.CompactSerialize()
	return token, k, err
}

// Verified is a JWS whose signature checked out against a published key.
type Verified struct {
	KID     string
	Alg     string
	Type    string
	Payload []byte
	// PublicKey is the raw public key that verified the signature.
	PublicKey any
}

// Verify checks a compact JWS against the published keys. The algorithm is
// pinned to the key named by kid (never "none", never HMAC), and a token
// that carries its own key (jwk, jku, x5u, x5c) is refused. If typ is not
// empty the header must name it (RFC 8725 §3.11; "application/" prefix
// allowed). Claims are the caller's to check.
func (s *Set) Verify(token, typ string) (Verified, error) {
	jws, err := jose.ParseSignedCompact(token, supportedAlgorithms)
	if err != nil {
		return Verified{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	h := jws.Signatures[0].Protected
	if h.JSONWebKey != nil || h.ExtraHeaders["jku"] != nil || h.ExtraHeaders["x5u"] != nil || carriesCertificates(token) {
		return Verified{}, fmt.Errorf("%w: embedded key", ErrInvalidToken)
	}
	k := s.snap.Load().lookup(h.KeyID)
	if k == nil {
		return Verified{}, fmt.Errorf("%w: unknown kid", ErrInvalidToken)
	}
	if h.Algorithm != k.Alg {
		return Verified{}, fmt.Errorf("%w: algorithm %q differs from the key's", ErrInvalidToken, h.Algorithm)
	}
	gotTyp, _ := h.ExtraHeaders[jose.HeaderType].(string)
	if !typeMatches(gotTyp, typ) {
		return Verified{}, fmt.Errorf("%w: typ %q", ErrInvalidToken, gotTyp)
	}
	payload, err := jws.Verify(k.public)
	if err != nil {
		return Verified{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return Verified{KID: k.KID, Alg: k.Alg, Type: gotTyp, Payload: payload, PublicKey: k.public.Key}, nil
}

// Published reports whether the key kid is in the key set (next, current
// or retired): a token it signed still verifies.
func (s *Set) Published(kid string) bool { return s.snap.Load().lookup(kid) != nil }

// typeMatches reports whether a token's typ header is want (RFC 8725
// §3.11), ignoring case and an "application/" prefix; want "" accepts any.
func typeMatches(got, want string) bool {
	return want == "" || strings.EqualFold(strings.TrimPrefix(strings.ToLower(got), "application/"), want)
}

// carriesCertificates reports whether the protected header of a compact
// JWS has an x5c member (go-jose keeps it out of ExtraHeaders).
func carriesCertificates(token string) bool {
	header, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		return true
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return true
	}
	_, ok := members["x5c"]
	return ok
}

// Public returns the JWK Set to publish: the next keys, the current key
// and retired keys whose tokens may still be live.
func (s *Set) Public() jose.JSONWebKeySet {
	keys := s.snap.Load().keys
	now := s.opts.Now()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for i := len(keys) - 1; i >= 0; i-- {
		if live(keys, i, now, s.opts.Overlap) {
			set.Keys = append(set.Keys, keys[i].public)
		}
	}
	return set
}

// Status describes one key for operators.
type Status struct {
	KID       string    `json:"kid"`
	Alg       string    `json:"alg"`
	State     string    `json:"state"` // next, current, retired
	CreatedAt time.Time `json:"created_at"`
	SignsFrom time.Time `json:"signs_from"`
	RetiredAt time.Time `json:"retired_at,omitzero"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // when it leaves the JWK Set
}

// Keys lists the published keys, newest first.
func (s *Set) Keys() []Status {
	keys := s.snap.Load().keys
	now := s.opts.Now()
	cur := s.snap.Load().signing(now)
	var out []Status
	for i := len(keys) - 1; i >= 0; i-- {
		k := keys[i]
		if !live(keys, i, now, s.opts.Overlap) {
			continue
		}
		st := Status{KID: k.KID, Alg: k.Alg, CreatedAt: k.CreatedAt, SignsFrom: k.SignsFrom}
		switch {
		case k == cur:
			st.State = "current"
		case k.SignsFrom.After(now):
			st.State = "next"
		default:
			st.State = "retired"
			st.RetiredAt = retiredAt(keys, i, now)
			st.ExpiresAt = st.RetiredAt.Add(s.opts.Overlap)
		}
		out = append(out, st)
	}
	return out
}

// Current returns the key that signs now, and false if none does.
func (s *Set) Current() (Status, bool) {
	k := s.snap.Load().signing(s.opts.Now())
	if k == nil {
		return Status{}, false
	}
	return Status{KID: k.KID, Alg: k.Alg, State: "current", CreatedAt: k.CreatedAt, SignsFrom: k.SignsFrom}, true
}

// Reload reads the keys from the store into the in-memory snapshot. Keys
// already open are reused.
func (s *Set) Reload(ctx context.Context) error {
	keys, err := s.load(ctx)
	if err != nil {
		return err
	}
	s.snap.Store(&snapshot{keys: keys})
	return nil
}

func (s *Set) load(ctx context.Context) ([]*Key, error) {
	recs, err := s.keys.ListSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("jwks: list keys: %w", err)
	}
	old := s.snap.Load()
	keys := make([]*Key, 0, len(recs))
	for _, rec := range recs {
		if k := old.lookup(rec.KID); k != nil && k.SignsFrom.Equal(rec.SignsFrom) {
			keys = append(keys, k)
			continue
		}
		k, err := keyFromRecord(s.sealer, rec)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	sort.SliceStable(keys, func(i, j int) bool { return keys[i].SignsFrom.Before(keys[j].SignsFrom) })
	return keys, nil
}

// Tick brings the stored keys into shape, then reloads: it creates the
// first key, keeps one next key published ahead of its SignsFrom, and drops
// keys whose overlap has passed. The change runs under a store lock so that
// one instance rotates at a time; Tick is cheap when nothing is due.
func (s *Set) Tick(ctx context.Context) error {
	if err := s.Reload(ctx); err != nil {
		return err
	}
	if !s.due(s.snap.Load().keys, s.opts.Now()) {
		return nil
	}
	err := s.locked(ctx, func(keys []*Key, now time.Time) error {
		return s.settle(ctx, keys, now)
	})
	if errors.Is(err, ErrBusy) {
		return s.Reload(ctx) // another instance is rotating
	}
	return err
}

// due reports whether settle would change anything.
func (s *Set) due(keys []*Key, now time.Time) bool {
	if len(keys) == 0 || !keys[len(keys)-1].SignsFrom.After(now) {
		return true // no key, or no next key
	}
	for i := range keys {
		if !live(keys, i, now, s.opts.Overlap) {
			return true
		}
	}
	return false
}

// locked runs change on freshly read keys while holding the rotation lock,
// then reloads. It returns ErrBusy when another instance holds the lock.
func (s *Set) locked(ctx context.Context, change func([]*Key, time.Time) error) error {
	ok, err := s.locks.AcquireLock(ctx, rotationLock, s.opts.Owner, time.Minute)
	if err != nil {
		return fmt.Errorf("jwks: rotation lock: %w", err)
	}
	if !ok {
		return ErrBusy
	}
	defer s.locks.ReleaseLock(context.WithoutCancel(ctx), rotationLock, s.opts.Owner) //nolint:errcheck // the lock expires anyway
	keys, err := s.load(ctx)
	if err != nil {
		return err
	}
	if err := change(keys, s.opts.Now()); err != nil {
		return err
	}
	return s.Reload(ctx)
}

func (s *Set) settle(ctx context.Context, keys []*Key, now time.Time) error {
	for i, k := range keys {
		if !live(keys, i, now, s.opts.Overlap) {
			if err := s.keys.DeleteSigningKey(ctx, k.KID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("jwks: drop retired key: %w", err)
			}
		}
	}
	if len(keys) == 0 {
		// The first key signs at once: no verifier can have cached a JWK
		// Set without it.
		first, err := s.put(ctx, now, now)
		if err != nil {
			return err
		}
		keys = []*Key{first}
	}
	last := keys[len(keys)-1]
	if last.SignsFrom.After(now) {
		return nil
	}
	signsFrom := last.SignsFrom.Add(s.opts.RotateEvery)
	if earliest := now.Add(s.opts.PublishAhead); signsFrom.Before(earliest) {
		signsFrom = earliest
	}
	_, err := s.put(ctx, now, signsFrom)
	return err
}

func (s *Set) put(ctx context.Context, now, signsFrom time.Time) (*Key, error) {
	k, err := generateKey(s.opts.Alg, s.opts.Rand, now)
	if err != nil {
		return nil, err
	}
	k.SignsFrom = signsFrom.UTC()
	return k, s.save(ctx, k)
}

func (s *Set) save(ctx context.Context, k *Key) error {
	rec, err := k.record(s.sealer)
	if err != nil {
		return err
	}
	if err := s.keys.PutSigningKey(ctx, rec); err != nil {
		return fmt.Errorf("jwks: store key %s: %w", k.KID, err)
	}
	return nil
}

// Rotate moves the next key forward: it signs now if it has been published
// for PublishAhead already, else as soon as it has. A new next key is
// published behind it. Rotate returns the key that takes over.
func (s *Set) Rotate(ctx context.Context) (Status, error) {
	var taking Status
	err := s.locked(ctx, func(keys []*Key, now time.Time) error {
		if err := s.settle(ctx, keys, now); err != nil {
			return err
		}
		keys, err := s.load(ctx)
		if err != nil {
			return err
		}
		var next *Key
		for _, k := range keys {
			if k.SignsFrom.After(now) {
				next = k
				break
			}
		}
		if next == nil {
			return ErrNoSigningKey
		}
		signsFrom := next.CreatedAt.Add(s.opts.PublishAhead)
		if signsFrom.Before(now) {
			signsFrom = now
		}
		moved := &Key{KID: next.KID, Alg: next.Alg, CreatedAt: next.CreatedAt, SignsFrom: signsFrom.UTC(),
			private: next.private, public: next.public, signers: map[string]jose.Signer{}}
		if err := s.save(ctx, moved); err != nil {
			return err
		}
		if _, err := s.put(ctx, now, signsFrom.Add(s.opts.RotateEvery)); err != nil {
			return err
		}
		taking = Status{KID: moved.KID, Alg: moved.Alg, State: "next", CreatedAt: moved.CreatedAt, SignsFrom: moved.SignsFrom}
		if !moved.SignsFrom.After(now) {
			taking.State = "current"
		}
		return nil
	})
	if err != nil {
		return Status{}, err
	}
	return taking, nil
}

// Delete removes a key at once — an emergency revocation: every token it
// signed stops verifying here now and on every other instance at its next
// reload. If it was signing, the next key takes over at once, without
// publish-ahead (verifiers refetch the JWK Set on an unknown kid), and a new
// next key is published behind it.
func (s *Set) Delete(ctx context.Context, kid string) error {
	found := false
	err := s.locked(ctx, func(keys []*Key, now time.Time) error {
		var deleted, next *Key
		for _, k := range keys {
			switch {
			case k.KID == kid:
				deleted = k
			case next == nil && k.SignsFrom.After(now):
				next = k
			}
		}
		if deleted == nil {
			return nil
		}
		found = true
		if err := s.keys.DeleteSigningKey(ctx, kid); err != nil {
			return fmt.Errorf("jwks: delete key %s: %w", kid, err)
		}
		if (&snapshot{keys: keys}).signing(now) == deleted && next == nil {
			// No next key: a new one signs at once, so that an older,
			// retired key never signs again.
			if _, err := s.put(ctx, now, now); err != nil {
				return err
			}
		} else if (&snapshot{keys: keys}).signing(now) == deleted {
			moved := &Key{KID: next.KID, Alg: next.Alg, CreatedAt: next.CreatedAt, SignsFrom: now.UTC(),
				private: next.private, public: next.public, signers: map[string]jose.Signer{}}
			if err := s.save(ctx, moved); err != nil {
				return err
			}
		}
		fresh, err := s.load(ctx)
		if err != nil {
			return err
		}
		return s.settle(ctx, fresh, now)
	})
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("jwks: key %s: %w", kid, store.ErrNotFound)
	}
	return nil
}
