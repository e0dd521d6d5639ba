package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Error kinds of the report besides "http_<status>[:<error>]".
const (
	// ErrTransport is a request that got no HTTP answer: refused or reset
	// connection, malformed response.
	ErrTransport = "transport"
	// ErrTimeout is a request that took longer than Options.Timeout.
	ErrTimeout = "timeout"
	// ErrUnexpectedBody is a 200 answer that is not what the protocol
	// says: not JSON, a field missing.
	ErrUnexpectedBody = "unexpected_body"
	// ErrWrongAnswer is a well-formed answer that is wrong: introspection
	// saying active for a malformed token, inactive for a valid one.
	ErrWrongAnswer = "wrong_answer"
)

// maxResponseBytes bounds how much of an answer is read.
const maxResponseBytes = 1 << 20

// Failure is a request that failed, by kind.
type Failure struct {
	// Kind is the report's key: ErrTransport, ErrTimeout,
	// ErrUnexpectedBody, ErrWrongAnswer or "http_<status>[:<error>]"
	// (with the RFC 6749 §5.2 error code when the body has one).
	Kind string
	// Detail says what happened, without tokens or secrets.
	Detail string
}

func (f *Failure) Error() string { return "bench: " + f.Kind + ": " + f.Detail }

func failf(kind, format string, args ...any) *Failure {
	return &Failure{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// failureOf returns err's kind and detail.
func failureOf(err error) *Failure {
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	return transportFailure(err)
}

// transportFailure classifies an error of http.Client.Do.
func transportFailure(err error) *Failure {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &Failure{Kind: ErrTimeout, Detail: "no answer within the request timeout"}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is the same for every request
	}
	return &Failure{Kind: ErrTransport, Detail: err.Error()}
}

// newTransport returns the transport the workers share: keep-alive, and as
// many idle connections per host as there are workers, so that no request
// pays for a new connection once the warm-up has opened them.
func newTransport(concurrency int) *http.Transport {
	return &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        concurrency + 16,
		MaxIdleConnsPerHost: concurrency + 16,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}

// Public sends requests to the issuer's public endpoints.
type Public struct {
	base string // no trailing slash
	http *http.Client
	// fast sends the measured requests (PostForm, PostSigned): fasthttp's client reads
	// and writes each connection in the calling goroutine, where
	// net/http's transport hands every request to two goroutines per
	// connection — on a box the issuer shares, the generator's own cost
	// is what the issuer does not get.
	fast *fasthttp.Client
}

func newPublic(base string, transport http.RoundTripper, concurrency int) *Public {
	return &Public{
		base: strings.TrimRight(base, "/"),
		http: &http.Client{
			Transport:     transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		fast: &fasthttp.Client{
			MaxConnsPerHost:               concurrency + 16,
			MaxIdleConnDuration:           90 * time.Second,
			NoDefaultUserAgentHeader:      true,
			DisableHeaderNamesNormalizing: true,
			DisablePathNormalizing:        true,
			MaxResponseBodySize:           maxResponseBytes,
			Dial:                          (&fasthttp.TCPDialer{Concurrency: 0}).Dial,
		},
	}
}

// BasicAuth returns the Authorization header of client_secret_basic (RFC
// 6749 §2.3.1: id and secret form-urlencoded, then Base64).
func BasicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// PostForm posts the form-encoded body to path with the Authorization
// header auth, reads the answer into buf (reset first) and returns nil for
// a 200, else a *Failure: "http_<status>[:<error>]", ErrTimeout or
// ErrTransport.
func (p *Public) PostForm(ctx context.Context, path, auth, body string, buf *bytes.Buffer) error {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(p.base + path)
	req.Header.SetMethod(http.MethodPost)
	req.Header.SetContentType("application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.SetBodyString(body)
	if err := p.do(ctx, req, resp); err != nil {
		return err
	}
	buf.Reset()
	buf.Write(resp.Body())
	if resp.StatusCode() != http.StatusOK {
		return httpFailure(resp.StatusCode(), buf.Bytes())
	}
	return nil
}

// PostSigned posts body to pathAndQuery with header — the headers of a
// request signed with SigV4 (Authorization, X-Amz-Date,
// X-Amz-Security-Token, Content-Type, …), sent as they are — reads the
// answer into buf (reset first) and returns nil for a 200, else a
// *Failure: "http_<status>[:<type>]" with the AWS exception type of the
// X-Amzn-ErrorType header (DESIGN.md "Wire compatibility with AWS SDKs"),
// ErrTimeout or ErrTransport. The Host header is the public URL's, as
// signed.
func (p *Public) PostSigned(ctx context.Context, pathAndQuery string, header http.Header, body []byte, buf *bytes.Buffer) error {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(p.base + pathAndQuery)
	req.Header.SetMethod(http.MethodPost)
	for name, values := range header {
		for _, v := range values {
			if name == "Content-Type" {
				req.Header.SetContentType(v)
				continue
			}
			req.Header.Add(name, v)
		}
	}
	req.SetBody(body)
	if err := p.do(ctx, req, resp); err != nil {
		return err
	}
	buf.Reset()
	buf.Write(resp.Body())
	if resp.StatusCode() != http.StatusOK {
		return awsFailure(resp.StatusCode(), string(resp.Header.Peek("X-Amzn-ErrorType")), buf.Bytes())
	}
	return nil
}

// do sends req with ctx's deadline and classifies a failure to get an
// answer: ErrTimeout or ErrTransport.
func (p *Public) do(ctx context.Context, req *fasthttp.Request, resp *fasthttp.Response) error {
	var err error
	if deadline, ok := ctx.Deadline(); ok {
		err = p.fast.DoDeadline(req, resp, deadline)
	} else {
		err = p.fast.Do(req, resp)
	}
	if err != nil {
		if errors.Is(err, fasthttp.ErrTimeout) {
			return &Failure{Kind: ErrTimeout, Detail: "no answer within the request timeout"}
		}
		return transportFailure(err)
	}
	return nil
}

// httpFailure names a non-200 answer by its status and, when the body is
// an RFC 6749 §5.2 error, its error code.
func httpFailure(status int, body []byte) *Failure {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	kind := fmt.Sprintf("http_%d", status)
	if json.Unmarshal(body, &e) == nil && e.Error != "" && len(e.Error) <= 64 && !strings.ContainsAny(e.Error, " \t\r\n\"") {
		kind += ":" + e.Error
	}
	detail := http.StatusText(status)
	if e.Description != "" {
		detail = e.Description
	}
	return &Failure{Kind: kind, Detail: truncate(detail, 200)}
}

// awsFailure names a non-200 answer of an AWS-shaped operation by its
// status and exception type (typ, from X-Amzn-ErrorType; the body's
// __type when the header is missing), with the body's message.
func awsFailure(status int, typ string, body []byte) *Failure {
	var e struct {
		Type        string `json:"__type"`
		Message     string `json:"message"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &e)
	if typ == "" {
		typ = e.Type
	}
	kind := fmt.Sprintf("http_%d", status)
	if typ != "" && len(typ) <= 64 && !strings.ContainsAny(typ, " \t\r\n\"") {
		kind += ":" + typ
	}
	detail := http.StatusText(status)
	switch {
	case e.Message != "":
		detail = e.Message
	case e.Description != "":
		detail = e.Description
	}
	return &Failure{Kind: kind, Detail: truncate(detail, 200)}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
