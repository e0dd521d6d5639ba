// Package memory is lineage's embedded, in-process store.Store: the default
// when no Redis is configured (and what `lineage serve --dev` uses).
//
// Everything lives in maps (the audit trail and the organisation policies in
// slices) behind one
// sync.RWMutex, so the store is only shared by the goroutines of one
// process: locks and nonces do not coordinate several issuer instances, and
// nothing survives a restart.
// Records are deep-copied on the way in and on the way out, so a caller can
// never alias (and mutate) what is stored. Locks and nonces expire by the
// clock given in Options.Now, which lets tests move time by hand; audit
// record IDs take their millisecond from it too.
//
// Audit record IDs have the form and order of Redis stream entry IDs
// ("<ms>-<seq>"), so that callers page through the trail of either store
// alike.
//
// The memory store keeps the same observable behaviour as store/redis (both
// pass store/storetest): empty slices read back as nil, json.RawMessage
// values must be valid JSON, and a nonce whose expiry has already passed is
// never recorded.
package memory
