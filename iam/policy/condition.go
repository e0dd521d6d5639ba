package policy

import (
	"bytes"
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// opKind is a condition operator's comparison; negation, IfExists and the
// set prefixes are kept apart (see operator).
type opKind uint8

const (
	opStringEquals opKind = iota
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opArnLike // ArnEquals and ArnLike: AWS gives both per-segment wildcards
	opNull
)

// setKind is a condition's set prefix.
type setKind uint8

const (
	setNone   setKind = iota
	setForAll         // ForAllValues:
	setForAny         // ForAnyValue:
)

// operator is a parsed condition operator name.
type operator struct {
	op       opKind
	negated  bool // StringNotEquals, NotIpAddress, …: true when the positive form is false
	ifExists bool
	set      setKind
}

// baseOperator resolves an operator name without prefix or IfExists.
func baseOperator(name string) (op opKind, negated, ok bool) {
	switch name {
	case "StringEquals":
		return opStringEquals, false, true
	case "StringNotEquals":
		return opStringEquals, true, true
	case "StringEqualsIgnoreCase":
		return opStringEqualsIgnoreCase, false, true
	case "StringNotEqualsIgnoreCase":
		return opStringEqualsIgnoreCase, true, true
	case "StringLike":
		return opStringLike, false, true
	case "StringNotLike":
		return opStringLike, true, true
	case "NumericEquals":
		return opNumericEquals, false, true
	case "NumericNotEquals":
		return opNumericEquals, true, true
	case "NumericLessThan":
		return opNumericLessThan, false, true
	case "NumericLessThanEquals":
		return opNumericLessThanEquals, false, true
	case "NumericGreaterThan":
		return opNumericGreaterThan, false, true
	case "NumericGreaterThanEquals":
		return opNumericGreaterThanEquals, false, true
	case "DateEquals":
		return opDateEquals, false, true
	case "DateNotEquals":
		return opDateEquals, true, true
	case "DateLessThan":
		return opDateLessThan, false, true
	case "DateLessThanEquals":
		return opDateLessThanEquals, false, true
	case "DateGreaterThan":
		return opDateGreaterThan, false, true
	case "DateGreaterThanEquals":
		return opDateGreaterThanEquals, false, true
	case "Bool":
		return opBool, false, true
	case "BinaryEquals":
		return opBinaryEquals, false, true
	case "IpAddress":
		return opIPAddress, false, true
	case "NotIpAddress":
		return opIPAddress, true, true
	case "ArnEquals", "ArnLike":
		return opArnLike, false, true
	case "ArnNotEquals", "ArnNotLike":
		return opArnLike, true, true
	case "Null":
		return opNull, false, true
	}
	return 0, false, false
}

// operatorNames lists every base operator, for suggestions.
func operatorNames() []string {
	return []string{
		"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
		"StringLike", "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan",
		"NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals",
		"DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
		"DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals",
		"ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
	}
}

// parseOperator resolves a full operator name such as
// ForAnyValue:StringLikeIfExists. problem is "" when the name is valid.
func parseOperator(name string) (o operator, problem string) {
	rest := name
	if r, ok := strings.CutPrefix(rest, "ForAllValues:"); ok {
		o.set, rest = setForAll, r
	} else if r, ok := strings.CutPrefix(rest, "ForAnyValue:"); ok {
		o.set, rest = setForAny, r
	}
	op, neg, ok := baseOperator(rest)
	if !ok {
		if r, cut := strings.CutSuffix(rest, "IfExists"); cut {
			op, neg, ok = baseOperator(r)
			o.ifExists = true
		}
	}
	if !ok {
		msg := "unknown condition operator " + name
		for _, n := range operatorNames() {
			if strings.EqualFold(n, rest) || strings.EqualFold(n+"IfExists", rest) {
				msg += " (operator names are case-sensitive: did you mean " + n + "?)"
				break
			}
		}
		return o, msg
	}
	o.op, o.negated = op, neg
	if op == opNull && (o.ifExists || o.set != setNone) {
		return o, "Null takes neither IfExists nor a set prefix: it tests whether the key is present"
	}
	return o, ""
}

// condition is one operator applied to one key. Conditions of a statement
// are AND'd; the values of one condition are OR'd.
type condition struct {
	operator
	key     keyRef
	vals    []condValue
	opName  string // the operator as written: ForAnyValue:StringLike
	keyName string // the key as written: g:DomainId
}

// condValue is one compiled condition value; which fields are set depends
// on the operator.
type condValue struct {
	raw     string  // as written, for MarshalJSON
	rawKind jkind   // jString, jNumber or jBool
	pat     pattern // strings with variables, Like, Arn
	plain   bool    // String*Equals* without variables: compare lit
	lit     string
	num     decimal
	t       time.Time
	prefix  netip.Prefix
	b       bool
	bin     []byte
}

// values is a context key's values in a request. A time key taken from
// Request.Time is held as a time, formatted only if an operator needs text.
type values struct {
	list   []string
	one    string
	n      int
	t      time.Time
	isTime bool
	epoch  bool
}

// eval decides the condition for a request, with AWS semantics:
//
//   - a missing key makes a condition false, except negated operators
//     (StringNotEquals, NotIpAddress, …), which are then true;
//   - …IfExists is true when the key is missing;
//   - Null:true holds when the key is missing, Null:false when present;
//   - ForAllValues: holds when every value of the key matches (true for a
//     missing or empty key), ForAnyValue: when at least one does (false
//     for a missing key);
//   - several values in the policy are OR'd; a negated operator is true
//     when none of them matches;
//   - without a set prefix, a multi-valued key matches when any of its
//     values does (a negated operator: when none does).
func (c *condition) eval(e *evalCtx) bool {
	v := e.lookup(&c.key)
	if c.op == opNull {
		absent := v.n == 0
		for i := range c.vals {
			if c.vals[i].b == absent {
				return true
			}
		}
		return false
	}
	if v.n == 0 {
		switch {
		case c.ifExists, c.set == setForAll:
			return true
		case c.set == setForAny:
			return false
		}
		return c.negated
	}
	switch c.set {
	case setForAll:
		for i := 0; i < v.n; i++ {
			if c.matchAny(e, &v, i) == c.negated {
				return false
			}
		}
		return true
	case setForAny:
		for i := 0; i < v.n; i++ {
			if c.matchAny(e, &v, i) != c.negated {
				return true
			}
		}
		return false
	}
	for i := 0; i < v.n; i++ {
		if c.matchAny(e, &v, i) {
			return !c.negated
		}
	}
	return c.negated
}

// matchAny reports whether the i-th request value matches any of the
// policy values under the positive form of the operator.
func (c *condition) matchAny(e *evalCtx, v *values, i int) bool {
	switch c.op {
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t := v.t
		if !v.isTime {
			var ok bool
			if t, ok = parseDate(v.at(i)); !ok {
				return false
			}
		}
		for j := range c.vals {
			if compareHolds(c.op, t.Compare(c.vals[j].t)) {
				return true
			}
		}
		return false
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		d, ok := parseDecimal(e.text(v, i))
		if !ok {
			return false
		}
		for j := range c.vals {
			if compareHolds(c.op, d.cmp(c.vals[j].num)) {
				return true
			}
		}
		return false
	case opIPAddress:
		a, err := netip.ParseAddr(v.at(i))
		if err != nil {
			return false
		}
		a = a.WithZone("").Unmap()
		for j := range c.vals {
			if c.vals[j].prefix.Contains(a) {
				return true
			}
		}
		return false
	case opBinaryEquals:
		got, err := base64.StdEncoding.DecodeString(v.at(i))
		if err != nil {
			return false
		}
		for j := range c.vals {
			if bytes.Equal(got, c.vals[j].bin) {
				return true
			}
		}
		return false
	}
	s := e.text(v, i)
	for j := range c.vals {
		cv := &c.vals[j]
		switch c.op {
		case opStringEquals:
			if cv.plain && s == cv.lit || !cv.plain && cv.pat.match(s, false, e) {
				return true
			}
		case opStringEqualsIgnoreCase:
			if cv.plain && strings.EqualFold(s, cv.lit) || !cv.plain && cv.pat.match(s, true, e) {
				return true
			}
		case opStringLike, opArnLike:
			if cv.pat.match(s, false, e) {
				return true
			}
		case opBool:
			if b, ok := parseBool(s); ok && b == cv.b {
				return true
			}
		}
	}
	return false
}

// compareHolds reports whether a comparison result c (request value
// against policy value) satisfies an ordering operator.
func compareHolds(op opKind, c int) bool {
	switch op {
	case opNumericEquals, opDateEquals:
		return c == 0
	case opNumericLessThan, opDateLessThan:
		return c < 0
	case opNumericLessThanEquals, opDateLessThanEquals:
		return c <= 0
	case opNumericGreaterThan, opDateGreaterThan:
		return c > 0
	case opNumericGreaterThanEquals, opDateGreaterThanEquals:
		return c >= 0
	}
	return false
}

// at returns the i-th value as text (not for a time value).
func (v *values) at(i int) string {
	if v.list != nil {
		return v.list[i]
	}
	return v.one
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// decimal is an exact decimal number: AWS numeric operators compare
// integers and decimals, and float64 would round large integers.
type decimal struct {
	neg bool
	ip  string // integer digits without leading zeros
	fp  string // fraction digits without trailing zeros
}

// parseDecimal reads [+-]digits[.digits] (either side may be empty, not
// both).
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	if s != "" && (s[0] == '-' || s[0] == '+') {
		d.neg, s = s[0] == '-', s[1:]
	}
	ip, fp, _ := strings.Cut(s, ".")
	if ip == "" && fp == "" || !allDigits(ip) || !allDigits(fp) {
		return decimal{}, false
	}
	d.ip, d.fp = strings.TrimLeft(ip, "0"), strings.TrimRight(fp, "0")
	if d.ip == "" && d.fp == "" {
		d.neg = false
	}
	return d, true
}

func (a decimal) cmp(b decimal) int {
	if a.neg != b.neg {
		if a.neg {
			return -1
		}
		return 1
	}
	c := 0
	switch {
	case len(a.ip) != len(b.ip):
		c = len(a.ip) - len(b.ip)
	case a.ip != b.ip:
		c = compareText(a.ip, b.ip)
	default:
		c = compareText(a.fp, b.fp)
	}
	if a.neg {
		c = -c
	}
	return c
}

// compareText is strings.Compare with the language's operators, which
// (unlike strings.Compare's assembly) let the arguments stay on the stack.
func compareText(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// maxEpoch is 9999-12-31T23:59:59Z.
const maxEpoch = 253402300799

// parseDate reads the date forms AWS date operators accept: epoch seconds,
// or the W3C profile of ISO 8601 — YYYY, YYYY-MM, YYYY-MM-DD,
// YYYY-MM-DDThh:mmTZD, YYYY-MM-DDThh:mm:ss[.s]TZD (TZD is Z or ±hh:mm).
// Four digits are a year, not an epoch.
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	layout := ""
	switch {
	case allDigits(s) && len(s) != 4:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > maxEpoch {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	case len(s) == 4:
		layout = "2006"
	case len(s) == 7:
		layout = "2006-01"
	case len(s) == 10:
		layout = "2006-01-02"
	case len(s) > 16 && s[10] == 'T' && s[16] == ':':
		layout = time.RFC3339 // fractional seconds are accepted when parsing
	case len(s) > 16 && s[10] == 'T':
		layout = "2006-01-02T15:04Z07:00"
	default:
		return time.Time{}, false
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// parseCIDR reads an IPv4 or IPv6 CIDR block, or one address (a /32 or
// /128), as AWS IpAddress accepts.
func parseCIDR(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}
