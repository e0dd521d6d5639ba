package iam

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lineage-oss/lineage/iam/policy"
	"github.com/lineage-oss/lineage/store"
)

// TokenRecheck names an IAM-minted token whose permission is re-evaluated
// when it is used (DESIGN.md "Revocation model").
type TokenRecheck struct {
	// Principal is the token's iam_principal; SessionIssuedAt its
	// iam_session_iat (aws:TokenIssueTime).
	Principal       string
	SessionIssuedAt time.Time
	// ClientID is the application the token was minted for, ActorPolicy
	// its resource policy now.
	ClientID    string
	ActorPolicy json.RawMessage
	// Generation is the principal's account's policy generation, read
	// with the token's revocation check: a decision is remembered for one
	// generation only.
	Generation int64
}

// recheckTTL bounds how long a remembered decision counts even within one
// generation (the generation's key expires with the revocation horizon and
// could come back at an old value).
const recheckTTL = 30 * time.Second

// rechecks is how many decisions StillAllowed remembers.
const rechecks = 1 << 14

// StillAllowed reports whether the policies in force now — the org
// guardrails, the principal's identity policies (a session: its role's)
// and the application's ActorPolicy — still allow the
// sso-oauth:CreateTokenWithIAM that minted the token. A principal that no
// longer exists is not allowed. Condition keys of the original request
// (aws:SourceIp, lineage:Scope, …) are not known here and count as
// missing; session policies, fixed when the session began, are not
// re-read. Decisions are remembered by generation, so that a check costs
// no store read until the account's policies change.
func (d *Directory) StillAllowed(ctx context.Context, in TokenRecheck) (bool, error) {
	sum := sha256.Sum256(in.ActorPolicy)
	key := strings.Join([]string{strconv.FormatInt(in.Generation, 10), in.Principal,
		strconv.FormatInt(in.SessionIssuedAt.Unix(), 10), in.ClientID, string(sum[:])}, "\x00")
	if allowed, ok := d.rechecked.Get(key); ok {
		return allowed, nil
	}
	caller, err := d.principalOf(ctx, in.Principal)
	if errors.Is(err, store.ErrNotFound) {
		d.rechecked.Add(key, false)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	caller.IssuedAt = in.SessionIssuedAt
	// The decision is kept for the whole generation: it must rest on the
	// org policies as stored now, not as remembered by OrgPolicies.
	d.forgetOrgPolicies()
	decision, err := d.AuthorizeApplication(ctx, ApplicationRequest{
		Caller: caller, Action: policy.ActionCreateTokenWithIAM, ClientID: in.ClientID, ActorPolicy: in.ActorPolicy,
	})
	if err != nil {
		return false, err
	}
	d.rechecked.Add(key, decision.Allowed)
	return decision.Allowed, nil
}

// principalOf finds the principal an ARN names now: an IAM user, or a
// session of a role (its role's policies). ErrNotFound (wrapped) when it
// is gone or is not of this account.
func (d *Directory) principalOf(ctx context.Context, arn string) (Principal, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != d.account.Partition || parts[4] != d.account.ID {
		return Principal{}, fmt.Errorf("iam: principal %q: %w", arn, store.ErrNotFound)
	}
	switch resource := parts[5]; {
	case parts[2] == "iam" && strings.HasPrefix(resource, "user/"):
		u, err := d.user(ctx, strings.TrimPrefix(resource, "user/"))
		if err != nil {
			return Principal{}, err
		}
		return Principal{ARN: arn, UserID: u.ID, Username: u.Name, Account: d.account.ID, Policies: u.Policies}, nil
	case parts[2] == "sts" && strings.HasPrefix(resource, "assumed-role/"):
		roleName, session, ok := strings.Cut(strings.TrimPrefix(resource, "assumed-role/"), "/")
		if !ok {
			break
		}
		r, err := d.role(ctx, roleName)
		if err != nil {
			return Principal{}, err
		}
		return Principal{ARN: arn, UserID: r.ID + ":" + session, Account: d.account.ID, RoleName: r.Name,
			RoleARN: d.account.RoleARN(r.Name), SessionName: session, Policies: r.Policies}, nil
	}
	return Principal{}, fmt.Errorf("iam: principal %q: %w", arn, store.ErrNotFound)
}
