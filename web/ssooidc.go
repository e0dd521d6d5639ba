package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/iam"
	"github.com/lineage-oss/lineage/iam/policy"
	"github.com/lineage-oss/lineage/iam/sigv4"
	"github.com/lineage-oss/lineage/oauth"
	"github.com/lineage-oss/lineage/ratelimit"
)

// SSOOIDC serves the IAM flavour of the token endpoints (aws_iam=t):
// CreateTokenWithIAM at POST /token, IntrospectTokenWithIAM at POST
// /introspect and RevokeTokenWithIAM at POST /revoke, in the SSO-OIDC
// restJson1 wire format the AWS SDKs speak (DESIGN.md "Wire compatibility
// with AWS SDKs"). SigV4 (signing name sso-oauth) authenticates the caller;
// the application's ActorPolicy, the caller's policies and the org
// guardrails authorize each action.
type SSOOIDC struct {
	Directory *iam.Directory
	Verifier  *sigv4.Verifier
	Provider  *oauth.Provider
	// Limits limit failed SigV4 authentications (nil: no limit).
	Limits *ratelimit.Limiter
	// Now is the clock the verifier checks skew against; responses carry
	// it in their Date header.
	Now func() time.Time
}

// awsError is an error of an SSO-OIDC operation: the exception type goes
// into both __type and X-Amzn-ErrorType, from which the SDKs pick it.
type awsError struct {
	status int
	typ    string
	code   string // the OAuth error code (body "error"), when there is one
	msg    string
	err    error
}

func (e *awsError) Error() string { return "sso-oidc: " + e.typ + ": " + e.msg }
func (e *awsError) Unwrap() error { return e.err }

// iamRequest is the JSON body of every aws_iam=t operation; each uses its
// own fields.
type iamRequest struct {
	ClientID           string   `json:"clientId"`
	GrantType          string   `json:"grantType"`
	Code               string   `json:"code"`
	CodeVerifier       string   `json:"codeVerifier"`
	RedirectURI        string   `json:"redirectUri"`
	RefreshToken       string   `json:"refreshToken"`
	Assertion          string   `json:"assertion"`
	Scope              []string `json:"scope"`
	SubjectToken       string   `json:"subjectToken"`
	SubjectTokenType   string   `json:"subjectTokenType"`
	RequestedTokenType string   `json:"requestedTokenType"`
	Token              string   `json:"token"`
	TokenTypeHint      string   `json:"tokenTypeHint"`
}

// authorized authenticates the request's signature, decodes its body and
// returns the application it names once the caller may perform action on
// it, with the caller's IAM identity.
func (s *SSOOIDC) authorized(c echo.Context, action string) (iamRequest, *oauth.Client, oauth.IAMIdentity, error) {
	var in iamRequest
	var id oauth.IAMIdentity
	r := c.Request()
	h := c.Response().Header()
	h.Set("Date", s.Now().UTC().Format(http.TimeFormat))
	h.Set("X-Amzn-RequestId", requestID())
	h.Set("Cache-Control", "no-store")
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return in, nil, id, &awsError{http.StatusRequestEntityTooLarge, "InvalidRequestException", "invalid_request", "The request body is too large.", err}
	}
	principal, err := authenticate(r.Context(), s.Directory, s.Verifier, s.Limits, r, body, c.RealIP())
	var sigErr *sigv4.Error
	if errors.As(err, &sigErr) {
		return in, nil, id, &awsError{sigErr.Code.HTTPStatus(), restJSONAuthType(sigErr.Code), "", sigErr.Message, err}
	}
	if err != nil {
		return in, nil, id, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&in); err != nil || dec.More() {
		return in, nil, id, &awsError{http.StatusBadRequest, "InvalidRequestException", "invalid_request", "The body is not a JSON object of the operation's fields.", err}
	}
	if in.ClientID == "" {
		return in, nil, id, &awsError{http.StatusBadRequest, "InvalidRequestException", "invalid_request", "clientId is required.", nil}
	}
	ctx := r.Context()
	id = oauth.IAMIdentity{Principal: principal.ARN, Source: principal.SourceARN, SessionIssuedAt: principal.IssuedAt}
	// A caller whose sessions or key were revoked before T gets nothing.
	client, err := s.Provider.IAMApplication(ctx, id, in.ClientID)
	if errors.Is(err, oauth.ErrIAMRevoked) {
		return in, nil, id, &awsError{http.StatusBadRequest, "AccessDeniedException", "access_denied", "The caller's credentials were revoked.", err}
	}
	if err != nil {
		return in, nil, id, err
	}
	decision, err := s.Directory.AuthorizeApplication(ctx, iam.ApplicationRequest{
		Caller: principal, Action: action, ClientID: client.ID, ActorPolicy: client.ActorPolicy,
		Context: map[string][]string{
			policy.KeySourceIP:        {c.RealIP()},
			policy.KeySecureTransport: {strconv.FormatBool(r.TLS != nil)},
			policy.KeyGrantType:       nonEmpty(in.GrantType),
			policy.KeyScope:           in.Scope,
		},
	})
	if err != nil {
		return in, nil, id, err
	}
	if !decision.Allowed {
		return in, nil, id, &awsError{http.StatusBadRequest, "AccessDeniedException", "access_denied",
			fmt.Sprintf("%s is not authorized to perform %s on this application.", principal.ARN, action), nil}
	}
	return in, client, id, nil
}

// restJSONAuthType is the exception type a restJson1 service such as
// SSO-OIDC answers for a SigV4 failure: AWS names some of them apart from
// the Query protocol's codes (RequestTimeTooSkewed stays, so that the SDKs
// correct their clock).
func restJSONAuthType(code sigv4.Code) string {
	switch code {
	case sigv4.CodeSignatureDoesNotMatch:
		return "InvalidSignatureException"
	case sigv4.CodeInvalidClientTokenID:
		return "UnrecognizedClientException"
	case sigv4.CodeExpiredToken:
		return "ExpiredTokenException"
	}
	return string(code)
}

func nonEmpty(v string) []string {
	if v == "" {
		return nil
	}
	return []string{v}
}

// createToken is CreateTokenWithIAM (POST /token?aws_iam=t).
func (s *SSOOIDC) createToken(c echo.Context) error {
	in, client, caller, err := s.authorized(c, policy.ActionCreateTokenWithIAM)
	if err != nil {
		return err
	}
	out, err := s.Provider.CreateTokenWithIAM(c.Request().Context(), oauth.IAMTokenRequest{
		Client: client, Caller: caller, GrantType: in.GrantType, Code: in.Code, CodeVerifier: in.CodeVerifier,
		RedirectURI: in.RedirectURI, RefreshToken: in.RefreshToken, Scopes: in.Scope, Assertion: in.Assertion,
		SubjectToken: in.SubjectToken, SubjectTokenType: in.SubjectTokenType, RequestedTokenType: in.RequestedTokenType,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// introspect is IntrospectTokenWithIAM (POST /introspect?aws_iam=t): the
// RFC 7662 answer for the application named by clientId.
func (s *SSOOIDC) introspect(c echo.Context) error {
	in, client, _, err := s.authorized(c, policy.ActionIntrospectTokenWithIAM)
	if err != nil {
		return err
	}
	out, err := s.Provider.IntrospectFor(c.Request().Context(), client, in.Token)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// revoke is RevokeTokenWithIAM (POST /revoke?aws_iam=t): RFC 7009 for the
// application named by clientId; 200 {}.
func (s *SSOOIDC) revoke(c echo.Context) error {
	in, client, _, err := s.authorized(c, policy.ActionRevokeTokenWithIAM)
	if err != nil {
		return err
	}
	if err := s.Provider.RevokeFor(c.Request().Context(), client, in.Token); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct{}{})
}

// awsTypes are the SSO-OIDC exception types of OAuth error codes.
var awsTypes = map[string]string{
	"invalid_grant":          "InvalidGrantException",
	"invalid_client":         "InvalidClientException",
	"unauthorized_client":    "UnauthorizedClientException",
	"invalid_scope":          "InvalidScopeException",
	"invalid_request":        "InvalidRequestException",
	"invalid_target":         "InvalidRequestException",
	"unsupported_grant_type": "UnsupportedGrantTypeException",
	"access_denied":          "AccessDeniedException",
}

// toAWSError renders any error of an aws_iam=t operation in the AWS shape:
// OAuth errors by their code (invalid_client is 401), the rest as an
// InternalServerException (500) that says nothing of the cause.
func toAWSError(err error) *awsError {
	var e *awsError
	if errors.As(err, &e) {
		return e
	}
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code < http.StatusInternalServerError {
		return &awsError{he.Code, "InvalidRequestException", "invalid_request", http.StatusText(he.Code), err}
	}
	var oe *fosite.RFC6749Error
	if errors.As(err, &oe) {
		if typ, ok := awsTypes[oe.ErrorField]; ok {
			status := http.StatusBadRequest
			if oe.ErrorField == "invalid_client" {
				status = http.StatusUnauthorized
			}
			msg := oe.HintField
			if msg == "" {
				msg = oe.DescriptionField
			}
			return &awsError{status, typ, oe.ErrorField, msg, err}
		}
	}
	return &awsError{http.StatusInternalServerError, "InternalServerException", "server_error",
		"The request could not be completed; retry later.", err}
}

// renderAWS writes an SSO-OIDC error.
func renderAWS(c echo.Context, e *awsError) {
	c.Response().Header().Set("X-Amzn-ErrorType", e.typ)
	body := map[string]string{"__type": e.typ, "message": e.msg}
	if e.code != "" {
		body["error"], body["error_description"] = e.code, e.msg
	}
	_ = c.JSON(e.status, body)
}
