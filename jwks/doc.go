// Package jwks holds the issuer's JWS signing keys: generation (ES256 by
// default, RS256 and EdDSA selectable), sealing of the private parts at
// rest, rotation with publish-ahead and overlap, signing, verification and
// the public JWK Set (RFC 7517 §5) served at /.well-known/jwks.json.
//
// Every key carries SignsFrom, the instant it starts signing. The signing
// key at time t is the one with the latest SignsFrom <= t, so every issuer
// instance switches at the same instant without coordination. A key is
// published from its creation, at least one JWKS max-age before it signs,
// and stays published until the last token it signed has expired.
package jwks
