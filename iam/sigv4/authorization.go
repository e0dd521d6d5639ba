package sigv4

import (
	"strings"
	"time"
)

// Algorithm is the only signing algorithm accepted (SigV4 with HMAC-SHA256;
// SigV4a's AWS4-ECDSA-P256-SHA256 is refused).
const Algorithm = "AWS4-HMAC-SHA256"

// Limits of the Authorization header ("bounded lengths").
const (
	maxAuthorizationLength = 4096
	maxSignedHeaders       = 64
	maxHeaderNameLength    = 128
	minAccessKeyIDLength   = 16
	maxAccessKeyIDLength   = 128
	maxScopeFieldLength    = 64 // region, service
	signatureHexLength     = 64 // hex of HMAC-SHA256
	scopeTerminator        = "aws4_request"
	scopeDateLayout        = "20060102"
	amzDateLayout          = "20060102T150405Z"
)

// authorization is a parsed SigV4 Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=<64 hex>
type authorization struct {
	AccessKeyID   string
	Date          string // scope date, YYYYMMDD
	Region        string
	Service       string
	SignedHeaders []string // lower case, sorted, unique
	Signature     string   // 64 lower-case hex digits
}

// String serialises the header the way the AWS SDKs write it.
func (a authorization) String() string {
	var b strings.Builder
	b.WriteString(Algorithm)
	b.WriteString(" Credential=")
	b.WriteString(a.credential())
	b.WriteString(", SignedHeaders=")
	b.WriteString(strings.Join(a.SignedHeaders, ";"))
	b.WriteString(", Signature=")
	b.WriteString(a.Signature)
	return b.String()
}

func (a authorization) credential() string {
	return a.AccessKeyID + "/" + a.Date + "/" + a.Region + "/" + a.Service + "/" + scopeTerminator
}

// signs reports whether name (lower case) is among the signed headers.
func (a authorization) signs(name string) bool {
	for _, h := range a.SignedHeaders {
		if h == name {
			return true
		}
	}
	return false
}

// parseAuthorization parses an Authorization header strictly: the
// algorithm, one space, then Credential, SignedHeaders and Signature once
// each, in any order, separated by commas with optional spaces. Errors are
// *Error with CodeIncompleteSignature and never quote the input; on error
// the result is the zero value.
func parseAuthorization(h string) (authorization, error) {
	var a authorization
	if err := a.parse(h); err != nil {
		return authorization{}, err
	}
	return a, nil
}

func (a *authorization) parse(h string) error {
	if len(h) > maxAuthorizationLength {
		return refuse(CodeIncompleteSignature, "Authorization header is too long.")
	}
	rest, ok := strings.CutPrefix(h, Algorithm+" ")
	if !ok {
		if strings.HasPrefix(h, "AWS4-") {
			return refuse(CodeIncompleteSignature, "Unsupported AWS signing algorithm; only "+Algorithm+" is accepted.")
		}
		return refuse(CodeIncompleteSignature, "Authorization header must use "+Algorithm+".")
	}
	var haveCredential, haveSignedHeaders, haveSignature bool
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.Trim(part, " ")
		name, value, ok := strings.Cut(part, "=")
		if !ok || value == "" {
			return refuse(CodeIncompleteSignature, "Authorization header has a malformed component; expected Credential=, SignedHeaders= and Signature=.")
		}
		var err error
		switch name {
		case "Credential":
			if haveCredential {
				return refuse(CodeIncompleteSignature, "Authorization header repeats Credential.")
			}
			haveCredential = true
			err = a.parseCredential(value)
		case "SignedHeaders":
			if haveSignedHeaders {
				return refuse(CodeIncompleteSignature, "Authorization header repeats SignedHeaders.")
			}
			haveSignedHeaders = true
			err = a.parseSignedHeaders(value)
		case "Signature":
			if haveSignature {
				return refuse(CodeIncompleteSignature, "Authorization header repeats Signature.")
			}
			haveSignature = true
			err = a.parseSignature(value)
		default:
			return refuse(CodeIncompleteSignature, "Authorization header has an unknown component.")
		}
		if err != nil {
			return err
		}
	}
	switch {
	case !haveCredential:
		return refuse(CodeIncompleteSignature, "Authorization header requires 'Credential' parameter.")
	case !haveSignedHeaders:
		return refuse(CodeIncompleteSignature, "Authorization header requires 'SignedHeaders' parameter.")
	case !haveSignature:
		return refuse(CodeIncompleteSignature, "Authorization header requires 'Signature' parameter.")
	}
	return nil
}

// parseCredential parses AKID/YYYYMMDD/region/service/aws4_request.
func (a *authorization) parseCredential(v string) error {
	malformed := refuse(CodeIncompleteSignature, "Credential must have the form <access key id>/<YYYYMMDD>/<region>/<service>/aws4_request.")
	f := strings.Split(v, "/")
	if len(f) != 5 || f[4] != scopeTerminator {
		return malformed
	}
	if !validAccessKeyID(f[0]) || !validScopeDate(f[1]) || !validScopeField(f[2]) || !validScopeField(f[3]) {
		return malformed
	}
	a.AccessKeyID, a.Date, a.Region, a.Service = f[0], f[1], f[2], f[3]
	return nil
}

// parseSignedHeaders parses lower-case header names, sorted, unique,
// separated by ';'.
func (a *authorization) parseSignedHeaders(v string) error {
	names := strings.Split(v, ";")
	if len(names) > maxSignedHeaders {
		return refuse(CodeIncompleteSignature, "SignedHeaders lists too many headers.")
	}
	for i, n := range names {
		if !validHeaderName(n) {
			return refuse(CodeIncompleteSignature, "SignedHeaders must be lower-case header names separated by ';'.")
		}
		if i > 0 && names[i-1] >= n {
			return refuse(CodeIncompleteSignature, "SignedHeaders must be sorted and unique.")
		}
	}
	a.SignedHeaders = names
	return nil
}

// parseSignature accepts exactly 64 lower-case hex digits.
func (a *authorization) parseSignature(v string) error {
	if len(v) != signatureHexLength {
		return refuse(CodeIncompleteSignature, "Signature must be 64 lower-case hexadecimal digits.")
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return refuse(CodeIncompleteSignature, "Signature must be 64 lower-case hexadecimal digits.")
		}
	}
	a.Signature = v
	return nil
}

// validAccessKeyID: 16–128 upper-case letters and digits (IAM's
// AccessKeyIdType is [\w]+ of that length; every issued id is upper case).
func validAccessKeyID(s string) bool {
	if len(s) < minAccessKeyIDLength || len(s) > maxAccessKeyIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// validScopeDate: a real calendar date written YYYYMMDD.
func validScopeDate(s string) bool {
	if len(s) != len(scopeDateLayout) {
		return false
	}
	t, err := time.Parse(scopeDateLayout, s)
	return err == nil && t.Format(scopeDateLayout) == s
}

// validScopeField: a region or service name, [a-z0-9-]{1,64}.
func validScopeField(s string) bool {
	if s == "" || len(s) > maxScopeFieldLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validHeaderName: a lower-case RFC 9110 token of at most 128 bytes.
func validHeaderName(s string) bool {
	if s == "" || len(s) > maxHeaderNameLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
