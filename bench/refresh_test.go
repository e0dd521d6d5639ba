package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/web/pages"
)

func TestParseFormReadsTheLoginPage(t *testing.T) {
	r, err := pages.New()
	if err != nil {
		t.Fatal(err)
	}
	ret := url.Values{"client_id": {"c"}, "scope": {"openid offline_access"}, "state": {`"<&>'`}}.Encode()
	var page bytes.Buffer
	if err := r.Login(&page, pages.LoginPage{Action: "/login", CSRF: "csrf-token", Return: ret, ClientName: "c"}); err != nil {
		t.Fatal(err)
	}
	action, fields := parseForm(page.Bytes())
	if action != "/login" || fields.Get("csrf") != "csrf-token" || fields.Get("return") != ret {
		t.Fatalf("action %q, fields %v", action, fields)
	}
	if fields.Has("username") || fields.Has("password") {
		t.Errorf("visible inputs taken for hidden ones: %v", fields)
	}
	if a, f := parseForm([]byte("<p>no form</p>")); a != "" || len(f) != 0 {
		t.Errorf("a page without a form: %q %v", a, f)
	}
	// Only the first form counts.
	two := `<form action="/a"><input type="hidden" name="x" value="1"></form><form action="/b"><input type="hidden" name="y" value="2"></form>`
	if a, f := parseForm([]byte(two)); a != "/a" || f.Get("x") != "1" || f.Has("y") {
		t.Errorf("two forms: %q %v", a, f)
	}
}

func TestParseUserTokens(t *testing.T) {
	jwt := func(claims string) string {
		return "eyJhbGciOiJFUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + ".c2ln"
	}
	good := map[string]any{"access_token": jwt(`{"origin_jti":"o1"}`), "token_type": "bearer", "expires_in": 3600,
		"refresh_token": "o1.r", "id_token": jwt(`{"origin_jti":"o1"}`)}
	body := func(change func(m map[string]any)) []byte {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		change(m)
		b, _ := json.Marshal(m)
		return b
	}
	tr, ac, err := parseUserTokens(body(func(map[string]any) {}))
	if err != nil || ac.OriginJTI != "o1" || tr.RefreshToken != "o1.r" {
		t.Fatalf("%+v %+v %v", tr, ac, err)
	}
	for name, change := range map[string]func(m map[string]any){
		"no refresh_token":   func(m map[string]any) { delete(m, "refresh_token") },
		"no id_token":        func(m map[string]any) { delete(m, "id_token") },
		"opaque access":      func(m map[string]any) { m["access_token"] = "opaque" },
		"no origin_jti":      func(m map[string]any) { m["access_token"] = jwt(`{"jti":"x"}`) },
		"token_type mac":     func(m map[string]any) { m["token_type"] = "mac" },
		"no expires_in":      func(m map[string]any) { delete(m, "expires_in") },
		"undecodable access": func(m map[string]any) { m["access_token"] = "a.!!!.c" },
	} {
		if _, _, err := parseUserTokens(body(change)); err == nil || failureOf(err).Kind != ErrUnexpectedBody {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := parseUserTokens([]byte("<html>")); err == nil {
		t.Error("HTML taken for a token response")
	}
}

// newTestEnv returns what Run would give a scenario, for tests that drive
// workers themselves; cleanUp deletes what the scenario created.
func newTestEnv(t *testing.T, iss issuer, concurrency int) (env *Env, cleanUp func()) {
	opts := Options{URL: iss.url, AdminURL: iss.adminURL, AdminToken: testAdminToken, Concurrency: concurrency}.withDefaults()
	transport := newTransport(concurrency)
	env = &Env{
		Options: opts, Public: newPublic(opts.URL, transport, opts.Concurrency),
		Admin: newAdmin(opts.AdminURL, opts.AdminToken, randomToken(4)),
		Rand:  rand.New(rand.NewPCG(1, 2)), Progress: testWriter{t},
	}
	return env, func() {
		if _, err := env.Admin.deleteCreated(context.Background()); err != nil {
			t.Error(err)
		}
		transport.CloseIdleConnections()
	}
}

// originOf decodes an access token's origin_jti claim, independently of
// the code under test.
func originOf(t *testing.T, token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Errorf("not a JWT: %d parts", len(parts))
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	if err != nil || json.Unmarshal(raw, &c) != nil {
		t.Errorf("the payload does not decode: %v", err)
		return ""
	}
	o, _ := c["origin_jti"].(string)
	if o == "" {
		t.Error("no origin_jti claim")
	}
	return o
}

func doOnce(w Worker) Result {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return w.Do(ctx)
}

// testRefreshLineages runs workers side by side and records the
// origin_jti of every access token each gets: constant per worker,
// different between workers; every refresh token is new, and a rotated one
// is refused.
func testRefreshLineages(t *testing.T, iss issuer) {
	const workers, rounds = 3, 40
	env, cleanUp := newTestEnv(t, iss, workers)
	defer cleanUp()
	s := &refresh{}
	if _, err := s.Setup(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	type seen struct {
		origins map[string]int
		refresh []string
	}
	results := make([]seen, workers)
	var wg sync.WaitGroup
	for i := range workers {
		w := s.Worker(i).(*refreshWorker)
		wg.Go(func() {
			r := &results[i]
			r.origins = map[string]int{}
			record := func() {
				r.origins[originOf(t, w.l.access)]++
				r.refresh = append(r.refresh, w.l.refresh)
			}
			record() // the sign-in's tokens
			for range rounds {
				if res := doOnce(w); res.Err != nil {
					t.Errorf("worker %d: %v", i, res.Err)
					return
				}
				record()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	owner := map[string]int{}
	tokens := map[string]bool{}
	for i, r := range results {
		if len(r.origins) != 1 {
			t.Errorf("worker %d walked %d lineages: %v", i, len(r.origins), r.origins)
		}
		for o := range r.origins {
			if j, ok := owner[o]; ok {
				t.Errorf("workers %d and %d share lineage %s", j, i, o)
			}
			owner[o] = i
		}
		for _, tok := range r.refresh {
			if tokens[tok] {
				t.Errorf("worker %d got a refresh token twice", i)
			}
			tokens[tok] = true
		}
	}
	if len(tokens) != workers*(rounds+1) {
		t.Errorf("%d distinct refresh tokens, want %d", len(tokens), workers*(rounds+1))
	}
	// The rotation happened in the issuer: the sign-in's refresh token is
	// spent.
	var buf bytes.Buffer
	err := env.Public.PostForm(context.Background(), "/token", s.flow.auth,
		"grant_type=refresh_token&refresh_token="+url.QueryEscape(results[0].refresh[0]), &buf)
	if err == nil || failureOf(err).Kind != "http_400:invalid_grant" {
		t.Errorf("a rotated refresh token presented again: %v", err)
	}
}

// testRefreshRestart spends a worker's refresh token behind its back: its
// refresh fails, the next request signs in again (lineage_restart, or
// sign_in_failed while the sign-in cannot succeed) and the worker walks a
// new lineage.
func testRefreshRestart(t *testing.T, iss issuer) {
	env, cleanUp := newTestEnv(t, iss, 1)
	defer cleanUp()
	s := &refresh{}
	if _, err := s.Setup(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	w := s.Worker(0).(*refreshWorker)
	if res := doOnce(w); res.Err != nil {
		t.Fatal(res.Err)
	}
	first := w.l.origin
	var buf bytes.Buffer
	if err := env.Public.PostForm(context.Background(), "/token", s.flow.auth,
		"grant_type=refresh_token&refresh_token="+url.QueryEscape(w.l.refresh), &buf); err != nil {
		t.Fatal(err)
	}
	if res := doOnce(w); res.Err == nil || failureOf(res.Err).Kind != "http_400:invalid_grant" {
		t.Fatalf("a spent refresh token: %v", res.Err)
	}

	// While the sign-in fails, every request says so and tries again.
	password := s.flow.password
	s.flow.password = "not the password at all"
	res := doOnce(w)
	if f := failureOf(res.Err); f.Kind != ErrSignIn || !strings.Contains(f.Detail, "POST the login form") || !strings.Contains(f.Detail, "http_401") {
		t.Fatalf("a sign-in with a wrong password: %v", res.Err)
	}
	if strings.Contains(failureOf(res.Err).Detail, "not the password") {
		t.Error("the failure shows the password")
	}
	s.flow.password = password

	res = doOnce(w)
	if f := failureOf(res.Err); f.Kind != ErrLineageRestart || !strings.Contains(f.Detail, "http_400:invalid_grant") {
		t.Fatalf("the restart: %v", res.Err)
	}
	second := w.l.origin
	if second == first || originOf(t, w.l.access) != second {
		t.Fatalf("after the restart the worker walks lineage %s (was %s)", second, first)
	}
	for range 5 {
		if res := doOnce(w); res.Err != nil {
			t.Fatal(res.Err)
		}
		if o := originOf(t, w.l.access); o != second {
			t.Fatalf("the new lineage changed: %s, then %s", second, o)
		}
	}
}
