package policy

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Policy versions.
const (
	// Version20121017 is the current AWS policy language; it substitutes
	// policy variables.
	Version20121017 = "2012-10-17"
	// Version20081017 is the earlier AWS policy language, also assumed when
	// a document has no Version: ${…} is literal text there.
	Version20081017 = "2008-10-17"
	// VersionHuawei is the Huawei Cloud IAM 5.0 policy language: actions
	// written service::action or service:resource:action, keys g:….
	VersionHuawei = "5.0"
)

// Policy is a parsed and compiled policy document. It is immutable and safe
// for concurrent use; compile once, evaluate at every request.
type Policy struct {
	version    string
	id         string // the Id element, when hasID
	hasID      bool
	single     bool // Statement was written as one object, not a list
	statements []statement
}

// Version returns the document's Version ("" when it has none, which AWS
// treats as 2008-10-17).
func (p *Policy) Version() string { return p.version }

// Len returns the number of statements.
func (p *Policy) Len() int { return len(p.statements) }

// statement is a compiled Statement element.
type statement struct {
	label     string // Sid, or the statement's place: Statement[2]
	sid       string // the Sid as written ("" when none)
	deny      bool
	principal *principalElem // nil: no Principal/NotPrincipal
	act       actionElem
	res       resourceElem
	conds     []condition
	vars      []keyRef // variables without a default: the statement applies only if each resolves
}

type actionElem struct {
	not  bool
	pats []pattern
}

type resourceElem struct {
	present bool
	not     bool
	pats    []pattern
}

// Statement elements, as the validator refers to them.
const (
	elemPrincipal = iota
	elemNotPrincipal
	elemAction
	elemNotAction
	elemResource
	elemNotResource
	elemCondition
	elemCount
)

func elementIndex(name string) int {
	switch name {
	case "Principal":
		return elemPrincipal
	case "NotPrincipal":
		return elemNotPrincipal
	case "Action":
		return elemAction
	case "NotAction":
		return elemNotAction
	case "Resource":
		return elemResource
	case "NotResource":
		return elemNotResource
	case "Condition":
		return elemCondition
	}
	return -1
}

// outline is what the validator needs to know of a document beyond its
// compiled form.
type outline struct {
	version     string
	versionPath string // "" when the document has no Version
	stmts       []stmtOutline
}

type stmtOutline struct {
	path         string
	sid          string
	deny         bool
	elems        [elemCount]string // path of each element present
	principalAny string            // path of a Principal "*" or {"AWS":"*"}
	actions      []valueAt         // the values of Action or NotAction
}

// valueAt is a scalar value as text, its JSON path and its JSON type
// (jString, or jNumber or jBool for condition values).
type valueAt struct {
	s    string
	path string
	kind jkind
}

// finding is a Finding with what the package needs to sort and classify
// it: grammar errors make Parse fail; other errors only the validator.
type finding struct {
	Finding
	grammar bool
	order   int // statement index, -1 for the document
}

// compiler turns a decoded document into a Policy and findings.
type compiler struct {
	findings  []finding
	variables bool // the version substitutes ${…}
	huawei    bool
	order     int
}

func (c *compiler) add(sev Severity, grammar bool, path, msg string) {
	c.findings = append(c.findings, finding{Finding{sev, path, msg}, grammar, c.order})
}

// grammarError records a grammar error: Parse refuses the document.
func (c *compiler) grammarError(path, msg string) { c.add(SeverityError, true, path, msg) }

// semanticError records an error the validator reports but Parse accepts
// (AWS, too, accepts an action name it does not know).
func (c *compiler) semanticError(path, msg string) { c.add(SeverityError, false, path, msg) }

func (c *compiler) warn(path, msg string)    { c.add(SeverityWarning, false, path, msg) }
func (c *compiler) suggest(path, msg string) { c.add(SeveritySuggestion, false, path, msg) }

// compile parses doc. The outline is nil when doc is not a JSON object.
func compile(doc []byte) (*Policy, *outline, []finding) {
	c := &compiler{order: -1}
	root, path, err := decodeJSON(doc)
	if err != nil {
		c.grammarError(path, err.Error())
		return nil, nil, c.findings
	}
	if root.kind != jObject {
		c.grammarError("$", "a policy document is a JSON object, not "+root.kind.String())
		return nil, nil, c.findings
	}
	p := &Policy{}
	out := &outline{}
	var stmtNode *jnode
	for i, k := range root.keys {
		v, kp := root.vals[i], childPath("$", k)
		switch k {
		case "Version":
			if v.kind != jString {
				c.grammarError(kp, "Version must be a string such as \"2012-10-17\", not "+v.kind.String())
				continue
			}
			out.version, out.versionPath = v.text, kp
			switch v.text {
			case Version20121017:
				c.variables = true
			case VersionHuawei:
				c.variables, c.huawei = true, true
			case Version20081017:
			default:
				c.grammarError(kp, "unknown Version "+strconv.Quote(v.text)+": use \"2012-10-17\" (or \"5.0\" for Huawei-style policies)")
			}
			p.version = v.text
		case "Id":
			if v.kind != jString {
				c.grammarError(kp, "Id must be a string")
				continue
			}
			p.id, p.hasID = v.text, true
		case "Statement":
			stmtNode = v
		default:
			c.grammarError(kp, "unknown policy element "+strconv.Quote(k)+" (Version, Id, Statement)")
		}
	}
	switch {
	case stmtNode == nil:
		c.grammarError("$", "a policy needs a Statement")
	case stmtNode.kind == jObject:
		c.order = 0
		p.single = true
		st, so := c.statement(stmtNode, "$.Statement", "Statement")
		p.statements = append(p.statements, st)
		out.stmts = append(out.stmts, so)
	case stmtNode.kind == jArray:
		if len(stmtNode.vals) == 0 {
			c.grammarError("$.Statement", "a policy needs at least one statement")
		}
		if len(stmtNode.vals) > MaxStatements {
			c.grammarError("$.Statement", "more than "+strconv.Itoa(MaxStatements)+" statements")
			break
		}
		for i, n := range stmtNode.vals {
			c.order = i
			sp := indexPath("$.Statement", i)
			if n.kind != jObject {
				c.grammarError(sp, "a statement is an object, not "+n.kind.String())
				continue
			}
			st, so := c.statement(n, sp, "Statement["+strconv.Itoa(i)+"]")
			p.statements = append(p.statements, st)
			out.stmts = append(out.stmts, so)
		}
	default:
		c.grammarError("$.Statement", "Statement must be an object or a list of objects, not "+stmtNode.kind.String())
	}
	return p, out, c.findings
}

// statement compiles one Statement object.
func (c *compiler) statement(n *jnode, path, place string) (statement, stmtOutline) {
	st := statement{label: place}
	so := stmtOutline{path: path}
	var actionNode, resourceNode, condNode, principalNode *jnode
	effect := false
	for i, k := range n.keys {
		v, kp := n.vals[i], childPath(path, k)
		if e := elementIndex(k); e >= 0 {
			so.elems[e] = kp
		}
		switch k {
		case "Sid":
			if v.kind != jString {
				c.grammarError(kp, "Sid must be a string")
				continue
			}
			so.sid, st.sid = v.text, v.text
			if v.text != "" {
				st.label = v.text
			}
		case "Effect":
			effect = true
			switch {
			case v.kind == jString && v.text == "Allow":
			case v.kind == jString && v.text == "Deny":
				st.deny, so.deny = true, true
			case v.kind == jString && (strings.EqualFold(v.text, "allow") || strings.EqualFold(v.text, "deny")):
				c.grammarError(kp, "Effect is case-sensitive: write \"Allow\" or \"Deny\"")
			default:
				c.grammarError(kp, "Effect must be \"Allow\" or \"Deny\"")
			}
		case "Principal", "NotPrincipal":
			if principalNode != nil {
				c.grammarError(kp, "a statement has Principal or NotPrincipal, not both")
				continue
			}
			principalNode = v
			st.principal = c.principal(v, kp, &so)
			if st.principal != nil {
				st.principal.not = k == "NotPrincipal"
			}
		case "Action", "NotAction":
			if actionNode != nil {
				c.grammarError(kp, "a statement has Action or NotAction, not both")
				continue
			}
			actionNode = v
			st.act.not = k == "NotAction"
			for _, av := range c.strings(v, kp, false) {
				so.actions = append(so.actions, av)
				if pat, ok := c.action(av); ok {
					st.act.pats = append(st.act.pats, pat)
				}
			}
		case "Resource", "NotResource":
			if resourceNode != nil {
				c.grammarError(kp, "a statement has Resource or NotResource, not both")
				continue
			}
			resourceNode = v
			st.res.present, st.res.not = true, k == "NotResource"
			for _, rv := range c.strings(v, kp, false) {
				if pat, ok := c.resource(rv); ok {
					st.res.pats = append(st.res.pats, pat)
					st.vars = varKeys(st.vars, pat.toks)
					for _, seg := range pat.segs {
						st.vars = varKeys(st.vars, seg)
					}
				}
			}
		case "Condition":
			condNode = v
		default:
			c.grammarError(kp, "unknown statement element "+strconv.Quote(k)+
				" (Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition)")
		}
	}
	if !effect {
		c.grammarError(path, "a statement needs an Effect (\"Allow\" or \"Deny\")")
	}
	if actionNode == nil {
		c.grammarError(path, "a statement needs an Action or NotAction")
	}
	if condNode != nil {
		st.conds, st.vars = c.conditions(condNode, childPath(path, "Condition"), st.deny, st.vars)
	}
	return st, so
}

// strings reads a string or a non-empty list of strings. scalars also
// accepts JSON numbers and booleans (condition values), as AWS does.
func (c *compiler) strings(n *jnode, path string, scalars bool) []valueAt {
	ok := func(n *jnode) bool {
		return n.kind == jString || scalars && (n.kind == jNumber || n.kind == jBool)
	}
	what := "a string or a list of strings"
	if scalars {
		what = "a string, number or boolean, or a list of them"
	}
	switch {
	case ok(n):
		return []valueAt{{n.text, path, n.kind}}
	case n.kind == jArray:
		if len(n.vals) == 0 {
			c.grammarError(path, "must not be an empty list")
			return nil
		}
		out := make([]valueAt, 0, len(n.vals))
		for i, item := range n.vals {
			ip := indexPath(path, i)
			if !ok(item) {
				c.grammarError(ip, "must be "+what+", not "+item.kind.String())
				continue
			}
			out = append(out, valueAt{item.text, ip, item.kind})
		}
		return out
	}
	c.grammarError(path, "must be "+what+", not "+n.kind.String())
	return nil
}

// action compiles an Action value: "*", or service:action with * and ?
// wildcards (service::action and service:resource:action for Huawei
// style), matched case-insensitively as AWS matches action names.
func (c *compiler) action(v valueAt) (pattern, bool) {
	if v.s == "*" {
		return pattern{raw: v.s, kind: patAny}, true
	}
	service, _, found := strings.Cut(v.s, ":")
	if !found || service == "" || strings.ContainsFunc(service, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '*' || r == '?' ||
			r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		c.grammarError(v.path, "an action is \"*\" or service:action (Huawei style: service::action or service:resource:action), not "+strconv.Quote(v.s))
		return pattern{}, false
	}
	toks, _, _ := tokenize(v.s, tokenizeOptions{wildcards: true})
	pat := pattern{raw: v.s, kind: patGlob, toks: toks}
	c.checkAction(v, &pat, service)
	return pat, true
}

// checkAction reports actions lineage does not know.
func (c *compiler) checkAction(v valueAt, pat *pattern, service string) {
	if strings.ContainsAny(service, "*?") {
		return
	}
	if !knownService(service) {
		c.warn(v.path, "lineage has no action in service "+strconv.Quote(service)+": this action never matches a lineage request")
		return
	}
	var matched int
	for _, a := range knownActions() {
		if pat.match(a, true, nil) {
			matched++
		}
	}
	if matched > 0 {
		return
	}
	if hasWildcard(pat.toks) {
		c.warn(v.path, strconv.Quote(v.s)+" matches no action lineage knows")
		return
	}
	c.semanticError(v.path, "unknown action "+strconv.Quote(v.s)+"; lineage's actions are "+strings.Join(knownActions(), ", "))
}

// resource compiles a Resource value: "*", an ARN whose six segments match
// one by one, or (Huawei style) any other string matched whole.
func (c *compiler) resource(v valueAt) (pattern, bool) {
	if v.s == "*" {
		return pattern{raw: v.s, kind: patAny}, true
	}
	toks, problem := c.tokens(v, true)
	if problem != "" {
		c.grammarError(v.path, problem)
		return pattern{}, false
	}
	if strings.HasPrefix(v.s, "arn:") {
		segs, ok := splitARN(toks)
		if !ok {
			c.grammarError(v.path, "bad ARN "+strconv.Quote(v.s)+": an ARN has six colon-separated parts, arn:partition:service:region:account:resource")
			return pattern{}, false
		}
		return pattern{raw: v.s, kind: patARN, segs: segs}, true
	}
	if !c.huawei {
		c.grammarError(v.path, "a resource is \"*\" or an ARN (arn:partition:service:region:account:resource), not "+strconv.Quote(v.s))
		return pattern{}, false
	}
	return pattern{raw: v.s, kind: patGlob, toks: toks}, true
}

// tokens tokenizes a Resource or condition value, substituting variables
// when the version does, and warns about variables lineage never sets.
func (c *compiler) tokens(v valueAt, wildcards bool) ([]token, string) {
	toks, problem, others := tokenize(v.s, tokenizeOptions{wildcards: wildcards, variables: c.variables})
	for _, k := range others {
		c.warn(v.path, "lineage never sets "+k+": the policy variable ${"+k+"} never resolves and the statement never applies unless it has a default")
	}
	if !c.variables && strings.Contains(v.s, "${") {
		c.warn(v.path, "policy variables are substituted only with Version \"2012-10-17\" (or \"5.0\"): here ${…} is literal text")
	}
	return toks, problem
}

// principal compiles Principal or NotPrincipal: "*", or an object of
// AWS (and Service, Federated, CanonicalUser) values.
func (c *compiler) principal(n *jnode, path string, so *stmtOutline) *principalElem {
	pe := &principalElem{}
	if n.kind == jString {
		if n.text != "*" {
			c.grammarError(path, "a Principal string must be \"*\"; name principals as {\"AWS\": \"arn:…\"}")
			return nil
		}
		pe.any, pe.star = true, true
		so.principalAny = path
		return pe
	}
	if n.kind != jObject {
		c.grammarError(path, "Principal must be \"*\" or an object such as {\"AWS\": \"arn:…\"}, not "+n.kind.String())
		return nil
	}
	if len(n.keys) == 0 {
		c.grammarError(path, "Principal must name at least one principal")
		return nil
	}
	for i, k := range n.keys {
		kp := childPath(path, k)
		vals := c.strings(n.vals[i], kp, false)
		written := principalType{name: k}
		for _, v := range vals {
			written.vals = append(written.vals, v.s)
		}
		pe.written = append(pe.written, written)
		switch k {
		case "AWS":
			for _, v := range vals {
				if v.s == "*" {
					pe.any = true
					so.principalAny = v.path
					continue
				}
				if pv, ok := c.principalValue(v); ok {
					pe.aws = append(pe.aws, pv)
				}
			}
		case "Service", "Federated", "CanonicalUser":
			for _, v := range vals {
				if v.s == "" {
					c.grammarError(v.path, "must not be empty")
				}
			}
			c.warn(kp, k+" principals never match a lineage caller: lineage's callers are IAM users and role sessions")
		default:
			c.grammarError(kp, "unknown principal type "+strconv.Quote(k)+" (AWS, Service, Federated, CanonicalUser)")
		}
	}
	return pe
}

// principalValue compiles one AWS principal: a 12-digit account, or the
// ARN of an account (…:root), a user, a role (which also matches its
// sessions) or a role session.
func (c *compiler) principalValue(v valueAt) (principalValue, bool) {
	if isAccountID(v.s) {
		return principalValue{kind: ppAccount, raw: v.s, account: v.s}, true
	}
	bad := func(why string) (principalValue, bool) {
		c.grammarError(v.path, "bad principal "+strconv.Quote(v.s)+": "+why)
		return principalValue{}, false
	}
	segs, ok := arnSegments(v.s)
	if !ok {
		return bad("a principal is \"*\", a 12-digit account id or an IAM ARN such as arn:aws:iam::111122223333:role/Name")
	}
	if strings.ContainsAny(v.s, "*?") {
		toks, _, _ := tokenize(v.s, tokenizeOptions{wildcards: true})
		tsegs, _ := splitARN(toks)
		c.warn(v.path, "AWS does not accept wildcards in a principal ARN; lineage matches them segment by segment, but prefer Principal \"*\" with an ArnLike condition on aws:PrincipalArn")
		return principalValue{kind: ppGlob, raw: v.s, pat: pattern{raw: v.s, kind: patARN, segs: tsegs}}, true
	}
	partition, service, region, account, res := segs[1], segs[2], segs[3], segs[4], segs[5]
	if partition == "" || region != "" || !isAccountID(account) {
		return bad("an IAM principal ARN has a partition, no region and a 12-digit account: arn:aws:iam::111122223333:…")
	}
	switch {
	case service == "iam" && res == "root":
		return principalValue{kind: ppAccount, raw: v.s, partition: partition, account: account}, true
	case service == "iam" && strings.HasPrefix(res, "role/") && len(res) > len("role/") && !strings.HasSuffix(res, "/"):
		name := res[strings.LastIndexByte(res, '/')+1:]
		return principalValue{kind: ppRole, raw: v.s, partition: partition, account: account, roleName: name}, true
	case service == "iam" && strings.HasPrefix(res, "user/") && len(res) > len("user/") && !strings.HasSuffix(res, "/"):
		return principalValue{kind: ppExact, raw: v.s}, true
	case service == "sts" && strings.HasPrefix(res, "assumed-role/") && strings.Count(res, "/") == 2 &&
		!strings.Contains(res, "//") && !strings.HasSuffix(res, "/"):
		return principalValue{kind: ppExact, raw: v.s}, true
	case service == "sts" && strings.HasPrefix(res, "federated-user/") && len(res) > len("federated-user/"):
		return principalValue{kind: ppExact, raw: v.s}, true
	}
	return bad("not an IAM principal (…:root, …:user/Name, …:role/Name, arn:…:sts::…:assumed-role/Role/Session)")
}

func isAccountID(s string) bool { return len(s) == 12 && allDigits(s) }

// conditions compiles a Condition block. vars collects the keys of
// variables without defaults.
func (c *compiler) conditions(n *jnode, path string, deny bool, vars []keyRef) ([]condition, []keyRef) {
	if n.kind != jObject {
		c.grammarError(path, "Condition must be an object of operators, not "+n.kind.String())
		return nil, vars
	}
	var conds []condition
	for i, name := range n.keys {
		opPath := childPath(path, name)
		o, problem := parseOperator(name)
		if problem != "" {
			c.grammarError(opPath, problem)
			continue
		}
		block := n.vals[i]
		if block.kind != jObject {
			c.grammarError(opPath, "an operator takes an object of condition keys, not "+block.kind.String())
			continue
		}
		if len(block.keys) == 0 {
			c.grammarError(opPath, "an operator must name at least one condition key")
			continue
		}
		for j, keyName := range block.keys {
			kp := childPath(opPath, keyName)
			k, ok := resolveKey(keyName)
			if !ok {
				c.grammarError(kp, "unknown condition key "+strconv.Quote(keyName)+"; lineage's keys are "+knownKeyList())
				continue
			}
			if k.id == keyOther {
				c.warn(kp, "lineage never sets "+keyName+": the condition sees it as missing")
			}
			c.checkKeyUse(o, k, keyName, kp, deny)
			cond := condition{operator: o, key: k, opName: name, keyName: keyName}
			for _, v := range c.strings(block.vals[j], kp, true) {
				cv, ok := c.condValue(o, v)
				if !ok {
					continue
				}
				vars = varKeys(vars, cv.pat.toks)
				for _, seg := range cv.pat.segs {
					vars = varKeys(vars, seg)
				}
				cond.vals = append(cond.vals, cv)
			}
			conds = append(conds, cond)
		}
	}
	return conds, vars
}

// condValue compiles one condition value for its operator.
func (c *compiler) condValue(o operator, v valueAt) (condValue, bool) {
	cv := condValue{raw: v.s, rawKind: v.kind}
	bad := func(msg string) (condValue, bool) {
		c.grammarError(v.path, msg)
		return cv, false
	}
	switch o.op {
	case opStringEquals, opStringEqualsIgnoreCase:
		toks, problem := c.tokens(v, false)
		if problem != "" {
			return bad(problem)
		}
		switch {
		case len(toks) == 0:
			cv.plain = true
		case len(toks) == 1 && toks[0].kind == tLit:
			cv.plain, cv.lit = true, toks[0].lit
		default:
			cv.pat = pattern{raw: v.s, kind: patGlob, toks: toks}
		}
		if strings.ContainsAny(v.s, "*?") && !strings.Contains(v.s, "${*}") && !strings.Contains(v.s, "${?}") {
			c.suggest(v.path, "String*Equals* compares * and ? literally; use StringLike for wildcards")
		}
	case opStringLike:
		toks, problem := c.tokens(v, true)
		if problem != "" {
			return bad(problem)
		}
		cv.pat = pattern{raw: v.s, kind: patGlob, toks: toks}
	case opArnLike:
		if v.s == "*" {
			cv.pat = pattern{raw: v.s, kind: patAny}
			break
		}
		toks, problem := c.tokens(v, true)
		if problem != "" {
			return bad(problem)
		}
		if segs, ok := splitARN(toks); ok {
			cv.pat = pattern{raw: v.s, kind: patARN, segs: segs}
			break
		}
		if len(toks) > 0 && toks[0].kind == tVar {
			cv.pat = pattern{raw: v.s, kind: patGlob, toks: toks}
			break
		}
		return bad("bad ARN " + strconv.Quote(v.s) + ": an ARN has six colon-separated parts, arn:partition:service:region:account:resource")
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		d, ok := parseDecimal(v.s)
		if !ok {
			return bad("not a number: " + strconv.Quote(v.s))
		}
		cv.num = d
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(v.s)
		if !ok {
			return bad("bad date " + strconv.Quote(v.s) + ": use ISO 8601 (2006-01-02T15:04:05Z) or epoch seconds")
		}
		cv.t = t
	case opBool, opNull:
		b, ok := parseBool(v.s)
		if !ok {
			return bad("must be \"true\" or \"false\", not " + strconv.Quote(v.s))
		}
		cv.b = b
	case opBinaryEquals:
		b, err := base64.StdEncoding.DecodeString(v.s)
		if err != nil {
			return bad("BinaryEquals takes base64 values: " + strconv.Quote(v.s) + " is not")
		}
		cv.bin = b
	case opIPAddress:
		p, ok := parseCIDR(v.s)
		if !ok {
			return bad("bad CIDR " + strconv.Quote(v.s) + ": use an IPv4 or IPv6 block such as 203.0.113.0/24 or 2001:db8::/32")
		}
		cv.prefix = p
	}
	return cv, true
}

// checkKeyUse warns about operators that do not fit the key's values and
// about set operators on single-valued keys (and their absence on
// multi-valued ones), as IAM Access Analyzer does.
func (c *compiler) checkKeyUse(o operator, k keyRef, name, path string, deny bool) {
	if o.op == opNull {
		return
	}
	if k.typ != typeAny {
		want := ""
		switch o.op {
		case opIPAddress:
			if k.typ != typeIP {
				want = "an IP address"
			}
		case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
			if k.typ != typeDate && k.typ != typeEpoch {
				want = "a date"
			}
		case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
			if k.typ != typeEpoch {
				want = "a number"
			}
		case opBool:
			if k.typ != typeBool {
				want = "a boolean"
			}
		case opArnLike:
			if k.typ != typeARN {
				want = "an ARN"
			}
		default:
			switch k.typ {
			case typeIP:
				c.warn(path, name+" is an IP address: compare it with IpAddress or NotIpAddress")
			case typeDate:
				c.warn(path, name+" is a date: compare it with a Date operator")
			}
		}
		if want != "" {
			c.warn(path, "this operator compares "+want+", but "+name+" is not one: the condition never matches as intended")
		}
	}
	switch {
	case k.multi && o.set == setNone:
		c.warn(path, name+" is multi-valued: use ForAllValues: or ForAnyValue: to say how its values combine")
	case !k.multi && k.id != keyOther && o.set != setNone:
		c.warn(path, name+" is single-valued: a set operator is meant for multi-valued keys (and ForAllValues: is true when the key is missing)")
	case k.multi && o.set == setForAll && !deny && !o.ifExists:
		c.suggest(path, "ForAllValues: is also true when "+name+" is missing or empty; add a Null condition if the key must be present")
	}
}

// knownKeyList names the condition keys lineage sets.
func knownKeyList() string {
	return strings.Join([]string{
		KeyPrincipalArn, KeyUserID, KeyUsername, KeyPrincipalAccount, KeyTokenIssueTime,
		KeyCurrentTime, KeyEpochTime, KeySourceIP, KeySecureTransport, KeyClientID,
		KeyGrantType, KeyScope, KeyLineageUsername, KeySubject, KeyDomainID, KeyHuaweiUserID,
		KeyHuaweiUserName, KeyPrincipalUrn,
	}, ", ")
}
