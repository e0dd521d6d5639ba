// Package storetest is the one conformance suite every store.Store must
// pass (after dex's storage/conformance): store/memory and store/redis run
// it from their tests, so both behave the same way for lineage.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			return memory.New(memory.Options{})
//		})
//	}
//
// Beyond the contracts written on the interfaces of package store, the suite
// pins what both implementations agree on: json.RawMessage values compare
// as JSON (stores may compact them) and must be valid JSON, empty slices may
// read back as nil, times compare with time.Time.Equal, a lock's ttl must be
// positive, and a nonce whose expiresAt has passed is never recorded.
//
// For the audit trail it pins the form of record IDs, "<ms>-<seq>" as Redis
// stream entry IDs, compared as two numbers; that AppendAudit replaces an ID
// the caller set and fills a zero Time with the millisecond in the ID; that
// ListAudit takes any well-formed ID as its before cursor (also one no
// record has), rejects any other non-empty before with an error that is
// none of the store's sentinels, and treats a limit that is not positive or
// is above 1000 as 1000.
//
// For the IAM aggregates it pins that every policy (an IAM user's or
// role's, a role's trust policy, which a role must have, and each
// organisation policy) is one JSON object, or is refused with
// store.ErrInvalid and nothing stored; that UpdateAccessKey refuses a
// changed UserName with store.ErrInvalid; that ListAccessKeys of a user
// without keys (or of no user) is an empty list, not store.ErrNotFound;
// that DeleteIAMUser leaves the user's access keys, which the caller
// deletes; and that GetOrgPolicies returns the list last put, in its order,
// as a whole, and an empty, non-nil list when there is none.
//
// For the token aggregates it pins that codes and refresh tokens are keyed
// by a lower-case hex SHA-256 and refresh tokens also by their family, an
// origin_jti of 1 to 128 bytes without braces (anything else is refused
// with store.ErrInvalid, on every method); that a code, refresh token or
// login session whose ExpiresAt is not after the store's clock is refused
// with store.ErrInvalid, and is gone once that time has passed (a used code
// and a rotated token too), freeing its key; that a code is consumed once,
// every later use getting its record and store.ErrConflict, also when
// racers consume it at once; that a token is created current, rotated at a
// non-zero time into a next token of its own family whose hash that family
// does not hold (store.ErrConflict otherwise, nothing written), and then
// reads back with RotatedAt set, a second rotation (reuse, or every loser
// of a race) getting the old record as stored and store.ErrConflict with
// nothing written, so that exactly one next token exists; that deleting a
// login session is idempotent; that a consent is replaced as a whole and a
// username holding NUL is refused with store.ErrInvalid; and that a
// throttle counts from 1 in a window that runs from the first hit (later
// hits do not extend it), counts every concurrent hit, reads 0 when there
// is none, and refuses a window that is not positive with store.ErrInvalid.
//
// For the revocation set it pins that each kind (a jti, an origin_jti, a
// before rule of a subject, client or principal, a policy change of an
// account) reads back under its own kind, scope and id only, any awkward
// id included; that an entry put again keeps the later Until and, for a
// before rule, the larger T, also when racers put at once; that an entry is
// gone once its Until (Unix seconds) has passed by the store's clock, and
// one put with an Until already passed, or any other invalid revocation, is
// refused with store.ErrInvalid and nothing written or appended. For its
// event stream it pins that every put is one event, in put order, with the
// ID PutRevocation returned ("<ms>-<seq>", strictly increasing, also for
// racers) and the revocation as given; that RevocationEvents reads after
// any stream ID ("", "0" and "0-0": from the first), refuses any other
// cursor with store.ErrInvalid, honours its limit (not positive: 1000),
// waits for an event appended during its wait, returns none when the wait
// ends without one, and ends a wait with the context's error when the
// context is cancelled; that LastRevocationEvent is "0-0" for an empty
// stream; and that a put drops the events of milliseconds before its
// trimBefore, but no entry.
package storetest
