// Package verify checks lineage access tokens in a resource server without
// introspecting every request, and still honours revocations.
//
// A Verifier verifies JWT access tokens locally (RFC 9068: typ "at+jwt",
// a signature by a key of the issuer's JWK Set, RFC 7517; iss, aud and the
// times of RFC 7519 §4.1) and keeps a copy of lineage's revocation set: it
// loads GET /revocations?snapshot=1 at start and then follows the
// revocation event stream, GET /revocations (Server-Sent Events, resumed
// with Last-Event-ID after a disconnection). A token is refused when its
// jti or its origin_jti (its lineage) is revoked, or when a "before T" rule
// for its subject, client or IAM principal covers its iat.
//
// Two cases go to the issuer's introspection endpoint (RFC 7662): tokens
// minted for an IAM principal issued before a change of that account's
// policies (the issuer re-evaluates the policies; the answer is remembered
// until the next change), and, while the stream is lost, every token
// (Options.OnStreamLost: FailClosed, the default, or AcceptStale for a
// bounded time).
//
// Verified tokens are remembered by their SHA-256, so a repeated token
// costs a hash instead of a signature check; its times and the revocation
// set are checked on every call, and it is forgotten once its signing key
// leaves the JWK Set.
//
// The package imports nothing of the lineage server: a resource server
// depends only on go-jose and golang-lru. Verifier.Middleware serves
// net/http; the echoverify subpackage serves Echo.
//
// See docs/revocation.md in the lineage repository for the wire format.
package verify
