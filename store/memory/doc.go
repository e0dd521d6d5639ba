// Package memory is lineage's embedded, in-process store.Store: the default
// when no Redis is configured (and what `lineage serve --dev` uses).
//
// Everything lives in maps (the audit trail and the organisation policies in
// slices) behind one
// sync.RWMutex, so the store is only shared by the goroutines of one
// process: locks, nonces, codes, refresh tokens and throttles do not
// coordinate several issuer instances, and nothing survives a restart.
// Every operation holds the mutex throughout, so consuming a code and
// rotating a refresh token are atomic.
// Records are deep-copied on the way in and on the way out, so a caller can
// never alias (and mutate) what is stored. Locks, nonces, authorization
// codes, refresh tokens, login sessions and throttle windows expire by the
// clock given in Options.Now, which lets tests move time by hand; a record
// expires at its expiry, not a nanosecond later, and one that would be
// created expired by that clock is refused (store.ErrInvalid). So do the
// entries of the revocation set, at their Until. Audit record and
// revocation event IDs take their millisecond from the clock too. Expired records are dropped
// when looked up, and swept once their map has doubled since the last
// sweep, so that a long-running store holds about the live ones only.
//
// Audit record and revocation event IDs have the form and order of Redis
// stream entry IDs ("<ms>-<seq>"), so that callers page through the trail
// and the event stream of either store alike. The event stream is a slice
// trimmed on every append to the events since the trimBefore given;
// RevocationEvents waits for an append on a channel that every append
// closes and replaces. There are no replicas: PutRevocation ignores
// waitReplicas.
//
// The memory store keeps the same observable behaviour as store/redis (both
// pass store/storetest): empty slices read back as nil, json.RawMessage
// values must be valid JSON, and a nonce whose expiry has already passed is
// never recorded.
package memory
