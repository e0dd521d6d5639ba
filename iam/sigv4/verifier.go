package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Defaults of Options.
const (
	// DefaultMaxSkew is how far X-Amz-Date may be from the server's clock,
	// either way (AWS allows 5 minutes).
	DefaultMaxSkew = 5 * time.Minute
	// DefaultMaxBodyBytes bounds the body Verify hashes. Token and STS
	// requests are a few kilobytes.
	DefaultMaxBodyBytes = 64 << 10
	// maxSessionTokenLength bounds the x-amz-security-token handed to the
	// lookup.
	maxSessionTokenLength = 16 << 10
)

// Header names, lower case as in SignedHeaders.
const (
	headerHost          = "host"
	headerAmzDate       = "x-amz-date"
	headerSecurityToken = "x-amz-security-token"
	headerContentSHA256 = "x-amz-content-sha256"
	headerContentLength = "content-length"
	headerAuthorization = "authorization"
)

// Prefixes of access key ids (IAM User Guide, "Unique identifiers").
const (
	prefixLongTermKey  = "AKIA"
	prefixTemporaryKey = "ASIA"
)

// Secret is what the verifier needs to know about one access key.
type Secret struct {
	// AccessKeyID must equal the id that was looked up.
	AccessKeyID string
	// SecretAccessKey is the HMAC secret the client signs with.
	SecretAccessKey string
}

// KeyLookup returns the secret of an access key id. sessionToken is the
// x-amz-security-token the request sent (empty for long-term AKIA keys);
// the lookup must check that it belongs to that key id (a session token
// presented with another session's key is refused), since the verifier
// only enforces that AKIA keys come without one and ASIA keys with one.
//
// It returns ErrUnknownKey, ErrInvalidSessionToken or ErrExpiredToken
// (wrapped or not) when the credentials are not good; any other error is
// an internal failure.
type KeyLookup func(ctx context.Context, accessKeyID, sessionToken string) (Secret, error)

// Options configure a Verifier. cmd fills them from the configuration.
type Options struct {
	// Region is the only region a credential scope may name (iam.region).
	Region string
	// Services are the signing names accepted in the credential scope:
	// "sso-oauth" (SSO-OIDC) and/or "sts".
	Services []string
	// Host is the issuer's host[:port] as clients address it (the host of
	// the issuer URL). The request's Host must match it, ignoring case and
	// a default port (:80 or :443).
	Host string
	// MaxSkew bounds |now − X-Amz-Date|; zero means DefaultMaxSkew.
	MaxSkew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxBodyBytes bounds the body; zero means DefaultMaxBodyBytes. The
	// caller should read the body with the same limit.
	MaxBodyBytes int64
}

// Validate reports every problem with the options at once.
func (o Options) Validate() error {
	var errs []error
	if !validScopeField(o.Region) {
		errs = append(errs, errors.New("sigv4: region must be 1–64 characters of a-z, 0-9 and '-'"))
	}
	if len(o.Services) == 0 {
		errs = append(errs, errors.New("sigv4: at least one service (sso-oauth, sts) is required"))
	}
	for _, s := range o.Services {
		if !validScopeField(s) {
			errs = append(errs, fmt.Errorf("sigv4: service %q must be 1–64 characters of a-z, 0-9 and '-'", s))
		}
	}
	if o.Host == "" || strings.ContainsAny(o.Host, "/ \t\r\n@?#") {
		errs = append(errs, fmt.Errorf("sigv4: host %q must be a host[:port], without scheme or path", o.Host))
	}
	if o.MaxSkew < 0 {
		errs = append(errs, errors.New("sigv4: max skew must not be negative"))
	}
	if o.MaxBodyBytes < 0 {
		errs = append(errs, errors.New("sigv4: max body bytes must not be negative"))
	}
	return errors.Join(errs...)
}

// Verifier checks AWS Signature Version 4 signed requests (Authorization
// header form) addressed to one issuer. It is safe for concurrent use.
type Verifier struct {
	region       string
	services     []string
	host         string // normalised, see normalHost
	maxSkew      time.Duration
	now          func() time.Time
	maxBodyBytes int64
}

// New returns a Verifier for o, after o.Validate.
func New(o Options) (*Verifier, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	v := &Verifier{
		region:       o.Region,
		services:     slices.Clone(o.Services),
		host:         normalHost(o.Host),
		maxSkew:      o.MaxSkew,
		now:          o.Now,
		maxBodyBytes: o.MaxBodyBytes,
	}
	if v.maxSkew == 0 {
		v.maxSkew = DefaultMaxSkew
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.maxBodyBytes == 0 {
		v.maxBodyBytes = DefaultMaxBodyBytes
	}
	return v, nil
}

// Caller is who signed a verified request. Its fields are authenticated.
type Caller struct {
	// AccessKeyID is the key that signed (AKIA… or ASIA…).
	AccessKeyID string
	// SessionToken is the x-amz-security-token; empty for a long-term key.
	SessionToken string
	// Service is the signing name of the credential scope (sso-oauth, sts).
	Service string
	// Region is the region of the credential scope (Options.Region).
	Region string
	// SignedAt is X-Amz-Date.
	SignedAt time.Time
}

// Verify checks that r, whose body the caller has read into body, carries
// a valid SigV4 signature by the key lookup returns. r must be a server
// request; behind trusted proxies, the caller sets r.Host to the forwarded
// host first (on a clone). Verify does not read r.Body nor change r.
//
// A refused request yields an *Error (see Code for the mapping); a lookup
// failure other than ErrUnknownKey, ErrInvalidSessionToken and
// ErrExpiredToken is returned wrapped, for a 500.
//
// The signature is recomputed with the AWS SDK's signer over a fresh
// request holding only the signed headers, the same method, path, query
// and body hash, then compared in constant time.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte, lookup KeyLookup) (Caller, error) {
	if r == nil || r.URL == nil || lookup == nil {
		return Caller{}, errors.New("sigv4: Verify needs a request with a URL and a key lookup")
	}
	if int64(len(body)) > v.maxBodyBytes {
		return Caller{}, refuse(CodeRequestEntityTooLarge, "The request body is too long.")
	}
	if r.URL.Opaque != "" {
		return Caller{}, refuse(CodeIncompleteSignature, "The request target is malformed.")
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return Caller{}, refuse(CodeIncompleteSignature, "The query string is malformed.")
	}
	for k := range query {
		if isPresignParameter(k) {
			return Caller{}, refuse(CodeIncompleteSignature, "Presigned URLs are not accepted; sign the Authorization header.")
		}
	}

	authz := r.Header.Values("Authorization")
	switch len(authz) {
	case 0:
		return Caller{}, refuse(CodeMissingAuthenticationToken, "Request is missing Authentication Token.")
	case 1:
	default:
		return Caller{}, refuse(CodeIncompleteSignature, "The request has more than one Authorization header.")
	}
	a, err := parseAuthorization(authz[0])
	if err != nil {
		return Caller{}, err
	}
	fail := func(code Code, msg string) (Caller, error) {
		return Caller{}, &Error{Code: code, Message: msg, AccessKeyID: a.AccessKeyID}
	}

	// Headers that must be signed, and signed headers lineage can check.
	if !a.signs(headerHost) {
		return fail(CodeIncompleteSignature, "'host' must be a signed header.")
	}
	if !a.signs(headerAmzDate) {
		return fail(CodeIncompleteSignature, "'x-amz-date' must be a signed header.")
	}
	for _, h := range []string{headerSecurityToken, headerContentSHA256} {
		if len(r.Header.Values(h)) > 0 && !a.signs(h) {
			return fail(CodeIncompleteSignature, "'"+h+"' must be a signed header when it is sent.")
		}
	}
	for _, h := range a.SignedHeaders {
		if unverifiableHeader(h) {
			return fail(CodeIncompleteSignature, "'"+h+"' cannot be a signed header.")
		}
		if h != headerHost && h != headerContentLength && len(r.Header.Values(h)) == 0 {
			return fail(CodeIncompleteSignature, "The signed header '"+h+"' is missing from the request.")
		}
	}
	for _, h := range []string{headerAmzDate, headerSecurityToken, headerContentSHA256} {
		if len(r.Header.Values(h)) > 1 {
			return fail(CodeIncompleteSignature, "The header '"+h+"' must not be repeated.")
		}
	}

	// Date, scope and clock.
	rawDate := r.Header.Get(headerAmzDate)
	signedAt, err := time.Parse(amzDateLayout, rawDate)
	if err != nil || signedAt.Format(amzDateLayout) != rawDate {
		return fail(CodeIncompleteSignature, "X-Amz-Date must have the form YYYYMMDDTHHMMSSZ.")
	}
	if a.Date != signedAt.Format(scopeDateLayout) {
		return fail(CodeSignatureDoesNotMatch, "Date in Credential scope does not match YYYYMMDD from X-Amz-Date.")
	}
	if !slices.Contains(v.services, a.Service) {
		return fail(CodeSignatureDoesNotMatch, "Credential should be scoped to a correct service: '"+strings.Join(v.services, "' or '")+"'.")
	}
	if a.Region != v.region {
		return fail(CodeSignatureDoesNotMatch, "Credential should be scoped to a valid region: '"+v.region+"'.")
	}
	if skew := v.now().Sub(signedAt); skew > v.maxSkew || skew < -v.maxSkew {
		return fail(CodeRequestTimeTooSkewed, "The difference between the request time and the server's time is too large.")
	}

	// Addressed to this issuer.
	if normalHost(r.Host) != v.host {
		return fail(CodeSignatureDoesNotMatch, "The Host header does not name this issuer.")
	}

	// Body.
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if a.signs(headerContentSHA256) {
		claimed := r.Header.Get(headerContentSHA256)
		if claimed == "UNSIGNED-PAYLOAD" || strings.HasPrefix(claimed, "STREAMING-") {
			return fail(CodeIncompleteSignature, "Unsigned and streaming payloads are not accepted; sign the SHA-256 of the body.")
		}
		if !hmac.Equal([]byte(claimed), []byte(payloadHash)) {
			return fail(CodeSignatureDoesNotMatch, "The x-amz-content-sha256 header does not match the SHA-256 of the body.")
		}
	}
	var contentLength int64
	if a.signs(headerContentLength) {
		declared := r.Header.Values("Content-Length")
		if len(declared) == 0 && r.ContentLength >= 0 {
			declared = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		if len(declared) != 1 || declared[0] != strconv.Itoa(len(body)) {
			return fail(CodeSignatureDoesNotMatch, "The Content-Length header does not match the length of the body.")
		}
		if len(body) == 0 {
			// The SDK signer signs content-length only when it is positive.
			return fail(CodeIncompleteSignature, "'content-length' cannot be a signed header of an empty body.")
		}
		contentLength = int64(len(body))
	}

	// Credentials: the AKIA/ASIA rule, then the lookup.
	token := r.Header.Get(headerSecurityToken)
	switch {
	case len(token) > maxSessionTokenLength:
		return fail(CodeInvalidClientTokenID, "The security token included in the request is invalid.")
	case strings.HasPrefix(a.AccessKeyID, prefixLongTermKey) && token != "":
		return fail(CodeInvalidClientTokenID, "A long-term access key (AKIA) must not be used with a session token.")
	case strings.HasPrefix(a.AccessKeyID, prefixTemporaryKey) && token == "":
		return fail(CodeInvalidClientTokenID, "A temporary access key (ASIA) requires its session token.")
	case !strings.HasPrefix(a.AccessKeyID, prefixLongTermKey) && !strings.HasPrefix(a.AccessKeyID, prefixTemporaryKey):
		return fail(CodeInvalidClientTokenID, "The security token included in the request is invalid.")
	}
	secret, err := lookup(ctx, a.AccessKeyID, token)
	switch {
	case errors.Is(err, ErrExpiredToken):
		return Caller{}, &Error{Code: CodeExpiredToken, Message: "The security token included in the request is expired.", AccessKeyID: a.AccessKeyID, Err: err}
	case errors.Is(err, ErrUnknownKey), errors.Is(err, ErrInvalidSessionToken):
		return Caller{}, &Error{Code: CodeInvalidClientTokenID, Message: "The security token included in the request is invalid.", AccessKeyID: a.AccessKeyID, Err: err}
	case err != nil:
		return Caller{}, fmt.Errorf("sigv4: key lookup: %w", err)
	case secret.AccessKeyID != a.AccessKeyID || secret.SecretAccessKey == "":
		return Caller{}, errors.New("sigv4: key lookup returned a secret for another access key id, or an empty one")
	}

	// Recompute over a fresh request holding only the signed headers.
	fresh := &http.Request{
		Method:        r.Method,
		URL:           &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery},
		Host:          r.Host, // signed as sent; no scheme, so no default port is stripped
		Header:        make(http.Header, len(a.SignedHeaders)),
		ContentLength: contentLength,
	}
	for _, h := range a.SignedHeaders {
		if h == headerHost || h == headerContentLength {
			continue
		}
		fresh.Header[http.CanonicalHeaderKey(h)] = slices.Clone(r.Header.Values(h))
	}
	creds := aws.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: secret.SecretAccessKey, SessionToken: token}
	// A new signer per request: the SDK's signer caches derived keys by
	// access key id, region, service and day — not by secret — so a shared
	// one would keep accepting a secret that has since changed.
	if err := v4.NewSigner().SignHTTP(ctx, creds, fresh, payloadHash, a.Service, a.Region, signedAt); err != nil {
		return Caller{}, fmt.Errorf("sigv4: recompute signature: %w", err)
	}
	want, err := parseAuthorization(fresh.Header.Get("Authorization"))
	if err != nil {
		return Caller{}, fmt.Errorf("sigv4: recompute signature: %w", err)
	}
	if !slices.Equal(want.SignedHeaders, a.SignedHeaders) {
		// The signer would not sign what the client signed; nothing to compare.
		return fail(CodeSignatureDoesNotMatch, "The request signature we calculated does not match the signature you provided.")
	}
	if !hmac.Equal([]byte(want.Signature), []byte(a.Signature)) {
		return fail(CodeSignatureDoesNotMatch, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	}
	return Caller{
		AccessKeyID:  a.AccessKeyID,
		SessionToken: token,
		Service:      a.Service,
		Region:       a.Region,
		SignedAt:     signedAt,
	}, nil
}

// isPresignParameter reports a query parameter of a presigned URL.
func isPresignParameter(k string) bool {
	switch strings.ToLower(k) {
	case "x-amz-signature", "x-amz-credential", "x-amz-algorithm", "x-amz-signedheaders",
		"x-amz-date", "x-amz-security-token", "x-amz-expires":
		return true
	}
	return false
}

// unverifiableHeader reports a header the SDK signer never signs
// (its IgnoredHeaders), so a signature over it cannot be recomputed.
func unverifiableHeader(h string) bool {
	switch h {
	case headerAuthorization, "user-agent", "x-amzn-trace-id", "expect", "transfer-encoding":
		return true
	}
	return false
}

// normalHost lower-cases host and drops a default port (:80, :443).
func normalHost(h string) string {
	h = strings.ToLower(h)
	for _, p := range []string{":80", ":443"} {
		if s, ok := strings.CutSuffix(h, p); ok {
			return s
		}
	}
	return h
}
