package main

import (
	"context"
	"log/slog"

	"github.com/lineage-oss/lineage/iam"
	"github.com/lineage-oss/lineage/oauth"
)

// createTokenGuard lets the IAM directory decide sso-oauth:CreateToken for
// the standard grants of the oauth package (DESIGN.md "IAM model").
type createTokenGuard struct {
	dir    *iam.Directory
	logger *slog.Logger
}

var _ oauth.Guard = (*createTokenGuard)(nil)

// CreateTokenDenied implements oauth.Guard. A Deny is logged with the
// place of the deciding policy and statement, never the policy's text.
func (g *createTokenGuard) CreateTokenDenied(ctx context.Context, r oauth.GuardRequest) (bool, error) {
	decision, err := g.dir.DecideCreateToken(ctx, iam.CreateTokenCheck{
		ClientID: r.ClientID, ClientPolicies: r.ClientPolicies, Username: r.Username, UserPolicies: r.UserPolicies,
		GrantType: r.GrantType, Scopes: r.Scopes, SourceIP: r.Origin.SourceIP, SecureTransport: r.Origin.SecureTransport,
	})
	if err != nil {
		return false, err
	}
	if !decision.Allowed {
		g.logger.InfoContext(ctx, "policy denies sso-oauth:CreateToken",
			"client_id", r.ClientID, "grant_type", r.GrantType, "decision", decision.String())
	}
	return !decision.Allowed, nil
}
