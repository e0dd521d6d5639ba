package sigv4

import (
	"errors"
	"net/http"
)

// Code is the AWS error code a verification failure is answered with. It
// is the `Code` of an STS (awsQuery) `<ErrorResponse>`; JSONType gives the
// `__type` / `X-Amzn-ErrorType` a restJson1 service (SSO-OIDC) answers.
//
// A Code is itself an error, so errors.Is(err, CodeSignatureDoesNotMatch)
// holds for every *Error carrying that code.
type Code string

// The codes Verify answers with (AWS STS "Common errors").
const (
	// CodeMissingAuthenticationToken: the request carries no Authorization
	// header.
	CodeMissingAuthenticationToken Code = "MissingAuthenticationToken"
	// CodeIncompleteSignature: the Authorization header or a header it
	// depends on is malformed, a required header is not signed, or the
	// request uses a form lineage refuses (presigned URL, unsigned payload).
	CodeIncompleteSignature Code = "IncompleteSignature"
	// CodeInvalidClientTokenID: the access key id is unknown (the lookup
	// returned ErrUnknownKey), the session token does not belong to it
	// (ErrInvalidSessionToken), or the AKIA/ASIA rule is broken.
	CodeInvalidClientTokenID Code = "InvalidClientTokenId"
	// CodeSignatureDoesNotMatch: the signature, the credential scope
	// (service, region, date), the Host or the body hash does not match.
	CodeSignatureDoesNotMatch Code = "SignatureDoesNotMatch"
	// CodeRequestTimeTooSkewed: X-Amz-Date is further from the server's
	// clock than Options.MaxSkew.
	CodeRequestTimeTooSkewed Code = "RequestTimeTooSkewed"
	// CodeExpiredToken: the session token has expired (the lookup returned
	// ErrExpiredToken).
	CodeExpiredToken Code = "ExpiredToken"
	// CodeRequestEntityTooLarge: the body is longer than
	// Options.MaxBodyBytes.
	CodeRequestEntityTooLarge Code = "RequestEntityTooLarge"
)

// Error implements error; the code is the message.
func (c Code) Error() string { return "sigv4: " + string(c) }

// HTTPStatus is the status AWS STS answers the code with: 400 for a
// malformed request or an expired token, 403 for a refused one, 413 for a
// body that is too long.
func (c Code) HTTPStatus() int {
	switch c {
	case CodeIncompleteSignature, CodeExpiredToken:
		return http.StatusBadRequest
	case CodeRequestEntityTooLarge:
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusForbidden
	}
}

// JSONType is the error type a JSON-protocol AWS service answers the code
// with (the `__type` member and `X-Amzn-ErrorType` header). Clock skew is
// InvalidSignatureException, which the AWS SDKs recognise, together with
// the response's Date header, as a reason to correct their clock and retry.
func (c Code) JSONType() string {
	switch c {
	case CodeMissingAuthenticationToken:
		return "MissingAuthenticationTokenException"
	case CodeIncompleteSignature:
		return "IncompleteSignatureException"
	case CodeInvalidClientTokenID:
		return "UnrecognizedClientException"
	case CodeSignatureDoesNotMatch, CodeRequestTimeTooSkewed:
		return "InvalidSignatureException"
	case CodeExpiredToken:
		return "ExpiredTokenException"
	case CodeRequestEntityTooLarge:
		return "RequestEntityTooLargeException"
	}
	return string(c) + "Exception"
}

// Errors a KeyLookup returns, wrapped or not, to say why it has no secret.
// Any other error is an internal failure: Verify returns it wrapped, not as
// an *Error, and the caller answers 500.
var (
	// ErrUnknownKey: no active key has this access key id.
	// Verify answers CodeInvalidClientTokenID.
	ErrUnknownKey = errors.New("sigv4: unknown access key id")
	// ErrInvalidSessionToken: the session token is forged, altered or
	// belongs to another key. Verify answers CodeInvalidClientTokenID.
	ErrInvalidSessionToken = errors.New("sigv4: invalid session token")
	// ErrExpiredToken: the session has expired. Verify answers
	// CodeExpiredToken.
	ErrExpiredToken = errors.New("sigv4: expired session token")
)

// Error is a refused request. Message is safe to send to the client: it
// never holds the secret, the signature or the session token, nor any
// header value the client sent, only names and validated scope fields.
type Error struct {
	// Code says how to answer (see Code).
	Code Code
	// Message is the human-readable reason, in AWS's style.
	Message string
	// AccessKeyID is the key id the request claimed, when the
	// Authorization header parsed; it is not authenticated (for logs).
	AccessKeyID string
	// Err is the lookup's error behind the code, if any.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	s := "sigv4: " + string(e.Code) + ": " + e.Message
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap exposes the code (errors.Is(err, CodeX)) and the lookup's error
// (errors.Is(err, ErrUnknownKey)).
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Code, e.Err}
	}
	return []error{e.Code}
}

func refuse(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }
