package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/lineage-oss/lineage/admin"
	"github.com/lineage-oss/lineage/users"
)

// TestCLIUsers drives `lineage users`, passwords on stdin, and checks the
// stored password hash where it matters.
func TestCLIUsers(t *testing.T) {
	iss := startIssuer(t, "{}")
	environ := cliEnv(iss)
	const (
		first  = "correct horse battery staple"
		second = "a second passphrase, with spaces "
		third  = "third passphrase from windows"
	)
	// passwordIs fails t unless username's stored hash matches password.
	passwordIs := func(t *testing.T, username, password string, want bool) {
		t.Helper()
		u, err := iss.app.store.GetUser(context.Background(), username)
		if err != nil {
			t.Fatal(err)
		}
		ok, err := users.CheckPassword(u.PasswordHash, password)
		if err != nil || ok != want {
			t.Fatalf("password %q of %s matches %v (%v), want %v", password, username, ok, err, want)
		}
	}
	steps := []struct {
		name  string
		stdin string
		args  []string
		want  int
		check func(t *testing.T, r cliResult)
	}{
		{
			name: "create reads the first line of stdin", stdin: first + "\nsecond line is not read\n",
			args: []string{"users", "create", "alice", "--email", "alice@example.com"},
			check: func(t *testing.T, r cliResult) {
				if !regexp.MustCompile(`(?m)^username +alice$`).MatchString(r.stdout) || !strings.Contains(r.stdout, "alice@example.com") {
					t.Fatalf("stdout:\n%s", r.stdout)
				}
				passwordIs(t, "alice", first, true)
			},
		},
		{name: "an empty stdin is refused", stdin: "", args: []string{"users", "create", "bob"}, want: exitUsage},
		{name: "an empty first line is refused", stdin: "\nnot-this-one-either\n", args: []string{"users", "create", "bob"}, want: exitUsage},
		{name: "bob was not created", args: []string{"users", "get", "bob"}, want: exitNotFound},
		{name: "a short password is rejected", stdin: "short\n", args: []string{"users", "create", "bob"}, want: exitRejected,
			check: func(t *testing.T, r cliResult) {
				if !strings.Contains(r.stderr, "12 to 1024 characters") {
					t.Fatalf("stderr %q", r.stderr)
				}
			}},
		{name: "a taken username is a conflict", stdin: first + "\n", args: []string{"users", "create", "alice"}, want: exitConflict},
		{
			name: "list", args: []string{"users", "list"},
			check: func(t *testing.T, r cliResult) {
				if !regexp.MustCompile(`(?m)^USERNAME +SOURCE +EMAIL +STATUS +CREATED\nalice +api +alice@example\.com +enabled +\d{4}-`).MatchString(r.stdout) {
					t.Fatalf("stdout:\n%s", r.stdout)
				}
			},
		},
		{
			name: "get --json", args: []string{"users", "get", "alice", "--json"},
			check: func(t *testing.T, r cliResult) {
				var u admin.User
				r.decode(t, &u)
				if u.Username != "alice" || u.Email != "alice@example.com" || u.Source != "api" || u.CreatedAt.IsZero() {
					t.Fatalf("user %+v", u)
				}
				if strings.Contains(r.stdout, "argon2") || strings.Contains(r.stdout, "password") {
					t.Fatalf("get shows the password hash:\n%s", r.stdout)
				}
			},
		},
		{
			name: "passwd keeps spaces", stdin: second + "\n", args: []string{"users", "passwd", "alice"},
			check: func(t *testing.T, r cliResult) {
				if r.stdout != "password of user alice changed\n" {
					t.Fatalf("stdout %q", r.stdout)
				}
				passwordIs(t, "alice", second, true)
				passwordIs(t, "alice", first, false)
			},
		},
		{
			name: "passwd drops a CRLF line end", stdin: third + "\r\n", args: []string{"users", "passwd", "alice"},
			check: func(t *testing.T, r cliResult) { passwordIs(t, "alice", third, true) },
		},
		{name: "passwd refuses an empty password", stdin: "\n", args: []string{"users", "passwd", "alice"}, want: exitUsage,
			check: func(t *testing.T, r cliResult) { passwordIs(t, "alice", third, true) }},
		{name: "passwd of nobody is not found", stdin: third + "\n", args: []string{"users", "passwd", "nobody"}, want: exitNotFound},
		{name: "a username with a slash, stdin without a final newline", stdin: first, args: []string{"users", "create", "team/ops"}},
		{
			name: "get it back", args: []string{"users", "get", "team/ops", "--json"},
			check: func(t *testing.T, r cliResult) {
				var u admin.User
				r.decode(t, &u)
				if u.Username != "team/ops" {
					t.Fatalf("user %+v", u)
				}
			},
		},
		{name: "passwd of the slashed name", stdin: second, args: []string{"users", "passwd", "team/ops"},
			check: func(t *testing.T, r cliResult) { passwordIs(t, "team/ops", second, true) }},
		{name: "delete the slashed name", args: []string{"users", "delete", "team/ops"}},
		{name: "team is no user", args: []string{"users", "get", "team"}, want: exitNotFound},
		{
			name: "delete", args: []string{"users", "delete", "alice"},
			check: func(t *testing.T, r cliResult) {
				if r.stdout != "user alice deleted\n" {
					t.Fatalf("stdout %q", r.stdout)
				}
			},
		},
		{name: "get after delete", args: []string{"users", "get", "alice"}, want: exitNotFound},
		{name: "delete again", args: []string{"users", "delete", "alice"}, want: exitNotFound},
	}
	for _, s := range steps {
		ok := t.Run(s.name, func(t *testing.T) {
			r := lineageCLI(t, environ, s.stdin, s.args...)
			r.check(t, s.want)
			for _, pw := range []string{first, second, third} {
				if strings.Contains(r.stdout+r.stderr, pw) {
					t.Fatalf("the output shows a password:\n%s%s", r.stdout, r.stderr)
				}
			}
			if s.check != nil {
				s.check(t, r)
			}
		})
		if !ok {
			break
		}
	}
}
