package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/login"
	"github.com/lineage-oss/lineage/oauth"
	"github.com/lineage-oss/lineage/web/pages"
)

// Flows serves the browser side of the authorization code flow: /authorize,
// the hosted login and consent pages, /userinfo and RP-initiated /logout.
type Flows struct {
	Provider *oauth.Provider
	Login    *login.Service
	Pages    *pages.Renderer
	Issuer   string
	// CSRFKey binds each form's token to the browser's CSRF cookie.
	CSRFKey []byte
	// Secure marks cookies Secure (and __Host-) when the issuer is https.
	Secure bool
	Logger *slog.Logger
	Now    func() time.Time
}

// contentSecurityPolicy allows the pages nothing but their own stylesheet
// and forms posting back to the issuer — and to the client's redirect URI,
// where a submitted login or consent form ends up (browsers apply
// form-action to the redirects that follow a submission).
func contentSecurityPolicy(formTargets ...string) string {
	action := "form-action 'self'"
	for _, t := range formTargets {
		if u, err := url.Parse(t); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			action += " " + u.Scheme + "://" + u.Host
		}
	}
	return "default-src 'none'; style-src 'self'; img-src 'self' data:; " + action + "; frame-ancestors 'none'; base-uri 'none'"
}

func (f *Flows) routes(e *echo.Echo) {
	e.GET("/authorize", f.authorize)
	e.POST("/login", f.signIn)
	e.POST("/consent", f.consent)
	e.GET("/logout", f.logout)
	e.GET("/userinfo", f.userInfo)
	e.POST("/userinfo", f.userInfo)
	e.GET("/assets/*", echo.WrapHandler(f.Pages.Static()))
}

func (f *Flows) cookieName(base string) string {
	if f.Secure {
		return "__Host-" + base
	}
	return base
}

func (f *Flows) setCookie(c echo.Context, name, value string, maxAge int) {
	c.SetCookie(&http.Cookie{Name: f.cookieName(name), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: f.Secure, SameSite: http.SameSiteLaxMode})
}

func (f *Flows) cookie(c echo.Context, name string) string {
	ck, err := c.Cookie(f.cookieName(name))
	if err != nil {
		return ""
	}
	return ck.Value
}

// csrfToken returns the form token for this browser, setting its CSRF
// cookie first when it has none.
func (f *Flows) csrfToken(c echo.Context) string {
	seed := f.cookie(c, "lineage_csrf")
	if seed == "" {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		seed = base64.RawURLEncoding.EncodeToString(b)
		f.setCookie(c, "lineage_csrf", seed, 0)
	}
	return f.csrfFor(seed)
}

func (f *Flows) csrfFor(seed string) string {
	m := hmac.New(sha256.New, f.CSRFKey)
	m.Write([]byte(seed))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF verifies a posted form's token against the browser's cookie.
func (f *Flows) checkCSRF(c echo.Context) bool {
	seed := f.cookie(c, "lineage_csrf")
	return seed != "" && hmac.Equal([]byte(c.FormValue("csrf")), []byte(f.csrfFor(seed)))
}

func (f *Flows) page(c echo.Context, status int, render func(*strings.Builder) error, formTargets ...string) error {
	var b strings.Builder
	if err := render(&b); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy(formTargets...))
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	return c.HTML(status, b.String())
}

func (f *Flows) errorPage(c echo.Context, status int, title, message string) error {
	return f.page(c, status, func(b *strings.Builder) error {
		return f.Pages.Error(b, pages.ErrorPage{Title: title, Message: message})
	})
}

// authorize runs an authorization request (RFC 6749 §4.1.1): validate,
// then sign in, then consent, then issue the code — each step that needs
// the user shows its page and comes back here.
func (f *Flows) authorize(c echo.Context) error {
	ctx := c.Request().Context()
	q := c.QueryParams()
	req, err := f.Provider.ParseAuthorize(ctx, q)
	if err != nil {
		return f.authorizeError(c, err)
	}
	sess, ok, err := f.Login.Session(ctx, f.cookie(c, "lineage_session"))
	if err != nil {
		return f.authorizeError(c, &oauth.AuthorizeError{Redirect: true, RedirectURI: req.RedirectURI, State: req.State,
			Err: fosite.ErrTemporarilyUnavailable.WithWrap(err)})
	}
	tooOld := ok && req.MaxAge >= 0 && f.nowSince(sess.AuthTime) > time.Duration(req.MaxAge)*time.Second
	if !ok || req.HasPrompt("login") || tooOld {
		if req.HasPrompt("none") {
			return f.authorizeError(c, redirectErr(req, fosite.ErrLoginRequired))
		}
		return f.page(c, http.StatusOK, func(b *strings.Builder) error {
			return f.Pages.Login(b, pages.LoginPage{Action: "/login", CSRF: f.csrfToken(c),
				Return: withoutPrompt(q, "login").Encode(), ClientName: req.ClientName()})
		}, req.RedirectURI)
	}
	if !req.Client.FirstParty {
		needed, err := f.Login.NeedsConsent(ctx, sess.Username, req.Client.ID, req.Scopes)
		if err != nil {
			return f.authorizeError(c, redirectErr(req, fosite.ErrTemporarilyUnavailable.WithWrap(err)))
		}
		if needed || req.HasPrompt("consent") {
			if req.HasPrompt("none") {
				return f.authorizeError(c, redirectErr(req, fosite.ErrConsentRequired))
			}
			return f.page(c, http.StatusOK, func(b *strings.Builder) error {
				return f.Pages.Consent(b, pages.ConsentPage{Action: "/consent", CSRF: f.csrfToken(c),
					Return: withoutPrompt(q, "consent").Encode(), ClientName: req.ClientName(),
					Username: sess.Username, Scopes: pages.DescribeScopes(req.Scopes)})
			}, req.RedirectURI)
		}
	}
	to, err := f.Provider.IssueCode(ctx, req, oauth.Authentication{Username: sess.Username, AuthTime: sess.AuthTime,
		SessionID: login.SessionID(f.cookie(c, "lineage_session"))})
	var rfc *fosite.RFC6749Error
	switch {
	case errors.Is(err, oauth.ErrCreateTokenDenied):
		// Shown to the user, never sent to the client: the application
		// learns nothing of the account's policies.
		return f.errorPage(c, http.StatusForbidden, "Sign-in not allowed",
			"An administrator's policy does not allow this application to issue tokens for this account. Contact your administrator.")
	case errors.As(err, &rfc):
		return f.authorizeError(c, redirectErr(req, rfc))
	case err != nil:
		return f.authorizeError(c, redirectErr(req, fosite.ErrServerError.WithWrap(err)))
	}
	return c.Redirect(http.StatusFound, to)
}

func redirectErr(req oauth.AuthorizeRequest, e *fosite.RFC6749Error) error {
	return &oauth.AuthorizeError{Redirect: true, RedirectURI: req.RedirectURI, State: req.State, Err: e}
}

func (f *Flows) nowSince(t time.Time) time.Duration { return f.Now().Sub(t) }

// authorizeError answers RFC 6749 §4.1.2.1: back to the registered
// redirect URI when it is known, else a page — never a redirect to an
// unregistered URI.
func (f *Flows) authorizeError(c echo.Context, err error) error {
	var ae *oauth.AuthorizeError
	if !errors.As(err, &ae) {
		return err
	}
	if ae.Err.CodeField >= 500 && ae.Err.ErrorField != fosite.ErrTemporarilyUnavailable.ErrorField {
		f.Logger.ErrorContext(c.Request().Context(), "authorize failed", "error", err.Error())
	}
	if ae.Redirect {
		return c.Redirect(http.StatusFound, ae.RedirectTo(f.Issuer))
	}
	return f.errorPage(c, http.StatusBadRequest, "This sign-in link is not valid",
		"The application sent an invalid request: "+ae.Err.GetDescription()+" Go back to the application and try again.")
}

// withoutPrompt returns q without the prompt value that has just been
// satisfied, so that the request does not loop back to the same page.
func withoutPrompt(q url.Values, satisfied string) url.Values {
	out := url.Values{}
	for k, vs := range q {
		out[k] = slices.Clone(vs)
	}
	if p := out.Get("prompt"); p != "" {
		rest := slices.DeleteFunc(strings.Fields(p), func(s string) bool { return s == satisfied })
		if len(rest) == 0 {
			out.Del("prompt")
		} else {
			out.Set("prompt", strings.Join(rest, " "))
		}
	}
	return out
}

// backToAuthorize redirects to /authorize with the request carried in the
// form's return field. Only a query string is taken from it: the target
// is always this issuer's /authorize, which validates everything again.
func backToAuthorize(c echo.Context) error {
	q, err := url.ParseQuery(c.FormValue("return"))
	if err != nil || q.Get("client_id") == "" {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	return c.Redirect(http.StatusSeeOther, "/authorize?"+q.Encode())
}

func (f *Flows) signIn(c echo.Context) error {
	ctx := c.Request().Context()
	ret, _ := url.ParseQuery(c.FormValue("return"))
	clientName := ret.Get("client_id")
	if !f.checkCSRF(c) {
		return f.errorPage(c, http.StatusForbidden, "Your sign-in form expired", "Go back to the application and start signing in again.")
	}
	username := c.FormValue("username")
	_, cookie, err := f.Login.SignIn(ctx, username, c.FormValue("password"), c.RealIP())
	var throttled *login.Throttled
	switch {
	case errors.As(err, &throttled):
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(throttled.RetryAfter.Seconds())))
		return f.page(c, http.StatusTooManyRequests, func(b *strings.Builder) error {
			return f.Pages.Login(b, pages.LoginPage{Action: "/login", CSRF: f.csrfToken(c), Return: c.FormValue("return"),
				Username: username, ClientName: clientName, RetryAfterSeconds: int(throttled.RetryAfter.Seconds())})
		}, f.formTarget(c, ret))
	case errors.Is(err, login.ErrBadCredentials):
		return f.page(c, http.StatusUnauthorized, func(b *strings.Builder) error {
			return f.Pages.Login(b, pages.LoginPage{Action: "/login", CSRF: f.csrfToken(c), Return: c.FormValue("return"),
				Username: username, ClientName: clientName, Error: "The username or password is incorrect."})
		}, f.formTarget(c, ret))
	case err != nil:
		return err
	}
	f.setCookie(c, "lineage_session", cookie, 0)
	return backToAuthorize(c)
}

// formTarget returns the registered redirect URI of the authorization
// request carried in a form's return field, for the page's CSP; "" if the
// request is not valid.
func (f *Flows) formTarget(c echo.Context, ret url.Values) string {
	req, err := f.Provider.ParseAuthorize(c.Request().Context(), ret)
	if err != nil {
		return ""
	}
	return req.RedirectURI
}

func (f *Flows) consent(c echo.Context) error {
	ctx := c.Request().Context()
	if !f.checkCSRF(c) {
		return f.errorPage(c, http.StatusForbidden, "Your consent form expired", "Go back to the application and start again.")
	}
	q, err := url.ParseQuery(c.FormValue("return"))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	req, err := f.Provider.ParseAuthorize(ctx, q)
	if err != nil {
		return f.authorizeError(c, err)
	}
	sess, ok, err := f.Login.Session(ctx, f.cookie(c, "lineage_session"))
	if err != nil {
		return err
	}
	if !ok {
		return backToAuthorize(c)
	}
	if c.FormValue("decision") != "allow" {
		return f.authorizeError(c, redirectErr(req, fosite.ErrAccessDenied.WithHint("The user denied the request.")))
	}
	if err := f.Login.Consent(ctx, sess.Username, req.Client.ID, req.Scopes); err != nil {
		return err
	}
	return backToAuthorize(c)
}

// logout ends the browser's login session (OpenID Connect RP-Initiated
// Logout 1.0) and returns to the client's registered post-logout URI.
func (f *Flows) logout(c echo.Context) error {
	ctx := c.Request().Context()
	out, err := f.Provider.ParseLogout(ctx, c.QueryParams())
	var rfc *fosite.RFC6749Error
	if errors.As(err, &rfc) && rfc.CodeField < 500 {
		return f.errorPage(c, http.StatusBadRequest, "This sign-out link is not valid", rfc.GetDescription())
	}
	if err != nil {
		return err
	}
	if err := f.Login.SignOut(ctx, f.cookie(c, "lineage_session")); err != nil {
		return err
	}
	f.setCookie(c, "lineage_session", "", -1)
	if out.RedirectTo != "" {
		return c.Redirect(http.StatusFound, out.RedirectTo)
	}
	return f.page(c, http.StatusOK, func(b *strings.Builder) error { return f.Pages.SignedOut(b, pages.SignedOutPage{}) })
}

// userInfo serves the UserInfo endpoint (OpenID Connect Core §5.3) with a
// bearer access token (RFC 6750 §2.1, or §2.2 in a POST form).
func (f *Flows) userInfo(c echo.Context) error {
	token, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	if !ok && c.Request().Method == http.MethodPost {
		token = c.FormValue("access_token")
	}
	info, err := f.Provider.UserInfo(c.Request().Context(), strings.TrimSpace(token))
	var rfc *fosite.RFC6749Error
	if errors.As(err, &rfc) && (rfc.CodeField == http.StatusUnauthorized || rfc.CodeField == http.StatusForbidden) {
		c.Response().Header().Set("WWW-Authenticate", `Bearer error="`+rfc.ErrorField+`"`)
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.JSON(rfc.CodeField, oauthError{Error: rfc.ErrorField, Description: rfc.GetDescription()})
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, info)
}
