package pages_test

import (
	"bytes"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/lineage-oss/lineage/web/pages"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// samples are the pages with the data the golden files hold.
var samples = []struct {
	name   string
	render func(*pages.Renderer, io.Writer) error
	// hidden are the hidden fields the form must post back.
	hidden map[string]string
}{
	{
		name: "login",
		render: func(r *pages.Renderer, w io.Writer) error {
			return r.Login(w, pages.LoginPage{Action: "/login", CSRF: "csrf-token", Return: "req-123", ClientName: "Example App"})
		},
		hidden: map[string]string{"csrf": "csrf-token", "return": "req-123"},
	},
	{
		name: "login_error",
		render: func(r *pages.Renderer, w io.Writer) error {
			return r.Login(w, pages.LoginPage{Action: "/login", CSRF: "csrf-token", Return: "req-123", ClientName: "Example App",
				Username: "alice", Error: "The username or password is incorrect."})
		},
		hidden: map[string]string{"csrf": "csrf-token", "return": "req-123"},
	},
	{
		name: "login_throttled",
		render: func(r *pages.Renderer, w io.Writer) error {
			return r.Login(w, pages.LoginPage{Action: "/login", CSRF: "csrf-token", Return: "req-123",
				Username: "alice", Error: "The username or password is incorrect.", RetryAfterSeconds: 30})
		},
		hidden: map[string]string{"csrf": "csrf-token", "return": "req-123"},
	},
	{
		name: "consent",
		render: func(r *pages.Renderer, w io.Writer) error {
			return r.Consent(w, pages.ConsentPage{Action: "/consent", CSRF: "csrf-token", Return: "req-123",
				ClientName: "Example App", Username: "alice",
				Scopes: pages.DescribeScopes([]string{"openid", "profile", "email", "offline_access", "orders:read"})})
		},
		hidden: map[string]string{"csrf": "csrf-token", "return": "req-123"},
	},
	{
		name: "error",
		render: func(r *pages.Renderer, w io.Writer) error {
			return r.Error(w, pages.ErrorPage{Title: "Unknown application",
				Message: "The application that sent you here is not registered.", RequestID: "01J9Z3K7Q2"})
		},
	},
	{
		name: "error_default",
		render: func(r *pages.Renderer, w io.Writer) error {
			return r.Error(w, pages.ErrorPage{})
		},
	},
	{
		name: "signed_out",
		render: func(r *pages.Renderer, w io.Writer) error {
			return r.SignedOut(w, pages.SignedOutPage{})
		},
	},
}

func newRenderer(t *testing.T) *pages.Renderer {
	t.Helper()
	r, err := pages.New()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func renderString(t *testing.T, f func(io.Writer) error) string {
	t.Helper()
	var b strings.Builder
	if err := f(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	r := newRenderer(t)
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			got := renderString(t, func(w io.Writer) error { return s.render(r, w) })
			path := filepath.Join("testdata", s.name+".golden.html")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./web/pages -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the rendered page (go test ./web/pages -update rewrites it); got:\n%s", path, got)
			}
		})
	}
}

// TestStructure checks what every page needs for accessibility and for the
// content security policy, on the parsed document.
func TestStructure(t *testing.T) {
	r := newRenderer(t)
	static := httptest.NewServer(r.Static())
	t.Cleanup(static.Close)

	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			doc := parse(t, renderString(t, func(w io.Writer) error { return s.render(r, w) }))

			if root := first(doc, "html"); root == nil || attr(root, "lang") != "en" {
				t.Error(`no <html lang="en">`)
			}
			if n := len(all(doc, "main")); n != 1 {
				t.Errorf("%d <main> elements, want 1", n)
			}
			if n := len(all(doc, "h1")); n != 1 {
				t.Errorf("%d <h1> elements, want 1", n)
			}
			for _, tag := range []string{"script", "style", "iframe", "object"} {
				if len(all(doc, tag)) > 0 {
					t.Errorf("a <%s> element: the policy forbids it", tag)
				}
			}
			walk(doc, func(n *html.Node) {
				for _, a := range n.Attr {
					if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
						t.Errorf("<%s %s=...>: the policy blocks inline styles and handlers", n.Data, a.Key)
					}
				}
			})

			// The one stylesheet is served by Static, from this origin.
			var sheets []string
			for _, l := range all(doc, "link") {
				if attr(l, "rel") == "stylesheet" {
					sheets = append(sheets, attr(l, "href"))
				}
			}
			if len(sheets) != 1 || !strings.HasPrefix(sheets[0], pages.AssetsPrefix) {
				t.Fatalf("stylesheets %q, want one under %s", sheets, pages.AssetsPrefix)
			}
			resp, err := http.Get(static.URL + sheets[0])
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
				t.Errorf("GET %s: %d %s", sheets[0], resp.StatusCode, resp.Header.Get("Content-Type"))
			}

			// Every visible field has a label bound to it; every
			// aria-describedby names an element that exists and is
			// announced.
			for _, in := range all(doc, "input") {
				if attr(in, "type") == "hidden" {
					continue
				}
				id := attr(in, "id")
				if id == "" || labelFor(doc, id) == nil {
					t.Errorf("input %q has no <label for>", attr(in, "name"))
				}
				if ref := attr(in, "aria-describedby"); ref != "" {
					target := byID(doc, ref)
					if target == nil || attr(target, "role") != "alert" {
						t.Errorf("input %q: aria-describedby=%q names no role=alert element", attr(in, "name"), ref)
					}
				}
			}

			// The hidden fields are posted back unchanged.
			got := map[string]string{}
			for _, in := range all(doc, "input") {
				if attr(in, "type") == "hidden" {
					got[attr(in, "name")] = attr(in, "value")
				}
			}
			if len(got) != len(s.hidden) {
				t.Errorf("hidden fields %v, want %v", got, s.hidden)
			}
			for k, v := range s.hidden {
				if got[k] != v {
					t.Errorf("hidden field %s = %q, want %q", k, got[k], v)
				}
			}
			for _, f := range all(doc, "form") {
				if attr(f, "method") != "post" {
					t.Errorf("form method %q, want post", attr(f, "method"))
				}
			}
		})
	}
}

func TestLoginForm(t *testing.T) {
	r := newRenderer(t)
	doc := parse(t, renderString(t, func(w io.Writer) error {
		return r.Login(w, pages.LoginPage{Action: "/login", CSRF: "c", Return: "r"})
	}))
	form := first(doc, "form")
	if attr(form, "action") != "/login" {
		t.Errorf("action %q", attr(form, "action"))
	}
	fields := map[string]string{}
	for _, in := range all(doc, "input") {
		fields[attr(in, "name")] = attr(in, "autocomplete")
	}
	for name, ac := range map[string]string{"username": "username", "password": "current-password", "csrf": "", "return": ""} {
		got, ok := fields[name]
		if !ok {
			t.Errorf("no field %q", name)
		} else if got != ac {
			t.Errorf("field %q autocomplete=%q, want %q", name, got, ac)
		}
	}
	if in := byID(doc, "password"); attr(in, "type") != "password" {
		t.Errorf("password field type %q", attr(in, "type"))
	}
	if byRole(doc, "alert") != nil {
		t.Error("an alert on a page without an error")
	}
}

func TestLoginAlert(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		name      string
		page      pages.LoginPage
		alert     string // "" = no alert
		invalid   bool
		autofocus string
	}{
		{name: "first visit", page: pages.LoginPage{}, autofocus: "username"},
		{name: "wrong password", page: pages.LoginPage{Username: "alice", Error: "The username or password is incorrect."},
			alert: "The username or password is incorrect.", invalid: true, autofocus: "password"},
		{name: "throttled", page: pages.LoginPage{Username: "alice", RetryAfterSeconds: 30},
			alert: "Too many attempts. Try again in 30 seconds.", autofocus: "password"},
		{name: "throttled one second", page: pages.LoginPage{RetryAfterSeconds: 1},
			alert: "Too many attempts. Try again in 1 second.", autofocus: "username"},
		{name: "throttled wins over error", page: pages.LoginPage{Error: "The username or password is incorrect.", RetryAfterSeconds: 5},
			alert: "Too many attempts. Try again in 5 seconds.", autofocus: "username"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := parse(t, renderString(t, func(w io.Writer) error { return r.Login(w, tc.page) }))
			alert := byRole(doc, "alert")
			switch {
			case tc.alert == "" && alert != nil:
				t.Errorf("alert %q, want none", text(alert))
			case tc.alert != "" && alert == nil:
				t.Fatalf("no alert, want %q", tc.alert)
			case tc.alert != "" && text(alert) != tc.alert:
				t.Errorf("alert %q, want %q", text(alert), tc.alert)
			}
			for _, id := range []string{"username", "password"} {
				in := byID(doc, id)
				desc := attr(in, "aria-describedby")
				if tc.alert != "" && (desc == "" || desc != attr(alert, "id")) {
					t.Errorf("%s aria-describedby=%q, want the alert's id", id, desc)
				}
				if tc.alert == "" && desc != "" {
					t.Errorf("%s aria-describedby=%q without an alert", id, desc)
				}
				if _, got := attrOK(in, "aria-invalid"); got != tc.invalid {
					t.Errorf("%s aria-invalid present=%v, want %v", id, got, tc.invalid)
				}
				if _, got := attrOK(in, "autofocus"); got != (id == tc.autofocus) {
					t.Errorf("%s autofocus=%v, want it on %s", id, got, tc.autofocus)
				}
			}
			if got := attr(byID(doc, "username"), "value"); got != tc.page.Username {
				t.Errorf("username prefilled with %q, want %q", got, tc.page.Username)
			}
		})
	}
}

func TestConsentForm(t *testing.T) {
	r := newRenderer(t)
	doc := parse(t, renderString(t, func(w io.Writer) error {
		return r.Consent(w, pages.ConsentPage{Action: "/consent", CSRF: "c", Return: "r", ClientName: "App", Username: "alice",
			Scopes: pages.DescribeScopes([]string{"openid", "orders:read"})})
	}))
	decisions := map[string]bool{}
	for _, b := range all(doc, "button") {
		if attr(b, "type") != "submit" || attr(b, "name") != "decision" {
			t.Errorf("button %q: type=%q name=%q", text(b), attr(b, "type"), attr(b, "name"))
		}
		decisions[attr(b, "value")] = true
	}
	if len(decisions) != 2 || !decisions["allow"] || !decisions["deny"] {
		t.Errorf("decisions %v, want allow and deny", decisions)
	}
	var listed []string
	for _, li := range all(doc, "li") {
		listed = append(listed, attr(li, "data-scope")+": "+text(li))
	}
	want := []string{"openid: " + pages.DescribeScopes([]string{"openid"})[0].Description, "orders:read: Use the permission “orders:read”"}
	if strings.Join(listed, "\n") != strings.Join(want, "\n") {
		t.Errorf("scopes listed:\n%s\nwant:\n%s", strings.Join(listed, "\n"), strings.Join(want, "\n"))
	}
}

// TestHostileInput renders every user- or client-controlled field with markup
// in it: it must come out as text, never as elements or a script URL.
func TestHostileInput(t *testing.T) {
	const evil = `"><script>alert(1)</script><img src=x onerror=alert(2)>`
	r := newRenderer(t)
	for _, tc := range []struct {
		name   string
		render func(io.Writer) error
		texts  map[string]string // id or class → expected text
	}{
		{
			name: "login",
			render: func(w io.Writer) error {
				return r.Login(w, pages.LoginPage{Action: "javascript:alert(3)", CSRF: evil, Return: evil, Username: evil, ClientName: "<script>", Error: evil})
			},
			texts: map[string]string{"client-name": "<script>", "login-error": evil},
		},
		{
			name: "consent",
			render: func(w io.Writer) error {
				return r.Consent(w, pages.ConsentPage{Action: "javascript:alert(3)", CSRF: evil, Return: evil, ClientName: "<script>", Username: evil,
					Scopes: pages.DescribeScopes([]string{evil})})
			},
			texts: map[string]string{"client-name": "<script>", "username": evil},
		},
		{
			name: "error",
			render: func(w io.Writer) error {
				return r.Error(w, pages.ErrorPage{Title: "<script>", Message: evil, RequestID: evil})
			},
			texts: map[string]string{"request-id": evil},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := renderString(t, tc.render)
			if strings.Contains(out, "<script") || strings.Contains(out, "<img") {
				t.Errorf("markup came through unescaped:\n%s", out)
			}
			doc := parse(t, out)
			if len(all(doc, "script"))+len(all(doc, "img")) > 0 {
				t.Error("the parsed page has a script or an img")
			}
			for key, want := range tc.texts {
				n := byID(doc, key)
				if n == nil {
					n = byClass(doc, key)
				}
				if n == nil {
					t.Errorf("no element %q", key)
				} else if text(n) != want {
					t.Errorf("%s text %q, want %q", key, text(n), want)
				}
			}
			for _, f := range all(doc, "form") {
				if a := attr(f, "action"); strings.Contains(strings.ToLower(a), "javascript") {
					t.Errorf("form action %q", a)
				}
			}
			for _, in := range all(doc, "input") {
				if attr(in, "type") == "hidden" && attr(in, "value") != evil {
					t.Errorf("hidden %s = %q, want it unchanged", attr(in, "name"), attr(in, "value"))
				}
			}
			for _, li := range all(doc, "li") {
				if attr(li, "data-scope") != evil {
					t.Errorf("data-scope %q, want it unchanged", attr(li, "data-scope"))
				}
			}
		})
	}
}

func TestStatic(t *testing.T) {
	r := newRenderer(t)
	doc := parse(t, renderString(t, func(w io.Writer) error { return r.SignedOut(w, pages.SignedOutPage{}) }))
	var href string
	for _, l := range all(doc, "link") {
		if attr(l, "rel") == "stylesheet" {
			href = attr(l, "href")
		}
	}
	css, err := os.ReadFile(filepath.Join("assets", "lineage.css"))
	if err != nil {
		t.Fatal(err)
	}
	h := r.Static()
	serve := func(method, path string, hdr http.Header) *http.Response {
		req := httptest.NewRequest(method, path, nil)
		for k, v := range hdr {
			req.Header[k] = v
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}

	for _, tc := range []struct {
		name   string
		method string
		path   string
		hdr    http.Header
		status int
		body   []byte
	}{
		{name: "hashed name", method: http.MethodGet, path: href, status: http.StatusOK, body: css},
		{name: "prefix stripped", method: http.MethodGet, path: "/" + strings.TrimPrefix(href, pages.AssetsPrefix), status: http.StatusOK, body: css},
		{name: "head", method: http.MethodHead, path: href, status: http.StatusOK, body: []byte{}},
		{name: "unhashed name", method: http.MethodGet, path: pages.AssetsPrefix + "lineage.css", status: http.StatusNotFound},
		{name: "directory", method: http.MethodGet, path: pages.AssetsPrefix, status: http.StatusNotFound},
		{name: "traversal", method: http.MethodGet, path: pages.AssetsPrefix + "../templates/login.html", status: http.StatusNotFound},
		{name: "post", method: http.MethodPost, path: href, status: http.StatusMethodNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := serve(tc.method, tc.path, tc.hdr)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
			}
			if tc.status != http.StatusOK {
				return
			}
			body, _ := io.ReadAll(resp.Body)
			if !bytes.Equal(body, tc.body) {
				t.Errorf("body of %d bytes, want %d", len(body), len(tc.body))
			}
			if got := resp.Header.Get("Content-Type"); got != "text/css; charset=utf-8" {
				t.Errorf("Content-Type %q", got)
			}
			if got := resp.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("Cache-Control %q", got)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
		})
	}

	t.Run("revalidation", func(t *testing.T) {
		etag := serve(http.MethodGet, href, nil).Header.Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		if resp := serve(http.MethodGet, href, http.Header{"If-None-Match": {etag}}); resp.StatusCode != http.StatusNotModified {
			t.Errorf("If-None-Match: %d, want 304", resp.StatusCode)
		}
	})
}

func TestDescribeScopes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scopes []string
		want   []string // names, in order
	}{
		{name: "none", scopes: nil, want: nil},
		{name: "standard", scopes: []string{"openid", "profile", "email", "offline_access"}, want: []string{"openid", "profile", "email", "offline_access"}},
		{name: "duplicates and empties dropped", scopes: []string{"email", "", "openid", "email"}, want: []string{"email", "openid"}},
		{name: "custom", scopes: []string{"orders:read"}, want: []string{"orders:read"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := pages.DescribeScopes(tc.scopes)
			var names []string
			descs := map[string]bool{}
			for _, l := range got {
				names = append(names, l.Name)
				if l.Description == "" {
					t.Errorf("%s: no description", l.Name)
				}
				if descs[l.Description] {
					t.Errorf("%s: description %q used twice", l.Name, l.Description)
				}
				descs[l.Description] = true
			}
			if strings.Join(names, " ") != strings.Join(tc.want, " ") {
				t.Errorf("names %q, want %q", names, tc.want)
			}
		})
	}
	if got := pages.DescribeScopes([]string{"orders:read"})[0].Description; !strings.Contains(got, "orders:read") {
		t.Errorf("generic line %q does not name the scope", got)
	}
}

// HTML helpers over golang.org/x/net/html.

func parse(t *testing.T, s string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func walk(n *html.Node, f func(*html.Node)) {
	if n.Type == html.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func all(doc *html.Node, tag string) []*html.Node {
	var out []*html.Node
	walk(doc, func(n *html.Node) {
		if n.Data == tag {
			out = append(out, n)
		}
	})
	return out
}

func first(doc *html.Node, tag string) *html.Node {
	if ns := all(doc, tag); len(ns) > 0 {
		return ns[0]
	}
	return nil
}

func find(doc *html.Node, match func(*html.Node) bool) *html.Node {
	var found *html.Node
	walk(doc, func(n *html.Node) {
		if found == nil && match(n) {
			found = n
		}
	})
	return found
}

func byID(doc *html.Node, id string) *html.Node {
	return find(doc, func(n *html.Node) bool { return attr(n, "id") == id })
}

func byRole(doc *html.Node, role string) *html.Node {
	return find(doc, func(n *html.Node) bool { return attr(n, "role") == role })
}

func byClass(doc *html.Node, class string) *html.Node {
	return find(doc, func(n *html.Node) bool {
		for _, c := range strings.Fields(attr(n, "class")) {
			if c == class {
				return true
			}
		}
		return false
	})
}

func labelFor(doc *html.Node, id string) *html.Node {
	return find(doc, func(n *html.Node) bool { return n.Data == "label" && attr(n, "for") == id && text(n) != "" })
}

func attrOK(n *html.Node, key string) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

func text(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return strings.TrimSpace(b.String())
}
