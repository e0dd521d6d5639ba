// Package oauth composes lineage's OAuth 2.0 core on fosite: the session,
// the client adapter, lineage's own client authentication (RFC 6749 §2.3,
// RFC 7523 §2.2), the grant handlers, and the RFC 9068 JWT access-token
// strategy signed through a go-jose v4 jwt.Signer over the jwks key set.
//
// It never imports Echo or config: web renders its errors and cmd builds
// its Options.
package oauth
