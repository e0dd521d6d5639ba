package policy

import (
	"strings"
	"unicode/utf8"
)

// tokKind is one piece of a compiled pattern.
type tokKind uint8

const (
	tLit  tokKind = iota // literal text
	tStar                // * : any run of characters, within one ARN segment
	tOne                 // ? : exactly one character
	tVar                 // ${key} or ${key, 'default'}: a policy variable
)

// token is one piece of a pattern. A variable's value is literal text when
// substituted: a * or ? in it matches only itself.
type token struct {
	kind   tokKind
	lit    string // tLit: the text; tVar: the default
	key    keyRef // tVar
	hasDef bool   // tVar has a default value
}

// patKind says how a pattern matches.
type patKind uint8

const (
	patAny  patKind = iota // "*": everything
	patGlob                // whole-string match of toks
	patARN                 // per-segment match of segs
)

// pattern is a compiled Action, Resource, Principal or condition value.
type pattern struct {
	raw  string
	kind patKind
	toks []token
	segs [6][]token
}

// tokenizeOptions say which syntax a value may use.
type tokenizeOptions struct {
	wildcards bool // * and ? are wildcards
	variables bool // ${…} is a policy variable (Version 2012-10-17 and 5.0)
}

// tokenize splits s into tokens. It returns the keys of the variables in
// vars and a problem description ("" when s is well formed). Unknown keys
// of the known prefixes are problems; keys of other prefixes are returned
// in others so that the validator can warn about them.
func tokenize(s string, opt tokenizeOptions) (toks []token, problem string, others []string) {
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{kind: tLit, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case opt.variables && c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return nil, "policy variable without a closing }", others
			}
			inner := s[i+2 : i+2+end]
			i += 3 + end
			switch inner {
			case "*", "?", "$":
				lit.WriteString(inner)
				continue
			}
			t, p := parseVariable(inner)
			if p != "" {
				return nil, p, others
			}
			if t.key.id == keyOther {
				others = append(others, t.key.canonical)
			}
			flush()
			toks = append(toks, t)
		case opt.wildcards && c == '*':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].kind != tStar {
				toks = append(toks, token{kind: tStar})
			}
			i++
		case opt.wildcards && c == '?':
			flush()
			toks = append(toks, token{kind: tOne})
			i++
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return toks, "", others
}

// parseVariable compiles the inside of ${…}: a key and an optional default
// in single quotes, as AWS writes ${aws:username, 'anonymous'}.
func parseVariable(inner string) (token, string) {
	name, def, hasDef := strings.Cut(inner, ",")
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsFunc(name, func(r rune) bool {
		return !(r == ':' || r == '/' || r == '_' || r == '-' || r == '.' ||
			r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		return token{}, "bad policy variable ${" + inner + "}"
	}
	k, ok := resolveKey(name)
	if !ok {
		return token{}, "unknown condition key " + name + " in policy variable"
	}
	if k.multi {
		return token{}, "multi-valued key " + name + " cannot be a policy variable"
	}
	t := token{kind: tVar, key: k}
	if hasDef {
		def = strings.TrimSpace(def)
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
			return token{}, "the default of policy variable ${" + inner + "} must be in single quotes"
		}
		t.lit, t.hasDef = def[1:len(def)-1], true
	}
	return t, ""
}

// hasWildcard reports whether toks holds a * or ?.
func hasWildcard(toks []token) bool {
	for _, t := range toks {
		if t.kind == tStar || t.kind == tOne {
			return true
		}
	}
	return false
}

// varKeys appends the keys of toks' variables that have no default.
func varKeys(dst []keyRef, toks []token) []keyRef {
	for _, t := range toks {
		if t.kind == tVar && !t.hasDef {
			dst = append(dst, t.key)
		}
	}
	return dst
}

// splitARN splits an ARN pattern's tokens at the first five literal colons
// into its six segments (arn, partition, service, region, account,
// resource). ok is false unless there are six segments and the first is
// the literal "arn".
func splitARN(toks []token) (segs [6][]token, ok bool) {
	n := 0
	for _, t := range toks {
		if t.kind != tLit || n == 5 {
			segs[n] = append(segs[n], t)
			continue
		}
		rest := t.lit
		for n < 5 {
			i := strings.IndexByte(rest, ':')
			if i < 0 {
				break
			}
			if i > 0 {
				segs[n] = append(segs[n], token{kind: tLit, lit: rest[:i]})
			}
			rest = rest[i+1:]
			n++
		}
		if rest != "" {
			segs[n] = append(segs[n], token{kind: tLit, lit: rest})
		}
	}
	if n < 5 || len(segs[0]) != 1 || segs[0][0].kind != tLit || segs[0][0].lit != "arn" {
		return segs, false
	}
	return segs, true
}

// arnSegments splits an ARN into its six segments without allocating; ok
// is false when s has fewer than six.
func arnSegments(s string) (segs [6]string, ok bool) {
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return segs, false
		}
		segs[i], s = s[:j], s[j+1:]
	}
	segs[5] = s
	return segs, segs[0] == "arn"
}

// match reports whether s matches p. fold compares letters
// case-insensitively (action names, StringEqualsIgnoreCase). Variables are resolved through r (nil: none
// resolve); an unresolvable one matches nothing.
func (p *pattern) match(s string, fold bool, r *evalCtx) bool {
	switch p.kind {
	case patAny:
		return true
	case patARN:
		segs, ok := arnSegments(s)
		if !ok {
			return false
		}
		for i := range segs {
			if !matchTokens(p.segs[i], segs[i], fold, r) {
				return false
			}
		}
		return true
	}
	return matchTokens(p.toks, s, fold, r)
}

// matchTokens is wildcard matching with one backtracking point: a later *
// supersedes an earlier one, so the match is O(len(toks)·len(s)) at worst
// and allocates nothing.
func matchTokens(toks []token, s string, fold bool, r *evalCtx) bool {
	ti, si := 0, 0
	starT, starS := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tStar:
				starT, starS = ti, si
				ti++
				continue
			case tOne:
				if si < len(s) {
					_, n := utf8.DecodeRuneInString(s[si:])
					si += n
					ti++
					continue
				}
			case tLit, tVar:
				lit := t.lit
				if t.kind == tVar {
					v, ok := r.variable(t)
					if !ok {
						return false
					}
					lit = v
				}
				if hasPrefix(s[si:], lit, fold) {
					si += len(lit)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starT < 0 || starS >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starS:])
		starS += n
		ti, si = starT+1, starS
	}
}

func hasPrefix(s, prefix string, fold bool) bool {
	if len(s) < len(prefix) {
		return false
	}
	if !fold {
		return s[:len(prefix)] == prefix
	}
	for i := 0; i < len(prefix); i++ {
		a, b := s[i], prefix[i]
		if a >= utf8.RuneSelf || b >= utf8.RuneSelf {
			return strings.EqualFold(s[:len(prefix)], prefix)
		}
		if lowerASCII(a) != lowerASCII(b) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}
