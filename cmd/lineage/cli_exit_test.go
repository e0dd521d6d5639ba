package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestCLIExitCodes checks the exit codes scripts rely on (exitCodes), and
// where the admin token goes.
func TestCLIExitCodes(t *testing.T) {
	iss := startIssuer(t, "{}")

	// A server that fails, remembering the Authorization it was sent.
	var sentAuth atomic.Value
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sentAuth.Store(r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":"temporarily_unavailable","error_description":"The store is unavailable; retry.\u001b[2J"}`))
	}))
	t.Cleanup(failing.Close)
	// A server that redirects elsewhere: the token must not follow.
	var redirectedTo atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { redirectedTo.Add(1) }))
	t.Cleanup(elsewhere.Close)
	redirecting := httptest.NewServer(http.RedirectHandler(elsewhere.URL+"/admin/v1/clients", http.StatusTemporaryRedirect))
	t.Cleanup(redirecting.Close)
	// An address nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()

	good := cliEnv(iss)
	with := func(k, v string) map[string]string {
		e := map[string]string{envAdminURL: iss.admin, envAdminToken: adminToken}
		if v == "" {
			delete(e, k)
		} else {
			e[k] = v
		}
		return e
	}
	const wrongToken = "wrong-token-0123456789-0123456789-xyz"
	cases := []struct {
		name    string
		environ map[string]string
		stdin   string
		args    []string
		want    int
		stderr  string // a part of the message
	}{
		{name: "success", environ: good, args: []string{"clients", "list"}, want: exitOK},
		{name: "help lists the exit codes", environ: good, args: []string{"--help"}, want: exitOK},
		{name: "a group alone prints its help", environ: good, args: []string{"keys"}, want: exitOK},

		{name: "wrong token", environ: with(envAdminToken, wrongToken), args: []string{"clients", "list"}, want: exitUnauthorized, stderr: "401 Unauthorized: unauthorized"},
		{name: "--admin-token overrides the environment", environ: good, args: []string{"users", "list", "--admin-token", wrongToken}, want: exitUnauthorized},
		{name: "wrong token on a mutation", environ: with(envAdminToken, wrongToken), args: []string{"keys", "rotate"}, want: exitUnauthorized},
		{name: "no token", environ: with(envAdminToken, ""), args: []string{"clients", "list"}, want: exitUsage, stderr: envAdminToken},
		{name: "not an http URL", environ: with(envAdminURL, "ftp://127.0.0.1/"), args: []string{"clients", "list"}, want: exitUsage, stderr: "--admin-url"},
		{name: "--admin-url overrides the environment", environ: good, args: []string{"clients", "list", "--admin-url", closed}, want: exitFailure, stderr: "connection refused"},
		{name: "nothing listens", environ: with(envAdminURL, closed), args: []string{"audit"}, want: exitFailure},
		{name: "server error", environ: with(envAdminURL, failing.URL), args: []string{"keys", "list"}, want: exitFailure, stderr: "503 Service Unavailable: temporarily_unavailable: The store is unavailable; retry."},
		{name: "a redirect is not followed", environ: with(envAdminURL, redirecting.URL), args: []string{"clients", "list"}, want: exitFailure, stderr: "307"},

		{name: "unknown flag", environ: good, args: []string{"clients", "list", "--bogus"}, want: exitUsage, stderr: "unknown flag"},
		{name: "missing argument", environ: good, args: []string{"clients", "get"}, want: exitUsage},
		{name: "extra argument", environ: good, args: []string{"users", "list", "alice"}, want: exitUsage},
		{name: "unknown command", environ: good, args: []string{"client"}, want: exitUsage, stderr: "unknown command"},
		{name: "unknown subcommand", environ: good, args: []string{"clients", "remove", "x"}, want: exitUsage, stderr: "unknown command"},
		{name: "audit limit out of range", environ: good, args: []string{"audit", "--limit", "0"}, want: exitUsage},
		{name: "serve with an argument", environ: good, args: []string{"serve", "now"}, want: exitUsage},

		{name: "not found", environ: good, args: []string{"users", "get", "nobody"}, want: exitNotFound, stderr: "404"},
		{name: "key not found", environ: good, args: []string{"keys", "revoke", "no-such-kid"}, want: exitNotFound},
		{name: "conflict", environ: good, args: []string{"clients", "delete", "svc"}, want: exitConflict, stderr: "409"},
		{name: "rejected", environ: good, stdin: "short\n", args: []string{"users", "create", "carol"}, want: exitRejected, stderr: "400"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := lineageCLI(t, c.environ, c.stdin, c.args...)
			r.check(t, c.want)
			if !strings.Contains(r.stderr, c.stderr) {
				t.Fatalf("stderr %q, want it to contain %q", r.stderr, c.stderr)
			}
			if strings.ContainsRune(r.stderr, 0x1b) {
				t.Fatalf("stderr %q passes on a terminal escape the server sent", r.stderr)
			}
			if c.want != exitOK && !strings.HasPrefix(r.stderr, "lineage: ") {
				t.Fatalf("stderr %q, want one line starting lineage:", r.stderr)
			}
		})
	}
	if got := sentAuth.Load(); got != "Bearer "+adminToken {
		t.Errorf("the admin API got Authorization %q, want the bearer token", got)
	}
	if n := redirectedTo.Load(); n != 0 {
		t.Errorf("the request followed a redirect %d times", n)
	}

	help := lineageCLI(t, good, "", "--help")
	for _, c := range exitCodes {
		if !strings.Contains(help.stdout, c.meaning) {
			t.Errorf("lineage --help lacks exit code %d (%s):\n%s", c.code, c.meaning, help.stdout)
		}
	}
}

// TestAdminClientURL checks which admin URLs are refused and which draw the
// warning that the token travels unencrypted.
func TestAdminClientURL(t *testing.T) {
	cases := []struct {
		name    string
		url     string
		refused bool
		warns   bool
	}{
		{name: "loopback http", url: "http://127.0.0.1:8081"},
		{name: "localhost http", url: "http://localhost:8081/"},
		{name: "IPv6 loopback http", url: "http://[::1]:8081"},
		{name: "remote https", url: "https://admin.example.com"},
		{name: "remote http", url: "http://admin.example.com:8081", warns: true},
		{name: "LAN http", url: "http://10.0.0.7:8081", warns: true},
		{name: "no scheme", url: "127.0.0.1:8081", refused: true},
		{name: "other scheme", url: "unix:///run/lineage.sock", refused: true},
		{name: "a query", url: "http://127.0.0.1:8081/?x=1", refused: true},
		{name: "unparsable", url: "http://[::1", refused: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client, err := newAdminClient(c.url, adminToken)
			if c.refused {
				if code := exitCode(err); code != exitUsage {
					t.Fatalf("err %v (exit %d), want a usage error", err, code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := client.plainToRemote(); got != c.warns {
				t.Fatalf("plainToRemote %v, want %v", got, c.warns)
			}
		})
	}
}
