package iam

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/lineage-oss/lineage/iam/policy"
)

// ApplicationARN is the resource ARN of an OAuth client in sso-oauth
// actions: its id when the id is an ARN, else
// arn:<partition>:sso::<account>:application/<id>.
func (a Account) ApplicationARN(clientID string) string {
	if strings.HasPrefix(clientID, "arn:") {
		return clientID
	}
	return "arn:" + a.Partition + ":sso::" + a.ID + ":application/" + clientID
}

// ApplicationRequest is an sso-oauth action (CreateTokenWithIAM,
// IntrospectTokenWithIAM, RevokeTokenWithIAM) of an IAM caller on an
// application.
type ApplicationRequest struct {
	Caller Principal
	Action string
	// ClientID is the application's client id; ActorPolicy its resource
	// policy (none: nobody is allowed).
	ClientID    string
	ActorPolicy json.RawMessage
	// Context holds the request's condition keys (aws:SourceIp,
	// aws:SecureTransport, lineage:GrantType, lineage:Scope, …).
	Context map[string][]string
}

// AuthorizeApplication decides an ApplicationRequest in AWS's order: an
// explicit Deny in the org guardrails, the caller's identity or session
// policies or the ActorPolicy wins; otherwise the application's ActorPolicy
// must allow the caller (naming its exact ARN, or its account together
// with an identity-policy Allow) and session policies narrow.
func (d *Directory) AuthorizeApplication(ctx context.Context, in ApplicationRequest) (decision policy.Decision, err error) {
	ctx, span := d.startSpan(ctx, SpanAuthorizeApplication, in.Action)
	defer func() { endDecision(span, decision, err) }()
	set, err := d.policySet(ctx, in.Caller, in.ActorPolicy)
	if err != nil {
		return policy.Decision{}, err
	}
	set.ResourceRequired = true
	reqCtx := requestContext(in.Caller, in.Context)
	reqCtx[policy.KeyClientID] = []string{in.ClientID}
	return policy.Evaluate(policy.Request{
		Principal: policyPrincipal(in.Caller),
		Action:    in.Action,
		Resource:  d.account.ApplicationARN(in.ClientID),
		Time:      d.now(),
		Context:   reqCtx,
	}, set), nil
}
