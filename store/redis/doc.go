// Package redis is the store.Store lineage uses when several issuer
// instances share state: one Redis node, a Sentinel-managed primary, or a
// Redis Cluster, all through goredis.UniversalClient.
//
// # Key layout
//
// Every key that holds a user-chosen string holds its SHA-256 instead (hex),
// so that ids of any length or alphabet (ARNs, "{tags}", spaces, unicode)
// make well-formed keys that Cluster spreads over slots by their hash.
// Authorization codes and refresh tokens are keyed by the hex SHA-256 the
// caller gives (of the code or token, which is never stored). Only refresh
// tokens have a {hash tag}, their family's origin_jti: rotation is the one
// operation that needs two keys in one slot.
//
//	client:<sha256(id)>        STRING  the client record, JSON
//	clients                    SET     the ids of every client (for ListClients)
//	user:<sha256(username)>    STRING  the user record, JSON
//	users                      SET     the usernames of every user (for ListUsers)
//	signing_keys               HASH    kid -> the signing key record, JSON
//	lock:<sha256(name)>        STRING  the owner; expires with the lock (PX)
//	nonce:<sha256(key)>        STRING  "1"; expires at the nonce's expiresAt (PXAT)
//	audit                      STREAM  one entry per audit record, its JSON in the field "record"
//	iam_user:<sha256(name)>    STRING  the IAM user record, JSON
//	iam_users                  SET     the names of every IAM user (for ListIAMUsers)
//	iam_role:<sha256(name)>    STRING  the IAM role record, JSON
//	iam_roles                  SET     the names of every IAM role (for ListIAMRoles)
//	access_key:<sha256(id)>    STRING  the access key record, JSON
//	iam_user_keys:<sha256(user name)>
//	                           SET     the ids of the user's access keys (for ListAccessKeys)
//	org_policies               STRING  the organisation policies, one JSON array
//	code:<hash>                HASH    "rec": the authorization code record, JSON; "used": "1"
//	                                   once consumed; expires at the code's ExpiresAt (PXAT)
//	rt:{<origin_jti>}:<hash>   HASH    "rec": the refresh token record, JSON; "rotated_at": the
//	                                   RFC 3339 time it was rotated at; expires at its ExpiresAt
//	login_session:<sha256(id)> STRING  the login session record, JSON; expires at its ExpiresAt
//	consent:<sha256(username "\x00" client id)>
//	                           STRING  the consent record, JSON
//	throttle:<sha256(key)>     STRING  the count; expires a window after the first hit
//	rate:<sha256(key)>         STRING  the key's GCRA theoretical arrival time (redis_rate's
//	                                   layout: seconds since 2017-01-01, a float); expires when
//	                                   the key is back at rest
//	rev:jti:<jti>              STRING  "1": the token is revoked; expires at the entry's Until
//	rev:origin:<origin_jti>    STRING  "1": the lineage is revoked; expires at the entry's Until
//	rev:before:<scope>:<sha256(id)>
//	                           STRING  T (Unix seconds) of the before rule of a subject, client
//	                                   or principal (the scope); expires at the entry's Until
//	rev:policy:<sha256(account)>
//	                           STRING  the account's policy generation, a counter; expires at
//	                                   the latest Until it was put with
//	rev:events                 STREAM  one entry per revocation, fields kind, id, scope, before
//	                                   and until, each a string
//
// A client is created by SET NX on its record, then SADD of its id; it is
// deleted by DEL then SREM. The two keys live in different slots, so a
// failure between the steps can leave an id in clients whose record is gone
// (ListClients skips it) or a record whose id is missing from clients (the
// next CreateClient or UpdateClient of that id adds it back). Users are
// stored the same way, under their username, and IAM users and roles under
// their name.
//
// # Access keys
//
// GetAccessKey, on every signed request, is one GET. An access key is
// created by SET NX on its record, then SADD of its id to its user's
// iam_user_keys set; on conflict the id is added to the set of the stored
// key's user (not of the refused key's), to repair a create that failed
// between the steps. UpdateAccessKey is a script on the record alone that
// refuses a changed user name (store.ErrInvalid), then SADD; DeleteAccessKey
// is GETDEL of the record, then SREM from its user's set. ListAccessKeys
// reads the user's set, then the records in one pipeline, and skips ids
// whose record has gone or belongs to another user (an id deleted and
// created again for someone else). DeleteIAMUser leaves the user's keys and
// set alone: the caller deletes the keys first.
//
// The organisation policies are one key, replaced as a whole by one SET, so
// a reader sees one list or the other, never a mix.
//
// # Codes and refresh tokens
//
// CreateAuthorizationCode, CreateRefreshToken and CreateLoginSession are
// one script each, which refuses (store.ErrInvalid) a record whose
// ExpiresAt is not after the Redis server's clock (TIME, to the
// microsecond) and otherwise creates the key unless it exists
// (store.ErrConflict), expiring at ExpiresAt rounded up to whole
// milliseconds. ConsumeAuthorizationCode is one script on the code's key:
// HSETNX used 1 tells the first use from every later one, which gets the
// record and store.ErrConflict.
//
// A refresh token's key carries its family (the origin_jti) as hash tag, so
// every token of a family, rotated or current, lives in one Cluster slot,
// and families spread over slots by their id. RotateRefreshToken is one
// script over the old and the next token's keys: it reads the old token,
// refuses a rotated one (reuse: its record and store.ErrConflict, nothing
// written) or a next token that exists (store.ErrConflict), then sets the
// old token's rotated_at, which keeps its TTL, and creates the next one
// expiring at its ExpiresAt. The origin_jti is lineage's own random id;
// the store still refuses (store.ErrInvalid) one that is empty, longer than
// 128 bytes or holds a brace, so that no caller can move a family's hash
// tag.
//
// # Sessions, consents and throttles
//
// A login session is a STRING that expires at its ExpiresAt; deleting it is
// one DEL, idempotent. A consent is a STRING without expiry, replaced by
// SET; its key joins username and client id with NUL, so a username holding
// NUL is refused (store.ErrInvalid). A throttle is a counter: HitThrottle is
// one script, INCR and, when the count is 1, PEXPIRE of the window, so that
// no counter lives without a TTL and hits within the window do not extend
// it; ThrottleCount is GET (none: 0) and ResetThrottle DEL.
//
// # Revocations
//
// The jti and the origin_jti are lineage's own random ids, so they are
// keys as they are; the ids of before rules and accounts are chosen by
// users and hashed. PutRevocation writes the entry with one script on its
// one key, which refuses (store.ErrInvalid) an Until that is not after the
// Redis server's clock and keeps the later expiry of the stored and the new
// entry (PEXPIRETIME, PEXPIREAT) and, for a before rule, the larger T; a
// policy revocation INCRs the account's generation. It then appends the
// event with XADD MINID = trimBefore, exact, so that the stream holds no
// event older than the longest token lifetime the caller passes. With
// waitReplicas > 0 each write shares one pipeline, so one connection, with
// WAIT waitReplicas 1000; on a Cluster that pipeline goes to the master of
// the written key (MasterForKey), since WAIT names no key and counts only
// the writes of its own connection.
//
// RevocationStatus, on every token check, is one pipeline of one EXISTS or
// GET per key the query names. The keys hash to different slots, so on a
// Cluster go-redis splits the pipeline by node and sends the parts at once:
// one round trip, never MGET or a script over several keys.
// RevocationEvents is one XREAD COUNT from the cursor, with BLOCK when it
// may wait; LastRevocationEvent is XREVRANGE + - COUNT 1. The stream is one
// key, so on a Cluster it lives on one node.
//
// # Audit trail
//
// AppendAudit is one XADD with MAXLEN ~ 100000: the stream keeps at least
// the newest 100000 records, and Redis drops older ones a node at a time.
// The entry ID Redis assigns ("<ms>-<seq>", by the server's clock) is the
// record's ID; the JSON in the stream holds no ID, and a zero Time is read
// back as the time in the ID. ListAudit is one XREVRANGE from "(before" (or
// "+") down to "-", with COUNT of at most 1000. The whole trail is one key,
// so on a Cluster it lives on one node.
//
// # Errors
//
// A missing record is store.ErrNotFound, a duplicate record is
// store.ErrConflict, and an argument the store refuses (an IAM policy that
// is not a JSON object, an access key moved to another user) is
// store.ErrInvalid; so are the token aggregates' refused arguments above,
// an invalid revocation and a malformed event cursor. A
// code used before and a refresh token rotated before are store.ErrConflict
// returned with the record. Every other failure of Redis (or of decoding
// what it returned) wraps store.ErrUnavailable together with the go-redis
// error, and names the operation; messages never hold secrets or stored
// values.
//
// Commands need Redis 7.0 or later (SET PXAT, GETDEL, PEXPIRETIME);
// scripts touch one key each, but for RotateRefreshToken's two keys of one
// slot, so that they run on a Cluster.
//
// # Time
//
// Locks expire after their ttl, throttles a window after their first hit,
// nonces, codes, refresh tokens and login sessions at their expiry, and
// revocations at their Until, all by the Redis server's clock, which also
// assigns the IDs of audit records and revocation events. A nonce whose expiresAt has passed is
// written with that (past) PXAT, which Redis treats as already expired:
// ClaimNonce reports true and nothing stays recorded, as in store/memory.
package redis
