// Package record holds what store/memory and store/redis share about the
// records of package store: validation, the normal form a record is stored
// in, deep copies, the orders the List methods return, the audit trail's
// record IDs, page size and retention, and the arguments the token
// aggregates refuse (store.ErrInvalid): a code or refresh-token hash that is
// not a lower-case hex SHA-256, an origin_jti that could not be a Cluster
// hash tag, a record that would be created expired, a consent username
// holding NUL, a throttle window that is not positive; and, for the
// revocation set, which revocations the stores take, the event cursors they
// read from and the page size of the event stream.
//
// Both stores keep a record in its normal form, so that one reads back
// exactly what the other would: json.RawMessage values compacted (and
// rejected when they are not valid JSON; IAM policy documents, also trust
// and organisation policies, when they are not one JSON object, with an
// error that wraps store.ErrInvalid), empty slices as nil, and times
// without a monotonic clock reading.
package record
