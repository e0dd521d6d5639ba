package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/lineage-oss/lineage/store/redistest"
)

// binaryCLI runs the built lineage binary as a script would and returns its
// exit code and standard output.
func binaryCLI(t *testing.T, adminURL string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), "LINEAGE_ADMIN_URL="+adminURL, "LINEAGE_ADMIN_TOKEN="+adminToken)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run()
	if strings.Contains(stdout.String()+stderr.String(), adminToken) {
		t.Fatal("the CLI printed the admin token")
	}
	return cmd.ProcessState.ExitCode(), stdout.String()
}

func jwksKIDs(t *testing.T, issuer string) map[string]bool {
	set := fetchJWKS(t, issuer)
	kids := map[string]bool{}
	for _, k := range set.Keys {
		kids[k.KeyID] = true
	}
	return kids
}

// TestBinaryAdministration drives the real binary on Redis through the CLI
// and the admin API: clients created at run time survive a restart, a
// disabled client gets no token and its tokens introspect inactive, a
// rotation publishes the next key before it signs, and revoking a key makes
// every token it signed fail.
func TestBinaryAdministration(t *testing.T) {
	redis := redistest.Start(t, redistest.WithAppendFsyncAlways())
	addr, adminAddr := freeAddr(t), freeAddr(t)
	issuer, adminURL := "http://"+addr, "http://"+adminAddr
	cfg := fmt.Sprintf(`
issuer: %q
http: {public: %q, admin: %q, admin_token: %q}
secrets: {system: %q}
store: {redis_url: "redis://%s/0"}
`, issuer, addr, adminAddr, adminToken, systemSecret, redis.Addr())
	path := writeConfig(t, cfg)
	p := startBinary(t, nil, "serve", "--config", path)
	p.WaitReady(t, issuer)

	var created struct {
		Secret string `json:"secret"`
	}
	code, out := binaryCLI(t, adminURL, "clients", "create", "--id", "billing", "--scope", "read", "--json")
	if code != 0 || json.Unmarshal([]byte(out), &created) != nil || created.Secret == "" {
		t.Fatalf("clients create: exit %d\n%s", code, out)
	}
	var auditor struct {
		Secret string `json:"secret"`
	}
	code, out = binaryCLI(t, adminURL, "clients", "create", "--id", "auditor", "--introspect", "--json")
	if code != 0 || json.Unmarshal([]byte(out), &auditor) != nil {
		t.Fatalf("clients create auditor: exit %d\n%s", code, out)
	}
	billing := clientcredentials.Config{ClientID: "billing", ClientSecret: created.Secret, TokenURL: issuer + "/token"}
	ctx := context.Background()
	tok, err := billing.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := introspect(t, &testIssuer{url: issuer}, "auditor", auditor.Secret, tok.AccessToken); got["active"] != true || got["client_id"] != "billing" {
		t.Fatalf("introspection of a fresh token: %v", got)
	}

	if code, out := binaryCLI(t, adminURL, "clients", "disable", "billing"); code != 0 {
		t.Fatalf("clients disable: exit %d\n%s", code, out)
	}
	if _, err := billing.Token(ctx); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("a disabled client got a token: %v", err)
	}
	if got := introspect(t, &testIssuer{url: issuer}, "auditor", auditor.Secret, tok.AccessToken); len(got) != 1 || got["active"] != false {
		t.Fatalf("a disabled client's token introspects as %v", got)
	}

	// Entries created through the API live in the store: a restart keeps them.
	if code := p.Stop(t); code != 0 {
		t.Fatalf("exit %d on SIGTERM", code)
	}
	p = startBinary(t, nil, "serve", "--config", path)
	p.WaitReady(t, issuer)
	if code, out := binaryCLI(t, adminURL, "clients", "get", "billing", "--json"); code != 0 || !strings.Contains(out, `"disabled": true`) {
		t.Fatalf("after a restart: exit %d\n%s", code, out)
	}
	if code, _ := binaryCLI(t, adminURL, "clients", "enable", "billing"); code != 0 {
		t.Fatal("clients enable failed")
	}
	tok, err = billing.Token(ctx)
	if err != nil {
		t.Fatalf("an enabled client after a restart: %v", err)
	}
	_, signer := verifyAccessToken(t, issuer, tok.AccessToken)

	// A rotation publishes the next key before it signs.
	req, _ := http.NewRequest("POST", adminURL+"/admin/v1/keys/rotate", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var rotated struct {
		Key struct {
			KID       string    `json:"kid"`
			State     string    `json:"state"`
			SignsFrom time.Time `json:"signs_from"`
		} `json:"key"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&rotated)
	resp.Body.Close()
	if resp.StatusCode != 200 || rotated.Key.State != "next" || !rotated.Key.SignsFrom.After(time.Now()) {
		t.Fatalf("rotate: %d %+v", resp.StatusCode, rotated.Key)
	}
	if !jwksKIDs(t, issuer)[rotated.Key.KID] {
		t.Fatal("the next key is not published before it signs")
	}
	tok2, err := billing.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, kid := verifyAccessToken(t, issuer, tok2.AccessToken); kid != signer {
		t.Fatalf("a token minted right after the rotation uses %s, want the current %s", kid, signer)
	}

	// Revoking the signing key: every token it signed fails, at once.
	if code, out := binaryCLI(t, adminURL, "keys", "revoke", "--", signer); code != 0 {
		t.Fatalf("keys revoke: exit %d\n%s", code, out)
	}
	if jwksKIDs(t, issuer)[signer] {
		t.Fatal("a revoked key is still published")
	}
	for _, old := range []string{tok.AccessToken, tok2.AccessToken} {
		if got := introspect(t, &testIssuer{url: issuer}, "auditor", auditor.Secret, old); got["active"] != false {
			t.Fatalf("a token of a revoked key introspects as %v", got)
		}
	}
	tok3, err := billing.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, kid := verifyAccessToken(t, issuer, tok3.AccessToken); kid == signer {
		t.Fatal("new tokens still use the revoked key")
	}
	if code, _ := binaryCLI(t, adminURL, "clients", "get", "nope"); code != 3 {
		t.Fatalf("get of a missing client: exit %d, want 3", code)
	}
}
