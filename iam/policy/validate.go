package policy

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Kind is the role a policy document plays; the validator's rules depend
// on it.
type Kind string

// Kinds of policy documents.
const (
	// KindActor is an application's ActorPolicy: the resource-based policy
	// naming the IAM principals that may call CreateTokenWithIAM, as IAM
	// Identity Center's application authentication method holds one.
	KindActor Kind = "actor"
	// KindIdentity is a user's or role's identity-based policy.
	KindIdentity Kind = "identity"
	// KindTrust is a role's trust policy, the resource-based policy of
	// sts:AssumeRole.
	KindTrust Kind = "trust"
	// KindOrg is an organization guardrail, an AWS service control policy.
	KindOrg Kind = "org"
	// KindSession is a session policy passed to AssumeRole.
	KindSession Kind = "session"
)

// Kinds lists every Kind, for flags and help texts.
func Kinds() []Kind {
	return []Kind{KindActor, KindIdentity, KindTrust, KindOrg, KindSession}
}

// ParseKind reads a Kind name such as "actor".
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Kinds(), k) {
		return k, nil
	}
	return "", fmt.Errorf("policy: unknown policy type %q (actor, identity, trust, org, session)", s)
}

// Severity ranks a Finding, as IAM Access Analyzer's policy validation
// does.
type Severity string

// Severities.
const (
	// SeverityError: the policy is refused (or, for an unknown action,
	// certainly wrong).
	SeverityError Severity = "error"
	// SeverityWarning: valid, but likely not what was meant.
	SeverityWarning Severity = "warning"
	// SeveritySuggestion: valid; a clearer way to say it.
	SeveritySuggestion Severity = "suggestion"
)

// Finding is one problem the validator found.
type Finding struct {
	Severity Severity `json:"severity"`
	// Path is the JSON path of the offending value, e.g.
	// $.Statement[0].Action[1] or $.Statement[0].Condition.StringEquals["aws:username"].
	Path    string `json:"path"`
	Message string `json:"message"`
}

// String renders the finding as "error $.Statement[0].Effect: message".
func (f Finding) String() string {
	return string(f.Severity) + " " + f.Path + ": " + f.Message
}

// HasErrors reports whether any finding is an error.
func HasErrors(findings []Finding) bool {
	return slices.ContainsFunc(findings, func(f Finding) bool { return f.Severity == SeverityError })
}

// ErrInvalid is matched (errors.Is) by every error Parse and ParseAs
// return.
var ErrInvalid = errors.New("policy: invalid policy document")

// ParseError is a document Parse or ParseAs refuses, with every error
// found.
type ParseError struct {
	Findings []Finding
}

// Error names the first problem's JSON path and counts the others.
func (e *ParseError) Error() string {
	if len(e.Findings) == 0 {
		return ErrInvalid.Error()
	}
	msg := "policy: " + e.Findings[0].Path + ": " + e.Findings[0].Message
	if n := len(e.Findings) - 1; n > 0 {
		msg += " (and " + strconv.Itoa(n) + " more)"
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *ParseError) Unwrap() error { return ErrInvalid }

// Parse parses and compiles a policy document: canonical JSON, as stored
// for policies written in YAML (every scalar a string), with Version
// "2012-10-17" or "5.0" (none, or "2008-10-17", leaves ${…} literal, as on
// AWS). It refuses what AWS's grammar refuses — and, unlike AWS, unknown
// condition operators and keys of the aws:, lineage: and g: prefixes and
// malformed condition values, which would otherwise make a statement
// silently inert, and documents that are not UTF-8. It does not apply a
// Kind's rules; see ParseAs. The error is a *ParseError naming each
// problem's JSON path.
func Parse(doc []byte) (*Policy, error) {
	p, _, fs := compile(doc)
	var errs []Finding
	for _, f := range fs {
		if f.grammar {
			errs = append(errs, f.Finding)
		}
	}
	if len(errs) > 0 {
		return nil, &ParseError{Findings: errs}
	}
	return p, nil
}

// ParseAs parses a document that plays the given role, refusing it when
// Validate finds any error.
func ParseAs(doc []byte, kind Kind) (*Policy, error) {
	p, fs := validate(doc, kind)
	var errs []Finding
	for _, f := range fs {
		if f.Severity == SeverityError {
			errs = append(errs, f)
		}
	}
	if len(errs) > 0 {
		return nil, &ParseError{Findings: errs}
	}
	return p, nil
}

// Validate checks a document for its role and returns every finding, in
// document order. Errors: what Parse refuses; unknown actions of the
// sso-oauth, sts and iamToken services; a Principal in an identity,
// session or org policy; a missing Principal in a trust policy or
// ActorPolicy; for an ActorPolicy, AWS IAM Identity Center's rules
// (Version 2012-10-17, at least one statement, each with Effect,
// Principal, Action and Resource, sso-oauth: actions only). Warnings: a
// wildcard action in a Deny, an Allow with Principal "*", NotAction,
// NotResource or NotPrincipal, and what Access Analyzer would flag.
func Validate(doc []byte, kind Kind) []Finding {
	_, fs := validate(doc, kind)
	return fs
}

func validate(doc []byte, kind Kind) (*Policy, []Finding) {
	if !slices.Contains(Kinds(), kind) {
		return nil, []Finding{{SeverityError, "$", "unknown policy type " + strconv.Quote(string(kind)) + " (actor, identity, trust, org, session)"}}
	}
	p, out, fs := compile(doc)
	if out != nil {
		fs = checkKind(fs, out, kind)
	}
	slices.SortStableFunc(fs, func(a, b finding) int { return a.order - b.order })
	res := make([]Finding, len(fs))
	for i, f := range fs {
		res[i] = f.Finding
	}
	return p, res
}

// checkKind adds the findings that depend on the document's role, and the
// statement-level warnings.
func checkKind(fs []finding, out *outline, kind Kind) []finding {
	add := func(order int, sev Severity, path, msg string) {
		fs = append(fs, finding{Finding{sev, path, msg}, false, order})
	}
	switch {
	case kind == KindActor && out.version != Version20121017:
		path := out.versionPath
		if path == "" {
			path = "$"
		}
		add(-1, SeverityError, path, "an ActorPolicy has Version \"2012-10-17\"")
	case out.versionPath == "":
		add(-1, SeverityWarning, "$", "no Version: AWS then reads the policy as 2008-10-17, where policy variables are literal text; add \"Version\": \"2012-10-17\"")
	case out.version == Version20081017:
		add(-1, SeveritySuggestion, out.versionPath, "Version 2008-10-17 leaves policy variables as literal text; use \"2012-10-17\"")
	}
	sids := map[string]bool{}
	for i, so := range out.stmts {
		el := so.elems
		if so.sid == "" {
			add(i, SeveritySuggestion, so.path, "add a Sid: decisions name the deciding statement by it")
		} else {
			if sids[so.sid] {
				add(i, SeverityWarning, so.path+".Sid", "duplicate Sid "+strconv.Quote(so.sid)+": decisions could not tell these statements apart")
			}
			sids[so.sid] = true
			if strings.ContainsFunc(so.sid, func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
			}) {
				add(i, SeverityWarning, so.path+".Sid", "AWS IAM accepts only letters and digits in a Sid")
			}
		}

		// The role's rules.
		switch kind {
		case KindIdentity, KindSession, KindOrg:
			for _, e := range []int{elemPrincipal, elemNotPrincipal} {
				if el[e] != "" {
					add(i, SeverityError, el[e], kindName(kind)+" applies to the principal it is attached to: it has no "+elementName(e))
				}
			}
			// Huawei Cloud's 5.0 identity policies may leave Resource out
			// (every resource); AWS's grammar requires it.
			if el[elemResource] == "" && el[elemNotResource] == "" && out.version != VersionHuawei {
				add(i, SeverityError, so.path, "a statement of "+kindName(kind)+" needs a Resource (\"*\" for every resource)")
			}
		case KindTrust:
			if el[elemNotPrincipal] != "" {
				add(i, SeverityError, el[elemNotPrincipal], "a trust policy names who may assume the role with Principal, not NotPrincipal")
			} else if el[elemPrincipal] == "" {
				add(i, SeverityError, so.path, "a trust policy statement needs a Principal: who may assume the role")
			}
			for _, e := range []int{elemResource, elemNotResource} {
				if el[e] != "" {
					add(i, SeverityError, el[e], "a trust policy has no "+elementName(e)+": its resource is the role")
				}
			}
			for _, a := range so.actions {
				if service, _, _ := strings.Cut(a.s, ":"); a.s != "*" && !strings.EqualFold(service, "sts") {
					add(i, SeverityWarning, a.path, "a trust policy governs sts: actions; "+strconv.Quote(a.s)+" has no effect here")
				}
			}
		case KindActor:
			for _, e := range [][2]int{{elemPrincipal, elemNotPrincipal}, {elemAction, elemNotAction}, {elemResource, elemNotResource}} {
				switch {
				case el[e[1]] != "":
					add(i, SeverityError, el[e[1]], "an ActorPolicy statement has "+elementName(e[0])+", not "+elementName(e[1]))
				case el[e[0]] == "":
					add(i, SeverityError, so.path, "an ActorPolicy statement needs a "+elementName(e[0]))
				}
			}
			for _, a := range so.actions {
				if len(a.s) < len("sso-oauth:") || !strings.EqualFold(a.s[:len("sso-oauth:")], "sso-oauth:") {
					add(i, SeverityError, a.path, "an ActorPolicy allows sso-oauth: actions only (sso-oauth:CreateTokenWithIAM, …), not "+strconv.Quote(a.s))
				}
			}
		}
		if kind == KindOrg && !so.deny {
			add(i, SeverityWarning, so.path, "an Allow in a guardrail has no effect: guardrails behave as SCPs with FullAccess attached, so only Deny statements matter")
		}

		// Statement-level warnings for every role.
		if so.deny {
			for _, a := range so.actions {
				if !strings.ContainsAny(a.s, "*?") || el[elemNotAction] != "" {
					continue
				}
				add(i, SeverityWarning, a.path, denyWildcardMessage(a.s))
			}
			continue
		}
		if so.principalAny != "" && el[elemCondition] == "" {
			add(i, SeverityWarning, so.principalAny, "Allow with Principal \"*\" and no Condition allows every caller")
		} else if so.principalAny != "" {
			add(i, SeverityWarning, so.principalAny, "Allow with Principal \"*\": only the Condition limits who is allowed")
		}
		if el[elemNotAction] != "" {
			add(i, SeverityWarning, el[elemNotAction], "Allow with NotAction allows every other action, including ones added later")
		}
		if el[elemNotResource] != "" {
			add(i, SeverityWarning, el[elemNotResource], "Allow with NotResource allows every other resource, including ones created later")
		}
		if el[elemNotPrincipal] != "" {
			add(i, SeverityWarning, el[elemNotPrincipal], "Allow with NotPrincipal allows every other principal")
		}
	}
	return fs
}

// denyWildcardMessage says what a wildcard action in a Deny reaches.
func denyWildcardMessage(action string) string {
	toks, _, _ := tokenize(action, tokenizeOptions{wildcards: true})
	pat := pattern{raw: action, kind: patGlob, toks: toks}
	if action == "*" {
		pat.kind = patAny
	}
	var hits []string
	grants := false
	for _, a := range knownActions() {
		if pat.match(a, true, nil) {
			hits = append(hits, a)
			if a == ActionCreateToken || a == AliasGeneratePkiToken {
				grants = true
			}
		}
	}
	msg := "wildcard action " + strconv.Quote(action) + " in a Deny"
	if len(hits) > 0 {
		msg += " denies " + strings.Join(hits, ", ")
	}
	if grants {
		msg += " — including sso-oauth:CreateToken, so it disables the standard OAuth grants"
	}
	return msg + ", and any action added later"
}

func kindName(k Kind) string {
	switch k {
	case KindOrg:
		return "an org guardrail"
	case KindSession:
		return "a session policy"
	}
	return "an identity policy"
}

func elementName(e int) string {
	return [...]string{"Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}[e]
}
