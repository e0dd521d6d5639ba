// Package pages renders lineage's hosted HTML pages — sign-in, consent, error
// and signed-out — for the /authorize flow (RFC 6749 §3.1 leaves the
// authentication and consent steps to the authorization server; OpenID
// Connect Core §3.1.2.3–3.1.2.4 describes them).
//
// The pages are html/template files and one stylesheet, embedded in the
// binary. They carry no script, no inline style and nothing from another
// origin, so they work under ContentSecurityPolicy (plus the client's
// redirect targets in form-action, which the caller adds). Package web is the
// only importer: it sets the response headers (Content-Type
// "text/html; charset=utf-8", Cache-Control "no-store", the policy) and
// mounts Renderer.Static at AssetsPrefix.
//
// The renderers write a whole page or nothing: a template error leaves w
// untouched, so the caller can still answer with an error page.
package pages
