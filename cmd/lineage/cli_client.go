package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// adminTimeout bounds one admin API call, connection included.
const adminTimeout = 30 * time.Second

// maxAdminResponse bounds how much of an admin API answer is read.
const maxAdminResponse = 16 << 20

// adminClient calls the admin API (DESIGN.md "HTTP surface": JSON under
// /admin/v1/, "Authorization: Bearer <admin_token>", RFC 6750 §2.1). The
// token goes in that header only: never in a URL, a message or an error.
type adminClient struct {
	base  string // scheme://host[:port][/prefix], no trailing slash
	token string
	http  *http.Client
}

// newAdminClient returns a client of the admin API at rawURL.
func newAdminClient(rawURL, token string) (*adminClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" {
		return nil, usageError{fmt.Errorf("--admin-url %q is not an http(s) URL such as http://127.0.0.1:8081", redactedURL(rawURL))}
	}
	if token == "" {
		return nil, usageError{errors.New("the admin token is required: set LINEAGE_ADMIN_TOKEN (or give --admin-token)")}
	}
	if strings.ContainsAny(token, "\r\n") {
		return nil, usageError{errors.New("the admin token contains a line break")}
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	return &adminClient{
		base:  strings.TrimRight(u.String(), "/"),
		token: token,
		http: &http.Client{
			Transport: transport,
			Timeout:   adminTimeout,
			// A redirect is an error: the token is not sent on to wherever
			// it points.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// redactedURL hides a password in a URL that is shown to the user.
func redactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

// plainToRemote reports whether the client sends the token unencrypted to
// a host other than this one.
func (c *adminClient) plainToRemote() bool {
	u, err := url.Parse(c.base)
	if err != nil || u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// adminPath returns the path of an admin API resource: each segment is
// escaped on its own, so that an id with a "/" (an ARN) stays one segment.
func adminPath(segments ...string) string {
	var b strings.Builder
	b.WriteString("/admin/v1")
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// apiError is an admin API answer other than 2xx: its HTTP status and the
// server's {"error","error_description"} (DESIGN.md "HTTP surface").
type apiError struct {
	Status      int
	Code        string // "error"
	Description string // "error_description"
}

func (e *apiError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "admin API answered %d %s", e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	return b.String()
}

// exitCode maps the status to the CLI's exit code (see exitCodes).
func (e *apiError) exitCode() int {
	switch e.Status {
	case http.StatusNotFound:
		return exitNotFound
	case http.StatusConflict:
		return exitConflict
	case http.StatusUnauthorized:
		return exitUnauthorized
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		return exitRejected
	}
	return exitFailure
}

// call sends one request with in (if not nil) as its JSON body and returns
// the answer's body. An answer other than 2xx is an *apiError.
func (c *adminClient) call(ctx context.Context, method, path string, in any) ([]byte, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error names the method and the URL (password redacted),
		// never the headers.
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAdminResponse))
	if err != nil {
		return nil, fmt.Errorf("read the answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &apiError{Status: resp.StatusCode}
		var problem struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(raw, &problem) == nil {
			e.Code, e.Description = printable(problem.Error), printable(problem.Description)
		}
		return nil, e
	}
	return raw, nil
}

// get, post, put and del are call with the method named.
func (c *adminClient) get(ctx context.Context, path string) ([]byte, error) {
	return c.call(ctx, http.MethodGet, path, nil)
}

func (c *adminClient) post(ctx context.Context, path string, in any) ([]byte, error) {
	return c.call(ctx, http.MethodPost, path, in)
}

func (c *adminClient) put(ctx context.Context, path string, in any) ([]byte, error) {
	return c.call(ctx, http.MethodPut, path, in)
}

func (c *adminClient) del(ctx context.Context, path string) ([]byte, error) {
	return c.call(ctx, http.MethodDelete, path, nil)
}

// printable drops control characters from text the server sent, so that
// an answer cannot drive the terminal, and bounds its length.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 500 {
		s = string(r[:500]) + "…"
	}
	return s
}
