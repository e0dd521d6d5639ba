package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		n    int // statements
	}{
		{"statement object", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, 1},
		{"statement list", `{"Version":"2012-10-17","Id":"x","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","NotAction":["sts:*"],"NotResource":"arn:aws:iam::*:role/*"}]}`, 2},
		{"from YAML: every scalar a string", `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"111122223333"},` +
			`"Condition":{"Bool":{"aws:SecureTransport":"true"},"NumericLessThan":{"aws:EpochTime":"1735689600"}}}],"Version":"2012-10-17"}`, 1},
		{"Huawei 5.0", `{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["iamToken::validatePkiToken","iam:tokens:*"],"Resource":["*"]}]}`, 1},
		{"JSON scalars in conditions", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false},"NumericEquals":{"test:n":[1,2.5]}}}}`, 1},
		{"no Version", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, 1},
		{"Version 2008-10-17", `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${x"}}`, 1},
		{"principals", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Principal":{"AWS":["111122223333",` +
			`"arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:user/a/b","arn:aws:iam::111122223333:role/r",` +
			`"arn:aws:sts::111122223333:assumed-role/r/s","arn:aws:sts::111122223333:federated-user/f"],"Service":"sso.amazonaws.com"}}}`, 1},
		{"every operator", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{` +
			`"StringEquals":{"lineage:ClientId":"a"},"StringNotEquals":{"lineage:ClientId":"a"},"StringEqualsIgnoreCase":{"lineage:ClientId":"a"},` +
			`"StringNotEqualsIgnoreCase":{"lineage:ClientId":"a"},"StringLike":{"lineage:ClientId":"a*"},"StringNotLike":{"lineage:ClientId":"a*"},` +
			`"NumericEquals":{"aws:EpochTime":"1"},"NumericNotEquals":{"aws:EpochTime":"1"},"NumericLessThan":{"aws:EpochTime":"1"},` +
			`"NumericLessThanEquals":{"aws:EpochTime":"1"},"NumericGreaterThan":{"aws:EpochTime":"1"},"NumericGreaterThanEquals":{"aws:EpochTime":"1"},` +
			`"DateEquals":{"aws:CurrentTime":"2025-01-01"},"DateNotEquals":{"aws:CurrentTime":"2025-01-01"},"DateLessThan":{"aws:CurrentTime":"2025-01-01"},` +
			`"DateLessThanEquals":{"aws:CurrentTime":"2025-01-01"},"DateGreaterThan":{"aws:CurrentTime":"2025-01-01"},"DateGreaterThanEquals":{"aws:CurrentTime":"2025-01-01"},` +
			`"Bool":{"aws:SecureTransport":"true"},"BinaryEquals":{"test:b":"QQ=="},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"NotIpAddress":{"aws:SourceIp":"::1"},` +
			`"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::1:role/r"},"ArnLike":{"aws:PrincipalArn":"*"},"ArnNotEquals":{"aws:PrincipalArn":"arn:*:*:*:*:*"},` +
			`"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::${aws:PrincipalAccount}:*"},"Null":{"aws:TokenIssueTime":"true"},` +
			`"ForAllValues:StringLikeIfExists":{"lineage:Scope":"a*"},"ForAnyValue:StringEquals":{"lineage:Scope":"a"},"StringEqualsIfExists":{"aws:username":"x"}}}}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.Len() != tt.n {
				t.Errorf("Len() = %d, want %d", p.Len(), tt.n)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	stmt := func(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }
	cond := func(c string) string {
		return stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + c + `}`)
	}
	tests := []struct {
		name     string
		doc      string
		path     string
		contains string
	}{
		{"not JSON", `{"Version":`, "$.Version", "not valid JSON"},
		{"syntax error", `{"Version" "x"}`, "$.Version", "not valid JSON at offset"},
		{"trailing data", `{"Statement":{"Effect":"Allow","Action":"*"}} {}`, "$", "after the document"},
		{"not an object", `[]`, "$", "JSON object"},
		{"too large", `{"Id":"` + strings.Repeat("x", MaxDocumentSize) + `"}`, "$", "bytes"},
		{"invalid UTF-8", stmt(`{"Sid":"a` + "\xff" + `b","Effect":"Allow","Action":"*"}`), "$", "invalid UTF-8"},
		{"too deep", strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40), "$.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a", "nested"},
		{"too many statements", stmt(strings.Repeat(`{"Effect":"Allow","Action":"*"},`, MaxStatements) + `{"Effect":"Allow","Action":"*"}`), "$.Statement", "statements"},
		{"too many values", stmt(`{"Effect":"Allow","Resource":"*","Action":[` + strings.Repeat(`"*",`, maxNodes) + `"*"]}`), "$.Statement[0].Action[8185]", "values"},
		{"duplicate key", `{"Version":"2012-10-17","Version":"2012-10-17"}`, "$.Version", "duplicate"},
		{"unknown version", `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"*"}}`, "$.Version", "unknown Version"},
		{"number version", `{"Version":5.0,"Statement":{"Effect":"Allow","Action":"*"}}`, "$.Version", "string"},
		{"no statement", `{"Version":"2012-10-17"}`, "$", "Statement"},
		{"empty statement list", `{"Version":"2012-10-17","Statement":[]}`, "$.Statement", "at least one"},
		{"statement not an object", stmt(`"x"`), "$.Statement[0]", "object"},
		{"unknown top element", `{"Versio":"2012-10-17","Statement":{"Effect":"Allow","Action":"*"}}`, "$.Versio", "unknown policy element"},
		{"unknown statement element", stmt(`{"Effect":"Allow","Action":"*","Resources":"*"}`), "$.Statement[0].Resources", "unknown statement element"},
		{"effect case", stmt(`{"Effect":"allow","Action":"*"}`), "$.Statement[0].Effect", "case-sensitive"},
		{"effect missing", stmt(`{"Action":"*"}`), "$.Statement[0]", "Effect"},
		{"action missing", stmt(`{"Effect":"Allow","Resource":"*"}`), "$.Statement[0]", "Action"},
		{"action and NotAction", stmt(`{"Effect":"Allow","Action":"*","NotAction":"*"}`), "$.Statement[0].NotAction", "not both"},
		{"resource and NotResource", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}`), "$.Statement[0].NotResource", "not both"},
		{"principal and NotPrincipal", stmt(`{"Effect":"Allow","Action":"*","Principal":"*","NotPrincipal":"*"}`), "$.Statement[0].NotPrincipal", "not both"},
		{"action without service", stmt(`{"Effect":"Allow","Action":"CreateToken"}`), "$.Statement[0].Action", "service:action"},
		{"action not a string", stmt(`{"Effect":"Allow","Action":["*",1]}`), "$.Statement[0].Action[1]", "string"},
		{"empty action list", stmt(`{"Effect":"Allow","Action":[]}`), "$.Statement[0].Action", "empty"},
		{"resource not an ARN", stmt(`{"Effect":"Allow","Action":"*","Resource":"application/web"}`), "$.Statement[0].Resource", "an ARN"},
		{"resource short ARN", stmt(`{"Effect":"Allow","Action":"*","Resource":["*","arn:aws:sso:*"]}`), "$.Statement[0].Resource[1]", "six"},
		{"resource bad variable", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username"}`), "$.Statement[0].Resource", "closing"},
		{"resource unknown variable", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:nobody}"}`), "$.Statement[0].Resource", "unknown condition key"},
		{"resource multi-valued variable", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${lineage:Scope}"}`), "$.Statement[0].Resource", "multi-valued"},
		{"resource variable default unquoted", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username, x}"}`), "$.Statement[0].Resource", "single quotes"},
		{"resource empty variable", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${}"}`), "$.Statement[0].Resource", "bad policy variable"},
		{"principal string", stmt(`{"Effect":"Allow","Action":"*","Principal":"arn:aws:iam::111122223333:root"}`), "$.Statement[0].Principal", "\"*\""},
		{"principal empty", stmt(`{"Effect":"Allow","Action":"*","Principal":{}}`), "$.Statement[0].Principal", "at least one"},
		{"principal type", stmt(`{"Effect":"Allow","Action":"*","Principal":{"IAM":"x"}}`), "$.Statement[0].Principal.IAM", "unknown principal type"},
		{"principal bad ARN", stmt(`{"Effect":"Allow","Action":"*","Principal":{"AWS":["*","arn:aws:iam::111122223333"]}}`), "$.Statement[0].Principal.AWS[1]", "bad principal"},
		{"principal not IAM", stmt(`{"Effect":"Allow","Action":"*","Principal":{"AWS":"arn:aws:s3:::bucket"}}`), "$.Statement[0].Principal.AWS", "bad principal"},
		{"principal short account", stmt(`{"Effect":"Allow","Action":"*","Principal":{"AWS":"arn:aws:iam::1111:root"}}`), "$.Statement[0].Principal.AWS", "12-digit"},
		{"principal session without name", stmt(`{"Effect":"Allow","Action":"*","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/R"}}`), "$.Statement[0].Principal.AWS", "bad principal"},
		{"condition not an object", cond(`[]`), "$.Statement[0].Condition", "object"},
		{"unknown operator", cond(`{"StringEqual":{"lineage:ClientId":"a"}}`), "$.Statement[0].Condition.StringEqual", "unknown condition operator"},
		{"operator case", cond(`{"stringequals":{"lineage:ClientId":"a"}}`), "$.Statement[0].Condition.stringequals", "did you mean StringEquals"},
		{"bad set prefix", cond(`{"ForAll:StringEquals":{"lineage:Scope":"a"}}`), `$.Statement[0].Condition["ForAll:StringEquals"]`, "unknown condition operator"},
		{"Null IfExists", cond(`{"NullIfExists":{"lineage:Scope":"true"}}`), "$.Statement[0].Condition.NullIfExists", "Null takes"},
		{"Null set prefix", cond(`{"ForAnyValue:Null":{"lineage:Scope":"true"}}`), `$.Statement[0].Condition["ForAnyValue:Null"]`, "Null takes"},
		{"operator without keys", cond(`{"StringEquals":{}}`), "$.Statement[0].Condition.StringEquals", "at least one"},
		{"unknown aws key", cond(`{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}`), `$.Statement[0].Condition.StringEquals["aws:RequestedRegion"]`, "unknown condition key"},
		{"unknown lineage key", cond(`{"StringEquals":{"lineage:Client":"a"}}`), `$.Statement[0].Condition.StringEquals["lineage:Client"]`, "unknown condition key"},
		{"unknown g key", cond(`{"StringEquals":{"g:Domain":"a"}}`), `$.Statement[0].Condition.StringEquals["g:Domain"]`, "unknown condition key"},
		{"null value", cond(`{"StringEquals":{"lineage:ClientId":null}}`), `$.Statement[0].Condition.StringEquals["lineage:ClientId"]`, "not null"},
		{"empty values", cond(`{"StringEquals":{"lineage:ClientId":[]}}`), `$.Statement[0].Condition.StringEquals["lineage:ClientId"]`, "empty"},
		{"nested value", cond(`{"StringEquals":{"lineage:ClientId":[["a"]]}}`), `$.Statement[0].Condition.StringEquals["lineage:ClientId"][0]`, "a list"},
		{"bad number", cond(`{"NumericLessThan":{"aws:EpochTime":"soon"}}`), `$.Statement[0].Condition.NumericLessThan["aws:EpochTime"]`, "not a number"},
		{"bad date", cond(`{"DateLessThan":{"aws:CurrentTime":["2025-01-01","2025-02-30"]}}`), `$.Statement[0].Condition.DateLessThan["aws:CurrentTime"][1]`, "bad date"},
		{"bad CIDR", cond(`{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}`), `$.Statement[0].Condition.IpAddress["aws:SourceIp"]`, "bad CIDR"},
		{"zoned address", cond(`{"IpAddress":{"aws:SourceIp":"fe80::1%eth0"}}`), `$.Statement[0].Condition.IpAddress["aws:SourceIp"]`, "bad CIDR"},
		{"bad bool", cond(`{"Bool":{"aws:SecureTransport":"yes"}}`), `$.Statement[0].Condition.Bool["aws:SecureTransport"]`, "true"},
		{"bad Null", cond(`{"Null":{"aws:SecureTransport":"1"}}`), `$.Statement[0].Condition.Null["aws:SecureTransport"]`, "true"},
		{"bad base64", cond(`{"BinaryEquals":{"test:b":"***"}}`), `$.Statement[0].Condition.BinaryEquals["test:b"]`, "base64"},
		{"bad ARN value", cond(`{"ArnLike":{"aws:PrincipalArn":"role/x"}}`), `$.Statement[0].Condition.ArnLike["aws:PrincipalArn"]`, "bad ARN"},
		{"bad variable in value", cond(`{"StringEquals":{"lineage:Subject":"${aws:user}"}}`), `$.Statement[0].Condition.StringEquals["lineage:Subject"]`, "unknown condition key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if err == nil {
				t.Fatal("Parse accepted the document")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			for _, f := range pe.Findings {
				if f.Path == tt.path && strings.Contains(f.Message, tt.contains) {
					return
				}
			}
			t.Errorf("no finding at %s containing %q in %v", tt.path, tt.contains, pe.Findings)
		})
	}
}

func TestParseErrorMessage(t *testing.T) {
	_, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"x"}]}`))
	want := `policy: $.Statement[0].Effect: Effect is case-sensitive: write "Allow" or "Deny" (and 1 more)`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestParseDuplicateKeysInLargeObjects(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{`)
	for i := range 20 {
		b.WriteString(`"x:k` + string(rune('a'+i)) + `":"v",`)
	}
	b.WriteString(`"x:kc":"v"}}}}`)
	_, err := Parse([]byte(b.String()))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Findings[0].Path != `$.Statement.Condition.StringEquals["x:kc"]` || pe.Findings[0].Message != "duplicate key" {
		t.Errorf("Parse = %v, want a duplicate key at x:kc", err)
	}
}
