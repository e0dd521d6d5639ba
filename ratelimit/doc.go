// Package ratelimit applies lineage's rate limits, with their state in the
// store so that every issuer instance counts against the same limits:
// /token requests per authenticated client, failed client authentications
// (RFC 6749 §2.3) per client id and per client IP, and failed SigV4
// authentications per access key id and per client IP.
//
// Failures are counted, successes are not: a caller over a failure limit is
// refused before its credentials are checked, so that guessing goes no
// faster than the limit, and is told when to retry. Failures are counted
// in the store on the failure path only; whether a key is over its limit
// is then remembered by the instance that counted (see Limiter), so that a
// successful authentication costs no store round trip. /token per client
// counts every request: one round trip each while that limit is on.
//
// Every limit fails open: when the store cannot answer, the request goes on
// unlimited and a warning is logged. The request itself needs the store
// (the client, the access key, the token's lineage) and fails closed on
// its own if the store is really away; refusing it for the limiter's sake
// would add nothing.
//
// Login throttling (per username and per client IP, on the hosted login
// page) is the login package's, in the same store.
package ratelimit
