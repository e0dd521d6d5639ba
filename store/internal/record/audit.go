package record

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lineage-oss/lineage/store"
)

const (
	// MaxAuditPage is the most records one ListAudit returns. A limit that
	// is not positive, or is above MaxAuditPage, means MaxAuditPage.
	MaxAuditPage = 1000
	// AuditRetained is how many of the newest audit records both stores keep
	// at least; older ones are dropped, several at a time (store/redis trims
	// its stream with XADD MAXLEN ~ AuditRetained).
	AuditRetained = 100_000
)

// ErrInvalidAuditCursor reports that the before argument of ListAudit is
// not an audit record ID. It is the caller's mistake: it wraps none of the
// sentinel errors of package store.
var ErrInvalidAuditCursor = fmt.Errorf("%w: audit cursor", store.ErrInvalid)

// AuditID is the ID of an audit record, in the form of a Redis stream entry
// ID: "<ms>-<seq>", two decimal numbers without leading zeros. Ms is a Unix
// time in milliseconds and Seq counts the records appended within that
// millisecond; IDs compare by Ms, then by Seq.
type AuditID struct {
	Ms, Seq uint64
}

// ParseAuditID parses the canonical form of an audit record ID, as String
// writes it, or returns an error that wraps ErrInvalidAuditCursor.
func ParseAuditID(s string) (AuditID, error) {
	ms, seq, ok := strings.Cut(s, "-")
	if !ok {
		return AuditID{}, ErrInvalidAuditCursor
	}
	var id AuditID
	var err error
	if id.Ms, err = parseCanonicalUint(ms); err != nil {
		return AuditID{}, ErrInvalidAuditCursor
	}
	if id.Seq, err = parseCanonicalUint(seq); err != nil {
		return AuditID{}, ErrInvalidAuditCursor
	}
	return id, nil
}

// parseCanonicalUint parses a decimal uint64 written without sign or
// leading zeros.
func parseCanonicalUint(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, err
	}
	if strconv.FormatUint(n, 10) != s {
		return 0, fmt.Errorf("%q is not in canonical form", s)
	}
	return n, nil
}

// String returns the ID in its canonical form, "<ms>-<seq>".
func (id AuditID) String() string {
	return strconv.FormatUint(id.Ms, 10) + "-" + strconv.FormatUint(id.Seq, 10)
}

// Compare returns -1, 0 or +1 as id sorts before, with or after o.
func (id AuditID) Compare(o AuditID) int {
	switch {
	case id.Ms < o.Ms:
		return -1
	case id.Ms > o.Ms:
		return 1
	case id.Seq < o.Seq:
		return -1
	case id.Seq > o.Seq:
		return 1
	}
	return 0
}

// Time is the millisecond the ID was assigned in, in UTC.
func (id AuditID) Time() time.Time {
	return time.UnixMilli(int64(min(id.Ms, uint64(1<<63-1)))).UTC()
}

// AuditPageSize returns how many records ListAudit returns at most for
// limit: limit itself, or MaxAuditPage when limit is not positive or above
// MaxAuditPage.
func AuditPageSize(limit int) int {
	if limit <= 0 || limit > MaxAuditPage {
		return MaxAuditPage
	}
	return limit
}

// NormalizeAudit validates r's JSON fields and returns a deep copy of r in
// normal form. The error names the action and every invalid field; it never
// quotes a field's value.
func NormalizeAudit(r store.AuditRecord) (store.AuditRecord, error) {
	var errs []error
	r.Before = compactJSON(r.Before, "before", true, &errs)
	r.After = compactJSON(r.After, "after", true, &errs)
	if err := errors.Join(errs...); err != nil {
		return store.AuditRecord{}, fmt.Errorf("store: audit record of %q: %w", r.Action, err)
	}
	r.Time = r.Time.Round(0)
	return CloneAudit(r), nil
}

// StampAudit sets r.ID to id and, when r.Time is zero, r.Time to the time
// in id: a record appended without a time has the time it was appended at.
func StampAudit(r store.AuditRecord, id AuditID) store.AuditRecord {
	r.ID = id.String()
	if r.Time.IsZero() {
		r.Time = id.Time()
	}
	return r
}

// CloneAudit deep-copies every slice of r; empty slices become nil.
func CloneAudit(r store.AuditRecord) store.AuditRecord {
	r.Before = cloneBytes(r.Before)
	r.After = cloneBytes(r.After)
	return r
}
