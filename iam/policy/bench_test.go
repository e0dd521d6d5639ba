package policy

import (
	"maps"
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

// tenStatementSet is a Set of 10 statements — an org guardrail of 2, two
// identity policies of 3 each and a resource policy of 2 — in which the
// request is decided by the last statement Evaluate looks at: the deny
// pass reads every Deny, the resource policy names only the account (so it
// delegates), and the first 2 statements of identity[1] do not apply. The
// deciding statement uses wildcards in Action and Resource, a policy
// variable, ForAnyValue:StringLike on the multi-valued lineage:Scope and
// IpAddress on aws:SourceIp.
func tenStatementSet(b testing.TB) (Request, Set) {
	org := policies(b, `{"Version":"2012-10-17","Statement":[
		{"Sid":"DenyInsecureTransport","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},
		{"Sid":"RevokeOlderSessions","Effect":"Deny","Action":"sso-oauth:*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2024-06-01T00:00:00Z"}}}]}`)
	identity := policies(b,
		`{"Version":"2012-10-17","Statement":[
		{"Sid":"NoRevoke","Effect":"Deny","Action":"sso-oauth:Revoke*","Resource":"*"},
		{"Sid":"AssumeAppRoles","Effect":"Allow","Action":"sts:*","Resource":"arn:aws:iam::${aws:PrincipalAccount}:role/App*"},
		{"Sid":"Introspect","Effect":"Allow","Action":"sso-oauth:Introspect*","Resource":"arn:aws:sso::${aws:PrincipalAccount}:application/*"}]}`,
		`{"Version":"2012-10-17","Statement":[
		{"Sid":"NoLegacyClients","Effect":"Deny","Action":"sso-oauth:*","Resource":"*","Condition":{"StringLike":{"lineage:ClientId":"legacy-*"}}},
		{"Sid":"AdminApps","Effect":"Allow","Action":"sso-oauth:CreateToken*","Resource":"arn:aws:sso::${aws:PrincipalAccount}:application/*/apl-admin"},
		{"Sid":"AppTokensFromTheOffice","Effect":"Allow","Action":"sso-oauth:CreateToken*",
		 "Resource":"arn:aws:sso::${aws:PrincipalAccount}:application/ssoins-*/apl-*",
		 "Condition":{"ForAnyValue:StringLike":{"lineage:Scope":["write:*","read:*"]},"IpAddress":{"aws:SourceIp":["192.0.2.0/24","10.0.0.0/8"]}}}]}`)
	actor := mustParse(b, `{"Version":"2012-10-17","Statement":[
		{"Sid":"Deployer","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/deployer"},"Action":"sso-oauth:*","Resource":"*"},
		{"Sid":"Account","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sso-oauth:CreateTokenWithIAM","Resource":"*",
		 "Condition":{"StringEquals":{"lineage:ClientId":"web"}}}]}`)
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
			KeyScope:           {"openid", "profile", "read:orders"},
		},
	}
	set := Set{Org: org, Identity: identity, Resource: actor}
	n := 0
	for _, p := range append(append(set.Org, set.Identity...), set.Resource) {
		n += p.Len()
	}
	if n != 10 {
		b.Fatalf("the set holds %d statements, want 10", n)
	}
	return req, set
}

func BenchmarkEvaluateTenStatements(b *testing.B) {
	req, set := tenStatementSet(b)
	if d := Evaluate(req, set); !d.Allowed || d.Policy != "identity[1]" || d.Statement != "AppTokensFromTheOffice" {
		b.Fatalf("ten statements: %s", d)
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
	req, set = tenStatementSet(t)
	if n := testing.AllocsPerRun(100, func() { Evaluate(req, set) }); n != 0 {
		t.Errorf("Evaluate of ten statements allocates %v times per call, want 0", n)
	}
}

// TestTenStatementSet pins what BenchmarkEvaluateTenStatements measures:
// the last statement decides, and each condition of it matters.
func TestTenStatementSet(t *testing.T) {
	req, set := tenStatementSet(t)
	if d := Evaluate(req, set); !d.Allowed || d.Policy != "identity[1]" || d.Statement != "AppTokensFromTheOffice" ||
		d.Reason != reasonIdentityAccount {
		t.Fatalf("decision: %s", d)
	}
	for name, change := range map[string]func(r *Request){
		"no read or write scope":  func(r *Request) { r.Context[KeyScope] = []string{"openid", "profile"} },
		"outside the office":      func(r *Request) { r.Context[KeySourceIP] = []string{"198.51.100.7"} },
		"another account's app":   func(r *Request) { r.Resource = "arn:aws:sso::444455556666:application/ssoins-1/apl-web" },
		"not an application":      func(r *Request) { r.Resource = "arn:aws:sso::111122223333:instance/ssoins-1" },
		"another action":          func(r *Request) { r.Action = ActionRevokeTokenWithIAM },
		"a legacy client":         func(r *Request) { r.Context[KeyClientID] = []string{"legacy-cli"} },
		"an older session":        func(r *Request) { r.Context[KeyTokenIssueTime] = []string{"2024-01-01T00:00:00Z"} },
		"another account's agent": func(r *Request) { r.Principal = Principal{ARN: "arn:aws:sts::444455556666:assumed-role/AppRole/x"} },
	} {
		r := req
		r.Context = maps.Clone(req.Context)
		change(&r)
		if d := Evaluate(r, set); d.Allowed {
			t.Errorf("%s: %s", name, d)
		}
	}
}
