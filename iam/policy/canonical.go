package policy

import (
	"slices"
	"strings"
)

// MarshalJSON writes the policy in canonical JSON, the form in which two
// equal policies are equal bytes:
//
//   - no whitespace; the keys of every object sorted (byte order): Id,
//     Statement, Version at the top; Action, Condition, Effect, …, Sid in
//     a statement; operators, and keys under each operator, in Condition;
//   - a value that may be a list (Action, Resource, their Not forms, each
//     principal type, condition values) written as AWS writes it: a lone
//     value as a scalar, several as a list in their order;
//   - Statement keeps the shape it was written in — an object or a list,
//     even of one — because a decision names a lone statement "Statement"
//     and a listed one "Statement[0]"; statements keep their order;
//   - every value, name and key as written (g:DomainId stays g:DomainId),
//     condition values keep their JSON type (a number stays a number);
//   - strings escape only what JSON requires (", \ and control
//     characters); encoding/json, marshalling a value that holds a
//     *Policy, escapes <, >, &, U+2028 and U+2029 on top of that, which
//     reads back the same.
//
// An empty Sid and an empty Condition object are left out. The canonical
// form is never longer than the document parsed, nor holds more JSON
// values, so it is within Parse's bounds, and Parse of it gives a policy
// that decides every request as this one does and marshals to the same
// bytes.
func (p *Policy) MarshalJSON() ([]byte, error) {
	if p == nil {
		return []byte("null"), nil
	}
	return p.appendCanonical(make([]byte, 0, 256)), nil
}

// appendCanonical appends the canonical JSON of p to b.
func (p *Policy) appendCanonical(b []byte) []byte {
	b = append(b, '{')
	if p.hasID {
		b = appendJSONString(append(b, `"Id":`...), p.id)
		b = append(b, ',')
	}
	b = append(b, `"Statement":`...)
	if p.single && len(p.statements) == 1 {
		b = p.statements[0].appendCanonical(b)
	} else {
		b = append(b, '[')
		for i := range p.statements {
			if i > 0 {
				b = append(b, ',')
			}
			b = p.statements[i].appendCanonical(b)
		}
		b = append(b, ']')
	}
	if p.version != "" {
		b = appendJSONString(append(b, `,"Version":`...), p.version)
	}
	return append(b, '}')
}

// member is one key of a JSON object being written and a function that
// appends its value.
type member struct {
	key   string
	value func([]byte) []byte
}

// appendObject writes members with their keys sorted.
func appendObject(b []byte, ms []member) []byte {
	slices.SortFunc(ms, func(x, y member) int { return strings.Compare(x.key, y.key) })
	b = append(b, '{')
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, m.key)
		b = append(b, ':')
		b = m.value(b)
	}
	return append(b, '}')
}

func (st *statement) appendCanonical(b []byte) []byte {
	ms := make([]member, 0, 6)
	effect := "Allow"
	if st.deny {
		effect = "Deny"
	}
	ms = append(ms, member{"Effect", func(b []byte) []byte { return appendJSONString(b, effect) }})
	if st.sid != "" {
		ms = append(ms, member{"Sid", func(b []byte) []byte { return appendJSONString(b, st.sid) }})
	}
	if pe := st.principal; pe != nil {
		name := "Principal"
		if pe.not {
			name = "NotPrincipal"
		}
		ms = append(ms, member{name, pe.appendCanonical})
	}
	name := "Action"
	if st.act.not {
		name = "NotAction"
	}
	ms = append(ms, member{name, func(b []byte) []byte { return appendPatterns(b, st.act.pats) }})
	if st.res.present {
		name := "Resource"
		if st.res.not {
			name = "NotResource"
		}
		ms = append(ms, member{name, func(b []byte) []byte { return appendPatterns(b, st.res.pats) }})
	}
	if len(st.conds) > 0 {
		ms = append(ms, member{"Condition", func(b []byte) []byte { return appendConditions(b, st.conds) }})
	}
	return appendObject(b, ms)
}

func (pe *principalElem) appendCanonical(b []byte) []byte {
	if pe.star {
		return appendJSONString(b, "*")
	}
	ms := make([]member, 0, len(pe.written))
	for _, t := range pe.written {
		ms = append(ms, member{t.name, func(b []byte) []byte {
			return appendList(b, len(t.vals), func(b []byte, i int) []byte { return appendJSONString(b, t.vals[i]) })
		}})
	}
	return appendObject(b, ms)
}

func appendPatterns(b []byte, pats []pattern) []byte {
	return appendList(b, len(pats), func(b []byte, i int) []byte { return appendJSONString(b, pats[i].raw) })
}

// appendConditions writes a Condition block: each operator once, with its
// keys.
func appendConditions(b []byte, conds []condition) []byte {
	var ops []member
	for i := range conds {
		name := conds[i].opName
		if slices.ContainsFunc(ops, func(m member) bool { return m.key == name }) {
			continue
		}
		ops = append(ops, member{name, func(b []byte) []byte {
			var keys []member
			for j := range conds {
				c := &conds[j]
				if c.opName != name {
					continue
				}
				keys = append(keys, member{c.keyName, func(b []byte) []byte {
					return appendList(b, len(c.vals), func(b []byte, k int) []byte { return c.vals[k].appendCanonical(b) })
				}})
			}
			return appendObject(b, keys)
		}})
	}
	return appendObject(b, ops)
}

// appendCanonical writes a condition value with its JSON type: a number or
// a boolean as written (encoding/json gave its literal text), else a
// string.
func (cv *condValue) appendCanonical(b []byte) []byte {
	if cv.rawKind == jNumber || cv.rawKind == jBool {
		return append(b, cv.raw...)
	}
	return appendJSONString(b, cv.raw)
}

// appendList writes n items: a lone one as a scalar, as AWS writes them.
func appendList(b []byte, n int, item func([]byte, int) []byte) []byte {
	if n == 1 {
		return item(b, 0)
	}
	b = append(b, '[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = item(b, i)
	}
	return append(b, ']')
}

// appendJSONString writes s (valid UTF-8: Parse refuses anything else) as
// a JSON string, escaping only what JSON requires, so that no string comes
// out longer than any way of writing it in the document.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
