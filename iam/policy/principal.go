package policy

import "strings"

// strength is how specifically a resource-policy statement names the
// caller, which decides whether it allows on its own (AWS "Policy
// evaluation logic": resource-based policies in the same account).
type strength uint8

const (
	noMatch strength = iota
	// matchAccount: the statement names the caller's account (…:root or a
	// 12-digit id). Access is delegated to the identity policies.
	matchAccount
	// matchBroad: "*", a wildcard ARN, NotPrincipal, or the role whose
	// session the caller is. Allows on its own, within session policies.
	matchBroad
	// matchExact: the caller's exact ARN (an IAM user, or a role session's
	// assumed-role ARN). Allows on its own, even past session policies.
	matchExact
)

// ppKind says how a principal value matches.
type ppKind uint8

const (
	ppAccount ppKind = iota // 12 digits or arn:…:iam::ACCOUNT:root
	ppRole                  // arn:…:iam::ACCOUNT:role/[path/]NAME: the role and its sessions
	ppExact                 // any other ARN: that principal only
	ppGlob                  // an ARN with wildcards, matched per segment
)

// principalElem is a compiled Principal or NotPrincipal element.
type principalElem struct {
	not     bool
	any     bool // "*" or {"AWS": "*"}
	aws     []principalValue
	star    bool            // written as the string "*"
	written []principalType // otherwise: the element as written, type by type
}

// principalType is one principal type of a Principal object and its values,
// as written: {"AWS": [...]}, {"Service": [...]}.
type principalType struct {
	name string
	vals []string
}

type principalValue struct {
	kind      ppKind
	raw       string
	partition string // "" for a bare account id
	account   string
	roleName  string
	pat       pattern
}

// match returns how specifically the element names the caller. A
// NotPrincipal element applies, broadly, to every caller it does not name
// — with the same matching as Principal, so NotPrincipal role/X also
// excludes X's sessions and an account excludes all of its principals.
func (pe *principalElem) match(e *evalCtx) strength {
	best := noMatch
	if pe.any {
		best = matchBroad
	}
	for i := range pe.aws {
		if s := pe.aws[i].match(e); s > best {
			best = s
		}
	}
	if pe.not {
		if best != noMatch {
			return noMatch
		}
		return matchBroad
	}
	return best
}

func (pv *principalValue) match(e *evalCtx) strength {
	arn := e.req.Principal.ARN
	switch pv.kind {
	case ppAccount:
		if e.account != "" && e.account == pv.account && (pv.partition == "" || !e.isARN || e.segs[1] == pv.partition) {
			return matchAccount
		}
	case ppRole:
		if arn == pv.raw {
			return matchExact
		}
		if e.session && e.segs[1] == pv.partition && e.segs[4] == pv.account && e.roleName == pv.roleName {
			return matchBroad
		}
	case ppExact:
		if arn != "" && arn == pv.raw {
			return matchExact
		}
	case ppGlob:
		if arn != "" && pv.pat.match(arn, false, nil) || e.session && pv.pat.match(e.principalARN(), false, nil) {
			return matchBroad
		}
	}
	return noMatch
}

// parseCaller splits the caller's ARN: a role session is
// arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION. It is a function
// of the Principal (not a method storing into the evalCtx) so that escape
// analysis keeps the evaluation on the stack.
func parseCaller(p *Principal) (segs [6]string, isARN bool, account string, session bool, roleName string) {
	segs, isARN = arnSegments(p.ARN)
	account = p.Account
	if account == "" && isARN {
		account = segs[4]
	}
	if !isARN || segs[2] != "sts" {
		return
	}
	rest, ok := strings.CutPrefix(segs[5], "assumed-role/")
	if !ok {
		return
	}
	name, sess, ok := strings.Cut(rest, "/")
	if ok && name != "" && sess != "" {
		session, roleName = true, name
	}
	return
}

// principalARN is the value of aws:PrincipalArn: the role's ARN for a role
// session (Principal.RoleARN, or built from the session ARN — without the
// role's path — when that is empty), else the caller's ARN.
func (e *evalCtx) principalARN() string {
	if !e.session {
		return e.req.Principal.ARN
	}
	if e.req.Principal.RoleARN != "" {
		return e.req.Principal.RoleARN
	}
	if e.roleARN == "" {
		e.roleARN = "arn:" + e.segs[1] + ":iam::" + e.segs[4] + ":role/" + e.roleName
	}
	return e.roleARN
}
