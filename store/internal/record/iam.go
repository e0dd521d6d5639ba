package record

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lineage-oss/lineage/store"
)

// NormalizeIAMUser validates u's policies, each a JSON object, and returns a
// deep copy of u in normal form. The error wraps store.ErrInvalid and names
// the user and every invalid policy; it never quotes a policy.
func NormalizeIAMUser(u store.IAMUser) (store.IAMUser, error) {
	var errs []error
	u.Policies = compactObjects(u.Policies, "policies", &errs)
	if err := errors.Join(errs...); err != nil {
		return store.IAMUser{}, fmt.Errorf("store: iam user %q: %w: %w", u.Name, store.ErrInvalid, err)
	}
	u.CreatedAt = u.CreatedAt.Round(0)
	u.UpdatedAt = u.UpdatedAt.Round(0)
	return CloneIAMUser(u), nil
}

// CompareIAMUsers orders IAM users by Name.
func CompareIAMUsers(a, b store.IAMUser) int { return cmp.Compare(a.Name, b.Name) }

// CloneIAMUser deep-copies every slice of u; empty slices become nil.
func CloneIAMUser(u store.IAMUser) store.IAMUser {
	u.Policies = cloneJSONs(u.Policies)
	return u
}

// NormalizeAccessKey returns a deep copy of k in normal form. An access key
// has no JSON to validate, so every key is accepted.
func NormalizeAccessKey(k store.AccessKey) store.AccessKey {
	k.CreatedAt = k.CreatedAt.Round(0)
	k.DeactivatedAt = k.DeactivatedAt.Round(0)
	return CloneAccessKey(k)
}

// CompareAccessKeys orders access keys by CreatedAt, then by ID so that the
// order is total.
func CompareAccessKeys(a, b store.AccessKey) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// CloneAccessKey deep-copies every slice of k; empty slices become nil.
func CloneAccessKey(k store.AccessKey) store.AccessKey {
	k.SealedSecret = cloneBytes(k.SealedSecret)
	return k
}

// NormalizeIAMRole validates r's trust policy and policies, each a JSON
// object (a role always has a trust policy: without one nobody could assume
// it), and returns a deep copy of r in normal form. The error wraps
// store.ErrInvalid and names the role and every invalid field; it never
// quotes a policy.
func NormalizeIAMRole(r store.IAMRole) (store.IAMRole, error) {
	var errs []error
	r.TrustPolicy = compactObject(r.TrustPolicy, "trust_policy", &errs)
	r.Policies = compactObjects(r.Policies, "policies", &errs)
	if err := errors.Join(errs...); err != nil {
		return store.IAMRole{}, fmt.Errorf("store: iam role %q: %w: %w", r.Name, store.ErrInvalid, err)
	}
	r.CreatedAt = r.CreatedAt.Round(0)
	r.UpdatedAt = r.UpdatedAt.Round(0)
	return CloneIAMRole(r), nil
}

// CompareIAMRoles orders IAM roles by Name.
func CompareIAMRoles(a, b store.IAMRole) int { return cmp.Compare(a.Name, b.Name) }

// CloneIAMRole deep-copies every slice of r; empty slices become nil.
func CloneIAMRole(r store.IAMRole) store.IAMRole {
	r.TrustPolicy = cloneBytes(r.TrustPolicy)
	r.Policies = cloneJSONs(r.Policies)
	return r
}

// NormalizeOrgPolicies validates the organisation policies, each a JSON
// object, and returns a deep copy of them, compacted and in their order. No
// policies is an empty, non-nil list. The error wraps store.ErrInvalid and
// names every invalid policy; it never quotes one.
func NormalizeOrgPolicies(ps []json.RawMessage) ([]json.RawMessage, error) {
	var errs []error
	ps = compactObjects(ps, "org_policies", &errs)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("store: org policies: %w: %w", store.ErrInvalid, err)
	}
	return CloneOrgPolicies(ps), nil
}

// CloneOrgPolicies deep-copies every policy of ps; an empty ps becomes an
// empty, non-nil list, as GetOrgPolicies returns it.
func CloneOrgPolicies(ps []json.RawMessage) []json.RawMessage {
	if len(ps) == 0 {
		return []json.RawMessage{}
	}
	return cloneJSONs(ps)
}

// compactObjects compacts every message of ms with compactObject, naming
// them field[i]; an empty ms becomes nil.
func compactObjects(ms []json.RawMessage, field string, errs *[]error) []json.RawMessage {
	if len(ms) == 0 {
		return nil
	}
	out := make([]json.RawMessage, len(ms))
	for i, m := range ms {
		out[i] = compactObject(m, fmt.Sprintf("%s[%d]", field, i), errs)
	}
	return out
}

// compactObject returns raw, which must be one JSON object (as every IAM
// policy document is), compacted into a new slice; problems are appended to
// errs under field.
func compactObject(raw json.RawMessage, field string, errs *[]error) json.RawMessage {
	if len(raw) == 0 {
		*errs = append(*errs, fmt.Errorf("%s is empty, not a JSON object", field))
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		*errs = append(*errs, fmt.Errorf("%s is not valid JSON: %w", field, err))
		return nil
	}
	if b.Bytes()[0] != '{' {
		*errs = append(*errs, fmt.Errorf("%s is not a JSON object", field))
		return nil
	}
	return b.Bytes()
}
