package policy

import (
	"bytes"
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

		// parse → canonical JSON → parse is stable.
		canon, err := p.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		if len(canon) > len(doc) {
			t.Fatalf("canonical form is longer than the document:\n%s\n%s", canon, doc)
		}
		p2, err := Parse(canon)
		if err != nil {
			t.Fatalf("the canonical form does not parse: %v\ndocument:  %s\ncanonical: %s", err, doc, canon)
		}
		canon2, _ := p2.MarshalJSON()
		if !bytes.Equal(canon, canon2) {
			t.Fatalf("canonical form is not stable:\n%s\n%s", canon, canon2)
		}
		if p2.Version() != p.Version() || p2.Len() != p.Len() {
			t.Fatalf("canonical form changed Version %q → %q or Len %d → %d", p.Version(), p2.Version(), p.Len(), p2.Len())
		}
		for _, k := range Kinds() {
			if a, b := HasErrors(Validate(doc, k)), HasErrors(Validate(canon, k)); a != b {
				t.Fatalf("Validate(%s): the document has errors = %v, its canonical form %v:\n%s\n%s", k, a, b, doc, canon)
			}
		}
		for i, req := range fixedRequests() {
			if d1, d2 := decisions(req, p), decisions(req, p2); d1 != d2 {
				t.Fatalf("request %d: the document and its canonical form decide differently:\n%v\n%v\n%s\n%s", i, d1, d2, doc, canon)
			}
		}
	})
}

// fixedRequests are the requests on which FuzzParse compares a policy
// with its canonical form: a role session and a user, standard grants and
// IAM calls, a wildcard in a policy variable's value, a foreign account.
func fixedRequests() []Request {
	full := ctx{KeyScope: {"openid", "read:orders"}, KeySourceIP: {"10.20.30.40"}, KeyClientID: {"web"},
		KeySecureTransport: {"true"}, KeyTokenIssueTime: {"2024-12-31T23:00:00Z"}, KeyGrantType: {"client_credentials"},
		KeyLineageUsername: {"alice"}, "test:n": {"1"}, "test:b": {"QQ=="}}
	return []Request{
		{Principal: Principal{ARN: sessionARN, RoleARN: roleARN, UserID: "AROAEXAMPLEAPPROLE:build-42"},
			Action: ActionCreateTokenWithIAM, Resource: appARN, Time: testTime, Context: full},
		{Principal: user(), Action: ActionCreateToken, Resource: appARN, Time: testTime, Context: full},
		{Principal: user(), Action: AliasValidatePkiToken, Resource: "iam::111122223333:application:web", Context: ctx{KeyScope: {"admin:x"}}},
		{Principal: Principal{ARN: "arn:aws:iam::111122223333:user/a*", Username: "a*"}, Action: ActionRevokeTokenWithIAM,
			Resource: "arn:aws:sso::111122223333:application/a*", Context: ctx{KeySourceIP: {"2001:db8::1"}, KeySecureTransport: {"false"}}},
		{Principal: user(), Action: ActionAssumeRole, Resource: roleARN, Time: testTime},
		{Principal: Principal{ARN: "arn:aws:sts::444455556666:assumed-role/AppRole/x"}, Action: ActionIntrospectTokenWithIAM, Resource: appARN},
		{Action: ActionCreateToken},
	}
}

// policyDecisions is what one policy decides for a request in each of the
// places it can hold in a Set.
type policyDecisions [7]Decision

func decisions(req Request, p *Policy) policyDecisions {
	ps := []*Policy{p}
	return policyDecisions{
		Evaluate(req, Set{Org: ps}),
		Evaluate(req, Set{Identity: ps}),
		Evaluate(req, Set{Resource: p}),
		Evaluate(req, Set{Resource: p, ResourceRequired: true}),
		Evaluate(req, Set{Identity: ps, Session: ps}),
		Evaluate(req, Set{Org: ps, Identity: ps, Resource: p, Session: ps}),
		EvaluateDenyOnly(req, p),
	}
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

// FuzzARN checks the ARN parser that splits request resources and callers
// (arnSegments, parseCaller) and the compiler of ARN patterns that
// Resource elements use: no panic; an ARN that parses joins back to
// itself; a pattern matches its own text, and one without wildcards
// matches nothing else; a role principal matches that role's sessions.
func FuzzARN(f *testing.F) {
	for _, s := range []string{
		appARN, userARN, roleARN, sessionARN, "arn:aws:iam::111122223333:root",
		"arn:aws:sso::*:application/*", "arn:aws:sso::111122223333:application/ssoins-?/apl-web",
		"arn:aws-cn:sts::111122223333:assumed-role/Role:With:Colons/session/with/slashes",
		"arn:aws:sso-oauth::111122223333:application/a*", "arn:::::", "arn:aws:s3:::bucket/${aws:username}",
		"*", "arn", "arn:aws", "urn:aws:iam::1:root", "arn:aws:iam::111122223333:role/é?€*",
	} {
		f.Add(s, appARN)
		f.Add(s, s+"x")
	}
	f.Fuzz(func(t *testing.T, s, other string) {
		segs, ok := arnSegments(s)
		if want := strings.HasPrefix(s, "arn:") && strings.Count(s, ":") >= 5; ok != want {
			t.Fatalf("arnSegments(%q) ok = %v, want %v", s, ok, want)
		}
		if ok {
			if j := strings.Join(segs[:], ":"); j != s {
				t.Fatalf("arnSegments(%q) joins back to %q", s, j)
			}
			for i := range 5 {
				if strings.Contains(segs[i], ":") {
					t.Fatalf("arnSegments(%q): field %d is %q", s, i, segs[i])
				}
			}
		}

		// Resource patterns, as Version 2008-10-17 compiles them (no
		// policy variables) and as 2012-10-17 does.
		c := &compiler{}
		pat, patOK := c.resource(valueAt{s: s, path: "$"})
		if patOK != (s == "*" || ok) {
			t.Fatalf("resource pattern %q compiles = %v, but arnSegments says %v", s, patOK, ok)
		}
		if patOK {
			if !pat.match(s, false, nil) || !pat.match(s, true, nil) {
				t.Fatalf("pattern %q does not match its own text", s)
			}
			if !strings.ContainsAny(s, "*?") {
				if got := pat.match(other, false, nil); got != (other == s) {
					t.Fatalf("pattern %q without wildcards: match(%q) = %v", s, other, got)
				}
			}
		}
		vc := &compiler{variables: true}
		if vpat, vok := vc.resource(valueAt{s: s, path: "$"}); vok {
			e := newEvalCtx(Request{Principal: Principal{ARN: other, Username: other}})
			vpat.match(other, false, &e)
			vpat.match(s, true, nil)
		}

		// The caller's side: a role session matches its role.
		for _, caller := range []string{s, other} {
			e := newEvalCtx(Request{Principal: Principal{ARN: caller}})
			if !e.session {
				continue
			}
			if e.segs[2] != "sts" || !strings.HasPrefix(e.segs[5], "assumed-role/"+e.roleName+"/") {
				t.Fatalf("parseCaller(%q): session of role %q", caller, e.roleName)
			}
			role := "arn:" + e.segs[1] + ":iam::" + e.segs[4] + ":role/" + e.roleName
			pc := &compiler{}
			pv, ok := pc.principalValue(valueAt{s: role, path: "$"})
			if !ok {
				continue // not a principal: no partition, or not a 12-digit account
			}
			if got := pv.match(&e); got < matchBroad {
				t.Fatalf("principal %q does not match its session %q (%d)", role, caller, got)
			}
		}
	})
}
