package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lineage-oss/lineage/iam"
	"github.com/lineage-oss/lineage/iam/policy"
	"github.com/lineage-oss/lineage/iam/sigv4"
	"github.com/lineage-oss/lineage/ratelimit"
)

// STS serves the AWS STS Query API at POST /sts/ (AssumeRole,
// GetCallerIdentity): SigV4 (service sts) authenticates the caller.
type STS struct {
	Directory *iam.Directory
	Verifier  *sigv4.Verifier
	// Limits limit failed SigV4 authentications (nil: no limit).
	Limits *ratelimit.Limiter
	// Now is the clock the verifier checks skew against; responses carry
	// it in their Date header, from which the AWS SDKs correct their own
	// clock after RequestTimeTooSkewed.
	Now func() time.Time
}

// stsError is an STS error rendered as <ErrorResponse> XML.
type stsError struct {
	status int
	code   string
	msg    string
	err    error
}

func (e *stsError) Error() string { return "sts: " + e.code + ": " + e.msg }
func (e *stsError) Unwrap() error { return e.err }

// authenticate verifies the request's SigV4 signature and returns the
// principal whose key signed it.
//
// An access key id or a client IP (ip) over its failed-SigV4 limit is
// refused with a *ratelimit.Exceeded before the signature is computed,
// and so is the failure one too many. A failure counts against both when
// it tested a secret: an unknown key id,
// a session token that is not the key's, or a signature that does not
// match once the key was found; not a malformed request, a wrong scope or
// an expired session.
func authenticate(ctx context.Context, dir *iam.Directory, v *sigv4.Verifier, limits *ratelimit.Limiter, r *http.Request, body []byte, ip string) (iam.Principal, error) {
	var principal iam.Principal
	var akid string
	counts := false // a failure from here on counts
	_, err := v.Verify(ctx, r, body, func(ctx context.Context, id, token string) (sigv4.Secret, error) {
		akid = id
		if err := limits.SigV4(id, ip); err != nil {
			return sigv4.Secret{}, err
		}
		secret, p, err := dir.Authenticate(ctx, id, token)
		switch {
		case errors.Is(err, iam.ErrUnknownKey):
			counts = true
			return sigv4.Secret{}, sigv4.ErrUnknownKey
		case errors.Is(err, iam.ErrInvalidSessionToken):
			counts = true
			return sigv4.Secret{}, sigv4.ErrInvalidSessionToken
		case errors.Is(err, iam.ErrExpiredToken):
			return sigv4.Secret{}, sigv4.ErrExpiredToken
		case err != nil:
			return sigv4.Secret{}, err
		}
		counts = true
		principal = p
		return sigv4.Secret{AccessKeyID: id, SecretAccessKey: secret}, nil
	})
	if err != nil && counts {
		if lerr := limits.SigV4Failed(ctx, akid, ip); lerr != nil {
			return principal, lerr
		}
	}
	return principal, err
}

func (s *STS) serve(c echo.Context) error {
	r := c.Request()
	c.Response().Header().Set("Date", s.Now().UTC().Format(http.TimeFormat))
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return &stsError{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request body is too large.", err}
	}
	principal, err := authenticate(r.Context(), s.Directory, s.Verifier, s.Limits, r, body, c.RealIP())
	var sigErr *sigv4.Error
	if errors.As(err, &sigErr) {
		return &stsError{sigErr.Code.HTTPStatus(), string(sigErr.Code), sigErr.Message, err}
	}
	if err != nil {
		return err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return &stsError{http.StatusBadRequest, "MalformedQueryString", "The body is not a form.", err}
	}
	if v := form.Get("Version"); v != "2011-06-15" {
		return &stsError{http.StatusBadRequest, "InvalidParameterValue", "Version must be 2011-06-15.", nil}
	}
	switch form.Get("Action") {
	case "GetCallerIdentity":
		// As on AWS, no permission is needed: an explicit Deny of
		// sts:GetCallerIdentity does not stop it.
		var out getCallerIdentityResponse
		out.Result.Arn, out.Result.UserID, out.Result.Account = principal.ARN, principal.UserID, principal.Account
		return writeSTS(c, &out, &out.Xmlns, &out.Metadata)
	case "AssumeRole":
		return s.assumeRole(c, principal, form)
	}
	return &stsError{http.StatusBadRequest, "InvalidAction", "The action is not valid for this endpoint.", nil}
}

func (s *STS) assumeRole(c echo.Context, principal iam.Principal, form url.Values) error {
	in := iam.AssumeRoleInput{RoleARN: form.Get("RoleArn"), SessionName: form.Get("RoleSessionName"), Policy: form.Get("Policy")}
	if v := form.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 43200 {
			return &stsError{http.StatusBadRequest, iam.CodeValidationError, "DurationSeconds must be an integer from 900 to 43200.", nil}
		}
		in.Duration = time.Duration(n) * time.Second
	}
	if in.RoleARN == "" {
		return &stsError{http.StatusBadRequest, "MissingParameter", "RoleArn is required.", nil}
	}
	in.Context = map[string][]string{
		policy.KeySourceIP:        {c.RealIP()},
		policy.KeySecureTransport: {strconv.FormatBool(c.Request().TLS != nil)},
	}
	creds, user, err := s.Directory.AssumeRole(c.Request().Context(), principal, in)
	var iamErr *iam.Error
	if errors.As(err, &iamErr) {
		status := http.StatusBadRequest
		if iamErr.Code == iam.CodeAccessDenied {
			status = http.StatusForbidden
		}
		return &stsError{status, iamErr.Code, iamErr.Message, err}
	}
	if err != nil {
		return err
	}
	var out assumeRoleResponse
	out.Result.Credentials = stsCredentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey,
		SessionToken: creds.SessionToken, Expiration: creds.Expiration}
	out.Result.AssumedRoleUser = stsAssumedRoleUser{Arn: user.ARN, AssumedRoleID: user.AssumedRoleID}
	c.Response().Header().Set("Cache-Control", "no-store")
	return writeSTS(c, &out, &out.Xmlns, &out.Metadata)
}

func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func writeSTS(c echo.Context, v any, xmlns *string, meta *stsResponseMetadata) error {
	*xmlns = stsNamespace
	meta.RequestID = requestID()
	c.Response().Header().Set("x-amzn-RequestId", meta.RequestID)
	return c.XML(http.StatusOK, v)
}

// renderSTS writes an STS error as <ErrorResponse> XML.
func renderSTS(c echo.Context, e *stsError) {
	var out stsErrorResponse
	out.Xmlns = stsNamespace
	out.Error.Type = "Sender"
	if e.status >= 500 {
		out.Error.Type = "Receiver"
	}
	out.Error.Code, out.Error.Message = e.code, e.msg
	out.RequestID = requestID()
	c.Response().Header().Set("x-amzn-RequestId", out.RequestID)
	_ = c.XML(e.status, &out)
}
