package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/lineage-oss/lineage/iam/policy"
	"github.com/lineage-oss/lineage/store"
)

// Error is an STS error with its AWS error code (STS API Reference,
// "Common Errors" and AssumeRole's errors).
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return "iam: " + e.Code + ": " + e.Message }

// STS error codes.
const (
	CodeAccessDenied            = "AccessDenied"
	CodeValidationError         = "ValidationError"
	CodeMalformedPolicyDocument = "MalformedPolicyDocument"
	CodePackedPolicyTooLarge    = "PackedPolicyTooLarge"
)

// Session lifetimes (STS AssumeRole DurationSeconds).
const (
	MinSessionDuration     = 15 * time.Minute
	DefaultSessionDuration = time.Hour
	// ChainedSessionLimit caps a session assumed with session credentials
	// (role chaining), as AWS does.
	ChainedSessionLimit = time.Hour
	// maxSessionPolicyLength is AWS's limit on an inline session policy.
	maxSessionPolicyLength = 2048
)

// AssumeRoleInput is an sts:AssumeRole request.
type AssumeRoleInput struct {
	RoleARN     string
	SessionName string
	// Duration is DurationSeconds; zero means one hour.
	Duration time.Duration
	// Policy is the optional inline session policy.
	Policy string
	// Context holds request condition keys: aws:SourceIp,
	// aws:SecureTransport.
	Context map[string][]string
}

// Credentials are temporary security credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// AssumedRoleUser identifies the new session.
type AssumedRoleUser struct {
	ARN           string
	AssumedRoleID string
}

// AssumeRole issues temporary credentials for a role session when the
// role's trust policy, the caller's identity policies (and session policy)
// and the org guardrails allow sts:AssumeRole, evaluated in AWS's order.
func (d *Directory) AssumeRole(ctx context.Context, caller Principal, in AssumeRoleInput) (_ Credentials, _ AssumedRoleUser, err error) {
	ctx, span := d.startSpan(ctx, SpanAssumeRole, policy.ActionAssumeRole)
	defer func() { endSpan(span, err) }()
	if !ValidSessionName(in.SessionName) {
		return Credentials{}, AssumedRoleUser{}, &Error{CodeValidationError, "RoleSessionName must be 2 to 64 characters of [\\w+=,.@-]"}
	}
	duration := in.Duration
	if duration == 0 {
		duration = DefaultSessionDuration
	}
	if duration < MinSessionDuration {
		return Credentials{}, AssumedRoleUser{}, &Error{CodeValidationError, "DurationSeconds must be at least 900"}
	}
	denied := &Error{CodeAccessDenied, fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.ARN, in.RoleARN)}
	name, ok := d.account.RoleNameFromARN(in.RoleARN)
	if !ok {
		return Credentials{}, AssumedRoleUser{}, denied
	}
	role, err := d.role(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return Credentials{}, AssumedRoleUser{}, denied
	}
	if err != nil {
		return Credentials{}, AssumedRoleUser{}, err
	}
	limit := role.MaxSessionDuration
	if caller.Temporary() {
		limit = min(limit, ChainedSessionLimit)
	}
	if duration > limit {
		return Credentials{}, AssumedRoleUser{}, &Error{CodeValidationError,
			"The requested DurationSeconds exceeds the MaxSessionDuration set for this role (" + strconv.Itoa(int(limit.Seconds())) + ")"}
	}
	var sessionPolicy json.RawMessage
	if in.Policy != "" {
		if len(in.Policy) > maxSessionPolicyLength {
			return Credentials{}, AssumedRoleUser{}, &Error{CodePackedPolicyTooLarge, "the session policy is larger than 2048 characters"}
		}
		if _, err := policy.ParseAs([]byte(in.Policy), policy.KindSession); err != nil {
			return Credentials{}, AssumedRoleUser{}, &Error{CodeMalformedPolicyDocument, "the session policy is not a valid policy document"}
		}
		sessionPolicy = json.RawMessage(in.Policy)
	}

	now := d.now()
	set, err := d.policySet(ctx, caller, role.TrustPolicy)
	if err != nil {
		return Credentials{}, AssumedRoleUser{}, err
	}
	set.ResourceRequired = true
	decision := policy.Evaluate(policy.Request{
		Principal: policyPrincipal(caller),
		Action:    policy.ActionAssumeRole,
		Resource:  d.account.RoleARN(role.Name),
		Time:      now,
		Context:   requestContext(caller, in.Context),
	}, set)
	recordDecision(span, decision)
	if !decision.Allowed {
		return Credentials{}, AssumedRoleUser{}, denied
	}

	akid, err := randomID(PrefixTemporaryKey, d.rand)
	if err != nil {
		return Credentials{}, AssumedRoleUser{}, err
	}
	secret, err := newSecretAccessKey(d.rand)
	if err != nil {
		return Credentials{}, AssumedRoleUser{}, err
	}
	expires := now.Add(duration).Truncate(time.Second)
	token, err := sealSession(d.tokenSealer, Session{
		AccessKeyID: akid, SecretAccessKey: secret, RoleName: role.Name, RoleID: role.ID,
		SessionName: in.SessionName, SourceARN: caller.ARN, IssuedAt: now.Unix(), ExpiresAt: expires.Unix(),
		Policy: sessionPolicy,
	})
	if err != nil {
		return Credentials{}, AssumedRoleUser{}, err
	}
	return Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: token, Expiration: expires.UTC()},
		AssumedRoleUser{ARN: d.account.AssumedRoleARN(role.Name, in.SessionName), AssumedRoleID: role.ID + ":" + in.SessionName}, nil
}

// policySet gathers the guardrails, the caller's identity and session
// policies and the given resource policy, compiled (and remembered by
// their text: see compiled).
func (d *Directory) policySet(ctx context.Context, caller Principal, resource json.RawMessage) (policy.Set, error) {
	var set policy.Set
	org, err := d.OrgPolicies(ctx)
	if err != nil {
		return set, err
	}
	if set.Org, err = d.compiled(org); err != nil {
		return set, fmt.Errorf("iam: org policies: %w", err)
	}
	if set.Identity, err = d.compiled(caller.Policies); err != nil {
		return set, fmt.Errorf("iam: identity policies: %w", err)
	}
	if len(caller.SessionPolicy) > 0 {
		if set.Session, err = d.compiled([]json.RawMessage{caller.SessionPolicy}); err != nil {
			return set, fmt.Errorf("iam: session policy: %w", err)
		}
	}
	if len(resource) > 0 {
		res, err := d.compiled([]json.RawMessage{resource})
		if err != nil {
			return set, fmt.Errorf("iam: resource policy: %w", err)
		}
		set.Resource = res[0]
	}
	return set, nil
}

func policyPrincipal(p Principal) policy.Principal {
	return policy.Principal{ARN: p.ARN, RoleARN: p.RoleARN, Account: p.Account, UserID: p.UserID, Username: p.Username}
}

// requestContext adds the caller's credential issue time to the request's
// condition keys.
func requestContext(caller Principal, reqCtx map[string][]string) map[string][]string {
	out := make(map[string][]string, len(reqCtx)+1)
	for k, v := range reqCtx {
		out[k] = v
	}
	if !caller.IssuedAt.IsZero() {
		out[policy.KeyTokenIssueTime] = []string{caller.IssuedAt.UTC().Format(time.RFC3339)}
	}
	return out
}
