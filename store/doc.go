// Package store declares lineage's storage interfaces, one per aggregate
// (clients, signing keys, locks, nonces, users, the audit trail, IAM users,
// access keys, IAM roles, organisation policies, authorization codes,
// refresh-token families, login sessions, consents, throttles, the
// revocation set and its event stream), and the records they hold.
// Implementations live in store/memory (the embedded default) and
// store/redis (one node, Sentinel or Cluster through redis.UniversalClient);
// store/storetest is the one conformance suite both must pass.
//
// The store knows nothing of OAuth: it imports no other lineage package.
package store
