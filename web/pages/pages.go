package pages

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// AssetsPrefix is the URL path under which Renderer.Static serves the
// stylesheet; the rendered pages link to it there.
const AssetsPrefix = "/assets/"

// ContentSecurityPolicy is the policy the pages are built and tested for. The
// caller appends the client's redirect targets to form-action: browsers check
// the redirect that follows the consent and sign-in POSTs against it.
const ContentSecurityPolicy = "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

//go:embed templates/*.html assets/*
var files embed.FS

// LoginPage is the sign-in form. It posts username, password, csrf and
// return to Action.
type LoginPage struct {
	// Action is the URL the form posts to.
	Action string
	// CSRF is the anti-forgery token, posted back as "csrf".
	CSRF string
	// Return is an opaque value posted back unchanged as "return" (the
	// pending authorization request, for instance).
	Return string
	// Username prefills the username field after a failed attempt.
	Username string
	// ClientName names the application the user signs in to, if any.
	ClientName string
	// Error is "" or a message shown above the form, e.g. "The username or
	// password is incorrect."
	Error string
	// RetryAfterSeconds > 0 means sign-in is throttled: the page says "Too
	// many attempts. Try again in N seconds." in place of Error.
	RetryAfterSeconds int
}

// ConsentPage asks the signed-in user whether ClientName may have Scopes. It
// posts csrf, return and decision ("allow" or "deny") to Action.
type ConsentPage struct {
	Action     string
	CSRF       string
	Return     string
	ClientName string
	// Username is who is signed in.
	Username string
	// Scopes are the lines to list; see DescribeScopes.
	Scopes []ScopeLine
}

// ErrorPage is shown when the flow cannot go on and cannot be sent back to
// the client (RFC 6749 §4.1.2.1: an invalid redirect URI or client id must not
// redirect).
type ErrorPage struct {
	// Title is the heading; "" means "Something went wrong".
	Title string
	// Message explains what happened; "" means a generic sentence.
	Message string
	// RequestID, if set, is shown for support.
	RequestID string
}

// SignedOutPage confirms an RP-initiated logout that has no redirect
// (OpenID Connect RP-Initiated Logout 1.0 §4).
type SignedOutPage struct{}

// Renderer renders the pages from templates parsed once by New. It is safe
// for concurrent use.
type Renderer struct {
	login, consent, errorPage, signedOut *template.Template
	// assets by the hashed file name they are served under.
	assets map[string]asset
	// hrefs maps a source file name (lineage.css) to its URL path.
	hrefs map[string]string
}

type asset struct {
	body        []byte
	contentType string
	etag        string
}

// New parses the templates and fingerprints the assets.
func New() (*Renderer, error) {
	r := &Renderer{assets: map[string]asset{}, hrefs: map[string]string{}}
	entries, err := fs.ReadDir(files, "assets")
	if err != nil {
		return nil, fmt.Errorf("pages: read assets: %w", err)
	}
	for _, e := range entries {
		body, err := files.ReadFile("assets/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("pages: read asset %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:5])
		ext := path.Ext(e.Name())
		hashed := strings.TrimSuffix(e.Name(), ext) + "." + hash + ext
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		r.assets[hashed] = asset{body: body, contentType: ctype, etag: `"` + hash + `"`}
		r.hrefs[e.Name()] = AssetsPrefix + hashed
	}

	base, err := template.New("layout.html").Funcs(template.FuncMap{
		"asset": func(name string) (string, error) {
			href, ok := r.hrefs[name]
			if !ok {
				return "", fmt.Errorf("pages: no asset %q", name)
			}
			return href, nil
		},
	}).ParseFS(files, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("pages: parse layout: %w", err)
	}
	for _, p := range []struct {
		file string
		dst  **template.Template
	}{
		{"login.html", &r.login},
		{"consent.html", &r.consent},
		{"error.html", &r.errorPage},
		{"signed_out.html", &r.signedOut},
	} {
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("pages: clone layout: %w", err)
		}
		if *p.dst, err = t.ParseFS(files, "templates/"+p.file); err != nil {
			return nil, fmt.Errorf("pages: parse %s: %w", p.file, err)
		}
	}
	return r, nil
}

// Static serves the fingerprinted assets under AssetsPrefix, e.g.
// /assets/lineage.0123456789.css, as immutable for a year: a change of the
// file changes its name. Mount it at AssetsPrefix without stripping the prefix
// (a stripped path works too). Anything else is 404; methods other than GET
// and HEAD are 405.
func (r *Renderer) Static() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(strings.TrimPrefix(req.URL.Path, AssetsPrefix), "/")
		a, ok := r.assets[name]
		if !ok {
			http.NotFound(w, req)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("ETag", a.etag)
		http.ServeContent(w, req, name, time.Time{}, bytes.NewReader(a.body))
	})
}

// loginView is what the login template sees.
type loginView struct {
	LoginPage
	// Alert is the message of the role="alert" element, or "".
	Alert string
	// Invalid marks the fields aria-invalid (a rejected attempt, not
	// throttling).
	Invalid bool
}

// Login renders the sign-in page.
func (r *Renderer) Login(w io.Writer, d LoginPage) error {
	v := loginView{LoginPage: d}
	switch {
	case d.RetryAfterSeconds == 1:
		v.Alert = "Too many attempts. Try again in 1 second."
	case d.RetryAfterSeconds > 1:
		v.Alert = "Too many attempts. Try again in " + strconv.Itoa(d.RetryAfterSeconds) + " seconds."
	case d.Error != "":
		v.Alert, v.Invalid = d.Error, true
	}
	return render(w, r.login, v)
}

// Consent renders the consent page.
func (r *Renderer) Consent(w io.Writer, d ConsentPage) error {
	return render(w, r.consent, d)
}

// Error renders the error page.
func (r *Renderer) Error(w io.Writer, d ErrorPage) error {
	if d.Title == "" {
		d.Title = "Something went wrong"
	}
	if d.Message == "" {
		d.Message = "The request could not be completed. Go back to the application and try again."
	}
	return render(w, r.errorPage, d)
}

// SignedOut renders the signed-out page.
func (r *Renderer) SignedOut(w io.Writer, d SignedOutPage) error {
	return render(w, r.signedOut, d)
}

func render(w io.Writer, t *template.Template, data any) error {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		return fmt.Errorf("pages: render: %w", err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("pages: write: %w", err)
	}
	return nil
}
