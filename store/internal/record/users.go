package record

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lineage-oss/lineage/store"
)

// NormalizeUser validates u's policies and returns a deep copy of u in
// normal form. The error names the user and every invalid policy; it never
// quotes a policy, nor the password hash.
func NormalizeUser(u store.User) (store.User, error) {
	var errs []error
	if len(u.Policies) > 0 {
		ps := make([]json.RawMessage, len(u.Policies))
		for i, p := range u.Policies {
			ps[i] = compactJSON(p, fmt.Sprintf("policies[%d]", i), false, &errs)
		}
		u.Policies = ps
	}
	if err := errors.Join(errs...); err != nil {
		return store.User{}, fmt.Errorf("store: user %q: %w", u.Username, err)
	}
	u.CreatedAt = u.CreatedAt.Round(0)
	u.UpdatedAt = u.UpdatedAt.Round(0)
	return CloneUser(u), nil
}

// CompareUsers orders users by Username.
func CompareUsers(a, b store.User) int { return cmp.Compare(a.Username, b.Username) }

// CloneUser deep-copies every slice of u; empty slices become nil.
func CloneUser(u store.User) store.User {
	u.Policies = cloneJSONs(u.Policies)
	return u
}
