// Package browsertest drives headless Chromium from tests, through chromedp,
// to check lineage's hosted pages the way a person meets them: at a phone's
// and a desktop's width, with a keyboard and a form, and with axe-core for
// the automatic part of WCAG 2.1 AA.
//
// It is test-support code: every function takes the testing.TB and fails the
// test — never skips it — when Chromium or axe-core is missing, with the
// command that installs it (`make test` installs both; see
// scripts/test-deps.sh). Every browser action is bounded (ActionTimeout), so
// a hung browser fails the test instead of hanging CI.
//
//	b := browsertest.Start(t)
//	p := b.Page(t, 375, 800)
//	p.Navigate(t, srv.URL+"/authorize?...")
//	p.Fill(t, "#username", "alice")
//	p.Fill(t, "#password", "alice-pass")
//	p.Click(t, "button[type=submit]")
//	callback := p.WaitURLPrefix(t, "http://127.0.0.1:5555/callback")
//
// Chromium runs as this machine needs it — as root, with no network:
// --headless, --no-sandbox, --disable-gpu, --disable-quic, --no-first-run,
// --disable-background-networking, --disable-component-update, --disable-sync
// and a temporary --user-data-dir, removed when the browser ends. The
// executable is $CHROMIUM, else /usr/bin/chromium.
package browsertest
