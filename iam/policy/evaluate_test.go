package policy

import (
	"testing"
)

func TestEvaluateOrder(t *testing.T) {
	const (
		denyAllSCP = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyTokens","Effect":"Deny","Action":"sso-oauth:*","Resource":"*"}]}`
		denyHTTP   = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecure","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
		allowSCP   = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowSTS","Effect":"Allow","Action":"sts:*","Resource":"*"}]}`
		sessionAll = `{"Version":"2012-10-17","Statement":[{"Sid":"OnlyCreate","Effect":"Allow","Action":"sso-oauth:CreateTokenWithIAM","Resource":"*"}]}`
	)
	tests := []struct {
		name string
		req  Request
		set  func(t *testing.T) Set
		want Decision
	}{
		{
			name: "no policies: implicit deny",
			req:  Request{Principal: user(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set:  func(t *testing.T) Set { return Set{} },
			want: Decision{Effect: EffectImplicitDeny, Reason: reasonNoAllow},
		},
		{
			name: "identity allow",
			req:  Request{Principal: user(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Identity: policies(t, allow("sso-oauth:*", "*"))}
			},
			want: Decision{Allowed: true, Effect: EffectAllow, Policy: "identity[0]", Statement: "Allow", Reason: reasonIdentity},
		},
		{
			name: "explicit deny in an SCP beats an identity allow",
			req:  Request{Principal: user(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Org: policies(t, denyAllSCP), Identity: policies(t, allow("*", "*"))}
			},
			want: Decision{Effect: EffectDeny, Policy: "org[0]", Statement: "DenyTokens", Reason: reasonExplicitDeny},
		},
		{
			name: "deny-only SCP and identity allow: allowed",
			req:  Request{Principal: user(), Action: ActionCreateTokenWithIAM, Resource: appARN, Context: ctx{KeySecureTransport: {"true"}}},
			set: func(t *testing.T) Set {
				return Set{Org: policies(t, denyHTTP), Identity: policies(t, allow("sso-oauth:*", "*"))}
			},
			want: Decision{Allowed: true, Effect: EffectAllow, Policy: "identity[0]", Statement: "Allow", Reason: reasonIdentity},
		},
		{
			name: "deny-only SCP whose condition holds",
			req:  Request{Principal: user(), Action: ActionCreateTokenWithIAM, Resource: appARN, Context: ctx{KeySecureTransport: {"false"}}},
			set: func(t *testing.T) Set {
				return Set{Org: policies(t, denyHTTP), Identity: policies(t, allow("sso-oauth:*", "*"))}
			},
			want: Decision{Effect: EffectDeny, Policy: "org[0]", Statement: "DenyInsecure", Reason: reasonExplicitDeny},
		},
		{
			name: "an SCP Allow grants nothing by itself",
			req:  Request{Principal: user(), Action: ActionAssumeRole, Resource: roleARN},
			set: func(t *testing.T) Set {
				return Set{Org: policies(t, allowSCP)}
			},
			want: Decision{Effect: EffectImplicitDeny, Reason: reasonNoAllow},
		},
		{
			name: "an SCP without an Allow for the action does not deny it",
			req:  Request{Principal: user(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Org: policies(t, allowSCP), Identity: policies(t, allow("sso-oauth:CreateTokenWithIAM", appARN))}
			},
			want: Decision{Allowed: true, Effect: EffectAllow, Policy: "identity[0]", Statement: "Allow", Reason: reasonIdentity},
		},
		{
			name: "resource policy naming the exact session ARN allows alone",
			req:  Request{Principal: session(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Resource: mustParse(t, grant(`{"AWS":"`+sessionARN+`"}`, ActionCreateTokenWithIAM))}
			},
			want: Decision{Allowed: true, Effect: EffectAllow, Policy: "resource", Statement: "Grant", Reason: reasonResourceExact},
		},
		{
			name: "resource policy naming the exact session ARN passes session policies",
			req:  Request{Principal: session(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Resource: mustParse(t, grant(`{"AWS":"`+sessionARN+`"}`, ActionCreateTokenWithIAM)),
					Session: policies(t, allow("sts:GetCallerIdentity", "*"))}
			},
			want: Decision{Allowed: true, Effect: EffectAllow, Policy: "resource", Statement: "Grant", Reason: reasonResourceExact},
		},
		{
			name: "resource policy naming the role allows its session alone",
			req:  Request{Principal: session(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Resource: mustParse(t, grant(`{"AWS":"`+roleARN+`"}`, ActionCreateTokenWithIAM))}
			},
			want: Decision{Allowed: true, Effect: EffectAllow, Policy: "resource", Statement: "Grant", Reason: reasonResourceBroad},
		},
		{
			name: "resource policy naming the role is narrowed by session policies",
			req:  Request{Principal: session(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Resource: mustParse(t, grant(`{"AWS":"`+roleARN+`"}`, ActionCreateTokenWithIAM)),
					Session: policies(t, allow("sts:GetCallerIdentity", "*"))}
			},
			want: Decision{Effect: EffectImplicitDeny, Reason: reasonSession},
		},
		{
			name: "resource policy naming the role with a path matches the session",
			req:  Request{Principal: session(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Resource: mustParse(t, grant(`{"AWS":"arn:aws:iam::111122223333:role/ci/AppRole"}`, ActionCreateTokenWithIAM))}
			},
			want: Decision{Allowed: true, Effect: EffectAllow, Policy: "resource", Statement: "Grant", Reason: reasonResourceBroad},
		},
		{
			name: "resource policy naming another role",
			req:  Request{Principal: session(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Resource: mustParse(t, grant(`{"AWS":"arn:aws:iam::111122223333:role/AppRole2"}`, ActionCreateTokenWithIAM))}
			},
			want: Decision{Effect: EffectImplicitDeny, Reason: reasonNoAllow},
		},
		{
			name: "resource policy naming the account needs an identity allow",
			req:  Request{Principal: session(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Resource: mustParse(t, grant(`{"AWS":"arn:aws:iam::111122223333:root"}`, ActionCreateTokenWithIAM))}
			},
			want: Decision{Effect: EffectImplicitDeny, Reason: reasonAccountOnly},
		},
		{
			name: "resource policy naming the bare account with an identity allow",
			req:  Request{Principal: session(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Resource: mustParse(t, grant(`{"AWS":"111122223333"}`, ActionCreateTokenWithIAM)),
					Identity: policies(t, allow("sso-oauth:CreateTokenWithIAM", appARN))}
			},
			want: Decision{Allowed: true, Effect: EffectAllow, Policy: "identity[0]", Statement: "Allow", Reason: reasonIdentityAccount},
		},
		{
			name: "resource policy naming another account",
			req:  Request{Principal: session(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Resource: mustParse(t, grant(`{"AWS":"arn:aws:iam::444455556666:root"}`, ActionCreateTokenWithIAM)),
					ResourceRequired: true, Identity: policies(t, allow("sso-oauth:*", "*"))}
			},
			want: Decision{Effect: EffectImplicitDeny, Reason: reasonResourceMissing},
		},
		{
			name: "resource policy Principal star allows alone",
			req:  Request{Principal: user(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Resource: mustParse(t, grant(`"*"`, ActionCreateTokenWithIAM))}
			},
			want: Decision{Allowed: true, Effect: EffectAllow, Policy: "resource", Statement: "Grant", Reason: reasonResourceBroad},
		},
		{
			name: "resource policy statement without Principal names no one",
			req:  Request{Principal: user(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Resource: mustParse(t, allow("sso-oauth:*", "*"))}
			},
			want: Decision{Effect: EffectImplicitDeny, Reason: reasonNoAllow},
		},
		{
			name: "the most specific resource statement decides",
			req:  Request{Principal: session(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Resource: mustParse(t, `{"Version":"2012-10-17","Statement":[
					{"Sid":"Account","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sso-oauth:*","Resource":"*"},
					{"Sid":"Role","Effect":"Allow","Principal":{"AWS":"`+roleARN+`"},"Action":"sso-oauth:*","Resource":"*"},
					{"Sid":"Session","Effect":"Allow","Principal":{"AWS":["`+userARN+`","`+sessionARN+`"]},"Action":"sso-oauth:*","Resource":"*"}]}`)}
			},
			want: Decision{Allowed: true, Effect: EffectAllow, Policy: "resource", Statement: "Session", Reason: reasonResourceExact},
		},
		{
			name: "explicit deny in the resource policy beats its allow",
			req:  Request{Principal: session(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Resource: mustParse(t, `{"Version":"2012-10-17","Statement":[
					{"Sid":"Grant","Effect":"Allow","Principal":{"AWS":"`+sessionARN+`"},"Action":"sso-oauth:*","Resource":"*"},
					{"Sid":"NoRole","Effect":"Deny","Principal":{"AWS":"`+roleARN+`"},"Action":"sso-oauth:CreateTokenWithIAM","Resource":"*"}]}`)}
			},
			want: Decision{Effect: EffectDeny, Policy: "resource", Statement: "NoRole", Reason: reasonExplicitDeny},
		},
		{
			name: "NotPrincipal deny spares the named role's sessions",
			req:  Request{Principal: session(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Resource: mustParse(t, `{"Version":"2012-10-17","Statement":[
					{"Sid":"Grant","Effect":"Allow","Principal":"*","Action":"sso-oauth:*","Resource":"*"},
					{"Sid":"OnlyApp","Effect":"Deny","NotPrincipal":{"AWS":"`+roleARN+`"},"Action":"sso-oauth:*","Resource":"*"}]}`)}
			},
			want: Decision{Allowed: true, Effect: EffectAllow, Policy: "resource", Statement: "Grant", Reason: reasonResourceBroad},
		},
		{
			name: "NotPrincipal deny hits everyone else",
			req:  Request{Principal: user(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Resource: mustParse(t, `{"Version":"2012-10-17","Statement":[
					{"Sid":"Grant","Effect":"Allow","Principal":"*","Action":"sso-oauth:*","Resource":"*"},
					{"Sid":"OnlyApp","Effect":"Deny","NotPrincipal":{"AWS":"`+roleARN+`"},"Action":"sso-oauth:*","Resource":"*"}]}`)}
			},
			want: Decision{Effect: EffectDeny, Policy: "resource", Statement: "OnlyApp", Reason: reasonExplicitDeny},
		},
		{
			name: "session policy narrows an identity allow",
			req:  Request{Principal: session(), Action: ActionIntrospectTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Identity: policies(t, allow("sso-oauth:*", "*")), Session: policies(t, sessionAll)}
			},
			want: Decision{Effect: EffectImplicitDeny, Reason: reasonSession},
		},
		{
			name: "session policy and identity both allow",
			req:  Request{Principal: session(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Identity: policies(t, allow("sso-oauth:*", "*")), Session: policies(t, sessionAll)}
			},
			want: Decision{Allowed: true, Effect: EffectAllow, Policy: "identity[0]", Statement: "Allow", Reason: reasonIdentity},
		},
		{
			name: "session policy alone grants nothing",
			req:  Request{Principal: session(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Session: policies(t, sessionAll)}
			},
			want: Decision{Effect: EffectImplicitDeny, Reason: reasonNoAllow},
		},
		{
			name: "explicit deny in a session policy",
			req:  Request{Principal: session(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Identity: policies(t, allow("sso-oauth:*", "*")), Session: policies(t, sessionAll, deny("*", "*"))}
			},
			want: Decision{Effect: EffectDeny, Policy: "session[1]", Statement: "Deny", Reason: reasonExplicitDeny},
		},
		{
			name: "nil session policies are absent",
			req:  Request{Principal: session(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Identity: policies(t, allow("sso-oauth:*", "*")), Session: []*Policy{nil}}
			},
			want: Decision{Allowed: true, Effect: EffectAllow, Policy: "identity[0]", Statement: "Allow", Reason: reasonIdentity},
		},
		{
			name: "trust policy required: identity allow is not enough",
			req:  Request{Principal: user(), Action: ActionAssumeRole, Resource: roleARN},
			set: func(t *testing.T) Set {
				return Set{Identity: policies(t, allow("sts:AssumeRole", "*")), ResourceRequired: true,
					Resource: mustParse(t, grant(`{"AWS":"arn:aws:iam::111122223333:user/other"}`, ActionAssumeRole))}
			},
			want: Decision{Effect: EffectImplicitDeny, Reason: reasonResourceMissing},
		},
		{
			name: "trust policy naming the user",
			req:  Request{Principal: user(), Action: ActionAssumeRole, Resource: roleARN},
			set: func(t *testing.T) Set {
				return Set{ResourceRequired: true, Resource: mustParse(t, grant(`{"AWS":"`+userARN+`"}`, ActionAssumeRole))}
			},
			want: Decision{Allowed: true, Effect: EffectAllow, Policy: "resource", Statement: "Grant", Reason: reasonResourceExact},
		},
		{
			name: "trust policy naming the account plus identity allow",
			req:  Request{Principal: user(), Action: ActionAssumeRole, Resource: roleARN},
			set: func(t *testing.T) Set {
				return Set{ResourceRequired: true, Resource: mustParse(t, grant(`{"AWS":"arn:aws:iam::111122223333:root"}`, ActionAssumeRole)),
					Identity: policies(t, allow("sts:AssumeRole", roleARN))}
			},
			want: Decision{Allowed: true, Effect: EffectAllow, Policy: "identity[0]", Statement: "Allow", Reason: reasonIdentityAccount},
		},
		{
			name: "cross-account resource needs both allows",
			req:  Request{Principal: user(), Action: ActionAssumeRole, Resource: "arn:aws:iam::444455556666:role/X"},
			set: func(t *testing.T) Set {
				return Set{Resource: mustParse(t, grant(`{"AWS":"`+userARN+`"}`, ActionAssumeRole))}
			},
			want: Decision{Effect: EffectImplicitDeny, Reason: reasonCrossDenied},
		},
		{
			name: "cross-account resource with both allows",
			req:  Request{Principal: user(), Action: ActionAssumeRole, Resource: "arn:aws:iam::444455556666:role/X"},
			set: func(t *testing.T) Set {
				return Set{Resource: mustParse(t, grant(`{"AWS":"`+userARN+`"}`, ActionAssumeRole)),
					Identity: policies(t, allow("sts:AssumeRole", "arn:aws:iam::*:role/*"))}
			},
			want: Decision{Allowed: true, Effect: EffectAllow, Policy: "identity[0]", Statement: "Allow", Reason: reasonCrossAccount},
		},
		{
			name: "deny names the later identity policy",
			req:  Request{Principal: user(), Action: ActionCreateTokenWithIAM, Resource: appARN},
			set: func(t *testing.T) Set {
				return Set{Identity: policies(t, allow("*", "*"), `{"Version":"2012-10-17","Statement":[
					{"Effect":"Allow","Action":"sts:*","Resource":"*"},{"Effect":"Deny","Action":"sso-oauth:Create*","Resource":"*"}]}`)}
			},
			want: Decision{Effect: EffectDeny, Policy: "identity[1]", Statement: "Statement[1]", Reason: reasonExplicitDeny},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Evaluate(tt.req, tt.set(t)); got != tt.want {
				t.Errorf("Evaluate:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestEvaluateDenyOnly(t *testing.T) {
	const (
		denyClient = `{"Version":"2012-10-17","Statement":[{"Sid":"NoCLI","Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"*",
			"Condition":{"StringEquals":{"lineage:ClientId":"cli"}}}]}`
		denyAlias = `{"Version":"5.0","Statement":[{"Sid":"NoTokens","Effect":"Deny","Action":["iamToken::generatePkiToken"],"Resource":["*"]}]}`
		allowOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"*"}]}`
		denyScope = `{"Version":"2012-10-17","Statement":[{"Sid":"NoAdmin","Effect":"Deny","Action":"sso-oauth:CreateToken","Resource":"*",
			"Condition":{"ForAnyValue:StringEquals":{"lineage:Scope":"admin"}}}]}`
	)
	tests := []struct {
		name string
		req  Request
		docs []string
		want Decision
	}{
		{"no policies: allowed", Request{}, nil,
			Decision{Allowed: true, Effect: EffectAllow, Reason: reasonNoDeny}},
		{"nothing needs an Allow", Request{}, []string{allowOnly},
			Decision{Allowed: true, Effect: EffectAllow, Reason: reasonNoDeny}},
		{"deny for one client", Request{Context: ctx{KeyClientID: {"cli"}}}, []string{allowOnly, denyClient},
			Decision{Effect: EffectDeny, Policy: "policies[1]", Statement: "NoCLI", Reason: reasonExplicitDeny}},
		{"deny for one client spares another", Request{Context: ctx{KeyClientID: {"web"}}}, []string{denyClient},
			Decision{Allowed: true, Effect: EffectAllow, Reason: reasonNoDeny}},
		{"Huawei alias denies CreateToken", Request{}, []string{denyAlias},
			Decision{Effect: EffectDeny, Policy: "policies[0]", Statement: "NoTokens", Reason: reasonExplicitDeny}},
		{"deny by scope", Request{Context: ctx{KeyScope: {"openid", "admin"}}}, []string{denyScope},
			Decision{Effect: EffectDeny, Policy: "policies[0]", Statement: "NoAdmin", Reason: reasonExplicitDeny}},
		{"deny by scope spares others", Request{Context: ctx{KeyScope: {"openid"}}}, []string{denyScope},
			Decision{Allowed: true, Effect: EffectAllow, Reason: reasonNoDeny}},
		{"deny all tokens for the account", Request{}, []string{deny("sso-oauth:*", "*")},
			Decision{Effect: EffectDeny, Policy: "policies[0]", Statement: "Deny", Reason: reasonExplicitDeny}},
		{"other action", Request{Action: ActionCreateTokenWithIAM}, []string{deny("sso-oauth:CreateToken", "*")},
			Decision{Allowed: true, Effect: EffectAllow, Reason: reasonNoDeny}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EvaluateDenyOnly(tt.req, policies(t, tt.docs...)...); got != tt.want {
				t.Errorf("EvaluateDenyOnly:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestMatching covers action, resource and principal matching through
// Evaluate: each case is an identity policy (or, with principal set, a
// resource policy) that should or should not allow.
func TestMatching(t *testing.T) {
	tests := []struct {
		name      string
		action    string // in the policy
		resource  string // in the policy
		principal string // resource policy Principal element; "" for an identity policy
		req       Request
		want      bool
	}{
		{"action exact", "sso-oauth:CreateTokenWithIAM", "*", "", Request{Action: ActionCreateTokenWithIAM}, true},
		{"action case-insensitive", "SSO-OAUTH:createtokenwithiam", "*", "", Request{Action: ActionCreateTokenWithIAM}, true},
		{"action star", "sso-oauth:*", "*", "", Request{Action: ActionRevokeTokenWithIAM}, true},
		{"action star prefix", "sso-oauth:Create*", "*", "", Request{Action: ActionIntrospectTokenWithIAM}, false},
		{"action question mark", "sts:?ssumeRole", "*", "", Request{Action: ActionAssumeRole}, true},
		{"action other service", "sts:*", "*", "", Request{Action: ActionCreateToken}, false},
		{"action everything", "*", "*", "", Request{Action: ActionGetCallerIdentity}, true},
		{"alias in policy, canonical request", "iamToken::generatePkiToken", "*", "", Request{Action: ActionCreateToken}, true},
		{"canonical in policy, alias request", "sso-oauth:CreateToken", "*", "", Request{Action: AliasGeneratePkiToken}, true},
		{"alias of introspection", "iamToken::validatePkiToken", "*", "", Request{Action: ActionIntrospectTokenWithIAM}, true},
		{"alias request, star policy", "sso-oauth:*", "*", "", Request{Action: AliasValidatePkiToken}, true},
		{"alias wildcard", "iamToken::*", "*", "", Request{Action: ActionCreateToken}, true},
		{"alias wildcard, unaliased action", "iamToken::*", "*", "", Request{Action: ActionRevokeTokenWithIAM}, false},
		{"alias is not another action", "iamToken::generatePkiToken", "*", "", Request{Action: ActionCreateTokenWithIAM}, false},

		{"resource star", "*", "*", "", Request{Resource: appARN}, true},
		{"resource exact", "*", appARN, "", Request{Resource: appARN}, true},
		{"resource case-sensitive", "*", "arn:aws:sso::111122223333:application/ssoins-1/APL-WEB", "", Request{Resource: appARN}, false},
		{"resource wildcard", "*", "arn:aws:sso::*:application/*", "", Request{Resource: appARN}, true},
		{"resource question mark", "*", "arn:aws:sso::111122223333:application/ssoins-?/apl-web", "", Request{Resource: appARN}, true},
		{"resource star stays in its segment", "*", "arn:aws:sso::*:apl-web", "", Request{Resource: "arn:aws:sso::1:application:apl-web"}, false},
		{"resource not an ARN", "*", "arn:aws:sso::*:*", "", Request{Resource: "application/apl-web"}, false},
		{"resource variable", "*", "arn:aws:iam::111122223333:user/${aws:username}", "", Request{Principal: user(), Resource: userARN}, true},
		{"resource variable other user", "*", "arn:aws:iam::111122223333:user/${aws:username}", "",
			Request{Principal: user(), Resource: "arn:aws:iam::111122223333:user/other"}, false},
		{"resource variable value star is literal", "*", "arn:aws:sso::111122223333:application/${aws:username}", "",
			Request{Principal: Principal{ARN: userARN, Username: "*"}, Resource: appARN}, false},
		{"resource variable value star matches itself", "*", "arn:aws:sso::111122223333:application/${aws:username}", "",
			Request{Principal: Principal{ARN: userARN, Username: "*"}, Resource: "arn:aws:sso::111122223333:application/*"}, true},
		{"resource variable unresolved", "*", "arn:aws:sso::111122223333:application/${aws:username}/*", "",
			Request{Principal: session(), Resource: appARN}, false},
		{"resource variable with wildcard after", "*", "arn:aws:sso::${aws:PrincipalAccount}:application/*", "",
			Request{Principal: session(), Resource: appARN}, true},

		{"principal star", "*", "*", `"*"`, Request{Principal: user()}, true},
		{"principal AWS star", "*", "*", `{"AWS":"*"}`, Request{Principal: user()}, true},
		{"principal user", "*", "*", `{"AWS":"` + userARN + `"}`, Request{Principal: user()}, true},
		{"principal list", "*", "*", `{"AWS":["` + roleARN + `","` + userARN + `"]}`, Request{Principal: user()}, true},
		{"principal other user", "*", "*", `{"AWS":"arn:aws:iam::111122223333:user/other"}`, Request{Principal: user()}, false},
		{"principal role matches session", "*", "*", `{"AWS":"` + roleARN + `"}`, Request{Principal: session()}, true},
		{"principal role other partition", "*", "*", `{"AWS":"arn:aws-cn:iam::111122223333:role/AppRole"}`, Request{Principal: session()}, false},
		{"principal role does not match user", "*", "*", `{"AWS":"arn:aws:iam::111122223333:role/deployer"}`, Request{Principal: user()}, false},
		{"principal role name is exact", "*", "*", `{"AWS":"arn:aws:iam::111122223333:role/App"}`, Request{Principal: session()}, false},
		{"principal session", "*", "*", `{"AWS":"` + sessionARN + `"}`, Request{Principal: session()}, true},
		{"principal other session", "*", "*", `{"AWS":"arn:aws:sts::111122223333:assumed-role/AppRole/other"}`, Request{Principal: session()}, false},
		{"principal account root", "*", "*", `{"AWS":"arn:aws:iam::111122223333:root"}`, Request{Principal: session()}, false}, // needs identity allow
		{"principal wildcard session", "*", "*", `{"AWS":"arn:aws:sts::111122223333:assumed-role/AppRole/*"}`, Request{Principal: session()}, true},
		{"principal wildcard role", "*", "*", `{"AWS":"arn:aws:iam::111122223333:role/App*"}`, Request{Principal: session()}, true},
		{"principal service", "*", "*", `{"Service":"sso.amazonaws.com"}`, Request{Principal: user()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			if req.Principal == (Principal{}) {
				req.Principal = user()
			}
			if req.Action == "" {
				req.Action = ActionCreateTokenWithIAM
			}
			if req.Resource == "" {
				req.Resource = appARN
			}
			var set Set
			if tt.principal == "" {
				set.Identity = policies(t, allow(tt.action, tt.resource))
			} else {
				set.Resource = mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":`+tt.principal+
					`,"Action":"`+tt.action+`","Resource":"`+tt.resource+`"}]}`)
			}
			if got := Evaluate(req, set); got.Allowed != tt.want {
				t.Errorf("allowed = %v, want %v (%s)", got.Allowed, tt.want, got)
			}
		})
	}
}

func TestMatchTokens(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything", true},
		{"a*", "a", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"*ab*ab", "xabyabab", true},
		{"??", "é€", true},
		{"?", "", false},
		{"a**b", "ab", true},
		{"a?c*", "abcdef", true},
	}
	for _, tt := range tests {
		toks, _, _ := tokenize(tt.pattern, tokenizeOptions{wildcards: true})
		if got := matchTokens(toks, tt.s, false, nil); got != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestHuaweiPolicies(t *testing.T) {
	const doc = `{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["iamToken::generatePkiToken","sts:tokens:assume"],
		"Resource":["iam:*:*:application:web*"],"Condition":{"StringEquals":{"g:UserName":["deployer"]}}}]}`
	p := mustParse(t, doc)
	tests := []struct {
		name string
		req  Request
		want bool
	}{
		{"alias action, URN resource", Request{Principal: user(), Action: ActionCreateToken, Resource: "iam::111122223333:application:web"}, true},
		{"service:resource:action", Request{Principal: user(), Action: "sts:tokens:assume", Resource: "iam::111122223333:application:web2"}, true},
		{"other resource", Request{Principal: user(), Action: ActionCreateToken, Resource: "iam::111122223333:application:cli"}, false},
		{"other user", Request{Principal: Principal{ARN: userARN, Username: "bob"}, Action: ActionCreateToken, Resource: "iam::111122223333:application:web"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Evaluate(tt.req, Set{Identity: []*Policy{p}}); got.Allowed != tt.want {
				t.Errorf("allowed = %v, want %v (%s)", got.Allowed, tt.want, got)
			}
		})
	}
}

func TestDecisionString(t *testing.T) {
	d := Decision{Effect: EffectDeny, Policy: "org[0]", Statement: "DenyAll", Reason: reasonExplicitDeny}
	if got, want := d.String(), "Deny by org[0] DenyAll: explicit deny"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	d = Decision{Effect: EffectImplicitDeny, Reason: reasonNoAllow}
	if got, want := d.String(), "ImplicitDeny: implicit deny: no policy allows the request"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestPolicyLabels(t *testing.T) {
	for i, want := range []string{"org[0]", "org[9]", "org[10]"} {
		n := []int{0, 9, 10}[i]
		if got := policyLabel(orgLabels, "org", n); got != want {
			t.Errorf("policyLabel(org, %d) = %q, want %q", n, got, want)
		}
	}
	if got := policyLabel(identityLabels, "identity", 7); got != "identity[7]" {
		t.Errorf("policyLabel(identity, 7) = %q", got)
	}
	if got := policyLabel(sessionLabels, "session", 3); got != "session[3]" {
		t.Errorf("policyLabel(session, 3) = %q", got)
	}
	if got := policyLabel(policiesLabels, "policies", 5); got != "policies[5]" {
		t.Errorf("policyLabel(policies, 5) = %q", got)
	}
}
