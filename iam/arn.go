package iam

import (
	"fmt"
	"strings"
)

// Account is the one account of a deployment (iam.account_id, partition).
type Account struct {
	ID        string
	Partition string
}

// UserARN is arn:<partition>:iam::<account>:user/<name>.
func (a Account) UserARN(name string) string {
	return fmt.Sprintf("arn:%s:iam::%s:user/%s", a.Partition, a.ID, name)
}

// RoleARN is arn:<partition>:iam::<account>:role/<name>.
func (a Account) RoleARN(name string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", a.Partition, a.ID, name)
}

// AssumedRoleARN is arn:<partition>:sts::<account>:assumed-role/<role>/<session>.
func (a Account) AssumedRoleARN(role, session string) string {
	return fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", a.Partition, a.ID, role, session)
}

// RoleNameFromARN returns the role name of arn:<partition>:iam::<account>:role/<name>
// in this account (role paths are not supported: the name is the last segment).
func (a Account) RoleNameFromARN(arn string) (string, bool) {
	prefix := fmt.Sprintf("arn:%s:iam::%s:role/", a.Partition, a.ID)
	if !strings.HasPrefix(arn, prefix) {
		return "", false
	}
	name := arn[len(prefix):]
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return name, ValidName(name)
}

// RuleIDs are the ids of the before-T rules (scope principal) that cover
// the tokens of the principals arns (empty ones skipped): each ARN itself
// and, for a role session, its role
// (arn:<partition>:sts::<account>:assumed-role/<role>/<session> →
// arn:<partition>:iam::<account>:role/<role>), so that revoking a role's
// sessions reaches every session.
func RuleIDs(arns ...string) []string {
	var ids []string
	for _, arn := range arns {
		if arn == "" {
			continue
		}
		ids = append(ids, arn)
		if role := RuleID(arn); role != arn {
			ids = append(ids, role)
		}
	}
	return ids
}

// RuleID is the id of a role session's role rules (see RuleIDs); any other
// ARN is its own.
func RuleID(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sts" {
		return arn
	}
	rest, ok := strings.CutPrefix(parts[5], "assumed-role/")
	if !ok {
		return arn
	}
	role, _, ok := strings.Cut(rest, "/")
	if !ok || role == "" {
		return arn
	}
	return "arn:" + parts[1] + ":iam::" + parts[4] + ":role/" + role
}

// AccountOf is the account field of an ARN (empty when arn is not one).
func AccountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}
