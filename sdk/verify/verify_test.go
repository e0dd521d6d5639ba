package verify_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lineage-oss/lineage/internal/issuertest"
	"github.com/lineage-oss/lineage/sdk/verify"
	"github.com/lineage-oss/lineage/sdk/verify/echoverify"
)

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// TestValidToken: a client_credentials token of the issuer verifies, with
// its claims, the first time and from the cache, without introspection.
func TestValidToken(t *testing.T) {
	t.Parallel()
	iss := startIssuer(t)
	v, rec := newVerifier(t, iss, nil)
	token := iss.token(t, "svc")
	for i := range 3 {
		c, err := v.Verify(context.Background(), token)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if c.Issuer != iss.url || c.Subject != "svc" || c.ClientID != "svc" || !slices.Contains(c.Audience, apiAudience) ||
			c.JTI == "" || c.OriginJTI != c.JTI || !c.HasScope("read") || !c.HasScope("write") || c.HasScope("admin") ||
			c.IAMPrincipal != "" || c.Raw["client_id"] != "svc" || time.Until(c.ExpiresAt) < 50*time.Minute ||
			c.IssuedAt.After(time.Now()) || c.NotBefore.IsZero() {
			t.Fatalf("claims %+v", c)
		}
	}
	if n := rec.count("/introspect"); n != 0 {
		t.Fatalf("%d introspections for a valid token", n)
	}
}

// TestForgedTokens: every forgery of a genuine token is refused as
// invalid, for the intended reason.
func TestForgedTokens(t *testing.T) {
	t.Parallel()
	iss := startIssuer(t)
	genuine := iss.token(t, "svc")
	l := iss.authorize(t, 0)
	// Why each forgery must be refused (in the error).
	reasons := map[string]string{
		"alg none":                                 "unexpected signature algorithm",
		"HS256 keyed with the public JWK":          "unexpected signature algorithm",
		"foreign ES256 key under the issuer's kid": "error in cryptographic primitive",
		"embedded jwk":                             "(jwk)",
		"jku":                                      `"jku"`,
		"x5u":                                      `"x5u"`,
		"x5c":                                      "(x5c)",
		"typ JWT":                                  `typ "JWT"`,
		"an ID token of the issuer":                `typ "JWT"`,
		"tampered payload":                         "error in cryptographic primitive",
		"cut signature":                            "error in cryptographic primitive",
		"no signature":                             "error in cryptographic primitive",
		"alg swapped to ES384":                     "unexpected signature algorithm",
		"unknown kid":                              "not in the issuer's JWK Set",
		"not a JWS":                                "invalid token",
	}
	type forgery struct{ name, token, reason string }
	tests := []forgery{{name: "empty", token: "", reason: "invalid token"}}
	for _, f := range issuertest.Forgeries(t, iss.url, genuine, l.idToken) {
		reason, ok := reasons[f.Name]
		if !ok {
			t.Fatalf("no reason for the forgery %q", f.Name)
		}
		tests = append(tests, forgery{f.Name, f.Token, reason})
	}
	// Without an audience, so that the ID token is refused for its typ
	// alone.
	v, rec := newVerifier(t, iss, func(o *verify.Options) { o.Audience = "" })
	if _, err := v.Verify(context.Background(), genuine); err != nil {
		t.Fatalf("the genuine token: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tc.token)
			if !errors.Is(err, verify.ErrInvalidToken) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("got %v, want ErrInvalidToken with %q", err, tc.reason)
			}
		})
	}
	if n := rec.count("/introspect"); n != 0 {
		t.Fatalf("%d introspections", n)
	}
	if n := rec.count("/.well-known/jwks.json"); n > 2 {
		t.Fatalf("%d JWK Set fetches: unknown kids must not hammer the issuer", n)
	}

	t.Run("expired", func(t *testing.T) {
		clock := &testClock{}
		v, _ := newVerifier(t, iss, func(o *verify.Options) {
			o.Now = clock.Now
			o.OnStreamLost = verify.AcceptStale
			o.MaxStaleness = 24 * time.Hour
		})
		if _, err := v.Verify(context.Background(), genuine); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour) // the token lives 1h; 30s leeway
		if _, err := v.Verify(context.Background(), genuine); err != nil {
			t.Fatalf("within the leeway: %v", err)
		}
		clock.Advance(31 * time.Second)
		if _, err := v.Verify(context.Background(), genuine); !errors.Is(err, verify.ErrInvalidToken) || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("past exp + leeway: %v", err)
		}
	})
	t.Run("another audience", func(t *testing.T) {
		v, _ := newVerifier(t, iss, func(o *verify.Options) { o.Audience = "https://other.example.com" })
		if _, err := v.Verify(context.Background(), genuine); !errors.Is(err, verify.ErrInvalidToken) || !strings.Contains(err.Error(), "aud") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("another issuer", func(t *testing.T) {
		v, _ := newVerifier(t, iss, func(o *verify.Options) { o.Issuer = iss.url + "/" })
		if _, err := v.Verify(context.Background(), genuine); !errors.Is(err, verify.ErrInvalidToken) || !strings.Contains(err.Error(), "iss") {
			t.Fatalf("got %v", err)
		}
	})
}

// TestRevocationsReachTheVerifier: a token revoked at /revoke, a lineage
// revoked by revoking its refresh token, and every token of a client by an
// admin before-T rule are refused within seconds — from the event stream,
// without introspection — while other tokens stay valid, and tokens the
// client gets after T are valid.
func TestRevocationsReachTheVerifier(t *testing.T) {
	t.Parallel()
	iss := startIssuer(t)
	v, rec := newVerifier(t, iss, nil)
	ctx := context.Background()
	svc := []string{iss.token(t, "svc"), iss.token(t, "svc"), iss.token(t, "svc")}
	family := iss.authorize(t, 2)
	other := iss.authorize(t, 0)
	batch := iss.token(t, "batch")
	for _, tok := range slices.Concat(svc, family.access, other.access, []string{batch}) {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("one access token at /revoke", func(t *testing.T) {
		iss.revoke(t, "svc", svc[0])
		eventually(t, 10*time.Second, "the revoked token refused", func() error {
			_, err := v.Verify(ctx, svc[0])
			return wantErr(err, verify.ErrRevoked)
		})
		if _, err := v.Verify(ctx, svc[1]); err != nil {
			t.Fatalf("another token of the client: %v", err)
		}
	})
	t.Run("a lineage by its refresh token", func(t *testing.T) {
		iss.revoke(t, "web", family.refresh)
		for _, tok := range family.access {
			eventually(t, 10*time.Second, "an access token of the revoked lineage", func() error {
				_, err := v.Verify(ctx, tok)
				return wantErr(err, verify.ErrRevoked)
			})
		}
		if _, err := v.Verify(ctx, other.access[0]); err != nil {
			t.Fatalf("another lineage of the same user: %v", err)
		}
	})
	t.Run("a client before T", func(t *testing.T) {
		iss.revokeBefore(t, "client", "svc")
		for _, tok := range svc[1:] {
			eventually(t, 10*time.Second, "a token of the client issued before T", func() error {
				_, err := v.Verify(ctx, tok)
				return wantErr(err, verify.ErrRevoked)
			})
		}
		if _, err := v.Verify(ctx, batch); err != nil {
			t.Fatalf("another client's token: %v", err)
		}
		// iat has seconds: a token of the next second is after T.
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
		if _, err := v.Verify(ctx, iss.token(t, "svc")); err != nil {
			t.Fatalf("a token issued after T: %v", err)
		}
	})
	if n := rec.count("/introspect"); n != 0 {
		t.Fatalf("%d introspections: revocations must arrive by the stream", n)
	}
	if n := rec.count("/revocations?snapshot"); n != 1 {
		t.Fatalf("%d snapshot reads, want 1", n)
	}
}

// TestSnapshotAtStart: a verifier started after revocations refuses the
// revoked tokens at once, from the snapshot.
func TestSnapshotAtStart(t *testing.T) {
	t.Parallel()
	iss := startIssuer(t)
	revoked, kept := iss.token(t, "svc"), iss.token(t, "svc")
	family := iss.authorize(t, 1)
	batch := iss.token(t, "batch")
	iss.revoke(t, "svc", revoked)
	iss.revoke(t, "web", family.refresh)
	iss.revokeBefore(t, "client", "batch")

	v, rec := newVerifier(t, iss, nil)
	for _, tok := range slices.Concat([]string{revoked, batch}, family.access) {
		if _, err := v.Verify(context.Background(), tok); !errors.Is(err, verify.ErrRevoked) {
			t.Fatalf("a token revoked before the verifier started: %v", err)
		}
	}
	if _, err := v.Verify(context.Background(), kept); err != nil {
		t.Fatal(err)
	}
	if n := rec.count("/introspect"); n != 0 {
		t.Fatalf("%d introspections", n)
	}
}

// TestStreamResumes: the stream is cut while tokens are revoked; once it
// can reconnect, it resumes with Last-Event-ID and every revoked token is
// refused — with AcceptStale, so that nothing but the resumed stream can
// refuse them — and nothing else is.
func TestStreamResumes(t *testing.T) {
	t.Parallel()
	iss := startIssuer(t)
	v, rec := newVerifier(t, iss, func(o *verify.Options) { o.OnStreamLost = verify.AcceptStale; o.MaxStaleness = time.Hour })
	ctx := context.Background()
	var tokens []string
	for range 6 {
		tokens = append(tokens, iss.token(t, "svc"))
	}
	// The stream is up: a revocation arrives.
	iss.revoke(t, "svc", tokens[0])
	eventually(t, 10*time.Second, "the first revocation", func() error {
		_, err := v.Verify(ctx, tokens[0])
		return wantErr(err, verify.ErrRevoked)
	})
	streams := rec.count("/revocations")

	rec.cutStream()
	for _, tok := range tokens[1:4] {
		iss.revoke(t, "svc", tok)
	}
	// Cut: the verifier cannot know yet (AcceptStale keeps accepting).
	if _, err := v.Verify(ctx, tokens[1]); err != nil {
		t.Fatalf("before the stream is back: %v", err)
	}
	eventually(t, 15*time.Second, "a reconnection attempt", func() error {
		if rec.count("/revocations") <= streams {
			return errors.New("none yet")
		}
		return nil
	})
	rec.restoreStream()
	for _, tok := range tokens[1:4] {
		eventually(t, 20*time.Second, "a token revoked while the stream was cut", func() error {
			_, err := v.Verify(ctx, tok)
			return wantErr(err, verify.ErrRevoked)
		})
	}
	for _, tok := range tokens[4:] {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("a token never revoked: %v", err)
		}
	}
	ids := rec.streamIDs()
	if last := ids[len(ids)-1]; last == "" || last == ids[0] {
		t.Fatalf("Last-Event-ID of the stream requests: %q: the reconnection did not resume after the first revocation", ids)
	}
	if n := rec.count("/revocations?snapshot"); n != 1 {
		t.Fatalf("%d snapshot reads: the stream must resume, not reload", n)
	}
	if n := rec.count("/introspect"); n != 0 {
		t.Fatalf("%d introspections", n)
	}
}

// TestFailClosedIntrospectsWhileTheStreamIsLost: with the stream cut past
// StaleAfter, FailClosed asks /introspect for every token: valid ones
// pass, one revoked meanwhile is refused though the verifier never heard
// of it.
func TestFailClosedIntrospectsWhileTheStreamIsLost(t *testing.T) {
	t.Parallel()
	iss := startIssuer(t)
	clock := &testClock{}
	v, rec := newVerifier(t, iss, func(o *verify.Options) { o.Now = clock.Now })
	ctx := context.Background()
	valid, revoked := iss.token(t, "svc"), iss.token(t, "svc")
	for _, tok := range []string{valid, revoked} {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	streams := rec.count("/revocations")
	rec.cutStream()
	iss.revoke(t, "svc", revoked)
	// Once the verifier tries to reconnect, it has read all it got.
	eventually(t, 15*time.Second, "a reconnection attempt", func() error {
		if rec.count("/revocations") <= streams {
			return errors.New("none yet")
		}
		return nil
	})
	clock.Advance(verify.DefaultStaleAfter + time.Second)
	if _, err := v.Verify(ctx, valid); err != nil {
		t.Fatalf("a valid token while the stream is lost: %v", err)
	}
	if _, err := v.Verify(ctx, revoked); !errors.Is(err, verify.ErrRevoked) {
		t.Fatalf("a token revoked while the stream is lost: %v", err)
	}
	if n := rec.count("/introspect"); n != 2 {
		t.Fatalf("%d introspections, want one per call", n)
	}
}

// TestIssuerDown: with the issuer stopped, FailClosed refuses every token
// with ErrUnavailable once the stream counts as lost; AcceptStale accepts
// them for MaxStaleness after the last contact, then refuses them too.
func TestIssuerDown(t *testing.T) {
	t.Parallel()
	iss := startIssuer(t)
	clock := &testClock{}
	closed, _ := newVerifier(t, iss, func(o *verify.Options) { o.Now = clock.Now })
	stale, _ := newVerifier(t, iss, func(o *verify.Options) {
		o.Now = clock.Now
		o.OnStreamLost = verify.AcceptStale
		o.MaxStaleness = 2 * time.Minute
	})
	ctx := context.Background()
	token := iss.token(t, "svc")
	for _, v := range []*verify.Verifier{closed, stale} {
		if _, err := v.Verify(ctx, token); err != nil {
			t.Fatal(err)
		}
	}
	iss.stop(t)
	clock.Advance(verify.DefaultStaleAfter + time.Second)
	if _, err := stale.Verify(ctx, token); err != nil {
		t.Fatalf("AcceptStale within MaxStaleness: %v", err)
	}
	// Polled, the clock moving on: a heartbeat read just as the issuer
	// stopped counts as contact.
	eventually(t, 5*time.Second, "FailClosed, issuer down", func() error {
		clock.Advance(verify.DefaultStaleAfter)
		_, err := closed.Verify(ctx, token)
		return wantErr(err, verify.ErrUnavailable)
	})
	eventually(t, 5*time.Second, "AcceptStale past MaxStaleness", func() error {
		clock.Advance(time.Minute)
		_, err := stale.Verify(ctx, token)
		return wantErr(err, verify.ErrUnavailable)
	})
}

// TestDeletedKey: a token remembered under a key that an emergency
// deletion removed from the JWK Set is refused once the verifier has
// refetched the set (here: on the first token of a key it did not know).
func TestDeletedKey(t *testing.T) {
	t.Parallel()
	iss := startIssuer(t)
	v, _ := newVerifier(t, iss, nil)
	ctx := context.Background()
	old := iss.token(t, "svc")
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatal(err)
	}
	// Delete the signing key and the next one (which the verifier knows):
	// the new signing key is one the verifier has not seen.
	keys := iss.signingKeys(t)
	for range 2 {
		kid := iss.signingKeys(t)["current"]
		iss.adminDo(t, http.MethodDelete, "/admin/v1/keys/"+kid, "", http.StatusNoContent, nil)
	}
	fresh := iss.token(t, "svc")
	if kid := header(t, fresh)["kid"]; kid == keys["current"] || kid == keys["next"] {
		t.Fatalf("the new token is signed by %v, a key the verifier knows", kid)
	}
	if _, err := v.Verify(ctx, fresh); err != nil {
		t.Fatalf("a token of the new key: %v", err)
	}
	if _, err := v.Verify(ctx, old); !errors.Is(err, verify.ErrInvalidToken) {
		t.Fatalf("a remembered token of a deleted key: %v", err)
	}
}

// TestMiddleware: net/http and Echo answer 401 with an RFC 6750 challenge
// without a token, with a bad or a revoked one, and let a valid one
// through with its claims in the context.
func TestMiddleware(t *testing.T) {
	t.Parallel()
	iss := startIssuer(t)
	v, _ := newVerifier(t, iss, nil)
	valid, revoked := iss.token(t, "svc"), iss.token(t, "svc")
	iss.revoke(t, "svc", revoked)
	eventually(t, 10*time.Second, "the revocation", func() error {
		_, err := v.Verify(context.Background(), revoked)
		return wantErr(err, verify.ErrRevoked)
	})

	std := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := verify.ClaimsFrom(r.Context())
		if !ok {
			http.Error(w, "no claims", http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, c.Subject)
	})))
	defer std.Close()
	e := echo.New()
	e.Use(echoverify.Middleware(v))
	e.GET("/", func(c echo.Context) error {
		claims, ok := verify.ClaimsFrom(c.Request().Context())
		if !ok {
			return echo.ErrInternalServerError
		}
		return c.String(http.StatusOK, claims.Subject)
	})
	ech := httptest.NewServer(e)
	defer ech.Close()

	tests := []struct {
		name, authorization string
		status              int
		challenge, body     string
	}{
		{name: "valid", authorization: "Bearer " + valid, status: 200, body: "svc"},
		{name: "scheme in lower case", authorization: "bearer " + valid, status: 200, body: "svc"},
		{name: "no token", status: 401, challenge: "Bearer"},
		{name: "another scheme", authorization: "Basic " + base64.StdEncoding.EncodeToString([]byte("svc:x")), status: 401, challenge: "Bearer"},
		{name: "bad token", authorization: "Bearer x.y.z", status: 401, challenge: `Bearer error="invalid_token"`},
		{name: "revoked", authorization: "Bearer " + revoked, status: 401, challenge: `Bearer error="invalid_token"`},
	}
	for _, srv := range []struct {
		name string
		url  string
	}{{"net/http", std.URL}, {"echo", ech.URL}} {
		for _, tc := range tests {
			t.Run(srv.name+"/"+tc.name, func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodGet, srv.url+"/", nil)
				if tc.authorization != "" {
					req.Header.Set("Authorization", tc.authorization)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.status || resp.Header.Get("WWW-Authenticate") != tc.challenge ||
					(tc.body != "" && string(body) != tc.body) {
					t.Fatalf("%d %q %q, want %d %q %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body, tc.status, tc.challenge, tc.body)
				}
			})
		}
	}
}

// TestMiddlewareUnavailable: a token whose revocation status cannot be
// checked is answered 503, never served.
func TestMiddlewareUnavailable(t *testing.T) {
	t.Parallel()
	iss := startIssuer(t)
	clock := &testClock{}
	v, _ := newVerifier(t, iss, func(o *verify.Options) { o.Now = clock.Now })
	token := iss.token(t, "svc")
	iss.stop(t)
	e := echo.New()
	e.Use(echoverify.Middleware(v))
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "served") })
	served := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "served") })
	for name, h := range map[string]http.Handler{"net/http": v.Middleware(served), "echo": e} {
		// Polled, the clock moving on: a heartbeat read just as the
		// issuer stopped counts as contact.
		eventually(t, 5*time.Second, name, func() error {
			clock.Advance(time.Minute)
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusServiceUnavailable {
				return fmt.Errorf("%d %s", rec.Code, rec.Body)
			}
			return nil
		})
	}
}

// TestNewRefuses: options New must refuse, all reported at once, and an
// issuer that refuses the client.
func TestNewRefuses(t *testing.T) {
	t.Parallel()
	_, err := verify.New(context.Background(), verify.Options{
		Issuer:       "ftp://issuer",
		Algorithms:   []string{"HS256", "none", "ES256"},
		OnStreamLost: verify.AcceptStale,
	})
	for _, want := range []string{"Issuer", "ClientID", `"HS256"`, `"none"`, "MaxStaleness"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %s: %v", want, err)
		}
	}
	iss := startIssuer(t)
	_, err = verify.New(context.Background(), verify.Options{Issuer: iss.url, ClientID: "svc", ClientSecret: clientSecret})
	if err == nil || !strings.Contains(err.Error(), "snapshot") {
		t.Fatalf("a client without revocation_events: %v", err)
	}
}
