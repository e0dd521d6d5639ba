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
package storetest
