package main

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lineage-oss/lineage/admin"
	"github.com/lineage-oss/lineage/jwks"
	"github.com/lineage-oss/lineage/store"
)

// auditPage is the admin API's answer to GET /admin/v1/audit.
type auditPage struct {
	Records []store.AuditRecord `json:"records"`
	Next    string              `json:"next"`
}

// TestCLIAudit makes changes through the CLI, then reads the audit trail:
// every change is there, with the admin token's actor id, and no secret
// the CLI printed or read is in any record.
func TestCLIAudit(t *testing.T) {
	iss := startIssuer(t, "{}")
	environ := cliEnv(iss)
	var seen []string // every secret and password the test handled
	cli := func(stdin string, args ...string) cliResult {
		t.Helper()
		r := lineageCLI(t, environ, stdin, args...)
		r.check(t, exitOK)
		return r
	}
	jsonSecret := func(r cliResult) string {
		t.Helper()
		var out admin.ClientSecret
		r.decode(t, &out)
		return out.Secret
	}

	seen = append(seen, cli("", "clients", "create", "--id", "a1").shownSecret(t))
	seen = append(seen, jsonSecret(cli("", "clients", "create", "--id", "a2", "--json")))
	seen = append(seen, jsonSecret(cli("", "clients", "rotate-secret", "a1", "--json")))
	seen = append(seen, cli("", "clients", "rotate-secret", "a1").shownSecret(t))
	cli("", "clients", "disable", "a2")
	cli("", "clients", "enable", "a2")
	cli("", "clients", "delete", "a2")
	const pw1, pw2 = "first password of u1", "second password of u1"
	seen = append(seen, pw1, pw2, adminToken, systemSecret, svcSecret)
	cli(pw1+"\n", "users", "create", "u1", "--email", "u1@example.com")
	cli(pw2+"\n", "users", "passwd", "u1")
	cli("", "users", "delete", "u1")
	rotated := cli("", "keys", "rotate")
	m := regexp.MustCompile(`^key (\S+) \(ES256\) signs from \d{4}-\d\d-\d\dT\S+Z\n$`).FindStringSubmatch(rotated.stdout)
	if m == nil {
		t.Fatalf("keys rotate printed %q", rotated.stdout)
	}
	var keys struct {
		Keys []jwks.Status `json:"keys"`
	}
	cli("", "keys", "list", "--json").decode(t, &keys)
	revoked := keys.Keys[0].KID              // the newest next key
	cli("", "keys", "revoke", "--", revoked) // a kid may begin with "-"

	want := []struct{ action, target string }{
		{"client.create", "client/a1"},
		{"client.create", "client/a2"},
		{"client.rotate_secret", "client/a1"},
		{"client.rotate_secret", "client/a1"},
		{"revocation.create", "revocation/before"}, // disabling revokes the client's tokens
		{"client.disable", "client/a2"},
		{"client.enable", "client/a2"},
		{"revocation.create", "revocation/before"}, // and so does deleting
		{"client.delete", "client/a2"},
		{"user.create", "user/u1"},
		{"user.set_password", "user/u1"},
		{"user.delete", "user/u1"},
		{"key.rotate", "key/" + m[1]},
		{"key.delete", "key/" + revoked},
	}
	slices.Reverse(want) // the trail is newest first

	all := cli("", "audit", "--json", "--limit", "1000")
	var page auditPage
	all.decode(t, &page)
	if len(page.Records) != len(want) {
		t.Fatalf("%d records, want %d:\n%s", len(page.Records), len(want), all.stdout)
	}
	actor := regexp.MustCompile(`^admin-token:[0-9a-f]{16}$`)
	for i, r := range page.Records {
		if r.Action != want[i].action || r.Target != want[i].target {
			t.Errorf("record %d: %s %s, want %s %s", i, r.Action, r.Target, want[i].action, want[i].target)
		}
		if !actor.MatchString(r.Actor) || r.Time.IsZero() || r.ID == "" {
			t.Errorf("record %d: actor %q time %v id %q", i, r.Actor, r.Time, r.ID)
		}
	}
	if page.Records[0].Actor != page.Records[len(want)-1].Actor {
		t.Errorf("one token, two actors: %q and %q", page.Records[0].Actor, page.Records[len(want)-1].Actor)
	}
	for _, s := range seen {
		if strings.Contains(all.stdout, s) {
			t.Errorf("the audit trail holds a secret the test saw: %.8s…", s)
		}
	}
	for _, leak := range []string{`"secret"`, "secret_hash", `"password"`, "password_hash", "argon2", `"d":`} {
		if strings.Contains(all.stdout, leak) {
			t.Errorf("the audit trail holds %s", leak)
		}
	}

	t.Run("pages", func(t *testing.T) {
		var first, second auditPage
		cli("", "audit", "--json", "--limit", "5").decode(t, &first)
		if len(first.Records) != 5 || first.Next != first.Records[4].ID {
			t.Fatalf("first page %+v", first)
		}
		cli("", "audit", "--json", "--limit", "5", "--before", first.Next).decode(t, &second)
		got := append(first.Records, second.Records...)
		if len(got) != 10 {
			t.Fatalf("%d records on two pages", len(got))
		}
		for i := range got {
			if got[i].ID != page.Records[i].ID {
				t.Fatalf("paged record %d is %s, want %s", i, got[i].ID, page.Records[i].ID)
			}
		}
	})
	t.Run("table", func(t *testing.T) {
		r := cli("", "audit", "--limit", "2")
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != 5 || !regexp.MustCompile(`^ID +TIME +ACTOR +ACTION +TARGET$`).MatchString(lines[0]) ||
			!regexp.MustCompile(`^\S+ +\d{4}-\S+Z +admin-token:[0-9a-f]{16} +key\.delete +key/`+regexp.QuoteMeta(revoked)+`$`).MatchString(lines[1]) ||
			lines[4] != "next: lineage audit --before "+page.Records[1].ID {
			t.Fatalf("audit table:\n%s", r.stdout)
		}
	})
}

// TestCLIJSONOutput checks that --json prints the admin API's JSON,
// indented, for every command that reads.
func TestCLIJSONOutput(t *testing.T) {
	iss := startIssuer(t, "{}")
	environ := cliEnv(iss)
	lineageCLI(t, environ, "password of dora\n", "users", "create", "dora").check(t, exitOK)
	cases := []struct {
		name string
		args []string
		into any
		ok   func(v any) bool
	}{
		{"clients list", []string{"clients", "list"}, &struct {
			Clients []admin.Client `json:"clients"`
		}{}, func(v any) bool {
			c := v.(*struct {
				Clients []admin.Client `json:"clients"`
			}).Clients
			return slices.ContainsFunc(c, func(c admin.Client) bool { return c.ID == "svc" && c.Source == "config" })
		}},
		{"clients get", []string{"clients", "get", "off"}, &admin.Client{}, func(v any) bool {
			return v.(*admin.Client).ID == "off" && v.(*admin.Client).Disabled
		}},
		{"users list", []string{"users", "list"}, &struct {
			Users []admin.User `json:"users"`
		}{}, func(v any) bool {
			u := v.(*struct {
				Users []admin.User `json:"users"`
			}).Users
			// The configured user "zoe" and the API-created "dora".
			return len(u) == 2 && u[0].Username == "dora" && u[0].Source == "api" && u[1].Username == "zoe" && u[1].Source == "config"
		}},
		{"users get", []string{"users", "get", "dora"}, &admin.User{}, func(v any) bool { return v.(*admin.User).Username == "dora" }},
		{"keys list", []string{"keys", "list"}, &struct {
			Keys []jwks.Status `json:"keys"`
		}{}, func(v any) bool {
			k := v.(*struct {
				Keys []jwks.Status `json:"keys"`
			}).Keys
			return len(k) == 2 && k[1].State == "current"
		}},
		{"audit", []string{"audit"}, &auditPage{}, func(v any) bool {
			p := v.(*auditPage)
			return len(p.Records) == 1 && p.Records[0].Action == "user.create" && p.Next == ""
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := lineageCLI(t, environ, "", append(c.args, "--json")...)
			r.check(t, exitOK)
			dec := json.NewDecoder(strings.NewReader(r.stdout))
			dec.DisallowUnknownFields()
			if err := dec.Decode(c.into); err != nil {
				t.Fatalf("%v\n%s", err, r.stdout)
			}
			if !c.ok(c.into) {
				t.Fatalf("unexpected content:\n%s", r.stdout)
			}
			if !strings.HasPrefix(r.stdout, "{\n  \"") || !strings.HasSuffix(r.stdout, "}\n") {
				t.Fatalf("not indented JSON ending in one newline:\n%q", r.stdout)
			}
		})
	}
}
