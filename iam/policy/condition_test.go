package policy

import (
	"testing"
	"time"
)

// condAllows evaluates an identity policy allowing everything under cond
// for a request by the user deployer at testTime.
func condAllows(t *testing.T, cond string, p Principal, ctx map[string][]string) bool {
	t.Helper()
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + cond + `}}`
	pol := mustParse(t, doc)
	d := Evaluate(Request{Principal: p, Action: ActionCreateTokenWithIAM, Resource: appARN, Time: testTime, Context: ctx},
		Set{Identity: []*Policy{pol}})
	return d.Allowed
}

type ctx = map[string][]string

func TestConditionOperators(t *testing.T) {
	tests := []struct {
		name string
		cond string
		p    Principal // zero: user()
		ctx  ctx
		want bool
	}{
		// String operators.
		{"StringEquals match", `{"StringEquals":{"lineage:ClientId":"web"}}`, Principal{}, ctx{KeyClientID: {"web"}}, true},
		{"StringEquals is case-sensitive", `{"StringEquals":{"lineage:ClientId":"web"}}`, Principal{}, ctx{KeyClientID: {"Web"}}, false},
		{"StringEquals values are OR'd", `{"StringEquals":{"lineage:ClientId":["cli","web"]}}`, Principal{}, ctx{KeyClientID: {"web"}}, true},
		{"StringEquals missing key is false", `{"StringEquals":{"lineage:ClientId":"web"}}`, Principal{}, nil, false},
		{"StringEquals empty list is missing", `{"StringEquals":{"lineage:ClientId":"web"}}`, Principal{}, ctx{KeyClientID: {}}, false},
		{"StringEquals star is literal", `{"StringEquals":{"lineage:ClientId":"w*"}}`, Principal{}, ctx{KeyClientID: {"web"}}, false},
		{"StringNotEquals other value", `{"StringNotEquals":{"lineage:ClientId":"web"}}`, Principal{}, ctx{KeyClientID: {"cli"}}, true},
		{"StringNotEquals same value", `{"StringNotEquals":{"lineage:ClientId":"web"}}`, Principal{}, ctx{KeyClientID: {"web"}}, false},
		{"StringNotEquals missing key is true", `{"StringNotEquals":{"lineage:ClientId":"web"}}`, Principal{}, nil, true},
		{"StringNotEquals values are NOR'd", `{"StringNotEquals":{"lineage:ClientId":["cli","web"]}}`, Principal{}, ctx{KeyClientID: {"web"}}, false},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"lineage:ClientId":"WEB"}}`, Principal{}, ctx{KeyClientID: {"web"}}, true},
		{"StringEqualsIgnoreCase mismatch", `{"StringEqualsIgnoreCase":{"lineage:ClientId":"WEB"}}`, Principal{}, ctx{KeyClientID: {"webs"}}, false},
		{"StringNotEqualsIgnoreCase same", `{"StringNotEqualsIgnoreCase":{"lineage:ClientId":"WEB"}}`, Principal{}, ctx{KeyClientID: {"web"}}, false},
		{"StringNotEqualsIgnoreCase missing", `{"StringNotEqualsIgnoreCase":{"lineage:ClientId":"WEB"}}`, Principal{}, nil, true},
		{"StringLike star", `{"StringLike":{"lineage:ClientId":"we*"}}`, Principal{}, ctx{KeyClientID: {"web"}}, true},
		{"StringLike question mark", `{"StringLike":{"lineage:ClientId":"w?b"}}`, Principal{}, ctx{KeyClientID: {"web"}}, true},
		{"StringLike question mark needs a character", `{"StringLike":{"lineage:ClientId":"w?b"}}`, Principal{}, ctx{KeyClientID: {"wb"}}, false},
		{"StringLike question mark is one rune", `{"StringLike":{"lineage:ClientId":"w?b"}}`, Principal{}, ctx{KeyClientID: {"wéb"}}, true},
		{"StringLike star spans slashes", `{"StringLike":{"lineage:Subject":"team/*"}}`, Principal{}, ctx{KeySubject: {"team/a/b"}}, true},
		{"StringLike missing", `{"StringLike":{"lineage:ClientId":"*"}}`, Principal{}, nil, false},
		{"StringNotLike match", `{"StringNotLike":{"lineage:ClientId":"we*"}}`, Principal{}, ctx{KeyClientID: {"web"}}, false},
		{"StringNotLike no match", `{"StringNotLike":{"lineage:ClientId":"x*"}}`, Principal{}, ctx{KeyClientID: {"web"}}, true},
		{"StringNotLike missing", `{"StringNotLike":{"lineage:ClientId":"x*"}}`, Principal{}, nil, true},
		{"StringEqualsIfExists missing", `{"StringEqualsIfExists":{"lineage:ClientId":"web"}}`, Principal{}, nil, true},
		{"StringEqualsIfExists present mismatch", `{"StringEqualsIfExists":{"lineage:ClientId":"web"}}`, Principal{}, ctx{KeyClientID: {"cli"}}, false},
		{"StringNotLikeIfExists present match", `{"StringNotLikeIfExists":{"lineage:ClientId":"w*"}}`, Principal{}, ctx{KeyClientID: {"web"}}, false},
		{"key names are case-insensitive", `{"StringEquals":{"LINEAGE:clientid":"web"}}`, Principal{}, ctx{KeyClientID: {"web"}}, true},
		{"context names are case-insensitive", `{"StringEquals":{"lineage:ClientId":"web"}}`, Principal{}, ctx{"Lineage:CLIENTID": {"web"}}, true},
		{"aws:username from Principal", `{"StringEquals":{"aws:username":"deployer"}}`, Principal{}, nil, true},
		{"aws:username absent for a session", `{"StringEquals":{"aws:username":"deployer"}}`, session(), nil, false},
		{"aws:userid of a session", `{"StringLike":{"aws:userid":"AROA*:build-42"}}`, session(), nil, true},
		{"aws:PrincipalAccount from the ARN", `{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`, Principal{}, nil, true},
		{"Principal wins over Context", `{"StringEquals":{"aws:username":"mallory"}}`, Principal{}, ctx{KeyUsername: {"mallory"}}, false},
		{"Huawei g:UserName", `{"StringEquals":{"g:UserName":"deployer"}}`, Principal{}, nil, true},
		{"Huawei g:DomainId", `{"StringEquals":{"g:DomainId":"111122223333"}}`, Principal{}, nil, true},
		{"Huawei g:UserId", `{"StringEquals":{"g:UserId":"AIDAEXAMPLEDEPLOYER"}}`, Principal{}, nil, true},
		{"Huawei g:PrincipalUrn", `{"StringEquals":{"g:PrincipalUrn":"` + roleARN + `"}}`, session(), nil, true},
		{"other prefix from Context", `{"StringEquals":{"sts:ExternalId":"x-1"}}`, Principal{}, ctx{"sts:ExternalId": {"x-1"}}, true},

		// Numeric operators.
		{"NumericEquals decimal forms", `{"NumericEquals":{"test:n":"5"}}`, Principal{}, ctx{"test:n": {"5.0"}}, true},
		{"NumericEquals JSON number", `{"NumericEquals":{"test:n":5}}`, Principal{}, ctx{"test:n": {"005"}}, true},
		{"NumericEquals mismatch", `{"NumericEquals":{"test:n":"5"}}`, Principal{}, ctx{"test:n": {"5.01"}}, false},
		{"NumericEquals not a number", `{"NumericEquals":{"test:n":"5"}}`, Principal{}, ctx{"test:n": {"five"}}, false},
		{"NumericEquals exact beyond float64", `{"NumericEquals":{"test:n":"9007199254740993"}}`, Principal{}, ctx{"test:n": {"9007199254740992"}}, false},
		{"NumericNotEquals other", `{"NumericNotEquals":{"test:n":"5"}}`, Principal{}, ctx{"test:n": {"6"}}, true},
		{"NumericNotEquals same", `{"NumericNotEquals":{"test:n":"5"}}`, Principal{}, ctx{"test:n": {"5"}}, false},
		{"NumericNotEquals missing", `{"NumericNotEquals":{"test:n":"5"}}`, Principal{}, nil, true},
		{"NumericLessThan", `{"NumericLessThan":{"test:n":"10"}}`, Principal{}, ctx{"test:n": {"9.99"}}, true},
		{"NumericLessThan equal", `{"NumericLessThan":{"test:n":"10"}}`, Principal{}, ctx{"test:n": {"10"}}, false},
		{"NumericLessThanEquals equal", `{"NumericLessThanEquals":{"test:n":"10"}}`, Principal{}, ctx{"test:n": {"10"}}, true},
		{"NumericGreaterThan negative", `{"NumericGreaterThan":{"test:n":"-1"}}`, Principal{}, ctx{"test:n": {"-0.5"}}, true},
		{"NumericGreaterThan negative smaller", `{"NumericGreaterThan":{"test:n":"-1"}}`, Principal{}, ctx{"test:n": {"-2"}}, false},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"test:n":"1.5"}}`, Principal{}, ctx{"test:n": {"1.50"}}, true},
		{"NumericLessThan missing", `{"NumericLessThan":{"test:n":"10"}}`, Principal{}, nil, false},
		{"NumericLessThanIfExists missing", `{"NumericLessThanIfExists":{"test:n":"10"}}`, Principal{}, nil, true},
		{"NumericLessThan aws:EpochTime", `{"NumericLessThan":{"aws:EpochTime":"1735689601"}}`, Principal{}, nil, true},
		{"NumericGreaterThan aws:EpochTime", `{"NumericGreaterThan":{"aws:EpochTime":"1735689600"}}`, Principal{}, nil, false},

		// Date operators.
		{"DateLessThan aws:CurrentTime", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`, Principal{}, nil, true},
		{"DateGreaterThan aws:CurrentTime", `{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`, Principal{}, nil, false},
		{"DateEquals epoch policy value", `{"DateEquals":{"aws:CurrentTime":"1735689600"}}`, Principal{}, nil, true},
		{"DateEquals zone offset", `{"DateEquals":{"aws:CurrentTime":"2025-01-01T01:00:00+01:00"}}`, Principal{}, nil, true},
		{"DateEquals date only", `{"DateEquals":{"aws:CurrentTime":"2025-01-01"}}`, Principal{}, nil, true},
		{"DateEquals minutes", `{"DateEquals":{"aws:CurrentTime":"2025-01-01T00:00Z"}}`, Principal{}, nil, true},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2025-01-02"}}`, Principal{}, nil, true},
		{"DateNotEquals same", `{"DateNotEquals":{"aws:CurrentTime":"2025-01-01T00:00:00.000Z"}}`, Principal{}, nil, false},
		{"DateLessThanEquals boundary", `{"DateLessThanEquals":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}}`, Principal{}, nil, true},
		{"DateGreaterThanEquals boundary", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2025"}}`, Principal{}, nil, true},
		{"Date on aws:EpochTime", `{"DateLessThan":{"aws:EpochTime":"2025-06-01T00:00:00Z"}}`, Principal{}, nil, true},
		{"aws:TokenIssueTime from Context", `{"DateGreaterThan":{"aws:TokenIssueTime":"2024-06-01T00:00:00Z"}}`, session(), ctx{KeyTokenIssueTime: {"2024-06-01T12:00:00Z"}}, true},
		{"aws:TokenIssueTime as epoch", `{"DateGreaterThan":{"aws:TokenIssueTime":"2024-06-01T00:00:00Z"}}`, session(), ctx{KeyTokenIssueTime: {"1717243200"}}, true},
		{"aws:TokenIssueTime missing", `{"DateGreaterThan":{"aws:TokenIssueTime":"2024-06-01T00:00:00Z"}}`, Principal{}, nil, false},
		{"DateGreaterThanIfExists missing", `{"DateGreaterThanIfExists":{"aws:TokenIssueTime":"2024-06-01T00:00:00Z"}}`, Principal{}, nil, true},
		{"Date bad context value", `{"DateGreaterThan":{"aws:TokenIssueTime":"2024-06-01T00:00:00Z"}}`, session(), ctx{KeyTokenIssueTime: {"yesterday"}}, false},
		{"aws:CurrentTime from Context when Time is zero", `{"StringLike":{"aws:CurrentTime":"2025-01-01T*"}}`, Principal{}, nil, true},

		// Bool.
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, Principal{}, ctx{KeySecureTransport: {"true"}}, true},
		{"Bool mismatch", `{"Bool":{"aws:SecureTransport":"true"}}`, Principal{}, ctx{KeySecureTransport: {"false"}}, false},
		{"Bool JSON literal", `{"Bool":{"aws:SecureTransport":false}}`, Principal{}, ctx{KeySecureTransport: {"false"}}, true},
		{"Bool case-insensitive", `{"Bool":{"aws:SecureTransport":"TRUE"}}`, Principal{}, ctx{KeySecureTransport: {"true"}}, true},
		{"Bool missing", `{"Bool":{"aws:SecureTransport":"false"}}`, Principal{}, nil, false},
		{"BoolIfExists missing", `{"BoolIfExists":{"aws:SecureTransport":"false"}}`, Principal{}, nil, true},

		// BinaryEquals.
		{"BinaryEquals", `{"BinaryEquals":{"test:b":"QmluYXJ5"}}`, Principal{}, ctx{"test:b": {"QmluYXJ5"}}, true},
		{"BinaryEquals mismatch", `{"BinaryEquals":{"test:b":"QmluYXJ5"}}`, Principal{}, ctx{"test:b": {"QmluYXJ6"}}, false},
		{"BinaryEquals missing", `{"BinaryEquals":{"test:b":"QmluYXJ5"}}`, Principal{}, nil, false},
		{"BinaryEqualsIfExists missing", `{"BinaryEqualsIfExists":{"test:b":"QmluYXJ5"}}`, Principal{}, nil, true},

		// IP addresses.
		{"IpAddress IPv4 CIDR", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, Principal{}, ctx{KeySourceIP: {"203.0.113.7"}}, true},
		{"IpAddress outside", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, Principal{}, ctx{KeySourceIP: {"198.51.100.1"}}, false},
		{"IpAddress IPv6 CIDR", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, Principal{}, ctx{KeySourceIP: {"2001:db8:1::5"}}, true},
		{"IpAddress single address", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, Principal{}, ctx{KeySourceIP: {"203.0.113.7"}}, true},
		{"IpAddress single address other", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, Principal{}, ctx{KeySourceIP: {"203.0.113.8"}}, false},
		{"IpAddress IPv4-mapped caller", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, Principal{}, ctx{KeySourceIP: {"::ffff:203.0.113.7"}}, true},
		{"IpAddress list OR'd", `{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]}}`, Principal{}, ctx{KeySourceIP: {"10.1.2.3"}}, true},
		{"IpAddress bad caller address", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, Principal{}, ctx{KeySourceIP: {"not-an-ip"}}, false},
		{"IpAddress missing", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, Principal{}, nil, false},
		{"NotIpAddress outside", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, Principal{}, ctx{KeySourceIP: {"198.51.100.1"}}, true},
		{"NotIpAddress inside", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, Principal{}, ctx{KeySourceIP: {"203.0.113.1"}}, false},
		{"NotIpAddress missing", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, Principal{}, nil, true},
		{"IpAddressIfExists missing", `{"IpAddressIfExists":{"aws:SourceIp":"203.0.113.0/24"}}`, Principal{}, nil, true},

		// ARN operators.
		{"ArnLike role of a session", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/App*"}}`, session(), nil, true},
		{"ArnEquals takes wildcards too", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*:role/AppRole"}}`, session(), nil, true},
		{"ArnEquals exact", `{"ArnEquals":{"aws:PrincipalArn":"` + userARN + `"}}`, Principal{}, nil, true},
		{"ArnLike star stays in its segment", `{"ArnLike":{"test:a":"arn:aws:iam::*:x"}}`, Principal{}, ctx{"test:a": {"arn:aws:iam::a:b:x"}}, false},
		{"ArnLike colons in the resource segment", `{"ArnLike":{"test:a":"arn:aws:iam::a:*x"}}`, Principal{}, ctx{"test:a": {"arn:aws:iam::a:b:x"}}, true},
		{"ArnLike role path from RoleARN", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/ci/*"}}`,
			Principal{ARN: sessionARN, RoleARN: "arn:aws:iam::111122223333:role/ci/AppRole"}, nil, true},
		{"ArnLike any", `{"ArnLike":{"aws:PrincipalArn":"*"}}`, session(), nil, true},
		{"ArnNotLike", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/App*"}}`, session(), nil, false},
		{"ArnNotEquals other", `{"ArnNotEquals":{"aws:PrincipalArn":"` + roleARN + `"}}`, Principal{}, nil, true},
		{"ArnNotLike missing", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:*"}}`, Principal{Account: account}, nil, true},
		{"ArnLike non-ARN value", `{"ArnLike":{"test:a":"arn:aws:iam::*:*"}}`, Principal{}, ctx{"test:a": {"plain"}}, false},

		// Null.
		{"Null true, missing", `{"Null":{"aws:TokenIssueTime":"true"}}`, Principal{}, nil, true},
		{"Null true, present", `{"Null":{"aws:TokenIssueTime":"true"}}`, session(), ctx{KeyTokenIssueTime: {"2024-06-01T12:00:00Z"}}, false},
		{"Null false, present", `{"Null":{"aws:TokenIssueTime":"false"}}`, session(), ctx{KeyTokenIssueTime: {"2024-06-01T12:00:00Z"}}, true},
		{"Null false, missing", `{"Null":{"aws:TokenIssueTime":false}}`, Principal{}, nil, false},
		{"Null of an empty multi-valued key", `{"Null":{"lineage:Scope":"true"}}`, Principal{}, ctx{KeyScope: {}}, true},

		// Set operators on the multi-valued lineage:Scope.
		{"ForAllValues subset", `{"ForAllValues:StringEquals":{"lineage:Scope":["openid","profile"]}}`, Principal{}, ctx{KeyScope: {"openid"}}, true},
		{"ForAllValues not a subset", `{"ForAllValues:StringEquals":{"lineage:Scope":["openid","profile"]}}`, Principal{}, ctx{KeyScope: {"openid", "admin"}}, false},
		{"ForAllValues missing is true", `{"ForAllValues:StringEquals":{"lineage:Scope":["openid"]}}`, Principal{}, nil, true},
		{"ForAllValues empty is true", `{"ForAllValues:StringEquals":{"lineage:Scope":["openid"]}}`, Principal{}, ctx{KeyScope: {}}, true},
		{"ForAllValues negated: none listed", `{"ForAllValues:StringNotEquals":{"lineage:Scope":["admin"]}}`, Principal{}, ctx{KeyScope: {"openid", "profile"}}, true},
		{"ForAllValues negated: one listed", `{"ForAllValues:StringNotEquals":{"lineage:Scope":["admin"]}}`, Principal{}, ctx{KeyScope: {"openid", "admin"}}, false},
		{"ForAllValues StringLike", `{"ForAllValues:StringLike":{"lineage:Scope":["read:*"]}}`, Principal{}, ctx{KeyScope: {"read:a", "read:b"}}, true},
		{"ForAnyValue one matches", `{"ForAnyValue:StringEquals":{"lineage:Scope":"admin"}}`, Principal{}, ctx{KeyScope: {"openid", "admin"}}, true},
		{"ForAnyValue none matches", `{"ForAnyValue:StringEquals":{"lineage:Scope":"admin"}}`, Principal{}, ctx{KeyScope: {"openid"}}, false},
		{"ForAnyValue missing is false", `{"ForAnyValue:StringEquals":{"lineage:Scope":"admin"}}`, Principal{}, nil, false},
		{"ForAnyValue negated: one unlisted", `{"ForAnyValue:StringNotEquals":{"lineage:Scope":"openid"}}`, Principal{}, ctx{KeyScope: {"openid", "admin"}}, true},
		{"ForAnyValue negated: all listed", `{"ForAnyValue:StringNotEquals":{"lineage:Scope":"openid"}}`, Principal{}, ctx{KeyScope: {"openid"}}, false},
		{"ForAnyValue negated missing", `{"ForAnyValue:StringNotEquals":{"lineage:Scope":"openid"}}`, Principal{}, nil, false},
		{"ForAnyValue StringLike", `{"ForAnyValue:StringLike":{"lineage:Scope":"ad*"}}`, Principal{}, ctx{KeyScope: {"openid", "admin"}}, true},
		{"ForAllValues IfExists missing", `{"ForAllValues:StringEqualsIfExists":{"lineage:Scope":"openid"}}`, Principal{}, nil, true},
		{"ForAnyValue IfExists missing", `{"ForAnyValue:StringEqualsIfExists":{"lineage:Scope":"openid"}}`, Principal{}, nil, true},
		{"multi-valued without set operator: any", `{"StringEquals":{"lineage:Scope":"admin"}}`, Principal{}, ctx{KeyScope: {"openid", "admin"}}, true},
		{"multi-valued negated without set operator", `{"StringNotEquals":{"lineage:Scope":"admin"}}`, Principal{}, ctx{KeyScope: {"openid", "admin"}}, false},

		// Keys and operators are AND'd.
		{"two keys both hold", `{"StringEquals":{"lineage:ClientId":"web","lineage:GrantType":"client_credentials"}}`, Principal{},
			ctx{KeyClientID: {"web"}, KeyGrantType: {"client_credentials"}}, true},
		{"two keys one missing", `{"StringEquals":{"lineage:ClientId":"web","lineage:GrantType":"client_credentials"}}`, Principal{},
			ctx{KeyClientID: {"web"}}, false},
		{"two operators both hold", `{"StringEquals":{"lineage:ClientId":"web"},"Bool":{"aws:SecureTransport":"true"}}`, Principal{},
			ctx{KeyClientID: {"web"}, KeySecureTransport: {"true"}}, true},
		{"two operators one fails", `{"StringEquals":{"lineage:ClientId":"web"},"Bool":{"aws:SecureTransport":"true"}}`, Principal{},
			ctx{KeyClientID: {"web"}, KeySecureTransport: {"false"}}, false},
		{"empty Condition", `{}`, Principal{}, nil, true},

		// Policy variables in condition values.
		{"variable in StringEquals", `{"StringEquals":{"lineage:Subject":"${aws:username}"}}`, Principal{}, ctx{KeySubject: {"deployer"}}, true},
		{"variable in StringEquals mismatch", `{"StringEquals":{"lineage:Subject":"${aws:username}"}}`, Principal{}, ctx{KeySubject: {"alice"}}, false},
		{"variable with text around", `{"StringLike":{"lineage:Subject":"user:${aws:username}:*"}}`, Principal{}, ctx{KeySubject: {"user:deployer:1"}}, true},
		{"variable value star is literal", `{"StringLike":{"lineage:Subject":"${aws:username}"}}`,
			Principal{ARN: userARN, Username: "a*"}, ctx{KeySubject: {"abc"}}, false},
		{"variable value star matches itself", `{"StringLike":{"lineage:Subject":"${aws:username}"}}`,
			Principal{ARN: userARN, Username: "a*"}, ctx{KeySubject: {"a*"}}, true},
		{"variable value question mark is literal", `{"StringLike":{"lineage:Subject":"${aws:username}x"}}`,
			Principal{ARN: userARN, Username: "a?"}, ctx{KeySubject: {"abx"}}, false},
		{"variable in StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"lineage:Subject":"${aws:username}"}}`, Principal{}, ctx{KeySubject: {"DEPLOYER"}}, true},
		{"unresolved variable: statement does not apply", `{"StringNotEquals":{"lineage:Subject":"${aws:username}"}}`, session(), ctx{KeySubject: {"x"}}, false},
		{"variable default", `{"StringEquals":{"lineage:Subject":"${aws:username, 'nobody'}"}}`, session(), ctx{KeySubject: {"nobody"}}, true},
		{"escaped star", `{"StringLike":{"lineage:Subject":"a${*}"}}`, Principal{}, ctx{KeySubject: {"a*"}}, true},
		{"escaped star is not a wildcard", `{"StringLike":{"lineage:Subject":"a${*}"}}`, Principal{}, ctx{KeySubject: {"ab"}}, false},
		{"escaped question mark", `{"StringLike":{"lineage:Subject":"a${?}"}}`, Principal{}, ctx{KeySubject: {"ab"}}, false},
		{"escaped dollar", `{"StringEquals":{"lineage:Subject":"${$}{x}"}}`, Principal{}, ctx{KeySubject: {"${x}"}}, true},
		{"variable in ArnLike", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::${aws:PrincipalAccount}:user/*"}}`, Principal{}, nil, true},
		{"time variable", `{"StringEquals":{"lineage:Subject":"${aws:EpochTime}"}}`, Principal{}, ctx{KeySubject: {"1735689600"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			if p == (Principal{}) {
				p = user()
			}
			c := tt.ctx
			if tt.name == "aws:CurrentTime from Context when Time is zero" {
				// Evaluated below without Request.Time.
				doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + tt.cond + `}}`
				d := Evaluate(Request{Principal: p, Action: ActionCreateToken, Resource: "*",
					Context: ctx{KeyCurrentTime: {"2025-01-01T00:00:00Z"}}}, Set{Identity: policies(t, doc)})
				if d.Allowed != tt.want {
					t.Errorf("allowed = %v, want %v (%s)", d.Allowed, tt.want, d)
				}
				return
			}
			if got := condAllows(t, tt.cond, p, c); got != tt.want {
				t.Errorf("condition %s with %v: allowed = %v, want %v", tt.cond, c, got, tt.want)
			}
		})
	}
}

func TestVariablesNeedVersion(t *testing.T) {
	tests := []struct {
		name    string
		version string
		subject string
		want    bool
	}{
		{"2012-10-17 substitutes", `"Version":"2012-10-17",`, "deployer", true},
		{"Huawei 5.0 substitutes", `"Version":"5.0",`, "deployer", true},
		{"2008-10-17 is literal", `"Version":"2008-10-17",`, "${aws:username}", true},
		{"no Version is literal", ``, "${aws:username}", true},
		{"no Version does not substitute", ``, "deployer", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{` + tt.version + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"lineage:Subject":"${aws:username}"}}}}`
			d := Evaluate(Request{Principal: user(), Action: ActionCreateToken, Context: ctx{KeySubject: {tt.subject}}},
				Set{Identity: policies(t, doc)})
			if d.Allowed != tt.want {
				t.Errorf("allowed = %v, want %v", d.Allowed, tt.want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		name, in string
		want     time.Time
		ok       bool
	}{
		{"epoch", "1735689600", testTime, true},
		{"year", "2025", testTime, true},
		{"month", "2025-01", testTime, true},
		{"day", "2025-01-01", testTime, true},
		{"minutes", "2025-01-01T00:00Z", testTime, true},
		{"seconds", "2025-01-01T00:00:00Z", testTime, true},
		{"fraction", "2025-01-01T00:00:00.5Z", testTime.Add(500 * time.Millisecond), true},
		{"offset", "2025-01-01T02:00:00+02:00", testTime, true},
		{"no zone", "2025-01-01T00:00:00", time.Time{}, false},
		{"words", "tomorrow", time.Time{}, false},
		{"empty", "", time.Time{}, false},
		{"epoch beyond 9999", "999999999999", time.Time{}, false},
		{"month 13", "2025-13-01", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseDate(tt.in)
			if ok != tt.ok || ok && !got.Equal(tt.want) {
				t.Errorf("parseDate(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestDecimalCompare(t *testing.T) {
	tests := []struct {
		name, a, b string
		want       int
	}{
		{"equal forms", "5", "5.000", 0},
		{"zero signs", "-0", "+0.0", 0},
		{"fraction", "0.5", "0.25", 1},
		{"fraction prefix", "0.5", "0.51", -1},
		{"length", "100", "99", 1},
		{"negative", "-100", "-99", -1},
		{"mixed signs", "-1", "1", -1},
		{"leading dot", ".5", "0.5", 0},
		{"large", "123456789012345678901234567890", "123456789012345678901234567891", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok1 := parseDecimal(tt.a)
			b, ok2 := parseDecimal(tt.b)
			if !ok1 || !ok2 {
				t.Fatalf("parseDecimal(%q, %q) failed", tt.a, tt.b)
			}
			if got := a.cmp(b); sign(got) != tt.want {
				t.Errorf("cmp(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "-", ".", "1e5", "0x10", "1.2.3", " 1"} {
		if _, ok := parseDecimal(bad); ok {
			t.Errorf("parseDecimal(%q) accepted", bad)
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
