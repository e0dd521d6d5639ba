package policy

import (
	"strconv"
	"strings"
	"time"
)

// Principal is the IAM identity making a request.
type Principal struct {
	// ARN is the caller: arn:aws:iam::111122223333:user/deployer, or a
	// role session arn:aws:sts::111122223333:assumed-role/Role/session.
	ARN string
	// RoleARN is, for a role session, the role's ARN with its path
	// (aws:PrincipalArn). When empty it is built from ARN, without a path.
	RoleARN string
	// Account is the caller's 12-digit account; when empty, the account
	// field of ARN.
	Account string
	// UserID is aws:userid: AIDA… for a user, AROA…:session for a session.
	UserID string
	// Username is aws:username: an IAM user's name; empty for sessions, as
	// on AWS.
	Username string
}

// Request is what is being decided: who does what to which resource, and
// the request context that conditions and policy variables read.
type Request struct {
	Principal Principal
	// Action is the action requested, e.g. ActionCreateTokenWithIAM. An
	// aliased action matches statements naming either spelling.
	Action string
	// Resource is the ARN acted upon: the application for sso-oauth
	// actions, the role for sts:AssumeRole.
	Resource string
	// Time is the request time, giving aws:CurrentTime and aws:EpochTime.
	// When zero, those keys come from Context (if at all).
	Time time.Time
	// Context holds the other condition keys (aws:SourceIp,
	// aws:SecureTransport, aws:TokenIssueTime, lineage:…), each with its
	// values; use the Key… constants as names. Keys that Principal or
	// Time provide are taken from there when set. An empty list is a
	// missing key. Do not hold two names that differ only in case.
	Context map[string][]string
}

// Set is every policy that bears on one request, grouped as AWS groups
// them for evaluation. Nil policies are skipped.
type Set struct {
	// Org holds the organization guardrails. Each behaves as an AWS
	// service control policy with FullAccess attached beside it: only its
	// explicit Deny statements matter, so deny-only guardrails work.
	Org []*Policy
	// Identity holds the principal's identity policies: a user's, or for a
	// role session the role's.
	Identity []*Policy
	// Resource is the resource-based policy: an application's ActorPolicy
	// or a role's trust policy. Nil when there is none.
	Resource *Policy
	// ResourceRequired says that the resource policy must allow the
	// request, as a role's trust policy must for sts:AssumeRole on AWS: an
	// identity-policy Allow alone is then not enough.
	ResourceRequired bool
	// Session holds the session policies passed to AssumeRole. When any is
	// present, they narrow: one of them must allow too.
	Session []*Policy
}

// Effect is a Decision's outcome.
type Effect string

// Effects of a Decision.
const (
	EffectAllow        Effect = "Allow"
	EffectDeny         Effect = "Deny"         // an explicit Deny statement
	EffectImplicitDeny Effect = "ImplicitDeny" // nothing allows
)

// Decision is the outcome of an evaluation and what decided it.
type Decision struct {
	Allowed bool   `json:"allowed"`
	Effect  Effect `json:"effect"`
	// Policy names the deciding document by its place in the Set:
	// "org[0]", "identity[1]", "resource", "session[0]" — or
	// "policies[2]" for EvaluateDenyOnly. Empty for an implicit deny.
	Policy string `json:"policy,omitempty"`
	// Statement is the deciding statement's Sid, or its place
	// ("Statement[2]"). Empty for an implicit deny.
	Statement string `json:"statement,omitempty"`
	// Reason says why, in words.
	Reason string `json:"reason"`
}

// String renders the decision for logs: "Deny by org[0] DenyAll: explicit
// deny".
func (d Decision) String() string {
	if d.Policy == "" {
		return string(d.Effect) + ": " + d.Reason
	}
	return string(d.Effect) + " by " + d.Policy + " " + d.Statement + ": " + d.Reason
}

// Reasons.
const (
	reasonExplicitDeny    = "explicit deny"
	reasonResourceExact   = "allowed by the resource policy, which names the caller's ARN"
	reasonResourceBroad   = "allowed by the resource policy"
	reasonIdentity        = "allowed by an identity policy"
	reasonIdentityAccount = "allowed by an identity policy; the resource policy delegates to it by naming the account"
	reasonCrossAccount    = "allowed by the resource policy and an identity policy (cross-account)"
	reasonNoDeny          = "no explicit deny (standard grants need no Allow)"
	reasonNoAllow         = "implicit deny: no policy allows the request"
	reasonSession         = "implicit deny: no session policy allows the request"
	reasonResourceMissing = "implicit deny: the resource policy does not allow the caller"
	reasonAccountOnly     = "implicit deny: the resource policy names only the account, and no identity policy allows the request"
	reasonCrossDenied     = "implicit deny: cross-account access needs an Allow in both the resource policy and an identity policy"
)

// Evaluate decides a request against a Set, in AWS's order ("Policy
// evaluation logic"):
//
//  1. An explicit Deny in any policy wins.
//  2. Guardrails (Org) never deny implicitly: they carry FullAccess.
//  3. In one account, a resource-policy Allow that names the caller's
//     exact ARN allows on its own, even past session policies; one that
//     names the role of the caller's session, "*" or a wildcard allows on
//     its own within the session policies; one that names only the
//     account delegates to the identity policies.
//  4. Otherwise an identity-policy Allow is needed (unless
//     ResourceRequired, which wants the resource policy's Allow as well),
//     and, when session policies are present, a session-policy Allow too.
//  5. Otherwise the request is implicitly denied.
//
// A resource in another account than the caller's (by its ARN) needs an
// Allow from both the resource policy and an identity policy.
func Evaluate(req Request, set Set) Decision {
	e := newEvalCtx(req)
	for i, p := range set.Org {
		if st := e.firstMatch(p, true, false); st != nil {
			return denied(policyLabel(orgLabels, "org", i), st)
		}
	}
	if st := e.firstMatch(set.Resource, true, true); st != nil {
		return denied("resource", st)
	}
	for i, p := range set.Identity {
		if st := e.firstMatch(p, true, false); st != nil {
			return denied(policyLabel(identityLabels, "identity", i), st)
		}
	}
	for i, p := range set.Session {
		if st := e.firstMatch(p, true, false); st != nil {
			return denied(policyLabel(sessionLabels, "session", i), st)
		}
	}

	resStrength, resSt := e.resourceAllow(set.Resource)
	sessionOK := true
	for _, p := range set.Session {
		if p != nil {
			sessionOK = false
			break
		}
	}
	if !sessionOK {
		for _, p := range set.Session {
			if e.firstMatch(p, false, false) != nil {
				sessionOK = true
				break
			}
		}
	}

	if e.crossAccount() {
		if resStrength == noMatch {
			return implicitDeny(reasonCrossDenied)
		}
		idx, st := e.firstIdentityAllow(set.Identity)
		switch {
		case st == nil:
			return implicitDeny(reasonCrossDenied)
		case !sessionOK && resStrength != matchExact:
			return implicitDeny(reasonSession)
		}
		return allowed(policyLabel(identityLabels, "identity", idx), st, reasonCrossAccount)
	}

	switch resStrength {
	case matchExact:
		return allowed("resource", resSt, reasonResourceExact)
	case matchBroad:
		if !sessionOK {
			return implicitDeny(reasonSession)
		}
		return allowed("resource", resSt, reasonResourceBroad)
	case noMatch:
		if set.ResourceRequired {
			return implicitDeny(reasonResourceMissing)
		}
	}
	idx, st := e.firstIdentityAllow(set.Identity)
	switch {
	case st == nil && resStrength == matchAccount:
		return implicitDeny(reasonAccountOnly)
	case st == nil:
		return implicitDeny(reasonNoAllow)
	case !sessionOK:
		return implicitDeny(reasonSession)
	case resStrength == matchAccount:
		return allowed(policyLabel(identityLabels, "identity", idx), st, reasonIdentityAccount)
	}
	return allowed(policyLabel(identityLabels, "identity", idx), st, reasonIdentity)
}

// EvaluateDenyOnly decides a standard OAuth grant (/authorize, /token):
// only explicit Deny statements apply — org guardrails, users[].policies,
// clients[].policies — and nothing needs an Allow. The action is
// req.Action, ActionCreateToken when empty. Decision.Policy is
// "policies[i]", i indexing policies.
func EvaluateDenyOnly(req Request, policies ...*Policy) Decision {
	if req.Action == "" {
		req.Action = ActionCreateToken
	}
	e := newEvalCtx(req)
	for i, p := range policies {
		if st := e.firstMatch(p, true, false); st != nil {
			return denied(policyLabel(policiesLabels, "policies", i), st)
		}
	}
	return Decision{Allowed: true, Effect: EffectAllow, Reason: reasonNoDeny}
}

func denied(policy string, st *statement) Decision {
	return Decision{Effect: EffectDeny, Policy: policy, Statement: st.label, Reason: reasonExplicitDeny}
}

func allowed(policy string, st *statement, reason string) Decision {
	return Decision{Allowed: true, Effect: EffectAllow, Policy: policy, Statement: st.label, Reason: reason}
}

func implicitDeny(reason string) Decision {
	return Decision{Effect: EffectImplicitDeny, Reason: reason}
}

// Labels of the first ten policies of each group, sliced from constants so
// that a decision allocates nothing.
const (
	orgLabels      = "org[0]org[1]org[2]org[3]org[4]org[5]org[6]org[7]org[8]org[9]"
	identityLabels = "identity[0]identity[1]identity[2]identity[3]identity[4]identity[5]identity[6]identity[7]identity[8]identity[9]"
	sessionLabels  = "session[0]session[1]session[2]session[3]session[4]session[5]session[6]session[7]session[8]session[9]"
	policiesLabels = "policies[0]policies[1]policies[2]policies[3]policies[4]policies[5]policies[6]policies[7]policies[8]policies[9]"
)

func policyLabel(table, group string, i int) string {
	if i < 10 {
		w := len(group) + 3
		return table[i*w : (i+1)*w]
	}
	return group + "[" + strconv.Itoa(i) + "]"
}

// evalCtx is one evaluation's view of the request; it lives on the stack.
type evalCtx struct {
	req      Request // a copy: a pointer would make escape analysis move the caller's Request to the heap
	alias    string  // the other spelling of req.Action, or ""
	segs     [6]string
	isARN    bool
	session  bool
	roleName string
	account  string
	roleARN  string // built lazily
	timeText string // aws:CurrentTime formatted lazily
	epoch    string // aws:EpochTime formatted lazily
}

func newEvalCtx(req Request) evalCtx {
	e := evalCtx{req: req, alias: actionAlias(req.Action)}
	e.segs, e.isARN, e.account, e.session, e.roleName = parseCaller(&req.Principal)
	return e
}

// firstMatch returns the first statement of p with the given effect that
// applies to the request, or nil.
func (e *evalCtx) firstMatch(p *Policy, deny, resource bool) *statement {
	if p == nil {
		return nil
	}
	for i := range p.statements {
		st := &p.statements[i]
		if st.deny == deny && e.applies(st, resource) != noMatch {
			return st
		}
	}
	return nil
}

// firstIdentityAllow returns the first identity policy statement that
// allows the request.
func (e *evalCtx) firstIdentityAllow(ps []*Policy) (int, *statement) {
	for i, p := range ps {
		if st := e.firstMatch(p, false, false); st != nil {
			return i, st
		}
	}
	return 0, nil
}

// resourceAllow returns the Allow statement of the resource policy that
// names the caller most specifically.
func (e *evalCtx) resourceAllow(p *Policy) (strength, *statement) {
	if p == nil {
		return noMatch, nil
	}
	best, bestSt := noMatch, (*statement)(nil)
	for i := range p.statements {
		st := &p.statements[i]
		if st.deny {
			continue
		}
		if s := e.applies(st, true); s > best {
			best, bestSt = s, st
			if s == matchExact {
				break
			}
		}
	}
	return best, bestSt
}

// crossAccount reports a resource ARN in another account than the
// caller's.
func (e *evalCtx) crossAccount() bool {
	segs, ok := arnSegments(e.req.Resource)
	return ok && segs[4] != "" && e.account != "" && segs[4] != e.account
}

// applies decides whether a statement applies to the request (its effect
// aside) and, in a resource policy, how specifically it names the caller.
// A resource-policy statement without Principal names no one; elsewhere a
// Principal element, if any (which the validator refuses), must match.
func (e *evalCtx) applies(st *statement, resource bool) strength {
	s := matchBroad
	switch {
	case st.principal != nil:
		if s = st.principal.match(e); s == noMatch {
			return noMatch
		}
	case resource:
		return noMatch
	}
	if !e.matchAction(&st.act) {
		return noMatch
	}
	// AWS: "If AWS cannot resolve a variable this might cause the entire
	// statement to be invalid"; Huawei: it "does not match".
	for i := range st.vars {
		if v := e.lookup(&st.vars[i]); v.n != 1 {
			return noMatch
		}
	}
	if st.res.present {
		m := false
		for i := range st.res.pats {
			if st.res.pats[i].match(e.req.Resource, false, e) {
				m = true
				break
			}
		}
		if m == st.res.not {
			return noMatch
		}
	}
	for i := range st.conds {
		if !st.conds[i].eval(e) {
			return noMatch
		}
	}
	return s
}

// matchAction matches Action or NotAction, case-insensitively, against the
// requested action and its alias.
func (e *evalCtx) matchAction(a *actionElem) bool {
	m := false
	for i := range a.pats {
		p := &a.pats[i]
		if p.match(e.req.Action, true, nil) || e.alias != "" && p.match(e.alias, true, nil) {
			m = true
			break
		}
	}
	return m != a.not
}

// lookup returns a condition key's values. Keys about the caller and the
// time come from Principal and Time when those are set, the rest (and
// those, otherwise) from Context: first under the canonical name, then
// under any spelling that differs only in case.
func (e *evalCtx) lookup(k *keyRef) values {
	p := &e.req.Principal
	switch k.id {
	case keyPrincipalArn:
		if p.ARN != "" {
			return values{one: e.principalARN(), n: 1}
		}
	case keyUserID:
		if p.UserID != "" {
			return values{one: p.UserID, n: 1}
		}
	case keyUsername:
		if p.Username != "" {
			return values{one: p.Username, n: 1}
		}
	case keyPrincipalAccount:
		if e.account != "" {
			return values{one: e.account, n: 1}
		}
	case keyCurrentTime, keyEpochTime:
		if !e.req.Time.IsZero() {
			return values{t: e.req.Time, isTime: true, epoch: k.id == keyEpochTime, n: 1}
		}
	}
	ctx := e.req.Context
	vs, ok := ctx[k.canonical]
	if !ok {
		for name, v := range ctx {
			if strings.EqualFold(name, k.canonical) {
				vs = v
				break
			}
		}
	}
	return values{list: vs, n: len(vs)}
}

// text returns the i-th value as text, formatting a time value the way AWS
// presents it (ISO 8601 for aws:CurrentTime, seconds for aws:EpochTime).
func (e *evalCtx) text(v *values, i int) string {
	if !v.isTime {
		return v.at(i)
	}
	if v.epoch {
		if e.epoch == "" {
			e.epoch = strconv.FormatInt(v.t.Unix(), 10)
		}
		return e.epoch
	}
	if e.timeText == "" {
		e.timeText = v.t.UTC().Format(time.RFC3339)
	}
	return e.timeText
}

// variable resolves a policy variable: the key's single value, else its
// default. A multi-valued or missing key without a default does not
// resolve.
func (e *evalCtx) variable(t *token) (string, bool) {
	if e != nil {
		if v := e.lookup(&t.key); v.n == 1 {
			return e.text(&v, 0), true
		}
	}
	return t.lit, t.hasDef
}
