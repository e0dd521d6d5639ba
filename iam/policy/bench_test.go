package policy

import (
	"testing"
)

// typicalSet is what the issuer evaluates for CreateTokenWithIAM by a role
// session: two guardrails, the role's policy, the application's
// ActorPolicy.
func typicalSet(b testing.TB) (Request, Set) {
	org := policies(b,
		`{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"Perimeter","Effect":"Deny","Action":"sso-oauth:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}},
			{"Sid":"RevokeOlderSessions","Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2024-06-01T00:00:00Z"}}}]}`)
	identity := policies(b, `{"Version":"2012-10-17","Statement":[{"Sid":"Tokens","Effect":"Allow","Action":["sso-oauth:CreateTokenWithIAM","sso-oauth:IntrospectTokenWithIAM"],
		"Resource":"arn:aws:sso::${aws:PrincipalAccount}:application/*"}]}`)
	actor := mustParse(b, `{"Version":"2012-10-17","Statement":[
		{"Sid":"Deployer","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/deployer"},"Action":"sso-oauth:*","Resource":"*"},
		{"Sid":"AppRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/AppRole"},"Action":["sso-oauth:CreateTokenWithIAM","sso-oauth:IntrospectTokenWithIAM"],
		 "Resource":"*","Condition":{"StringEquals":{"lineage:ClientId":"web"},"ForAllValues:StringLike":{"lineage:Scope":["openid","read:*"]}}}]}`)
	req := Request{
		Principal: Principal{ARN: sessionARN, RoleARN: roleARN, UserID: "AROAEXAMPLEAPPROLE:build-42"},
		Action:    ActionCreateTokenWithIAM,
		Resource:  appARN,
		Time:      testTime,
		Context: map[string][]string{
			KeySecureTransport: {"true"},
			KeySourceIP:        {"10.20.30.40"},
			KeyTokenIssueTime:  {"2024-12-31T23:00:00Z"},
			KeyClientID:        {"web"},
			KeyGrantType:       {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
			KeyScope:           {"openid", "read:orders"},
		},
	}
	return req, Set{Org: org, Identity: identity, Resource: actor, ResourceRequired: true}
}

func BenchmarkEvaluate(b *testing.B) {
	req, set := typicalSet(b)
	if d := Evaluate(req, set); !d.Allowed || d.Statement != "AppRole" {
		b.Fatalf("typical request: %s", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(req, set)
	}
}

func BenchmarkEvaluateDenyOnly(b *testing.B) {
	req, set := typicalSet(b)
	req.Action = ""
	req.Principal = Principal{}
	if d := EvaluateDenyOnly(req, set.Org...); !d.Allowed {
		b.Fatalf("standard grant: %s", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		EvaluateDenyOnly(req, set.Org...)
	}
}

func BenchmarkParse(b *testing.B) {
	doc := []byte(`{"Version":"2012-10-17","Statement":[
		{"Sid":"Deployer","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/deployer"},"Action":"sso-oauth:*","Resource":"*"},
		{"Sid":"AppRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/AppRole"},"Action":["sso-oauth:CreateTokenWithIAM","sso-oauth:IntrospectTokenWithIAM"],
		 "Resource":"*","Condition":{"StringEquals":{"lineage:ClientId":"web"},"ForAllValues:StringLike":{"lineage:Scope":["openid","read:*"]}}}]}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEvaluateAllocations guards the issuer's hot path: a typical
// evaluation (no time formatting, no role ARN to build) allocates nothing.
func TestEvaluateAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation count")
	}
	req, set := typicalSet(t)
	if n := testing.AllocsPerRun(100, func() { Evaluate(req, set) }); n != 0 {
		t.Errorf("Evaluate allocates %v times per call, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { EvaluateDenyOnly(req, set.Org...) }); n != 0 {
		t.Errorf("EvaluateDenyOnly allocates %v times per call, want 0", n)
	}
}
