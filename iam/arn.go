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
