package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seedDocuments returns the policies of testdata/decisions.json and a few
// documents that reach the parser's corners.
func seedDocuments(t testing.TB) [][]byte {
	data, err := os.ReadFile(filepath.Join("testdata", "decisions.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []decisionCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	var docs [][]byte
	for _, c := range cases {
		for _, d := range append(append(c.Org, c.Identity...), c.Session...) {
			docs = append(docs, d)
		}
		if len(c.Resource) > 0 {
			docs = append(docs, c.Resource)
		}
	}
	for _, s := range []string{
		`{"Version":"5.0","Statement":{"Effect":"Allow","Action":"iamToken::*","Resource":"iam:*:*:x:${g:UserName}"}}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["111122223333","arn:aws:iam::*:role/A?"]},"NotAction":"sts:*","NotResource":"arn:aws:sso::${aws:PrincipalAccount, '0'}:*/${*}${?}${$}"}}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringLikeIfExists":{"lineage:Scope":["a*",1,true]},"NumericLessThan":{"aws:EpochTime":"-1.5"},"DateGreaterThan":{"aws:TokenIssueTime":"2024-02"},"IpAddress":{"aws:SourceIp":["::ffff:10.0.0.0/104","2001:db8::1"]},"BinaryEquals":{"x:b":"QQ=="},"Null":{"aws:username":"false"},"ArnLike":{"aws:PrincipalArn":"${aws:PrincipalArn}"}}}]}`,
		`{"Statement":[{"Effect":"allow","Action":"x","Resource":"y","Condition":{"StringEqual":{"aws:nope":null}}}]}`,
		`[{"a":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}]`,
		`{"Version":"2012-10-17","Version":"5.0"}`,
		``, `null`, `{}`,
	} {
		docs = append(docs, []byte(s))
	}
	return docs
}

// checkFindings fails on a malformed finding.
func checkFindings(t *testing.T, fs []Finding) {
	t.Helper()
	for _, f := range fs {
		switch f.Severity {
		case SeverityError, SeverityWarning, SeveritySuggestion:
		default:
			t.Fatalf("finding %v has severity %q", f, f.Severity)
		}
		if !strings.HasPrefix(f.Path, "$") || f.Message == "" {
			t.Fatalf("malformed finding %q", f)
		}
	}
}

// checkDecision fails on a decision whose fields disagree.
func checkDecision(t *testing.T, d Decision) {
	t.Helper()
	switch d.Effect {
	case EffectAllow:
		if !d.Allowed {
			t.Fatalf("%+v: Allow but not allowed", d)
		}
	case EffectDeny:
		if d.Allowed || d.Policy == "" || d.Statement == "" {
			t.Fatalf("%+v: a Deny names its policy and statement", d)
		}
	case EffectImplicitDeny:
		if d.Allowed || d.Policy != "" || d.Statement != "" || !strings.HasPrefix(d.Reason, "implicit deny") {
			t.Fatalf("%+v: malformed implicit deny", d)
		}
	default:
		t.Fatalf("%+v: unknown effect", d)
	}
}

func FuzzParse(f *testing.F) {
	for _, d := range seedDocuments(f) {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		start := time.Now()
		p, err := Parse(doc)
		if elapsed := time.Since(start); elapsed > 2*time.Second {
			t.Fatalf("Parse took %v for %d bytes", elapsed, len(doc))
		}
		for _, k := range Kinds() {
			fs := Validate(doc, k)
			checkFindings(t, fs)
			if err != nil && !HasErrors(fs) {
				t.Fatalf("Parse refuses (%v) but Validate(%s) finds no error", err, k)
			}
			pk, errK := ParseAs(doc, k)
			if (errK == nil) == HasErrors(fs) {
				t.Fatalf("ParseAs(%s) = %v, but HasErrors = %v", k, errK, HasErrors(fs))
			}
			if errK == nil && (err != nil || pk == nil) {
				t.Fatalf("ParseAs(%s) accepts what Parse refuses: %v", k, err)
			}
		}
		if err != nil {
			return
		}
		req := Request{Principal: session(), Action: ActionCreateToken, Resource: appARN, Time: testTime,
			Context: ctx{KeyScope: {"openid"}, KeySourceIP: {"10.0.0.1"}}}
		checkDecision(t, Evaluate(req, Set{Org: []*Policy{p}, Identity: []*Policy{p}, Resource: p, Session: []*Policy{p}}))
		checkDecision(t, EvaluateDenyOnly(req, p))
	})
}

func FuzzEvaluate(f *testing.F) {
	for _, d := range seedDocuments(f) {
		f.Add(d, ActionCreateTokenWithIAM, appARN, sessionARN, KeyClientID, "web")
		f.Add(d, AliasGeneratePkiToken, "*", userARN, KeySourceIP, "10.1.2.3")
	}
	f.Fuzz(func(t *testing.T, doc []byte, action, resource, arn, key, value string) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		if action == "" {
			action = ActionCreateToken
		}
		req := Request{
			Principal: Principal{ARN: arn, UserID: value, Username: value},
			Action:    action, Resource: resource, Time: testTime,
			Context: ctx{key: {value}, KeyScope: {value, "openid"}},
		}
		ps := []*Policy{p}
		asIdentity := Evaluate(req, Set{Identity: ps})
		for _, d := range []Decision{
			asIdentity,
			Evaluate(req, Set{Resource: p}),
			Evaluate(req, Set{Resource: p, ResourceRequired: true}),
			Evaluate(req, Set{Identity: ps, Session: ps}),
			Evaluate(req, Set{Org: ps, Identity: ps, Resource: p, Session: ps}),
			EvaluateDenyOnly(req, p),
		} {
			checkDecision(t, d)
		}
		if Evaluate(req, Set{Identity: ps}) != asIdentity {
			t.Fatal("Evaluate is not deterministic")
		}
		if d := Evaluate(req, Set{Org: ps}); d.Allowed {
			t.Fatalf("a guardrail alone allowed: %+v", d)
		}
		denyOnly := EvaluateDenyOnly(req, p)
		if asOrg := Evaluate(req, Set{Org: ps}); (denyOnly.Effect == EffectDeny) != (asOrg.Effect == EffectDeny) {
			t.Fatalf("EvaluateDenyOnly %+v disagrees with the guardrail deny pass %+v", denyOnly, asOrg)
		}
		if d := Evaluate(req, Set{Identity: ps, Session: ps}); d.Allowed && !asIdentity.Allowed {
			t.Fatalf("a session policy widened %+v to %+v", asIdentity, d)
		}
		if d := Evaluate(req, Set{Resource: p, ResourceRequired: true}); d.Allowed && !Evaluate(req, Set{Resource: p}).Allowed {
			t.Fatalf("ResourceRequired widened the decision: %+v", d)
		}
	})
}

func FuzzValidate(f *testing.F) {
	for _, d := range seedDocuments(f) {
		for _, k := range Kinds() {
			f.Add(d, string(k))
		}
	}
	f.Add([]byte(`{}`), "bucket")
	f.Fuzz(func(t *testing.T, doc []byte, kind string) {
		fs := Validate(doc, Kind(kind))
		checkFindings(t, fs)
		p, err := ParseAs(doc, Kind(kind))
		if (err == nil) == HasErrors(fs) {
			t.Fatalf("ParseAs = %v, but HasErrors = %v", err, HasErrors(fs))
		}
		if err == nil {
			if p == nil {
				t.Fatal("ParseAs returned neither a policy nor an error")
			}
			if _, err := Parse(doc); err != nil {
				t.Fatalf("ParseAs accepts what Parse refuses: %v", err)
			}
		}
	})
}
