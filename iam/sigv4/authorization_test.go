package sigv4

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const exampleSignature = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"

func TestParseAuthorization(t *testing.T) {
	sdk := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240517/us-east-1/sso-oauth/aws4_request, " +
		"SignedHeaders=content-length;content-type;host;x-amz-date, Signature=" + exampleSignature
	want := authorization{
		AccessKeyID:   "AKIAIOSFODNN7EXAMPLE",
		Date:          "20240517",
		Region:        "us-east-1",
		Service:       "sso-oauth",
		SignedHeaders: []string{"content-length", "content-type", "host", "x-amz-date"},
		Signature:     exampleSignature,
	}
	valid := []struct {
		name   string
		header string
	}{
		{name: "as the SDKs write it", header: sdk},
		{name: "no space after commas", header: strings.ReplaceAll(sdk, ", ", ",")},
		{name: "several spaces around commas", header: strings.ReplaceAll(sdk, ", ", "  ,   ")},
		{name: "components in another order", header: "AWS4-HMAC-SHA256 Signature=" + exampleSignature +
			", SignedHeaders=content-length;content-type;host;x-amz-date, Credential=AKIAIOSFODNN7EXAMPLE/20240517/us-east-1/sso-oauth/aws4_request"},
	}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseAuthorization(tc.header)
			if err != nil {
				t.Fatalf("parseAuthorization: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %+v, want %+v", got, want)
			}
			if got.String() != sdk {
				t.Fatalf("String() = %q, want %q", got.String(), sdk)
			}
		})
	}

	cred := "Credential=AKIAIOSFODNN7EXAMPLE/20240517/us-east-1/sso-oauth/aws4_request"
	sh := "SignedHeaders=host;x-amz-date"
	sig := "Signature=" + exampleSignature
	hdr := func(parts ...string) string { return Algorithm + " " + strings.Join(parts, ", ") }
	many := make([]string, 65)
	for i := range many {
		many[i] = "x-h" + string(rune('a'+i/26)) + string(rune('a'+i%26))
	}
	invalid := []struct {
		name   string
		header string
	}{
		{name: "empty", header: ""},
		{name: "other scheme", header: "Bearer abc"},
		{name: "SigV4a", header: "AWS4-ECDSA-P256-SHA256 " + cred + ", " + sh + ", " + sig},
		{name: "algorithm without space", header: Algorithm + cred},
		{name: "algorithm in lower case", header: strings.ToLower(Algorithm) + " " + cred + ", " + sh + ", " + sig},
		{name: "missing Credential", header: hdr(sh, sig)},
		{name: "missing SignedHeaders", header: hdr(cred, sig)},
		{name: "missing Signature", header: hdr(cred, sh)},
		{name: "repeated Credential", header: hdr(cred, cred, sh, sig)},
		{name: "repeated SignedHeaders", header: hdr(cred, sh, sh, sig)},
		{name: "repeated Signature", header: hdr(cred, sh, sig, sig)},
		{name: "unknown component", header: hdr(cred, sh, sig, "Expires=3")},
		{name: "component name in lower case", header: hdr(strings.ToLower(cred), sh, sig)},
		{name: "space before equals", header: hdr("Credential =AKIAIOSFODNN7EXAMPLE/20240517/us-east-1/sso-oauth/aws4_request", sh, sig)},
		{name: "empty value", header: hdr("Credential=", sh, sig)},
		{name: "trailing comma", header: hdr(cred, sh, sig) + ","},
		{name: "empty component", header: hdr(cred, "", sh, sig)},
		{name: "signature in upper case", header: hdr(cred, sh, strings.ToUpper(sig[:10])+sig[10:])},
		{name: "signature too short", header: hdr(cred, sh, sig[:len(sig)-1])},
		{name: "signature too long", header: hdr(cred, sh, sig+"0")},
		{name: "signature not hex", header: hdr(cred, sh, sig[:len(sig)-1]+"g")},
		{name: "signed headers unsorted", header: hdr(cred, "SignedHeaders=x-amz-date;host", sig)},
		{name: "signed headers repeated", header: hdr(cred, "SignedHeaders=host;host;x-amz-date", sig)},
		{name: "signed header in upper case", header: hdr(cred, "SignedHeaders=Host;x-amz-date", sig)},
		{name: "signed header empty", header: hdr(cred, "SignedHeaders=host;;x-amz-date", sig)},
		{name: "signed header with a space", header: hdr(cred, "SignedHeaders=host;x-amz date", sig)},
		{name: "signed header too long", header: hdr(cred, "SignedHeaders=host;x"+strings.Repeat("a", 128), sig)},
		{name: "too many signed headers", header: hdr(cred, "SignedHeaders="+strings.Join(many, ";"), sig)},
		{name: "credential with four fields", header: hdr("Credential=AKIAIOSFODNN7EXAMPLE/20240517/us-east-1/aws4_request", sh, sig)},
		{name: "credential with six fields", header: hdr("Credential=AKIAIOSFODNN7EXAMPLE/20240517/us-east-1/sts/x/aws4_request", sh, sig)},
		{name: "credential terminator", header: hdr("Credential=AKIAIOSFODNN7EXAMPLE/20240517/us-east-1/sts/aws4_requests", sh, sig)},
		{name: "access key id in lower case", header: hdr("Credential=akiaiosfodnn7example/20240517/us-east-1/sts/aws4_request", sh, sig)},
		{name: "access key id too short", header: hdr("Credential=AKIAIOSFODNN7EX/20240517/us-east-1/sts/aws4_request", sh, sig)},
		{name: "access key id too long", header: hdr("Credential=AKIA"+strings.Repeat("A", 125)+"/20240517/us-east-1/sts/aws4_request", sh, sig)},
		{name: "scope date not a date", header: hdr("Credential=AKIAIOSFODNN7EXAMPLE/20240230/us-east-1/sts/aws4_request", sh, sig)},
		{name: "scope date with time", header: hdr("Credential=AKIAIOSFODNN7EXAMPLE/20240517T000000Z/us-east-1/sts/aws4_request", sh, sig)},
		{name: "region in upper case", header: hdr("Credential=AKIAIOSFODNN7EXAMPLE/20240517/US-EAST-1/sts/aws4_request", sh, sig)},
		{name: "empty service", header: hdr("Credential=AKIAIOSFODNN7EXAMPLE/20240517/us-east-1//aws4_request", sh, sig)},
		{name: "service too long", header: hdr("Credential=AKIAIOSFODNN7EXAMPLE/20240517/us-east-1/"+strings.Repeat("s", 65)+"/aws4_request", sh, sig)},
		{name: "header too long", header: hdr(cred, sh, sig) + strings.Repeat(" ", maxAuthorizationLength)},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseAuthorization(tc.header)
			if !errors.Is(err, CodeIncompleteSignature) {
				t.Fatalf("parseAuthorization = %v, want %s", err, CodeIncompleteSignature)
			}
			if strings.Contains(err.Error(), exampleSignature[:16]) {
				t.Fatalf("error quotes the signature: %v", err)
			}
		})
	}
}
