package policy

import (
	"errors"
	"strings"
	"testing"
)

// want is a finding the validator must report: its severity, path and a
// part of its message.
type want struct {
	sev      Severity
	path     string
	contains string
}

func TestValidate(t *testing.T) {
	const actorOK = `{"Version":"2012-10-17","Statement":[{"Sid":"AppRole","Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::111122223333:role/AppRole"},"Action":["sso-oauth:CreateTokenWithIAM","sso-oauth:IntrospectTokenWithIAM"],
		"Resource":"*","Condition":{"StringEquals":{"lineage:ClientId":"web"}}}]}`
	tests := []struct {
		name  string
		doc   string
		kind  Kind
		wants []want
		clean bool // no finding at all besides wants
	}{
		{"actor policy clean", actorOK, KindActor, nil, true},
		{"actor Version 5.0", strings.Replace(actorOK, "2012-10-17", "5.0", 1), KindActor,
			[]want{{SeverityError, "$.Version", `ActorPolicy has Version "2012-10-17"`}}, true},
		{"actor without Version", `{"Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"sso-oauth:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`, KindActor,
			[]want{{SeverityError, "$", `ActorPolicy has Version`}, {SeverityWarning, "$.Statement[0].Principal", `Principal "*"`}}, true},
		{"actor without Principal", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"sso-oauth:*","Resource":"*"}]}`, KindActor,
			[]want{{SeverityError, "$.Statement[0]", "needs a Principal"}}, true},
		{"actor with NotPrincipal, NotAction, NotResource", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"NotAction":"sso-oauth:RevokeTokenWithIAM","NotResource":"arn:aws:sso::111122223333:application/*"}]}`, KindActor,
			[]want{
				{SeverityError, "$.Statement[0].NotPrincipal", "has Principal, not NotPrincipal"},
				{SeverityError, "$.Statement[0].NotAction", "has Action, not NotAction"},
				{SeverityError, "$.Statement[0].NotResource", "has Resource, not NotResource"},
				{SeverityWarning, "$.Statement[0].NotAction", "Allow with NotAction"},
				{SeverityWarning, "$.Statement[0].NotResource", "Allow with NotResource"},
				{SeverityWarning, "$.Statement[0].NotPrincipal", "Allow with NotPrincipal"},
			}, true},
		{"actor without Resource", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sso-oauth:*"}]}`, KindActor,
			[]want{{SeverityError, "$.Statement[0]", "needs a Resource"}}, true},
		{"actor with other actions", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["sso-oauth:CreateTokenWithIAM","sts:AssumeRole","iamToken::generatePkiToken","*"],"Resource":"*"}]}`, KindActor,
			[]want{
				{SeverityError, "$.Statement[0].Action[1]", "sso-oauth: actions only"},
				{SeverityError, "$.Statement[0].Action[2]", "sso-oauth: actions only"},
				{SeverityError, "$.Statement[0].Action[3]", "sso-oauth: actions only"},
			}, true},
		{"actor with grammar error", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sso-oauth:*","Resource":"*","Condition":{"StringEquals":{"aws:Region":"x"}}}]}`, KindActor,
			[]want{{SeverityError, `$.Statement[0].Condition.StringEquals["aws:Region"]`, "unknown condition key"}}, true},

		{"identity with Principal", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}]}`, KindIdentity,
			[]want{{SeverityError, "$.Statement[0].Principal", "has no Principal"}, {SeverityWarning, "$.Statement[0].Principal", `Principal "*"`}}, true},
		{"session policy with NotPrincipal", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"*"}]}`, KindSession,
			[]want{{SeverityError, "$.Statement[0].NotPrincipal", "a session policy applies"}}, true},
		{"identity without Resource", `{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Allow","Action":"sts:AssumeRole"}}`, KindIdentity,
			[]want{{SeverityError, "$.Statement", "needs a Resource"}}, true},
		{"Huawei 5.0 identity without Resource", `{"Version":"5.0","Statement":[{"Effect":"Deny","Action":["iamToken::generatePkiToken"],"Condition":{"StringEquals":{"g:DomainId":"111122223333"}}}]}`, KindIdentity,
			[]want{{SeveritySuggestion, "$.Statement[0]", "add a Sid"}}, true},
		{"org guardrail Allow", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"sts:*","Resource":"*"}]}`, KindOrg,
			[]want{{SeverityWarning, "$.Statement[0]", "has no effect"}}, true},

		{"trust policy clean", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/deployer"},"Action":"sts:AssumeRole"}]}`, KindTrust, nil, true},
		{"trust without Principal", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"sts:AssumeRole"}]}`, KindTrust,
			[]want{{SeverityError, "$.Statement[0]", "needs a Principal"}}, true},
		{"trust with NotPrincipal and Resource", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"*"}]}`, KindTrust,
			[]want{{SeverityError, "$.Statement[0].NotPrincipal", "not NotPrincipal"}, {SeverityError, "$.Statement[0].Resource", "has no Resource"}}, true},
		{"trust with other action", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["sts:AssumeRole","sso-oauth:CreateToken"]}]}`, KindTrust,
			[]want{{SeverityWarning, "$.Statement[0].Action[1]", "has no effect here"}}, true},

		{"deny sso-oauth:*", deny("sso-oauth:*", "*"), KindIdentity,
			[]want{{SeverityWarning, "$.Statement[0].Action", "disables the standard OAuth grants"}}, true},
		{"deny iamToken::*", `{"Version":"5.0","Statement":[{"Sid":"A","Effect":"Deny","Action":"iamToken::*","Resource":"*"}]}`, KindOrg,
			[]want{{SeverityWarning, "$.Statement[0].Action", "iamToken::generatePkiToken, iamToken::validatePkiToken"}}, true},
		{"deny star", deny("*", "*"), KindOrg,
			[]want{{SeverityWarning, "$.Statement[0].Action", `wildcard action "*" in a Deny`}}, true},
		{"deny exact action", deny("sso-oauth:CreateToken", "*"), KindOrg, nil, true},
		{"allow principal AWS star", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"AWS":["*"]},"Action":"sts:AssumeRole"}]}`, KindTrust,
			[]want{{SeverityWarning, "$.Statement[0].Principal.AWS[0]", "allows every caller"}}, true},
		{"unknown action", allow("sso-oauth:CreateTokn", "*"), KindIdentity,
			[]want{{SeverityError, "$.Statement[0].Action", "unknown action"}}, true},
		{"unknown service", allow("s3:GetObject", "*"), KindIdentity,
			[]want{{SeverityWarning, "$.Statement[0].Action", `no action in service "s3"`}}, true},
		{"wildcard matching nothing", allow("sso-oauth:Delete*", "*"), KindIdentity,
			[]want{{SeverityWarning, "$.Statement[0].Action", "matches no action"}}, true},
		{"Sid missing", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`, KindIdentity,
			[]want{{SeveritySuggestion, "$.Statement[0]", "add a Sid"}}, true},
		{"Sid duplicate and odd", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"},{"Sid":"b c","Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}`, KindIdentity,
			[]want{{SeverityWarning, "$.Statement[1].Sid", "duplicate Sid"}, {SeverityWarning, "$.Statement[2].Sid", "letters and digits"}}, true},
		{"no Version", `{"Statement":[{"Sid":"A","Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::1:user/${aws:username}"}]}`, KindIdentity,
			[]want{{SeverityWarning, "$", "no Version"}, {SeverityWarning, "$.Statement[0].Resource", "literal text"}}, true},
		{"Version 2008", `{"Version":"2008-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`, KindIdentity,
			[]want{{SeveritySuggestion, "$.Version", "2008-10-17"}}, true},
		{"unknown kind", actorOK, Kind("bucket"), []want{{SeverityError, "$", "unknown policy type"}}, true},
		{"operator type mismatch", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Condition":{"IpAddress":{"lineage:ClientId":"10.0.0.0/8"},"StringLike":{"aws:SourceIp":"10.*"},"DateLessThan":{"lineage:Subject":"2025"},"NumericLessThan":{"aws:CurrentTime":"1"},"Bool":{"aws:username":"true"},"ArnLike":{"aws:userid":"*"},"StringEquals":{"aws:TokenIssueTime":"x"}}}]}`, KindIdentity,
			[]want{
				{SeverityWarning, `$.Statement[0].Condition.IpAddress["lineage:ClientId"]`, "compares an IP address"},
				{SeverityWarning, `$.Statement[0].Condition.StringLike["aws:SourceIp"]`, "compare it with IpAddress"},
				{SeverityWarning, `$.Statement[0].Condition.DateLessThan["lineage:Subject"]`, "compares a date"},
				{SeverityWarning, `$.Statement[0].Condition.NumericLessThan["aws:CurrentTime"]`, "compares a number"},
				{SeverityWarning, `$.Statement[0].Condition.Bool["aws:username"]`, "compares a boolean"},
				{SeverityWarning, `$.Statement[0].Condition.ArnLike["aws:userid"]`, "compares an ARN"},
				{SeverityWarning, `$.Statement[0].Condition.StringEquals["aws:TokenIssueTime"]`, "Date operator"},
			}, true},
		{"set operators", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Condition":{"StringEquals":{"lineage:Scope":"a"},"ForAnyValue:StringEquals":{"lineage:ClientId":"a"},"ForAllValues:StringLike":{"lineage:Scope":"a*"}}}]}`, KindIdentity,
			[]want{
				{SeverityWarning, `$.Statement[0].Condition.StringEquals["lineage:Scope"]`, "multi-valued"},
				{SeverityWarning, `$.Statement[0].Condition["ForAnyValue:StringEquals"]["lineage:ClientId"]`, "single-valued"},
				{SeveritySuggestion, `$.Statement[0].Condition["ForAllValues:StringLike"]["lineage:Scope"]`, "Null condition"},
			}, true},
		{"other keys and variables", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::1:role/${sts:RoleSessionName}","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}`, KindIdentity,
			[]want{
				{SeverityWarning, "$.Statement[0].Resource", "never resolves"},
				{SeverityWarning, `$.Statement[0].Condition.StringEquals["sts:ExternalId"]`, "never sets"},
			}, true},
		{"wildcards in StringEquals", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Deny","Action":"sts:AssumeRole","Resource":"*","Condition":{"StringEquals":{"lineage:ClientId":"web-*"}}}]}`, KindIdentity,
			[]want{{SeveritySuggestion, `$.Statement[0].Condition.StringEquals["lineage:ClientId"]`, "use StringLike"}}, true},
		{"principal wildcard and service", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/App*","Service":"sso.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, KindTrust,
			[]want{
				{SeverityWarning, "$.Statement[0].Principal.AWS", "wildcards in a principal ARN"},
				{SeverityWarning, "$.Statement[0].Principal.Service", "never match"},
			}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Validate([]byte(tt.doc), tt.kind)
			matched := make([]bool, len(got))
			for _, w := range tt.wants {
				found := false
				for i, f := range got {
					if f.Severity == w.sev && f.Path == w.path && strings.Contains(f.Message, w.contains) {
						found, matched[i] = true, true
					}
				}
				if !found {
					t.Errorf("missing %s at %s containing %q", w.sev, w.path, w.contains)
				}
			}
			if tt.clean {
				for i, f := range got {
					if !matched[i] {
						t.Errorf("unexpected finding: %s", f)
					}
				}
			}
			_, err := ParseAs([]byte(tt.doc), tt.kind)
			if (err != nil) != HasErrors(got) {
				t.Errorf("ParseAs error %v, but HasErrors(findings) = %v", err, HasErrors(got))
			}
		})
	}
}

func TestValidateUnknownActionParses(t *testing.T) {
	// AWS accepts an action name it does not know; so does Parse, while
	// the validator (and ParseAs) report it.
	doc := []byte(allow("sso-oauth:CreateTokn", "*"))
	if _, err := Parse(doc); err != nil {
		t.Errorf("Parse: %v", err)
	}
	_, err := ParseAs(doc, KindIdentity)
	var pe *ParseError
	if !errors.As(err, &pe) || len(pe.Findings) != 1 || pe.Findings[0].Path != "$.Statement[0].Action" {
		t.Errorf("ParseAs = %v, want one finding at $.Statement[0].Action", err)
	}
}

func TestValidateOrder(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
		{"Sid":"A","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"},
		{"Sid":"B","Effect":"Allow","Action":"sts:AssumeRol","Resource":"*"}]}`
	var paths []string
	for _, f := range Validate([]byte(doc), KindIdentity) {
		paths = append(paths, f.Path)
	}
	want := []string{"$.Statement[0].Principal", "$.Statement[0].Principal", "$.Statement[1].Action"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("paths = %q, want %q", paths, want)
	}
}

func TestParseKind(t *testing.T) {
	for _, k := range Kinds() {
		got, err := ParseKind(strings.ToUpper(string(k)))
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %q, %v", k, got, err)
		}
	}
	if _, err := ParseKind("bucket"); err == nil {
		t.Error("ParseKind(bucket) accepted")
	}
}

func TestFindingString(t *testing.T) {
	f := Finding{SeverityWarning, "$.Statement[0].Action", "wildcard"}
	if got, want := f.String(), "warning $.Statement[0].Action: wildcard"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
