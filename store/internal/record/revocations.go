package record

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lineage-oss/lineage/store"
)

// MaxRevocationEvents is the most events one RevocationEvents returns. A
// limit that is not positive, or is above it, means MaxRevocationEvents.
const MaxRevocationEvents = 1000

// ErrInvalidRevocationCursor reports that the after argument of
// RevocationEvents is neither empty, "0" nor a stream id "<ms>-<seq>".
var ErrInvalidRevocationCursor = fmt.Errorf("%w: revocation event cursor", store.ErrInvalid)

// CheckRevocation reports whether r is an entry the stores record
// (DESIGN.md "Revocation model"): Kind is one of store.RevokeJTI,
// RevokeOrigin, RevokeBefore and RevokePolicy, ID is not empty, a before
// rule has the scope subject, client or principal and a positive Before, a
// policy change has the scope account, a jti or origin_jti has no scope,
// and Until is positive. Whether Until has passed is for the store to
// check, by its clock. The error wraps store.ErrInvalid; it never quotes
// the id.
func CheckRevocation(r store.Revocation) error {
	var problem string
	switch r.Kind {
	case store.RevokeJTI, store.RevokeOrigin:
		if r.Scope != "" {
			problem = "a " + r.Kind + " revocation has no scope"
		}
	case store.RevokeBefore:
		switch {
		case r.Scope != store.ScopeSubject && r.Scope != store.ScopeClient && r.Scope != store.ScopePrincipal:
			problem = "the scope of a before rule is subject, client or principal"
		case r.Before <= 0:
			problem = "the before of a before rule is not positive"
		}
	case store.RevokePolicy:
		if r.Scope != store.ScopeAccount {
			problem = "the scope of a policy revocation is account"
		}
	default:
		problem = fmt.Sprintf("unknown revocation kind %q", r.Kind)
	}
	switch {
	case problem != "":
	case r.ID == "":
		problem = "the revocation id is empty"
	case r.Until <= 0:
		problem = "the revocation until is not positive"
	}
	if problem != "" {
		return fmt.Errorf("%w: %s", store.ErrInvalid, problem)
	}
	return nil
}

// RevocationExpiredError is the error of a revocation whose Until has
// passed by the store's clock: an entry that would never be read.
func RevocationExpiredError() error {
	return fmt.Errorf("%w: the revocation until is not in the future", store.ErrInvalid)
}

// ParseRevocationCursor parses the after argument of RevocationEvents: ""
// and "0" are the zero ID (before the first event), anything else must be
// a stream id "<ms>-<seq>" of two decimal numbers (leading zeros allowed,
// as Redis allows them). Revocation event IDs have the form of audit record
// IDs: both are Redis stream entry IDs. The error wraps
// ErrInvalidRevocationCursor.
func ParseRevocationCursor(after string) (AuditID, error) {
	if after == "" || after == "0" {
		return AuditID{}, nil
	}
	ms, seq, ok := strings.Cut(after, "-")
	if !ok {
		return AuditID{}, ErrInvalidRevocationCursor
	}
	var id AuditID
	var err error
	if id.Ms, err = parseDecimal(ms); err != nil {
		return AuditID{}, ErrInvalidRevocationCursor
	}
	if id.Seq, err = parseDecimal(seq); err != nil {
		return AuditID{}, ErrInvalidRevocationCursor
	}
	return id, nil
}

// parseDecimal parses a uint64 written in decimal digits only (no sign).
func parseDecimal(s string) (uint64, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	return strconv.ParseUint(s, 10, 64)
}

// RevocationPageSize returns how many events RevocationEvents returns at
// most for limit: limit itself, or MaxRevocationEvents when limit is not
// positive or above MaxRevocationEvents.
func RevocationPageSize(limit int) int {
	if limit <= 0 || limit > MaxRevocationEvents {
		return MaxRevocationEvents
	}
	return limit
}
