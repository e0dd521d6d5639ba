package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/lineage-oss/lineage/config"
	"github.com/lineage-oss/lineage/internal/issuertest"
	"github.com/lineage-oss/lineage/store/redistest"
)

// The real binary, through the module's shared harness.
func binary(t *testing.T) string   { return issuertest.Binary(t) }
func freeAddr(t *testing.T) string { return issuertest.FreeAddr(t) }

func startBinary(t *testing.T, env []string, args ...string) *issuertest.Process {
	return issuertest.Start(t, env, args...)
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lineage.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBinaryClientCredentialsOnRedis(t *testing.T) {
	redis := redistest.Start(t)
	addr := freeAddr(t)
	issuer := "http://" + addr
	cfg := strings.Replace(testConfig(issuer, `{"keys":[]}`, fmt.Sprintf("{redis_url: \"redis://%s/0\"}", redis.Addr())),
		`public: "127.0.0.1:0", admin: "127.0.0.1:1"`, fmt.Sprintf("public: %q, admin: %q", addr, freeAddr(t)), 1)
	cfg = strings.Replace(cfg, `jwks: {"keys":[]}`, `secret: "keyed-client-secret-0123456789-abcdef"`, 1)
	p := startBinary(t, nil, "serve", "--config", writeConfig(t, cfg))
	p.WaitReady(t, issuer)

	tok, err := (&clientcredentials.Config{ClientID: "svc", ClientSecret: svcSecret, TokenURL: issuer + "/token",
		Scopes: []string{"read", "write"}}).Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c, kid := verifyAccessToken(t, issuer, tok.AccessToken)
	if c.Issuer != issuer || c.Subject != "svc" || c.ClientID != "svc" || c.Scope != "read write" ||
		c.ID == "" || c.OriginJTI != c.ID || len(c.Audience) != 2 {
		t.Fatalf("claims %+v", c)
	}

	// The keys live in Redis, sealed: a second instance on the same store
	// signs with the same key.
	addr2 := freeAddr(t)
	cfg2 := regexp.MustCompile(`public: "[^"]+", admin: "[^"]+"`).ReplaceAllString(cfg, fmt.Sprintf("public: %q, admin: %q", addr2, freeAddr(t)))
	p2 := startBinary(t, nil, "serve", "--config", writeConfig(t, cfg2))
	p2.WaitReady(t, "http://"+addr2)
	tok2, err := (&clientcredentials.Config{ClientID: "svc", ClientSecret: svcSecret, TokenURL: "http://" + addr2 + "/token"}).Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, kid2 := verifyAccessToken(t, issuer, tok2.AccessToken); kid2 != kid {
		t.Fatalf("second instance signs with %s, first with %s", kid2, kid)
	}

	for _, q := range []*issuertest.Process{p, p2} {
		if code := q.Stop(t); code != 0 {
			t.Fatalf("exit code %d after SIGTERM\n%s", code, q.Stderr.String())
		}
		logs := q.Stderr.String()
		if !strings.Contains(logs, `"msg":"stopped"`) {
			t.Fatalf("no graceful stop in the log:\n%s", logs)
		}
		for _, secret := range []string{svcSecret, systemSecret, adminToken, tok.AccessToken} {
			if strings.Contains(logs, secret) {
				t.Fatal("a secret or token appears in the log")
			}
		}
		for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
			if !strings.HasPrefix(line, "{") {
				t.Fatalf("log line is not JSON: %q", line)
			}
		}
	}
}

func TestBinaryRefusesInvalidConfig(t *testing.T) {
	bad := `
issuer: "ftp://example.com/"
http: {public: "127.0.0.1:8080", admin: "127.0.0.1:8081", admin_token: "change-me"}
secrets: {system: "short"}
tokens: {signing_alg: HS256, access_ttl: -1h}
clients:
  - {id: a, secret: "too-short", grant_types: [client_credentials]}
  - {id: a, grant_types: [magic]}
`
	path := writeConfig(t, bad)
	cmd := exec.Command(binary(t), "serve", "--config", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 2 {
		t.Fatalf("exit code %d (%v), want 2\n%s", code, err, stderr.String())
	}
	out := stderr.String()
	for _, want := range []string{"issuer", "http.admin_token", "secrets.system", "tokens.signing_alg", "tokens.access_ttl", "clients[0].secret", "clients[1].id", "clients[1].grant_types"} {
		if !strings.Contains(out, want) {
			t.Errorf("the error does not name %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "too-short") {
		t.Error("the error echoes a secret")
	}
}

func TestBinaryShortSecretsOnlyInDev(t *testing.T) {
	addr := freeAddr(t)
	cfg := fmt.Sprintf(`
issuer: "http://%s"
http: {public: %q, admin: %q, admin_token: "change-me"}
secrets: {system: "dev-secret"}
clients:
  - {id: demo, secret: "demo", grant_types: [client_credentials]}
`, addr, addr, freeAddr(t))
	path := writeConfig(t, cfg)
	cmd := exec.Command(binary(t), "serve", "--config", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_ = cmd.Run()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(stderr.String(), "admin_token") || !strings.Contains(stderr.String(), "secrets.system") {
		t.Fatalf("short secrets outside --dev: exit %d\n%s", cmd.ProcessState.ExitCode(), stderr.String())
	}
	p := startBinary(t, nil, "serve", "--dev", "--config", path)
	p.WaitReady(t, "http://"+addr)
}

func TestBinaryDevPrintsAWorkingCurlLine(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed: apt-get install -y curl")
	}
	addr := freeAddr(t)
	p := startBinary(t, []string{"LINEAGE_ISSUER=http://" + addr, "LINEAGE_HTTP_PUBLIC=" + addr, "LINEAGE_HTTP_ADMIN=" + freeAddr(t)}, "serve", "--dev")
	p.WaitReady(t, "http://"+addr)
	var curl string
	sc := bufio.NewScanner(strings.NewReader(p.Stdout.String()))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, "curl ") {
			curl = line
		}
	}
	if curl == "" {
		t.Fatalf("no curl line printed:\n%s", p.Stdout.String())
	}
	out, err := exec.Command("sh", "-c", curl).Output()
	if err != nil {
		t.Fatalf("%s: %v", curl, err)
	}
	if !regexp.MustCompile(`"access_token":"[\w-]+\.[\w-]+\.[\w-]+"`).Match(out) {
		t.Fatalf("the printed curl line got no token: %s", out)
	}
	secret := regexp.MustCompile(`client secret:\s+(\S+)`).FindStringSubmatch(p.Stdout.String())
	if len(secret) != 2 || strings.Contains(p.Stderr.String(), secret[1]) {
		t.Fatal("the demo secret is missing from the banner or leaked into the log")
	}

	// The printed sign-in works: the demo user through demo-web with PKCE.
	banner := p.Stdout.String()
	authURL := regexp.MustCompile(`(?m)^\s+(http://\S+/authorize\?\S+)$`).FindStringSubmatch(banner)
	password := regexp.MustCompile(`user "demo" with password (\S+)`).FindStringSubmatch(banner)
	verifier := regexp.MustCompile(`code_verifier: (\S+),`).FindStringSubmatch(banner)
	if authURL == nil || password == nil || verifier == nil {
		t.Fatalf("no sign-in example in the banner:\n%s", banner)
	}
	b := newBrowser(t, "http://"+addr)
	login := b.get(authURL[1])
	next := b.submit(login, map[string]string{"username": "demo", "password": password[1]})
	if next.status != 200 || next.action != "/consent" {
		t.Fatalf("after signing in: %d %s", next.status, next.location)
	}
	cb := b.submit(next, map[string]string{"decision": "allow"})
	u, _ := url.Parse(cb.location)
	tok := postToken(t, "http://"+addr, url.Values{"grant_type": {"authorization_code"}, "client_id": {"demo-web"},
		"code": {u.Query().Get("code")}, "code_verifier": {verifier[1]}, "redirect_uri": {"http://127.0.0.1:5555/callback"}}, "", "")
	if tok.status != 200 || tok.body["id_token"] == nil {
		t.Fatalf("code exchange with the printed verifier: %d %s", tok.status, tok.raw)
	}
}

func TestDeployConfigIsValid(t *testing.T) {
	env := map[string]string{
		"LINEAGE_SECRETS_SYSTEM":   "deploy-test-system-secret-0123456789-abcdef",
		"LINEAGE_HTTP_ADMIN_TOKEN": "deploy-test-admin-token-0123456789-abcdef",
	}
	_, err := config.Load("../../deploy/lineage.yaml", func(k string) (string, bool) { v, ok := env[k]; return v, ok }, false)
	if err != nil {
		t.Fatalf("deploy/lineage.yaml (used by docker-compose.yml): %v", err)
	}
}
