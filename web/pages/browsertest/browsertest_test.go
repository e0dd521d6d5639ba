package browsertest_test

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/lineage-oss/lineage/web/pages"
	"github.com/lineage-oss/lineage/web/pages/browsertest"
)

var screenshots = flag.Bool("screenshots", false, "also write the login and consent pages' screenshots to docs/screenshots")

// docsScreenshots is the repository's docs/screenshots, from this package.
var docsScreenshots = filepath.Join("..", "..", "..", "docs", "screenshots")

// The sample data: a long client name and username show that they wrap, and
// the hidden values carry characters a form must keep.
const (
	sampleCSRF   = "k3Jv9-Qx_0aZ"
	sampleReturn = `req=01J9Z3K7Q2&state="x y"&é`
)

const longClient = "Contoso Expense Reporting for Finance and Operations (Production)"

// pageServer serves the four pages under pages.ContentSecurityPolicy, the
// stylesheet, and the forms' targets, which hand each post to posts.
type pageServer struct {
	*httptest.Server
	posts chan url.Values
}

func newPageServer(t *testing.T) *pageServer {
	t.Helper()
	r, err := pages.New()
	if err != nil {
		t.Fatal(err)
	}
	s := &pageServer{posts: make(chan url.Values, 1)}
	mux := http.NewServeMux()
	page := func(path string, render func(http.ResponseWriter) error) {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Content-Security-Policy", pages.ContentSecurityPolicy)
			if err := render(w); err != nil {
				t.Errorf("render %s: %v", path, err)
			}
		})
	}
	login := pages.LoginPage{Action: "/login", CSRF: sampleCSRF, Return: sampleReturn, ClientName: longClient}
	page("/login", func(w http.ResponseWriter) error { return r.Login(w, login) })
	page("/login-error", func(w http.ResponseWriter) error {
		l := login
		l.Username, l.Error = "alice", "The username or password is incorrect."
		return r.Login(w, l)
	})
	page("/login-throttled", func(w http.ResponseWriter) error {
		l := login
		l.Username, l.RetryAfterSeconds = "alice", 30
		return r.Login(w, l)
	})
	page("/consent", func(w http.ResponseWriter) error {
		return r.Consent(w, pages.ConsentPage{Action: "/consent", CSRF: sampleCSRF, Return: sampleReturn,
			ClientName: longClient, Username: "alice.wonderland@example.com",
			Scopes: pages.DescribeScopes([]string{"openid", "profile", "email", "offline_access", "https://api.example.com/expenses.readwrite"})})
	})
	page("/error", func(w http.ResponseWriter) error {
		return r.Error(w, pages.ErrorPage{Title: "This application is not registered",
			Message:   "The link that brought you here names an application this server does not know. Go back and try again, or contact the application's support.",
			RequestID: "01J9Z3K7Q2W8XVN4T6YB5C1DMA"})
	})
	page("/signed-out", func(w http.ResponseWriter) error { return r.SignedOut(w, pages.SignedOutPage{}) })
	mux.Handle("GET "+pages.AssetsPrefix, r.Static())
	post := func(w http.ResponseWriter, req *http.Request) {
		if err := req.ParseForm(); err != nil {
			t.Errorf("POST %s: %v", req.URL.Path, err)
		}
		select {
		case s.posts <- req.PostForm:
		default:
			t.Errorf("POST %s: a second post before the test read the first", req.URL.Path)
		}
		http.Redirect(w, req, "/signed-out?after="+strings.TrimPrefix(req.URL.Path, "/"), http.StatusSeeOther)
	}
	mux.HandleFunc("POST /login", post)
	mux.HandleFunc("POST /consent", post)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

var viewports = []struct{ width, height int }{{375, 800}, {1280, 800}}

// TestPages renders every page in Chromium at a phone's and a desktop's width
// and checks what a person would notice: accessibility (axe-core, no serious
// or critical violation), no sideways scrolling, the stylesheet applied under
// the policy with nothing blocked, buttons big enough to hit, and a visible
// focus ring.
func TestPages(t *testing.T) {
	srv := newPageServer(t)
	b := browsertest.Start(t)

	for _, vp := range viewports {
		for _, name := range []string{"login", "login-error", "login-throttled", "consent", "error", "signed-out"} {
			t.Run(fmt.Sprintf("%s/%dpx", name, vp.width), func(t *testing.T) {
				t.Parallel()
				p := b.Page(t, vp.width, vp.height)
				p.Navigate(t, srv.URL+"/"+name)

				res := p.Axe(t)
				for _, v := range res.Violations {
					t.Logf("axe: %s", v)
				}
				for _, v := range res.Serious() {
					t.Errorf("axe: %s", v)
				}
				if p.HorizontalOverflow(t) {
					t.Errorf("the page scrolls sideways at %dpx: scrollWidth %d", vp.width,
						browsertest.Evaluate[int](t, p, "document.documentElement.scrollWidth"))
				}
				// The stylesheet loaded: the card is styled.
				if got := browsertest.Evaluate[string](t, p, `getComputedStyle(document.querySelector("main")).backgroundColor`); got != "rgb(255, 255, 255)" {
					t.Errorf("main's background %q: the stylesheet did not apply", got)
				}
				// Targets at least 44px tall (WCAG 2.5.5), focus visible
				// (2.4.7) on every control.
				for _, c := range browsertest.Evaluate[[]control](t, p, controlsJS) {
					if c.Height < 44 {
						t.Errorf("%s is %.1fpx tall, want >= 44", c.Name, c.Height)
					}
					if c.Outline == "none" || c.OutlineWidth < 2 {
						t.Errorf("%s focused: outline %q width %.1fpx, want a visible ring", c.Name, c.Outline, c.OutlineWidth)
					}
				}
				if errs := p.ConsoleErrors(t); len(errs) > 0 {
					t.Errorf("the page reported errors (a policy violation?):\n%s", strings.Join(errs, "\n"))
				}

				p.Screenshot(t, filepath.Join(t.TempDir(), name+".png"))
				if *screenshots && (name == "login" || name == "consent") {
					path := filepath.Join(docsScreenshots, fmt.Sprintf("%s-%d.png", name, vp.width))
					p.Screenshot(t, path)
					t.Logf("wrote %s", path)
				}
			})
		}
	}
}

// control is one focusable control as controlsJS measures it.
type control struct {
	Name         string
	Height       float64
	Outline      string
	OutlineWidth float64
}

// controlsJS focuses each visible control in turn and reports its height
// and focused outline.
const controlsJS = `[...document.querySelectorAll("input:not([type=hidden]), button, a[href]")].map(el => {
	el.focus();
	const s = getComputedStyle(el);
	const c = {
		name: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.value && el.tagName === "BUTTON" ? "[" + el.value + "]" : ""),
		height: el.getBoundingClientRect().height,
		outline: s.outlineStyle,
		outlineWidth: parseFloat(s.outlineWidth),
	};
	el.blur();
	return c;
})`

// TestLoginSubmit fills the sign-in form as a user would and checks that the
// server receives every field, the hidden ones unchanged.
func TestLoginSubmit(t *testing.T) {
	srv := newPageServer(t)
	b := browsertest.Start(t)
	p := b.Page(t, 375, 800)
	p.Navigate(t, srv.URL+"/login-error")

	// Autofocus happens at a rendering update: read the focus after two
	// frames.
	focused := `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(document.activeElement.id))))`
	if got := browsertest.Evaluate[string](t, p, focused); got != "password" {
		t.Errorf("after a failed attempt the focus is on %q, want the password field", got)
	}
	p.Fill(t, "#username", "alice")
	p.Fill(t, "#password", `pa ss"<wörd>`)
	p.Click(t, "button[type=submit]")
	got := p.WaitURLPrefix(t, srv.URL+"/signed-out")
	if !strings.HasSuffix(got, "?after=login") {
		t.Errorf("landed on %s", got)
	}

	form := <-srv.posts
	want := url.Values{"username": {"alice"}, "password": {`pa ss"<wörd>`}, "csrf": {sampleCSRF}, "return": {sampleReturn}}
	if form.Encode() != want.Encode() {
		t.Errorf("posted %v, want %v", form, want)
	}
	if html := p.HTML(t); !strings.Contains(html, "You are signed out") {
		t.Errorf("the page after the redirect is not the signed-out page:\n%s", html)
	}
}

// TestConsentSubmit clicks each decision and checks what the server gets.
func TestConsentSubmit(t *testing.T) {
	srv := newPageServer(t)
	b := browsertest.Start(t)
	for _, decision := range []string{"allow", "deny"} {
		t.Run(decision, func(t *testing.T) {
			p := b.Page(t, 1280, 800)
			p.Navigate(t, srv.URL+"/consent")
			p.Click(t, fmt.Sprintf(`button[name=decision][value=%s]`, decision))
			p.WaitURLPrefix(t, srv.URL+"/signed-out")
			form := <-srv.posts
			want := url.Values{"decision": {decision}, "csrf": {sampleCSRF}, "return": {sampleReturn}}
			if form.Encode() != want.Encode() {
				t.Errorf("posted %v, want %v", form, want)
			}
		})
	}
}

// TestWaitURLPrefixUnreachable: a redirect to an address where nothing
// listens — a client's redirect_uri in a flow test — still yields its URL.
func TestWaitURLPrefixUnreachable(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	callback := closed.URL + "/callback"
	closed.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("/go", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, callback+"?code=abc&state=xyz", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	b := browsertest.Start(t)
	p := b.Page(t, 375, 800)
	p.Navigate(t, srv.URL+"/go")
	if got := p.WaitURLPrefix(t, callback); got != callback+"?code=abc&state=xyz" {
		t.Errorf("got %q", got)
	}
}

// TestAxeFindsViolations: the harness reports what axe-core finds, so a clean
// result above means something.
func TestAxeFindsViolations(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", pages.ContentSecurityPolicy)
		fmt.Fprint(w, `<!doctype html><html><head><title>x</title></head><body>
<form><input type="text" name="q"><button></button></form>
<div class="wide">`+strings.Repeat("x", 400)+`</div></body></html>`)
	}))
	t.Cleanup(srv.Close)

	b := browsertest.Start(t)
	p := b.Page(t, 375, 800)
	p.Navigate(t, srv.URL)
	found := map[string]bool{}
	for _, v := range p.Axe(t).Serious() {
		found[v.ID] = true
	}
	for _, id := range []string{"html-has-lang", "label", "button-name"} {
		if !found[id] {
			t.Errorf("axe did not report %s; found %v", id, found)
		}
	}
	if !p.HorizontalOverflow(t) {
		t.Error("a 400-character word did not overflow 375px")
	}
}

// TestConsoleErrorsSeesPolicyViolations: an inline style under the policy is
// reported, so TestPages's empty list means the pages comply.
func TestConsoleErrorsSeesPolicyViolations(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", pages.ContentSecurityPolicy)
		fmt.Fprint(w, `<!doctype html><html lang="en"><head><title>x</title><style>body{color:red}</style></head><body><main><h1>x</h1></main></body></html>`)
	}))
	t.Cleanup(srv.Close)

	b := browsertest.Start(t)
	p := b.Page(t, 375, 800)
	p.Navigate(t, srv.URL)
	errs := p.ConsoleErrors(t)
	if len(errs) == 0 || !strings.Contains(strings.Join(errs, "\n"), "Content Security Policy") {
		t.Errorf("no policy violation reported: %q", errs)
	}
}

// TestAxeVersionPinned keeps the harness's AxeVersion, the version that
// scripts/test-deps.sh installs and the installed package in step.
func TestAxeVersionPinned(t *testing.T) {
	script, err := os.ReadFile(filepath.Join("..", "..", "..", "scripts", "test-deps.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^AXE_VERSION=(\S+)$`).FindSubmatch(script)
	if m == nil || string(m[1]) != browsertest.AxeVersion {
		t.Errorf("scripts/test-deps.sh pins axe-core %q, the harness says %s", m, browsertest.AxeVersion)
	}
	pkg, err := os.ReadFile(filepath.Join("testdata", "node_modules", "axe-core", "package.json"))
	if err != nil {
		t.Fatalf("axe-core is not installed (%v): run scripts/test-deps.sh or make test", err)
	}
	if !strings.Contains(string(pkg), `"version": "`+browsertest.AxeVersion+`"`) {
		t.Errorf("installed axe-core is not %s: remove web/pages/browsertest/testdata/node_modules and run scripts/test-deps.sh", browsertest.AxeVersion)
	}
}

// fatalTB records the first Fatalf and stops the goroutine, as testing does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fatalTB) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

// TestStartWithoutChromium: a machine without the browser fails the test —
// it does not skip it — and says how to install it.
func TestStartWithoutChromium(t *testing.T) {
	t.Setenv("CHROMIUM", filepath.Join(t.TempDir(), "no-chromium"))
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		browsertest.Start(f)
	}()
	<-done
	if !strings.Contains(f.msg, "apt-get update && apt-get install -y chromium") {
		t.Errorf("Start failed with %q, want the install command", f.msg)
	}
}
