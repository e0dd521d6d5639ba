package verify_test

// wireIssuer speaks the issuer's wire format (docs/revocation.md) in
// process, with keys the test holds: for what the real issuer cannot be
// made to do on demand — sign tokens with arbitrary headers and claims,
// mint IAM tokens (its IAM grant is not served yet), send policy events,
// answer introspection as told — and for benchmarks without a process.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/lineage-oss/lineage/sdk/verify"
)

const wireAccount = "111122223333"

type wireIssuer struct {
	srv *httptest.Server
	key jose.JSONWebKey // the private signing key, with kid and alg

	mu       sync.Mutex
	public   []jose.JSONWebKey
	snapshot []map[string]any
	lastID   string
	events   []string // SSE frames, in order
	changed  chan struct{}

	// introspection answers: status and active
	introspectStatus atomic.Int32
	introspectActive atomic.Bool
	introspections   atomic.Int32
	jwksFetches      atomic.Int32
}

func newWireIssuer(tb testing.TB) *wireIssuer {
	tb.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	w := &wireIssuer{key: jose.JSONWebKey{Key: priv, KeyID: "k1", Algorithm: "ES256", Use: "sig"}, lastID: "0-0", changed: make(chan struct{})}
	w.public = []jose.JSONWebKey{w.key.Public()}
	w.introspectStatus.Store(http.StatusOK)
	w.introspectActive.Store(true)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/jwks.json", func(rw http.ResponseWriter, r *http.Request) {
		w.jwksFetches.Add(1)
		w.mu.Lock()
		set := jose.JSONWebKeySet{Keys: w.public}
		w.mu.Unlock()
		rw.Header().Set("Cache-Control", "max-age=0")
		_ = json.NewEncoder(rw).Encode(set)
	})
	mux.HandleFunc("GET /revocations", w.serveRevocations)
	mux.HandleFunc("POST /introspect", func(rw http.ResponseWriter, r *http.Request) {
		w.introspections.Add(1)
		if id, secret, _ := r.BasicAuth(); id != "rs" || secret != clientSecret {
			http.Error(rw, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		if status := int(w.introspectStatus.Load()); status != http.StatusOK {
			http.Error(rw, `{"error":"temporarily_unavailable"}`, status)
			return
		}
		_ = json.NewEncoder(rw).Encode(map[string]bool{"active": w.introspectActive.Load()})
	})
	w.srv = httptest.NewServer(mux)
	tb.Cleanup(w.srv.Close)
	return w
}

func (w *wireIssuer) serveRevocations(rw http.ResponseWriter, r *http.Request) {
	if id, secret, _ := r.BasicAuth(); id != "rs" || secret != clientSecret {
		http.Error(rw, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	if r.URL.Query().Get("snapshot") == "1" {
		w.mu.Lock()
		body, _ := json.Marshal(map[string]any{"revocations": append([]map[string]any{}, w.snapshot...), "last_event_id": w.lastID})
		w.mu.Unlock()
		_, _ = rw.Write(body)
		return
	}
	rw.Header().Set("Content-Type", "text/event-stream")
	flush := http.NewResponseController(rw).Flush
	_, _ = io.WriteString(rw, "retry: 2000\n\n")
	_ = flush()
	// Resume after Last-Event-ID: frames are numbered from 1.
	next := 0
	if id := r.Header.Get("Last-Event-ID"); id != "" && id != "0-0" {
		_, _ = fmt.Sscanf(id[strings.Index(id, "-")+1:], "%d", &next)
	}
	heartbeat := time.NewTicker(50 * time.Millisecond)
	defer heartbeat.Stop()
	for {
		w.mu.Lock()
		frames, changed := w.events[next:], w.changed
		next = len(w.events)
		w.mu.Unlock()
		for _, f := range frames {
			_, _ = io.WriteString(rw, f)
		}
		_ = flush()
		select {
		case <-r.Context().Done():
			return
		case <-changed:
		case <-heartbeat.C:
			_, _ = io.WriteString(rw, ": heartbeat\n\n")
		}
	}
}

// publish appends an event to the stream (and to the snapshot); at is the
// time of its stream id.
func (w *wireIssuer) publish(at time.Time, e map[string]any) {
	data, _ := json.Marshal(e)
	w.mu.Lock()
	defer w.mu.Unlock()
	id := fmt.Sprintf("%d-%d", at.UnixMilli(), len(w.events)+1)
	w.events = append(w.events, fmt.Sprintf("id: %s\nevent: revocation\ndata: %s\n\n", id, data))
	w.snapshot = append(w.snapshot, e)
	w.lastID = id
	close(w.changed)
	w.changed = make(chan struct{})
}

// claims returns valid claims of an access token issued at iat.
func (w *wireIssuer) claims(iat time.Time, jti string) map[string]any {
	return map[string]any{
		"iss": w.srv.URL, "sub": "svc", "aud": apiAudience, "client_id": "svc", "scope": "read",
		"iat": iat.Unix(), "nbf": iat.Unix(), "exp": iat.Add(time.Hour).Unix(), "jti": jti, "origin_jti": jti,
	}
}

// mint signs claims with the issuer's key (or key), typ at+jwt unless
// opts name another.
func (w *wireIssuer) mint(tb testing.TB, claims map[string]any, key *jose.JSONWebKey, opts *jose.SignerOptions) string {
	tb.Helper()
	if key == nil {
		key = &w.key
	}
	if opts == nil {
		opts = &jose.SignerOptions{}
	}
	if _, ok := opts.ExtraHeaders[jose.HeaderType]; !ok {
		opts = opts.WithType("at+jwt")
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(key.Algorithm), Key: *key}, opts)
	if err != nil {
		tb.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := s.Sign(payload)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func (w *wireIssuer) verifier(tb testing.TB, opts func(*verify.Options)) *verify.Verifier {
	tb.Helper()
	o := verify.Options{Issuer: w.srv.URL, Audience: apiAudience, ClientID: "rs", ClientSecret: clientSecret,
		Logger: slog.New(slog.DiscardHandler)}
	if opts != nil {
		opts(&o)
	}
	v, err := verify.New(context.Background(), o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = v.Close() })
	return v
}

// TestIAMTokensAfterAPolicyChange: an IAM token issued before a policy
// change of its account is introspected (the issuer re-evaluates the
// policies), once per change; other tokens are not.
func TestIAMTokensAfterAPolicyChange(t *testing.T) {
	t.Parallel()
	w := newWireIssuer(t)
	v := w.verifier(t, nil)
	ctx := context.Background()
	issued := time.Now().Add(-time.Minute)
	iam := func(jti, principal string, iat time.Time) string {
		c := w.claims(iat, jti)
		c["iam_principal"] = principal
		c["iam_session_iat"] = iat.Unix()
		return w.mint(t, c, nil, nil)
	}
	session := "arn:aws:sts::" + wireAccount + ":assumed-role/ExampleAppClientRole/ci"
	before := iam("iam-1", session, issued)
	otherAccount := iam("iam-2", "arn:aws:sts::444455556666:assumed-role/R/s", issued)
	plain := w.mint(t, w.claims(issued, "plain-1"), nil, nil)
	check := func(token string, want error, introspections int32) {
		t.Helper()
		_, err := v.Verify(ctx, token)
		if (want == nil && err != nil) || (want != nil && !errors.Is(err, want)) {
			t.Fatalf("got %v, want %v", err, want)
		}
		if n := w.introspections.Load(); n != introspections {
			t.Fatalf("%d introspections, want %d", n, introspections)
		}
	}
	check(before, nil, 0)

	w.publish(time.Now(), map[string]any{"kind": "policy", "id": wireAccount, "scope": "account", "until": time.Now().Add(time.Hour).Unix()})
	eventually(t, 5*time.Second, "the policy event", func() error {
		_, _ = v.Verify(ctx, before)
		if w.introspections.Load() == 0 {
			return fmt.Errorf("not introspected yet")
		}
		return nil
	})
	check(before, nil, 1)       // remembered until the next change
	check(otherAccount, nil, 1) // another account
	check(plain, nil, 1)        // not an IAM token
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
	check(iam("iam-3", session, time.Now()), nil, 1) // issued after the change

	// The next change denies it.
	w.introspectActive.Store(false)
	w.publish(time.Now(), map[string]any{"kind": "policy", "id": wireAccount, "scope": "account", "until": time.Now().Add(time.Hour).Unix()})
	eventually(t, 5*time.Second, "the second policy event", func() error {
		_, err := v.Verify(ctx, before)
		return wantErr(err, verify.ErrRevoked)
	})
	// And an issuer that cannot answer fails closed.
	w.introspectStatus.Store(http.StatusServiceUnavailable)
	if _, err := v.Verify(ctx, before); !errors.Is(err, verify.ErrUnavailable) {
		t.Fatalf("introspection unavailable: %v", err)
	}
}

// TestClaimsAndHeaders: what Verify accepts and refuses in tokens signed
// by the issuer's own key.
func TestClaimsAndHeaders(t *testing.T) {
	t.Parallel()
	w := newWireIssuer(t)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	es384 := jose.JSONWebKey{Key: p384, KeyID: "k1", Algorithm: "ES384"}
	v := w.verifier(t, func(o *verify.Options) { o.Algorithms = []string{"ES256", "ES384"} })
	now := time.Now()
	with := func(change func(map[string]any)) map[string]any {
		c := w.claims(now, "jti-1")
		change(c)
		return c
	}
	tests := []struct {
		name   string
		token  string
		reason string // "" = valid
	}{
		{name: "valid", token: w.mint(t, w.claims(now, "a"), nil, nil)},
		{name: "typ in upper case", token: w.mint(t, w.claims(now, "b"), nil, (&jose.SignerOptions{}).WithType("AT+JWT"))},
		{name: "typ with application/", token: w.mint(t, w.claims(now, "c"), nil, (&jose.SignerOptions{}).WithType("application/at+jwt"))},
		{name: "aud as a list", token: w.mint(t, with(func(c map[string]any) { c["aud"] = []string{"x", apiAudience} }), nil, nil)},
		{name: "typ JWT", token: w.mint(t, w.claims(now, "d"), nil, (&jose.SignerOptions{}).WithType("JWT")), reason: `typ "JWT"`},
		{name: "no typ", token: w.mint(t, w.claims(now, "e"), nil, (&jose.SignerOptions{}).WithType("")), reason: "typ"},
		{name: "crit", token: w.mint(t, w.claims(now, "f"), nil, (&jose.SignerOptions{}).WithCritical("exp").WithHeader("exp", 1)), reason: "crit"},
		{name: "alg other than the key's", token: w.mint(t, w.claims(now, "g"), &es384, nil), reason: "not the key's"},
		{name: "no kid", token: w.mint(t, w.claims(now, "h"), &jose.JSONWebKey{Key: w.key.Key, Algorithm: "ES256"}, nil), reason: "no kid"},
		{name: "another issuer", token: w.mint(t, with(func(c map[string]any) { c["iss"] = "https://evil.example" }), nil, nil), reason: "iss"},
		{name: "another audience", token: w.mint(t, with(func(c map[string]any) { c["aud"] = "https://other.example" }), nil, nil), reason: "aud"},
		{name: "no exp", token: w.mint(t, with(func(c map[string]any) { delete(c, "exp") }), nil, nil), reason: "no exp"},
		{name: "no iat", token: w.mint(t, with(func(c map[string]any) { delete(c, "iat") }), nil, nil), reason: "no iat"},
		{name: "no jti", token: w.mint(t, with(func(c map[string]any) { delete(c, "jti") }), nil, nil), reason: "no jti"},
		{name: "no origin_jti", token: w.mint(t, with(func(c map[string]any) { delete(c, "origin_jti") }), nil, nil), reason: "no origin_jti"},
		{name: "expired", token: w.mint(t, with(func(c map[string]any) { c["exp"] = now.Add(-31 * time.Second).Unix() }), nil, nil), reason: "expired"},
		{name: "expired within the leeway", token: w.mint(t, with(func(c map[string]any) { c["exp"] = now.Add(-20 * time.Second).Unix() }), nil, nil)},
		{name: "nbf ahead", token: w.mint(t, with(func(c map[string]any) { c["nbf"] = now.Add(time.Minute).Unix() }), nil, nil), reason: "nbf"},
		{name: "iat ahead", token: w.mint(t, with(func(c map[string]any) { c["iat"] = now.Add(time.Minute).Unix() }), nil, nil), reason: "iat"},
		{name: "sub not a string", token: w.mint(t, with(func(c map[string]any) { c["sub"] = 42 }), nil, nil), reason: "claims"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tc.token)
			switch {
			case tc.reason == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.reason != "" && (!errors.Is(err, verify.ErrInvalidToken) || !strings.Contains(err.Error(), tc.reason)):
				t.Fatalf("got %v, want ErrInvalidToken with %q", err, tc.reason)
			}
		})
	}
}

// TestRememberedTokens: a remembered token is still checked for its times
// and revocations on every call, and forgotten when its key leaves the
// JWK Set.
func TestRememberedTokens(t *testing.T) {
	t.Parallel()
	w := newWireIssuer(t)
	clock := &testClock{}
	v := w.verifier(t, func(o *verify.Options) { o.Now = clock.Now })
	ctx := context.Background()
	now := time.Now()
	a, b := w.mint(t, w.claims(now, "a"), nil, nil), w.mint(t, w.claims(now, "b"), nil, nil)
	for _, tok := range []string{a, b} {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	w.publish(time.Now(), map[string]any{"kind": "jti", "id": "a", "until": now.Add(time.Hour).Unix()})
	eventually(t, 5*time.Second, "a remembered token revoked", func() error {
		_, err := v.Verify(ctx, a)
		return wantErr(err, verify.ErrRevoked)
	})
	if _, err := v.Verify(ctx, b); err != nil {
		t.Fatal(err)
	}

	// A new key signs; the old one leaves the set. The first token of the
	// new key refetches the set.
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2 := jose.JSONWebKey{Key: priv, KeyID: "k2", Algorithm: "ES256", Use: "sig"}
	w.mu.Lock()
	w.public = []jose.JSONWebKey{k2.Public()}
	w.mu.Unlock()
	if _, err := v.Verify(ctx, w.mint(t, w.claims(now, "c"), &k2, nil)); err != nil {
		t.Fatalf("a token of the new key: %v", err)
	}
	if _, err := v.Verify(ctx, b); !errors.Is(err, verify.ErrInvalidToken) {
		t.Fatalf("a remembered token of a key gone from the set: %v", err)
	}
}

// TestUnknownKidsAreRateLimited: tokens with made-up kids refetch the JWK
// Set at most once per 10 seconds.
func TestUnknownKidsAreRateLimited(t *testing.T) {
	t.Parallel()
	w := newWireIssuer(t)
	v := w.verifier(t, nil)
	for i := range 50 {
		key := w.key
		key.KeyID = fmt.Sprintf("made-up-%d", i)
		if _, err := v.Verify(context.Background(), w.mint(t, w.claims(time.Now(), "x"), &key, nil)); !errors.Is(err, verify.ErrInvalidToken) {
			t.Fatal(err)
		}
	}
	if n := w.jwksFetches.Load(); n != 2 { // New's and one refresh
		t.Fatalf("%d JWK Set fetches for 50 unknown kids, want 2", n)
	}
}

// FuzzVerify: whatever the token, Verify neither panics nor accepts
// anything but a token with the genuine claims.
func FuzzVerify(f *testing.F) {
	w := newWireIssuer(f)
	v := w.verifier(f, nil)
	genuine := w.mint(f, w.claims(time.Now(), "fuzz"), nil, nil)
	f.Add(genuine)
	f.Add(strings.Replace(genuine, ".", "..", 1))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(context.Background(), token)
		if err == nil && (c.JTI != "fuzz" || c.Issuer != w.srv.URL) {
			t.Fatalf("accepted %q with %+v", token, c)
		}
	})
}

// benchmarkVerify measures local verification of one token (no issuer
// process: the wire issuer serves the key set and an idle stream).
func benchmarkVerify(b *testing.B, cacheSize int) {
	w := newWireIssuer(b)
	v := w.verifier(b, func(o *verify.Options) { o.CacheSize = cacheSize })
	token := w.mint(b, w.claims(time.Now(), "bench"), nil, nil)
	ctx := context.Background()
	if _, err := v.Verify(ctx, token); err != nil {
		b.Fatal(err)
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := v.Verify(ctx, token); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkVerifyCached: a token seen before (a hash, a cache lookup, the
// time and revocation checks).
func BenchmarkVerifyCached(b *testing.B) { benchmarkVerify(b, verify.DefaultCacheSize) }

// BenchmarkVerifyUncached: the full check with the ES256 signature.
func BenchmarkVerifyUncached(b *testing.B) { benchmarkVerify(b, -1) }
