// Package redis is the store.Store lineage uses when several issuer
// instances share state: one Redis node, a Sentinel-managed primary, or a
// Redis Cluster, all through goredis.UniversalClient.
//
// # Key layout
//
// Every key that holds a user-chosen string holds its SHA-256 instead (hex),
// so that ids of any length or alphabet (ARNs, "{tags}", spaces, unicode)
// make well-formed keys that Cluster spreads over slots by their hash; no
// operation needs two keys in one slot, so no key has a {hash tag}.
//
//	client:<sha256(id)>        STRING  the client record, JSON
//	clients                    SET     the ids of every client (for ListClients)
//	user:<sha256(username)>    STRING  the user record, JSON
//	users                      SET     the usernames of every user (for ListUsers)
//	signing_keys               HASH    kid -> the signing key record, JSON
//	lock:<sha256(name)>        STRING  the owner; expires with the lock (PX)
//	nonce:<sha256(key)>        STRING  "1"; expires at the nonce's expiresAt (PXAT)
//	audit                      STREAM  one entry per audit record, its JSON in the field "record"
//
// A client is created by SET NX on its record, then SADD of its id; it is
// deleted by DEL then SREM. The two keys live in different slots, so a
// failure between the steps can leave an id in clients whose record is gone
// (ListClients skips it) or a record whose id is missing from clients (the
// next CreateClient or UpdateClient of that id adds it back). Users are
// stored the same way, under their username.
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
// A missing record is store.ErrNotFound and a duplicate client is
// store.ErrConflict. Every other failure of Redis (or of decoding what it
// returned) wraps store.ErrUnavailable together with the go-redis error, and
// names the operation; messages never hold secrets or stored values.
//
// # Time
//
// Locks expire after their ttl and nonces at their expiresAt, both by the
// Redis server's clock. A nonce whose expiresAt has passed is written with
// that (past) PXAT, which Redis treats as already expired: ClaimNonce
// reports true and nothing stays recorded, as in store/memory.
package redis
