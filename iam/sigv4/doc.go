// Package sigv4 verifies requests signed with AWS Signature Version 4 —
// the Authorization-header form the AWS SDKs send to SSO-OIDC
// (CreateTokenWithIAM, signing name "sso-oauth") and STS ("sts") — so
// that workloads holding lineage IAM credentials authenticate with
// unmodified SDKs (DESIGN.md "IAM model", SigV4; "Wire compatibility with
// AWS SDKs"). The algorithm is AWS's "Signature Version 4 for API
// requests" (IAM User Guide, reference_sigv-create-signed-request:
// canonical request, string to sign, derived signing key), header form
// only.
//
// It does not know where keys come from: the caller hands Verify a
// KeyLookup that returns the secret of an access key id and checks that a
// session token belongs to it. Verify recomputes the signature with the
// AWS SDK's own signer (github.com/aws/aws-sdk-go-v2/aws/signer/v4) over a
// fresh request holding only the headers the client signed, and compares
// in constant time. It refuses presigned URLs, unsigned or streaming
// payloads, unsigned host / x-amz-date / x-amz-security-token /
// x-amz-content-sha256, a credential scope for another date, service or
// region, a clock skew beyond Options.MaxSkew, a Host that is not the
// issuer's, and an AKIA key with a session token or an ASIA key without.
//
// # Errors
//
// A refused request is an *Error whose Code the caller renders in the
// endpoint's protocol; errors.Is(err, CodeX) also works. The mapping:
//
//	Code                        why                                                  STS status  JSON __type (SSO-OIDC)
//	MissingAuthenticationToken  no Authorization header                              403         MissingAuthenticationTokenException
//	IncompleteSignature         malformed header or x-amz-date, required header      400         IncompleteSignatureException
//	                            unsigned, presigned URL, UNSIGNED-PAYLOAD/STREAMING-*,
//	                            malformed query string
//	InvalidClientTokenId        lookup returned ErrUnknownKey or                     403         UnrecognizedClientException
//	                            ErrInvalidSessionToken; AKIA with a session token,
//	                            ASIA without one, another key prefix
//	SignatureDoesNotMatch       signature, scope (date, service, region), Host,      403         InvalidSignatureException
//	                            x-amz-content-sha256 or Content-Length mismatch
//	RequestTimeTooSkewed        |now − X-Amz-Date| > MaxSkew                         403         InvalidSignatureException
//	ExpiredToken                lookup returned ErrExpiredToken                      400         ExpiredTokenException
//	RequestEntityTooLarge       body longer than MaxBodyBytes                        413         RequestEntityTooLargeException
//
// Code.HTTPStatus and Code.JSONType return the last two columns. Answer a
// skew error with the server's Date header: the AWS SDKs treat
// RequestTimeTooSkewed and InvalidSignatureException as clock skew when
// the Date they receive is far from their clock, correct it and retry.
// Any other error from Verify (a failing lookup) is internal: answer 500.
//
// Messages never hold the secret, the signature, the session token or a
// header value the client sent.
package sigv4
