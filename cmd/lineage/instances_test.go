package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/lineage-oss/lineage/config"
	"github.com/lineage-oss/lineage/store/redistest"
)

// TestSeveralInstancesBehindALoadBalancer: two issuer instances on one
// Redis behind a round-robin balancer — every request goes to the other
// instance than the one before. Clients created on one work on both; the
// browser flow (login session, CSRF, consent, code, PKCE) and refresh
// rotation run across both; a key rotated through one is published by the
// other at its next key tick; a revocation through one is on the other's
// event stream and refused by both.
// startBalancedIssuers starts two issuer instances on one Redis (each
// tailing the revocation stream, as serve's run does, without the key
// ticker) behind a balancer that sends each request to the other instance
// than the one before; extraYAML is appended to the test configuration. It
// returns the issuer as the balancer serves it (its admin API is the
// first instance's) and the two instances.
func startBalancedIssuers(t *testing.T, extraYAML string) (*testIssuer, [2]*app) {
	t.Helper()
	redis := redistest.Start(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	lb := httptest.NewUnstartedServer(nil)
	issuer := "http://" + lb.Listener.Addr().String()
	cfg, err := config.Parse([]byte(testConfig(issuer, string(set), `{redis_url: "redis://`+redis.Addr()+`/0"}`)+extraYAML),
		func(string) (string, bool) { return "", false }, false)
	if err != nil {
		t.Fatal(err)
	}
	clk := &testClock{t: time.Now()}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var apps [2]*app
	for i := range apps {
		a, err := newApp(ctx, cfg, deps{now: clk.now, rand: rand.Reader, logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(a.close)
		go a.hub.Run(ctx)
		apps[i] = a
	}
	var turn atomic.Uint64
	lb.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apps[turn.Add(1)%2].public.ServeHTTP(w, r)
	})
	lb.Start()
	t.Cleanup(lb.Close)
	adminSrv := httptest.NewServer(apps[0].admin)
	t.Cleanup(adminSrv.Close)
	return &testIssuer{url: issuer, admin: adminSrv.URL, app: apps[0], clock: clk, key: key}, apps
}

func TestSeveralInstancesBehindALoadBalancer(t *testing.T) {
	iss, apps := startBalancedIssuers(t, "")
	ctx := context.Background()
	issuer := iss.url
	publicB := httptest.NewServer(apps[1].public)
	t.Cleanup(publicB.Close)
	instB := &testIssuer{url: publicB.URL, admin: iss.admin, app: apps[1], clock: iss.clock, key: iss.key}

	// A client created through A gets tokens from both.
	created := adminJSON(t, iss, "POST", "/admin/v1/clients", `{"id":"billing","grant_types":["client_credentials"],"scopes":["read"]}`, 201)
	secret := created["secret"].(string)
	for range 4 {
		if r := postToken(t, issuer, map[string][]string{"grant_type": {"client_credentials"}}, "billing", secret); r.status != 200 {
			t.Fatalf("client_credentials through the balancer: %d %s", r.status, r.raw)
		}
	}

	// The browser flow and three refreshes, alternating instances.
	l := authorizeAndRefresh(t, iss, 3)
	wantLineageActive(t, iss, l, true)

	// Revoking through the balancer reaches B's stream and both instances.
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	resp, events, _ := openStream(t, instB, streamCtx, "")
	defer resp.Body.Close()
	if status, body := revoke(t, iss, "web", svcSecret, l.refresh); status != 200 {
		t.Fatalf("revoke: %d %s", status, body)
	}
	select {
	case ev := <-events:
		if ev.data["kind"] != "origin_jti" {
			t.Fatalf("event on B: %v", ev.data)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the revocation did not reach B's event stream")
	}
	wantLineageActive(t, iss, l, false)
	wantLineageActive(t, instB, l, false)

	// A key rotated through A is published by B at its next key tick: the
	// new next key that A published behind the one that takes over.
	adminJSON(t, iss, "POST", "/admin/v1/keys/rotate", "", 200)
	var kid, latest string // the key that signs last: RFC 3339 in UTC sorts by time
	for _, k := range adminJSON(t, iss, "GET", "/admin/v1/keys", "", 200)["keys"].([]any) {
		if k := k.(map[string]any); k["signs_from"].(string) > latest {
			kid, latest = k["kid"].(string), k["signs_from"].(string)
		}
	}
	published := func(base string) bool {
		for _, k := range fetchJWKS(t, base).Keys {
			if k.KeyID == kid {
				return true
			}
		}
		return false
	}
	if published(publicB.URL) {
		t.Fatal("B published the new key before its key tick: the check below proves nothing")
	}
	if err := apps[1].keys.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if kid == "" || !published(publicB.URL) {
		t.Fatalf("key %q rotated through A is not in B's JWK Set", kid)
	}
}
