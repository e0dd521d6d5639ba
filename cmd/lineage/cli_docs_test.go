package main

import (
	"bufio"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const (
	adminDoc    = "../../docs/admin-api.md"
	adminSource = "../../web/admin.go"
)

// docRoute is one "### METHOD /admin/v1/…" heading of docs/admin-api.md
// with the text of its section.
type docRoute struct {
	method, path string
	section      string
}

var (
	docHeading  = regexp.MustCompile(`^### (GET|POST|PUT|PATCH|DELETE) (/admin/v1/\S*)$`)
	routeSource = regexp.MustCompile(`\bg\.(GET|POST|PUT|PATCH|DELETE)\("([^"]*)"`)
	docParam    = regexp.MustCompile(`\{[a-z]+\}`)
	echoParam   = regexp.MustCompile(`:[a-z]+`)
	docCLI      = regexp.MustCompile("CLI: `(?:printf [^|`]*\\| )?lineage ([a-z][a-z -]*[a-z])")
	docExitCode = regexp.MustCompile(`^\| (\d+) \| (.+) \|$`)
)

func readAdminDoc(t *testing.T) (routes []docRoute, lines []string) {
	t.Helper()
	f, err := os.Open(adminDoc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		if m := docHeading.FindStringSubmatch(line); m != nil {
			routes = append(routes, docRoute{method: m[1], path: m[2]})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	// Each route's section runs to the next heading.
	var cur *docRoute
	var b strings.Builder
	flush := func() {
		if cur != nil {
			cur.section = b.String()
		}
		b.Reset()
	}
	i := 0
	for _, line := range lines {
		if strings.HasPrefix(line, "#") {
			flush()
			cur = nil
			if docHeading.MatchString(line) {
				cur = &routes[i]
				i++
			}
			continue
		}
		b.WriteString(line + "\n")
	}
	flush()
	return routes, lines
}

// normalRoute writes a route with its parameters as "{}".
func normalRoute(method, path string) string {
	return method + " " + echoParam.ReplaceAllString(docParam.ReplaceAllString(path, "{}"), "{}")
}

// TestAdminAPIDoc checks docs/admin-api.md against the server and the CLI:
// every documented route answers on a running issuer, every route of
// web/admin.go is documented, every section names a CLI command that
// exists, and the exit codes are those of `lineage --help`.
func TestAdminAPIDoc(t *testing.T) {
	routes, lines := readAdminDoc(t)
	if len(routes) == 0 {
		t.Fatalf("no %q headings in %s", "### METHOD /admin/v1/…", adminDoc)
	}

	t.Run("every route in web/admin.go is documented", func(t *testing.T) {
		src, err := os.ReadFile(adminSource)
		if err != nil {
			t.Fatal(err)
		}
		documented := map[string]bool{}
		for _, r := range routes {
			key := normalRoute(r.method, r.path)
			if documented[key] {
				t.Errorf("%s %s is documented twice", r.method, r.path)
			}
			documented[key] = true
		}
		registered := routeSource.FindAllStringSubmatch(string(src), -1)
		if len(registered) < 10 {
			t.Fatalf("found %d routes in %s; has the registration changed shape?", len(registered), adminSource)
		}
		served := map[string]bool{}
		for _, m := range registered {
			key := normalRoute(m[1], "/admin/v1"+m[2])
			served[key] = true
			if !documented[key] {
				t.Errorf("%s %s (web/admin.go) is not in %s", m[1], "/admin/v1"+m[2], adminDoc)
			}
		}
		for key := range documented {
			if !served[key] {
				t.Errorf("%s documents %s, which web/admin.go does not register", adminDoc, key)
			}
		}
	})

	t.Run("every documented route answers", func(t *testing.T) {
		iss := startIssuer(t, "{}")
		environ := cliEnv(iss)
		// Entries the placeholders name, so that a 404 can only mean a
		// missing route.
		lineageCLI(t, environ, "", "clients", "create", "--id", "doc-client").check(t, exitOK)
		lineageCLI(t, environ, "a password for the doc test\n", "users", "create", "doc-user").check(t, exitOK)
		var keys struct {
			Keys []struct {
				KID string `json:"kid"`
			} `json:"keys"`
		}
		lineageCLI(t, environ, "", "keys", "list", "--json").decode(t, &keys)
		placeholders := map[string]string{"{id}": "doc-client", "{username}": "doc-user", "{kid}": keys.Keys[0].KID,
			"{user}": "deployer", "{role}": "ExampleAppClientRole", "{key}": "AKIAEXAMPLEDEPLOYER1"}

		// Deletions last, so that every other route finds its entry.
		ordered := slices.Clone(routes)
		slices.SortStableFunc(ordered, func(a, b docRoute) int {
			return boolInt(a.method == http.MethodDelete) - boolInt(b.method == http.MethodDelete)
		})
		for _, r := range ordered {
			path := docParam.ReplaceAllStringFunc(r.path, func(p string) string {
				v, ok := placeholders[p]
				if !ok {
					t.Fatalf("%s %s: no test entry for %s", r.method, r.path, p)
				}
				return v
			})
			req, _ := http.NewRequest(r.method, iss.admin+path, nil)
			req.Header.Set("Authorization", "Bearer "+adminToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
				t.Errorf("%s %s (documented as %s) answered %d", r.method, path, r.path, resp.StatusCode)
			}
		}
	})

	t.Run("every route names a CLI command that exists", func(t *testing.T) {
		root := newRootCommand(func(string) (string, bool) { return "", false })
		for _, r := range routes {
			if !strings.Contains(r.section, "CLI: ") {
				t.Errorf("%s %s: no \"CLI: \" line", r.method, r.path)
				continue
			}
			m := docCLI.FindStringSubmatch(r.section)
			if m == nil {
				if !strings.Contains(r.section, "CLI: none") {
					t.Errorf("%s %s: the CLI line names no lineage command", r.method, r.path)
				}
				continue
			}
			words := strings.Fields(m[1])
			cmd, rest, err := root.Find(words)
			if err != nil || len(rest) != 0 || cmd.CommandPath() != "lineage "+strings.Join(words, " ") || cmd.RunE == nil {
				t.Errorf("%s %s: documented command %q is not a lineage command", r.method, r.path, "lineage "+m[1])
			}
		}
	})

	t.Run("exit codes match lineage --help", func(t *testing.T) {
		got := map[int]string{}
		inTable := false
		for _, line := range lines {
			switch {
			case line == "### Exit codes":
				inTable = true
			case inTable && strings.HasPrefix(line, "#"):
				inTable = false
			case inTable:
				if m := docExitCode.FindStringSubmatch(line); m != nil {
					code, _ := strconv.Atoi(m[1])
					got[code] = m[2]
				}
			}
		}
		if len(got) != len(exitCodes) {
			t.Errorf("%s lists %d exit codes, lineage --help %d", adminDoc, len(got), len(exitCodes))
		}
		for _, c := range exitCodes {
			if got[c.code] != c.meaning {
				t.Errorf("exit code %d: %s says %q, lineage --help %q", c.code, adminDoc, got[c.code], c.meaning)
			}
		}
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
