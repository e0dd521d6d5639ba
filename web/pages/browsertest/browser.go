package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ActionTimeout bounds every browser action: a navigation, a click, a wait,
// an axe run.
const ActionTimeout = 15 * time.Second

// startTimeout bounds starting Chromium and opening a tab.
const startTimeout = 30 * time.Second

// DefaultChromium is where Debian's chromium package puts the browser; the
// environment variable CHROMIUM overrides it.
const DefaultChromium = "/usr/bin/chromium"

// installChromium is what a test that finds no browser tells the reader.
const installChromium = "apt-get update && apt-get install -y chromium (or make test, which installs what the tests need)"

// Browser is headless Chromium driven by chromedp. Start one in a test and
// open a Page per check; pages are independent of each other and may be used
// from parallel subtests.
type Browser struct {
	ctx context.Context // the browser's chromedp context
}

// Start launches Chromium for the test and closes it when the test ends. It
// fails the test, with the install command, if Chromium is missing or does not
// start within 30 s.
func Start(t testing.TB) *Browser {
	t.Helper()
	exe := os.Getenv("CHROMIUM")
	if exe == "" {
		exe = DefaultChromium
	}
	if fi, err := os.Stat(exe); err != nil || fi.IsDir() {
		t.Fatalf("browsertest: no Chromium at %s (set $CHROMIUM to use another): install it with: %s", exe, installChromium)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless, // --headless, --hide-scrollbars, --mute-audio
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("force-color-profile", "srgb"),
		// No --user-data-dir: chromedp then makes a temporary one and
		// removes it, and what Chromium leaves in it, when the browser
		// ends.
	}
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		allocCancel()
	})
	// The first action starts the browser and ties it to ctx, so it runs
	// with ctx itself and is bounded here instead.
	if err := within(startTimeout, cancel, func() error { return chromedp.Do(ctx) }); err != nil {
		t.Fatalf("browsertest: start %s: %v (reinstall it with: %s)", exe, err, installChromium)
	}
	return &Browser{ctx: ctx}
}

// within runs f and waits at most d for it; on time-out it calls stop, which
// must make f return, and reports the time-out.
func within(d time.Duration, stop func(), f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		stop()
		return fmt.Errorf("no answer within %s", d)
	}
}

// Page is one browser tab with its own browser context (cookies, storage and
// cache of its own, as in an incognito window) and a fixed viewport.
type Page struct {
	ctx context.Context

	mu      sync.Mutex
	console []string // errors the page logged, in order
}

// Page opens a fresh tab of width×height CSS pixels (device scale 1, not
// emulating a phone's touch or user agent) and closes it when the test ends.
func (b *Browser) Page(t testing.TB, width, height int) *Page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	p := &Page{ctx: ctx}
	// As in Start: the first action creates the tab and ties it to ctx.
	err := within(startTimeout, cancel, func() error {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
			return err
		}
		return chromedp.Listen(ctx, p.record)
	})
	if err != nil {
		t.Fatalf("browsertest: open a %d×%d tab: %v", width, height, err)
	}
	return p
}

// record keeps what the page reports as an error: console.error and
// console.assert calls, uncaught exceptions, and browser log entries of
// level error (a resource that failed to load, a Content-Security-Policy
// violation). It runs in the tab's event loop, so it only appends.
func (p *Page) record(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			if a.Description != "" {
				parts = append(parts, a.Description)
			} else {
				parts = append(parts, strings.Trim(string(a.Value), `"`))
			}
		}
		msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
	case *log.EventEntryAdded:
		if ev.Entry == nil || ev.Entry.Level != log.EntryLevelError {
			return
		}
		msg = string(ev.Entry.Source) + ": " + ev.Entry.Text
		if ev.Entry.URL != "" {
			msg += " (" + ev.Entry.URL + ")"
		}
	default:
		return
	}
	p.mu.Lock()
	p.console = append(p.console, msg)
	p.mu.Unlock()
}

// ConsoleErrors returns the errors the page has reported so far: console
// errors, uncaught exceptions, failed loads and Content-Security-Policy
// violations. A page that works under its policy reports none.
func (p *Page) ConsoleErrors(t testing.TB) []string {
	t.Helper()
	// A round trip to the tab, so that events sent before it are recorded.
	p.do(t, "sync with the tab", chromedp.Evaluate[chromedp.Void]("0"))
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.console...)
}

// do runs the actions in order within ActionTimeout and fails the test with
// what on error.
func (p *Page) do(t testing.TB, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, ActionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browsertest: %s: %v", what, timeoutErr(err))
	}
}

func timeoutErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w (after %s)", err, ActionTimeout)
	}
	return err
}

// Evaluate runs a JavaScript expression in the page within ActionTimeout and
// decodes its JSON value into T; promises are awaited.
func Evaluate[T any](t testing.TB, p *Page, expression string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, ActionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expression, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("browsertest: evaluate %.80q: %v", expression, timeoutErr(err))
	}
	return v
}

// Navigate loads url and waits for its load event. An HTTP error status does
// not fail the test; a network error at url itself (nothing listening) does.
// A redirect to an address that does not load — a client's redirect_uri where
// nothing listens, in a flow test — is logged and not fatal: follow it with
// WaitURLPrefix.
func (p *Page) Navigate(t testing.TB, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, ActionTimeout)
	defer cancel()
	before, _ := chromedp.Run(ctx, currentEntry())
	err := chromedp.Do(ctx, chromedp.Navigate(url))
	var loadErr *chromedp.LoadError
	if !errors.As(err, &loadErr) {
		if err != nil {
			t.Fatalf("browsertest: navigate to %s: %v", url, timeoutErr(err))
		}
		return
	}
	// Chromium commits an error page under the URL that failed: wait for
	// it to tell url from a redirect target.
	for {
		cur, err := chromedp.Run(ctx, currentEntry())
		if err == nil && cur.ID != before.ID {
			if sameURL(cur.URL, url) {
				t.Fatalf("browsertest: navigate to %s: %v", url, loadErr)
			}
			t.Logf("browsertest: navigate to %s: redirected to %s, which did not load: %v", url, cur.URL, loadErr)
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("browsertest: navigate to %s: %v", url, loadErr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// currentEntry returns the tab's current navigation entry.
func currentEntry() chromedp.Action[page.NavigationEntry] {
	return func(ctx context.Context, t *chromedp.Target) (page.NavigationEntry, error) {
		hist, err := chromedp.NavigationEntries()(ctx, t)
		if err != nil {
			return page.NavigationEntry{}, err
		}
		if hist.CurrentIndex < 0 || int(hist.CurrentIndex) >= len(hist.Entries) || hist.Entries[hist.CurrentIndex] == nil {
			return page.NavigationEntry{}, fmt.Errorf("no current navigation entry")
		}
		return *hist.Entries[hist.CurrentIndex], nil
	}
}

// sameURL compares two URLs as Chromium writes them ("http://h" is
// "http://h/").
func sameURL(a, b string) bool {
	norm := func(s string) string {
		u, err := neturl.Parse(s)
		if err != nil {
			return s
		}
		if u.Path == "" {
			u.Path = "/"
		}
		return u.String()
	}
	return norm(a) == norm(b)
}

// Fill types value into the visible field matching the CSS selector, after
// emptying it, as a user would: key by key, with input events. A "\n" in
// value presses Enter.
func (p *Page) Fill(t testing.TB, selector, value string) {
	t.Helper()
	sel := chromedp.CSS(selector)
	lit, err := json.Marshal(selector)
	if err != nil {
		t.Fatal(err)
	}
	p.do(t, "fill "+selector,
		chromedp.WaitVisible(sel),
		chromedp.Evaluate[chromedp.Void](`document.querySelector(`+string(lit)+`).value = ""`),
		chromedp.SendKeys(sel, value))
}

// Click clicks the centre of the first visible element matching the CSS
// selector with the mouse. It does not wait for a navigation the click
// starts: follow it with WaitURLPrefix.
func (p *Page) Click(t testing.TB, selector string) {
	t.Helper()
	p.do(t, "click "+selector, chromedp.Click(chromedp.CSS(selector)))
}

// WaitURLPrefix waits, within ActionTimeout, until the tab's current URL
// starts with prefix and that document has loaded, and returns the URL. The
// URL is the navigation entry's, so a redirect to an address where nothing
// listens (a client's redirect_uri in a test) still matches, though the tab
// shows Chromium's error page.
func (p *Page) WaitURLPrefix(t testing.TB, prefix string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, ActionTimeout)
	defer cancel()
	var last string
	var lastErr error
	for {
		cur, err := chromedp.Run(ctx, currentEntry())
		if err != nil {
			lastErr = err
		} else if last = cur.URL; strings.HasPrefix(last, prefix) {
			ready, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete"`))
			if err == nil && ready {
				return last
			}
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if lastErr == nil {
				lastErr = ctx.Err()
			}
			t.Fatalf("browsertest: no URL starting with %q within %s; the tab is at %q (%v)", prefix, ActionTimeout, last, lastErr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Screenshot writes a PNG of the whole page (not only the viewport) to path,
// creating its directory.
func (p *Page) Screenshot(t testing.TB, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, ActionTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatalf("browsertest: screenshot: %v", timeoutErr(err))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// HTML returns the current document's markup as the browser holds it (after
// parsing and any changes since).
func (p *Page) HTML(t testing.TB) string {
	t.Helper()
	return Evaluate[string](t, p, "document.documentElement.outerHTML")
}

// HorizontalOverflow reports whether the page is wider than the viewport, so
// that a user must scroll sideways (WCAG 2.1 SC 1.4.10 Reflow).
func (p *Page) HorizontalOverflow(t testing.TB) bool {
	t.Helper()
	return Evaluate[bool](t, p, "document.documentElement.scrollWidth > window.innerWidth")
}
