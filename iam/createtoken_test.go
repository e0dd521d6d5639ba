package iam

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/iam/policy"
	"github.com/lineage-oss/lineage/secrets"
	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/memory"
)

// orgStore is a store.OrgPolicies that can fail.
type orgStore struct {
	policies []json.RawMessage
	err      error
}

func (o *orgStore) GetOrgPolicies(context.Context) ([]json.RawMessage, error) {
	return o.policies, o.err
}
func (o *orgStore) PutOrgPolicies(_ context.Context, p []json.RawMessage) error {
	o.policies = p
	return nil
}

var _ store.OrgPolicies = (*orgStore)(nil)

func testDirectory(t *testing.T, configuredOrg []json.RawMessage, org store.OrgPolicies, now time.Time) *Directory {
	t.Helper()
	keyring, err := secrets.NewKeyring([]string{"system-secret-for-iam-tests-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	st := memory.New(memory.Options{})
	d, err := NewDirectory(Options{
		Account: Account{ID: "111122223333", Partition: "aws"},
		Org:     configuredOrg,
		Stores:  Stores{Users: st, Keys: st, Roles: st, Org: org},
		Keyring: keyring, Now: func() time.Time { return now }, Rand: rand.Reader,
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func docs(ps ...string) []json.RawMessage {
	out := make([]json.RawMessage, len(ps))
	for i, p := range ps {
		out[i] = json.RawMessage(p)
	}
	return out
}

func TestDecideCreateToken(t *testing.T) {
	const (
		denyAliceByUserID   = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"*","Condition":{"StringEquals":{"g:UserId":"alice"}}}]}`
		denyAliceByUsername = `{"Version":"2012-10-17","Statement":[{"Sid":"NoAlice","Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"*","Condition":{"StringEquals":{"aws:username":"alice"}}}]}`
		denyClient          = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"*","Condition":{"StringEquals":{"lineage:ClientId":"ci"}}}]}`
		denyAccount         = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}]}`
		denyNotAction       = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"sts:*","Resource":"*"}]}`
		allowOnly           = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sso-oauth:CreateToken","Resource":"*"}]}`
		denyOtherAction     = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateTokenWithIAM","Resource":"*"}]}`
		huaweiDomain        = `{"Version":"5.0","Statement":[{"Effect":"Deny","Action":["iamToken::generatePkiToken"],"Condition":{"StringEquals":{"g:DomainId":["111122223333"]}}}]}`
		denyAdminScope      = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"lineage:Scope":"admin"}}}]}`
		denyOutsideNet      = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`
		denyPlainHTTP       = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
		denyServiceSubject  = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"*","Condition":{"StringEquals":{"lineage:Subject":"ci","lineage:GrantType":"client_credentials"}}}]}`
		denyAfterCutover    = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]}`
		denyWebApplication  = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"arn:aws:sso::111122223333:application/web"}]}`
		denyLineageUsername = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"*","Condition":{"StringLike":{"lineage:Username":"al*"}}}]}`
	)
	alice := CreateTokenCheck{ClientID: "web", Username: "alice", GrantType: "authorization_code",
		Scopes: []string{"openid", "profile"}, SourceIP: "10.1.2.3", SecureTransport: true}
	bob := alice
	bob.Username = "bob"
	service := CreateTokenCheck{ClientID: "ci", GrantType: "client_credentials", Scopes: []string{"read"},
		SourceIP: "10.1.2.3", SecureTransport: true}
	with := func(c CreateTokenCheck, change func(*CreateTokenCheck)) CreateTokenCheck {
		change(&c)
		return c
	}
	tests := []struct {
		name       string
		configured []json.RawMessage // configured guardrails
		stored     []json.RawMessage // stored guardrails
		check      CreateTokenCheck
		denied     bool
		by         string // Decision.Policy of a Deny
	}{
		{name: "no policies", check: alice},
		{name: "user policy denies alice by g:UserId", check: with(alice, func(c *CreateTokenCheck) { c.UserPolicies = docs(denyAliceByUserID) }),
			denied: true, by: "user[0]"},
		{name: "the same policy leaves bob alone", check: with(bob, func(c *CreateTokenCheck) { c.UserPolicies = docs(denyAliceByUserID) })},
		{name: "org guardrail denies alice by aws:username", stored: docs(allowOnly, denyAliceByUsername), check: alice,
			denied: true, by: "org[1]"},
		{name: "org guardrail by aws:username leaves bob alone", stored: docs(denyAliceByUsername), check: bob},
		{name: "client policy denies by lineage:ClientId", check: with(service, func(c *CreateTokenCheck) { c.ClientPolicies = docs(denyClient) }),
			denied: true, by: "client[0]"},
		{name: "client policy of another client", check: with(alice, func(c *CreateTokenCheck) { c.ClientPolicies = docs(denyClient) })},
		{name: "guardrail for the whole account", configured: docs(denyAccount), check: bob, denied: true, by: "org[0]"},
		{name: "guardrail for the whole account, client_credentials", configured: docs(denyAccount), check: service, denied: true, by: "org[0]"},
		{name: "configured guardrails come before stored ones", configured: docs(allowOnly), stored: docs(denyAccount), check: bob,
			denied: true, by: "org[1]"},
		{name: "Huawei alias and g:DomainId", stored: docs(huaweiDomain), check: alice, denied: true, by: "org[0]"},
		{name: "Deny with NotAction covers CreateToken", check: with(alice, func(c *CreateTokenCheck) { c.UserPolicies = docs(denyNotAction) }),
			denied: true, by: "user[0]"},
		{name: "an Allow-only policy does not deny", configured: docs(allowOnly), stored: docs(allowOnly),
			check: with(alice, func(c *CreateTokenCheck) { c.UserPolicies, c.ClientPolicies = docs(allowOnly), docs(allowOnly) })},
		{name: "a Deny of another action does not apply", stored: docs(denyOtherAction),
			check: with(alice, func(c *CreateTokenCheck) { c.UserPolicies = docs(denyOtherAction) })},
		{name: "multi-valued lineage:Scope", stored: docs(denyAdminScope),
			check: with(alice, func(c *CreateTokenCheck) { c.Scopes = []string{"openid", "admin"} }), denied: true, by: "org[0]"},
		{name: "lineage:Scope without the scope", stored: docs(denyAdminScope), check: alice},
		{name: "aws:SourceIp inside the network", stored: docs(denyOutsideNet), check: alice},
		{name: "aws:SourceIp outside the network", stored: docs(denyOutsideNet),
			check: with(alice, func(c *CreateTokenCheck) { c.SourceIP = "192.0.2.1" }), denied: true, by: "org[0]"},
		{name: "aws:SecureTransport false", stored: docs(denyPlainHTTP),
			check: with(alice, func(c *CreateTokenCheck) { c.SecureTransport = false }), denied: true, by: "org[0]"},
		{name: "aws:SecureTransport true", stored: docs(denyPlainHTTP), check: alice},
		{name: "lineage:Subject is the client for client_credentials", stored: docs(denyServiceSubject), check: service,
			denied: true, by: "org[0]"},
		{name: "lineage:Subject is the user otherwise", stored: docs(denyServiceSubject),
			check: with(alice, func(c *CreateTokenCheck) { c.ClientID = "ci" })},
		{name: "aws:CurrentTime before the cut-over", stored: docs(denyAfterCutover), check: alice},
		{name: "lineage:Username", check: with(alice, func(c *CreateTokenCheck) { c.UserPolicies = docs(denyLineageUsername) }),
			denied: true, by: "user[0]"},
		{name: "Resource names the client's application", stored: docs(denyWebApplication), check: alice, denied: true, by: "org[0]"},
		{name: "Resource names another application", stored: docs(denyWebApplication), check: service},
		{name: "no user: user keys are missing", stored: docs(denyAliceByUserID, denyLineageUsername), check: service},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDirectory(t, tt.configured, &orgStore{policies: tt.stored}, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
			// Twice: the second decision comes from compiled policies.
			for range 2 {
				got, err := d.DecideCreateToken(context.Background(), tt.check)
				if err != nil {
					t.Fatal(err)
				}
				if got.Allowed == tt.denied {
					t.Fatalf("decision %v, want denied = %v", got, tt.denied)
				}
				if tt.denied && (got.Effect != policy.EffectDeny || got.Policy != tt.by) {
					t.Fatalf("decision %v, want an explicit Deny by %s", got, tt.by)
				}
			}
		})
	}
}

func TestDecideCreateTokenAtTheCutOver(t *testing.T) {
	deny := docs(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"*","Condition":{"NumericGreaterThanEquals":{"aws:EpochTime":"1893456000"}}}]}`)
	check := CreateTokenCheck{ClientID: "web", Username: "alice", GrantType: "refresh_token"}
	before := testDirectory(t, deny, &orgStore{}, time.Unix(1893456000-1, 0))
	if got, err := before.DecideCreateToken(context.Background(), check); err != nil || !got.Allowed {
		t.Fatalf("before: %v %v, want allowed", got, err)
	}
	after := testDirectory(t, deny, &orgStore{}, time.Unix(1893456000, 0))
	if got, err := after.DecideCreateToken(context.Background(), check); err != nil || got.Allowed {
		t.Fatalf("after: %v %v, want denied", got, err)
	}
}

func TestDecideCreateTokenFailsClosed(t *testing.T) {
	check := CreateTokenCheck{ClientID: "web", Username: "alice", GrantType: "authorization_code"}
	down := errors.New("store down")
	d := testDirectory(t, nil, &orgStore{err: down}, time.Now())
	if _, err := d.DecideCreateToken(context.Background(), check); !errors.Is(err, down) {
		t.Fatalf("err = %v, want the store's error", err)
	}
	d = testDirectory(t, nil, &orgStore{}, time.Now())
	check.UserPolicies = docs(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"*","Condition":{"StringEquals":{"aws:nokey":"x"}}}]}`)
	if _, err := d.DecideCreateToken(context.Background(), check); !errors.Is(err, policy.ErrInvalid) {
		t.Fatalf("err = %v, want a parse error for a stored policy that does not parse", err)
	}
}
