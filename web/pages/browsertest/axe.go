package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// AxeVersion is the axe-core release scripts/test-deps.sh installs; a test
// keeps the two in step.
const AxeVersion = "4.14.1"

// axeDir is where scripts/test-deps.sh installs axe-core, relative to this
// package's directory.
const axeDir = "testdata/node_modules/axe-core"

// installAxe is what a test that finds no axe-core tells the reader.
const installAxe = "scripts/test-deps.sh (or make test), which runs from the repository root: npm install --no-save --prefix web/pages/browsertest/testdata axe-core@" + AxeVersion

// AxeResult is what axe-core found on a page.
type AxeResult struct {
	Violations []Violation
}

// Violation is one axe-core rule that failed, on Nodes elements.
type Violation struct {
	// ID is the rule, e.g. "color-contrast".
	ID string
	// Impact is "minor", "moderate", "serious" or "critical".
	Impact string
	// Help says what the rule asks for.
	Help string
	// Nodes is how many elements fail it.
	Nodes int
	// Targets are CSS selectors of those elements.
	Targets []string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (%s, %d element(s): %s): %s", v.ID, v.Impact, v.Nodes, strings.Join(v.Targets, ", "), v.Help)
}

// Serious returns the violations of impact serious or critical — those that
// block or badly hinder someone.
func (r AxeResult) Serious() []Violation {
	var out []Violation
	for _, v := range r.Violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			out = append(out, v)
		}
	}
	return out
}

// axePath returns the path of axe.min.js next to this source file.
func axePath() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the browsertest package")
	}
	return filepath.Join(filepath.Dir(file), filepath.FromSlash(axeDir), "axe.min.js"), nil
}

// Axe injects axe-core into the current document (a DevTools evaluation, so
// the page's Content-Security-Policy does not block it) and runs every rule
// of its default set — WCAG 2.0/2.1 A and AA and best practices — on the whole
// document, within ActionTimeout. It fails the test, with the install
// command, if axe-core is not installed.
func (p *Page) Axe(t testing.TB) AxeResult {
	t.Helper()
	path, err := axePath()
	if err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("browsertest: axe-core is not installed (%v): install it with %s", err, installAxe)
	}

	ctx, cancel := context.WithTimeout(p.ctx, ActionTimeout)
	defer cancel()
	inject := "if (typeof window.axe === 'undefined') {\n" + string(src) + "\n}\nvoid 0"
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](inject)); err != nil {
		t.Fatalf("browsertest: inject axe-core: %v", timeoutErr(err))
	}
	const run = `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({
		id: v.id,
		impact: v.impact || "",
		help: v.help,
		nodes: v.nodes.length,
		targets: v.nodes.map(n => String(n.target)),
	})))`
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]Violation](run, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("browsertest: run axe-core: %v", timeoutErr(err))
	}
	return AxeResult{Violations: vs}
}
