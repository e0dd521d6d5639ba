// Package revocation is lineage's revocation set: revoking one token (its
// jti), a lineage (its origin_jti), every token of a subject, client or IAM
// principal issued up to a time T, and checking a token against all of it
// in one store round trip. Every revocation is appended to an event stream
// that issuer instances tail (Hub) and serve to resource servers
// (DESIGN.md "Revocation model", "Revocation events").
package revocation
