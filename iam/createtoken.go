package iam

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/lineage-oss/lineage/iam/policy"
)

// parsedPolicies is how many compiled policies a Directory keeps.
const parsedPolicies = 1024

// CreateTokenCheck is a standard OAuth grant about to issue tokens
// (/authorize, /token), as the sso-oauth:CreateToken policies see it
// (DESIGN.md "IAM model").
type CreateTokenCheck struct {
	// ClientID is the OAuth client: lineage:ClientId; the resource is its
	// application ARN (Account.ApplicationARN).
	ClientID string
	// ClientPolicies are the client's policies (clients[].policies).
	ClientPolicies []json.RawMessage
	// Username is the end user: aws:userid, aws:username, g:UserId,
	// g:UserName and lineage:Username. Empty for client_credentials.
	Username string
	// UserPolicies are the user's policies (users[].policies).
	UserPolicies []json.RawMessage
	// GrantType is lineage:GrantType: authorization_code, refresh_token,
	// client_credentials.
	GrantType string
	// Scopes are lineage:Scope, the scopes the tokens would carry.
	Scopes []string
	// SourceIP is aws:SourceIp; SecureTransport is aws:SecureTransport.
	SourceIP        string
	SecureTransport bool
}

// DecideCreateToken decides sso-oauth:CreateToken (alias
// iamToken::generatePkiToken) for a standard grant: only an explicit Deny
// in the org guardrails, the user's policies or the client's policies
// refuses, and nothing needs an Allow (DESIGN.md "IAM model"), so an
// implicit deny is Allowed. The token's subject (lineage:Subject) is the
// user, or the client when there is none; the request time is
// aws:CurrentTime; the account is aws:PrincipalAccount and g:DomainId. A
// Deny's Decision.Policy says where it is: "org[i]", "user[i]" or
// "client[i]". An error — the guardrails cannot be read, a stored policy
// does not parse — decides nothing: callers refuse the grant.
func (d *Directory) DecideCreateToken(ctx context.Context, in CreateTokenCheck) (decision policy.Decision, err error) {
	ctx, span := d.startSpan(ctx, SpanDecideCreateToken, policy.ActionCreateToken)
	defer func() { endDecision(span, decision, err) }()
	org, err := d.OrgPolicies(ctx)
	if err != nil {
		return policy.Decision{}, err
	}
	req := policy.Request{
		Principal: policy.Principal{Account: d.account.ID, UserID: in.Username, Username: in.Username},
		Action:    policy.ActionCreateToken,
		Resource:  d.account.ApplicationARN(in.ClientID),
		Time:      d.now(),
		Context:   createTokenContext(in),
	}
	groups := [...]struct {
		label string
		docs  []json.RawMessage
	}{{"org", org}, {"user", in.UserPolicies}, {"client", in.ClientPolicies}}
	for _, g := range groups {
		policies, err := d.compiled(g.docs)
		if err != nil {
			return policy.Decision{}, fmt.Errorf("iam: %s policies: %w", g.label, err)
		}
		decision = policy.EvaluateDenyOnly(req, policies...)
		if !decision.Allowed {
			// "policies[i]" names the place in this group.
			decision.Policy = g.label + strings.TrimPrefix(decision.Policy, "policies")
			return decision, nil
		}
	}
	return decision, nil
}

// createTokenContext returns the request's condition keys other than those
// policy.Request takes from its Principal and Time.
func createTokenContext(in CreateTokenCheck) map[string][]string {
	subject := in.Username
	if subject == "" {
		subject = in.ClientID
	}
	out := map[string][]string{
		policy.KeyClientID:        {in.ClientID},
		policy.KeySubject:         {subject},
		policy.KeySecureTransport: {strconv.FormatBool(in.SecureTransport)},
	}
	if in.GrantType != "" {
		out[policy.KeyGrantType] = []string{in.GrantType}
	}
	if len(in.Scopes) > 0 {
		out[policy.KeyScope] = in.Scopes
	}
	if in.Username != "" {
		out[policy.KeyLineageUsername] = []string{in.Username}
	}
	if in.SourceIP != "" {
		out[policy.KeySourceIP] = []string{in.SourceIP}
	}
	return out
}

// compiled parses stored policy documents, remembering each compiled
// policy by the SHA-256 of its text: documents are stored as canonical
// JSON, so equal policies share one entry.
func (d *Directory) compiled(docs []json.RawMessage) ([]*policy.Policy, error) {
	out := make([]*policy.Policy, 0, len(docs))
	for i, doc := range docs {
		key := sha256.Sum256(doc)
		p, ok := d.parsed.Get(key)
		if !ok {
			var err error
			if p, err = policy.Parse(doc); err != nil {
				return nil, fmt.Errorf("stored policy %d: %w", i, err)
			}
			d.parsed.Add(key, p)
		}
		out = append(out, p)
	}
	return out, nil
}
