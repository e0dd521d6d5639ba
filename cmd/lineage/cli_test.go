package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/lineage-oss/lineage/admin"
)

// cliResult is what one run of the lineage command did.
type cliResult struct {
	code           int
	stdout, stderr string
}

// cliEnv is the environment that points the admin commands at iss.
func cliEnv(iss *testIssuer) map[string]string {
	return map[string]string{envAdminURL: iss.admin, envAdminToken: adminToken}
}

// lineageCLI runs the lineage command in process, as main does, with stdin
// and the environment given. No output may carry the admin token.
func lineageCLI(t *testing.T, environ map[string]string, stdin string, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := environ[k]; return v, ok }
	code := runWithStdin(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr, lookup)
	r := cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
	for _, secret := range []string{adminToken, "wrong-token-0123456789-0123456789-xyz"} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("lineage %s printed the admin token:\n%s%s", strings.Join(args, " "), r.stdout, r.stderr)
		}
	}
	return r
}

// check fails t unless r exited with want.
func (r cliResult) check(t *testing.T, want int) {
	t.Helper()
	if r.code != want {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, want, r.stdout, r.stderr)
	}
}

// decode parses r's stdout (--json) into v.
func (r cliResult) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, r.stdout)
	}
}

var secretLine = regexp.MustCompile(`(?m)^secret \(shown once\): (\S+)$`)

// shownSecret returns the secret a table-mode command printed once.
func (r cliResult) shownSecret(t *testing.T) string {
	t.Helper()
	m := secretLine.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no %q line in:\n%s", "secret (shown once): …", r.stdout)
	}
	return m[1]
}

// clientToken gets an access token with the client_credentials grant.
func clientToken(iss *testIssuer, id, secret string) (*oauth2.Token, error) {
	cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: iss.url + "/token"}
	return cc.Token(context.Background())
}

// mustClientToken is clientToken that fails t on an error.
func mustClientToken(t *testing.T, iss *testIssuer, id, secret string) string {
	t.Helper()
	tok, err := clientToken(iss, id, secret)
	if err != nil {
		t.Fatalf("token for %s: %v", id, err)
	}
	return tok.AccessToken
}

// wantInvalidClient fails t unless a token request with id and secret is
// refused with invalid_client (RFC 6749 §5.2).
func wantInvalidClient(t *testing.T, iss *testIssuer, id, secret string) {
	t.Helper()
	_, err := clientToken(iss, id, secret)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Fatalf("token for %s: %v, want invalid_client", id, err)
	}
}

// introspect asks /introspect (RFC 7662 §2.1) about token, authenticated
// as id with secret (client_secret_basic).
func introspect(t *testing.T, iss *testIssuer, id, secret, token string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, iss.url+"/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("introspect: %d %v %v", resp.StatusCode, out, err)
	}
	return out
}

// wantActive fails t unless introspection says active is want.
func wantActive(t *testing.T, iss *testIssuer, id, secret, token string, want bool) {
	t.Helper()
	got := introspect(t, iss, id, secret, token)
	if got["active"] != want {
		t.Fatalf("introspection as %s: %v, want active %v", id, got, want)
	}
	if !want && len(got) != 1 {
		t.Fatalf("an inactive token introspects as %v, want only {\"active\":false}", got)
	}
}

// TestCLIClientLifecycle drives `lineage clients` against the issuer and
// checks each change where a client notices it: at /token and /introspect.
func TestCLIClientLifecycle(t *testing.T) {
	iss := startIssuer(t, "{}")
	environ := cliEnv(iss)
	var (
		auditorSecret string // the introspecting client's
		billingSecret string // the client under test's, current
		oldSecret     string // its secret before rotation
		issuedBefore  string // a token billing got before it was disabled
	)
	const arn = "arn:aws:iam::111122223333:role/team/ci"
	steps := []struct {
		name  string
		args  []string
		want  int
		check func(t *testing.T, r cliResult)
	}{
		{
			name: "create an introspecting client (--json)",
			args: []string{"clients", "create", "--id", "auditor", "--introspect", "--json"},
			check: func(t *testing.T, r cliResult) {
				var out admin.ClientSecret
				r.decode(t, &out)
				if out.Client.ID != "auditor" || !out.Client.Introspect || out.Client.Source != "api" || out.Secret == "" {
					t.Fatalf("created %+v", out)
				}
				auditorSecret = out.Secret
			},
		},
		{
			name: "create a secret client (table)",
			args: []string{"clients", "create", "--id", "billing", "--scope", "read", "--scope", "write",
				"--audience", "https://api.example.com", "--access-ttl", "10m"},
			check: func(t *testing.T, r cliResult) {
				billingSecret = r.shownSecret(t)
				for _, want := range []string{"billing", "client_secret_basic", "client_credentials", "read,write", "10m0s"} {
					if !strings.Contains(r.stdout, want) {
						t.Fatalf("table lacks %q:\n%s", want, r.stdout)
					}
				}
				issuedBefore = mustClientToken(t, iss, "billing", billingSecret)
				claims, _ := verifyAccessToken(t, iss.url, issuedBefore)
				if claims.ClientID != "billing" || claims.Scope != "read write" {
					t.Fatalf("claims %+v", claims)
				}
				wantActive(t, iss, "auditor", auditorSecret, issuedBefore, true)
			},
		},
		{
			name: "get shows it enabled",
			args: []string{"clients", "get", "billing"},
			check: func(t *testing.T, r cliResult) {
				if !regexp.MustCompile(`(?m)^status +enabled$`).MatchString(r.stdout) || strings.Contains(r.stdout, billingSecret) {
					t.Fatalf("get:\n%s", r.stdout)
				}
			},
		},
		{
			name: "list shows configured and API clients",
			args: []string{"clients", "list"},
			check: func(t *testing.T, r cliResult) {
				for _, want := range []string{`(?m)^ID +SOURCE +AUTH`, `(?m)^svc +config +client_secret_basic`, `(?m)^billing +api +client_secret_basic +client_credentials +read,write +enabled$`} {
					if !regexp.MustCompile(want).MatchString(r.stdout) {
						t.Fatalf("list lacks %s:\n%s", want, r.stdout)
					}
				}
			},
		},
		{
			name: "disable: no new token, the old one inactive",
			args: []string{"clients", "disable", "billing"},
			check: func(t *testing.T, r cliResult) {
				if r.stdout != "client billing disabled\n" {
					t.Fatalf("stdout %q", r.stdout)
				}
				wantInvalidClient(t, iss, "billing", billingSecret)
				wantActive(t, iss, "auditor", auditorSecret, issuedBefore, false)
			},
		},
		{
			name: "get --json shows it disabled",
			args: []string{"clients", "get", "billing", "--json"},
			check: func(t *testing.T, r cliResult) {
				var c admin.Client
				r.decode(t, &c)
				if c.ID != "billing" || !c.Disabled {
					t.Fatalf("client %+v", c)
				}
			},
		},
		{
			name: "enable: tokens again, the old one stays revoked",
			args: []string{"clients", "enable", "billing"},
			check: func(t *testing.T, r cliResult) {
				wantActive(t, iss, "auditor", auditorSecret, issuedBefore, false)
				iss.clock.add(time.Second) // iat <= T, in seconds: a token of the next second
				wantActive(t, iss, "auditor", auditorSecret, mustClientToken(t, iss, "billing", billingSecret), true)
			},
		},
		{
			name: "rotate-secret: the old secret refused, the new accepted",
			args: []string{"clients", "rotate-secret", "billing"},
			check: func(t *testing.T, r cliResult) {
				oldSecret, billingSecret = billingSecret, r.shownSecret(t)
				if billingSecret == oldSecret {
					t.Fatal("the secret did not change")
				}
				wantInvalidClient(t, iss, "billing", oldSecret)
				mustClientToken(t, iss, "billing", billingSecret)
			},
		},
		{
			name: "delete: no token, the old one inactive",
			args: []string{"clients", "delete", "billing"},
			check: func(t *testing.T, r cliResult) {
				if r.stdout != "client billing deleted\n" {
					t.Fatalf("stdout %q", r.stdout)
				}
				wantInvalidClient(t, iss, "billing", billingSecret)
				wantActive(t, iss, "auditor", auditorSecret, issuedBefore, false)
			},
		},
		{name: "get after delete is not found", args: []string{"clients", "get", "billing"}, want: exitNotFound,
			check: func(t *testing.T, r cliResult) {
				if !strings.Contains(r.stderr, "404") || !strings.Contains(r.stderr, "not_found") {
					t.Fatalf("stderr %q", r.stderr)
				}
			}},
		{name: "delete again is not found", args: []string{"clients", "delete", "billing"}, want: exitNotFound},
		{name: "rotate-secret of a deleted client is not found", args: []string{"clients", "rotate-secret", "billing"}, want: exitNotFound},

		{
			name: "create an ARN client",
			args: []string{"clients", "create", "--id", arn, "--scope", "read", "--json"},
			check: func(t *testing.T, r cliResult) {
				var out admin.ClientSecret
				r.decode(t, &out)
				if out.Client.ID != arn {
					t.Fatalf("id %q", out.Client.ID)
				}
				tok := mustClientToken(t, iss, arn, out.Secret)
				if c, _ := verifyAccessToken(t, iss.url, tok); c.ClientID != arn {
					t.Fatalf("client_id %q", c.ClientID)
				}
			},
		},
		{
			name: "get the ARN client",
			args: []string{"clients", "get", arn, "--json"},
			check: func(t *testing.T, r cliResult) {
				var c admin.Client
				r.decode(t, &c)
				if c.ID != arn {
					t.Fatalf("id %q", c.ID)
				}
			},
		},
		{name: "disable the ARN client", args: []string{"clients", "disable", arn}},
		{name: "rotate the ARN client's secret", args: []string{"clients", "rotate-secret", arn}},
		{name: "delete the ARN client", args: []string{"clients", "delete", arn}},
		{name: "the ARN client is gone", args: []string{"clients", "get", arn}, want: exitNotFound},
		{name: "its parent path is no client", args: []string{"clients", "get", "arn:aws:iam::111122223333:role"}, want: exitNotFound},

		{name: "disable a configured client is a conflict", args: []string{"clients", "disable", "svc"}, want: exitConflict,
			check: func(t *testing.T, r cliResult) {
				if !strings.Contains(r.stderr, "409") || !strings.Contains(r.stderr, "read-only") {
					t.Fatalf("stderr %q", r.stderr)
				}
				mustClientToken(t, iss, "svc", svcSecret)
			}},
		{name: "enable a configured client is a conflict", args: []string{"clients", "enable", "off"}, want: exitConflict},
		{name: "rotate a configured client's secret is a conflict", args: []string{"clients", "rotate-secret", "svc"}, want: exitConflict},
		{name: "delete a configured client is a conflict", args: []string{"clients", "delete", "svc"}, want: exitConflict},
		{name: "create over a configured id is a conflict", args: []string{"clients", "create", "--id", "svc"}, want: exitConflict},
		{name: "create an existing id is a conflict", args: []string{"clients", "create", "--id", "auditor"}, want: exitConflict},
		{name: "an unknown auth method is rejected", args: []string{"clients", "create", "--id", "x", "--auth-method", "magic"}, want: exitRejected,
			check: func(t *testing.T, r cliResult) {
				if !strings.Contains(r.stderr, "400") || !strings.Contains(r.stderr, "token_endpoint_auth_method") {
					t.Fatalf("stderr %q", r.stderr)
				}
			}},
		{name: "a bad redirect URI is rejected", args: []string{"clients", "create", "--id", "x", "--redirect-uri", "not a url"}, want: exitRejected},
		{name: "a missing JWKS file is a usage error", args: []string{"clients", "create", "--id", "x", "--jwks-file", "/nonexistent/jwks.json"}, want: exitUsage},
		{name: "a bad duration is a usage error", args: []string{"clients", "create", "--access-ttl", "soon"}, want: exitUsage},
		{
			name: "a public client has no secret",
			args: []string{"clients", "create", "--id", "pub", "--auth-method", "none", "--redirect-uri", "https://app.example.com/cb"},
			check: func(t *testing.T, r cliResult) {
				if strings.Contains(r.stdout, "secret") || !strings.Contains(r.stdout, "authorization_code,refresh_token") {
					t.Fatalf("stdout:\n%s", r.stdout)
				}
			},
		},
	}
	for _, s := range steps {
		ok := t.Run(s.name, func(t *testing.T) {
			r := lineageCLI(t, environ, "", s.args...)
			r.check(t, s.want)
			if s.check != nil {
				s.check(t, r)
			}
		})
		if !ok {
			break // each step builds on the ones before
		}
	}
}
