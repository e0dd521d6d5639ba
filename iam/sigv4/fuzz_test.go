package sigv4

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// FuzzAuthorizationHeader: the parser never panics, and a header that
// parses re-serialises to one that parses to the same value and
// serialises to itself.
func FuzzAuthorizationHeader(f *testing.F) {
	for _, spec := range fuzzSeedSpecs() {
		r, _ := sign(f, spec)
		f.Add(r.Header.Get("Authorization"))
	}
	f.Add("AWS4-HMAC-SHA256 Signature=" + exampleSignature + ",SignedHeaders=host;x-amz-date,Credential=AKIAIOSFODNN7EXAMPLE/20240517/us-east-1/sts/aws4_request")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240230/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=" + exampleSignature)
	f.Add("AWS4-ECDSA-P256-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240517/sts/aws4_request, SignedHeaders=host;x-amz-region-set, Signature=3045")
	f.Add("Bearer abc")
	f.Add("")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseAuthorization(h)
		if err != nil {
			if !reflect.DeepEqual(a, authorization{}) {
				t.Fatalf("partial result on error: %+v", a)
			}
			return
		}
		s := a.String()
		b, err := parseAuthorization(s)
		if err != nil {
			t.Fatalf("re-serialised header %q does not parse: %v", s, err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip changed the header: %+v → %q → %+v", a, s, b)
		}
		if b.String() != s {
			t.Fatalf("serialisation is not stable: %q → %q", s, b.String())
		}
	})
}

// fuzzSeedSpecs are well-formed requests signed with secrets the fuzzed
// verifier does not know.
func fuzzSeedSpecs() []signSpec {
	plain := defaultSpec()
	plain.creds.SecretAccessKey = wrongSecret
	temp := defaultSpec()
	temp.creds = aws.Credentials{AccessKeyID: temporaryID, SecretAccessKey: wrongSecret, SessionToken: testToken}
	hashed := defaultSpec()
	hashed.service, hashed.target, hashed.body = "sts", "/", "Action=GetCallerIdentity&Version=2011-06-15"
	hashed.creds.SecretAccessKey = testSecret // a secret that is not the fuzzed verifier's either
	hashed.header.Set("X-Amz-Content-Sha256", sha256Hex([]byte(hashed.body)))
	return []signSpec{plain, temp, hashed}
}

// FuzzVerify: whatever the method, target, headers and body, Verify never
// accepts a request without the key's secret (a random one, drawn for the
// run, that no input can contain), never panics, and never echoes the
// secret or the signature in its error.
func FuzzVerify(f *testing.F) {
	raw := make([]byte, 30)
	if _, err := rand.Read(raw); err != nil {
		f.Fatal(err)
	}
	secret := base64.StdEncoding.EncodeToString(raw)
	lookup := func(_ context.Context, id, _ string) (Secret, error) {
		return Secret{AccessKeyID: id, SecretAccessKey: secret}, nil
	}
	v, err := New(Options{
		Region:   testRegion,
		Services: []string{"sso-oauth", "sts"},
		Host:     testHost,
		Now:      func() time.Time { return signedAt().Add(30 * time.Second) },
	})
	if err != nil {
		f.Fatal(err)
	}

	for _, spec := range fuzzSeedSpecs() {
		r, body := sign(f, spec)
		f.Add(r.Method, r.Host, r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"),
			r.Header.Get("X-Amz-Security-Token"), r.Header.Get("X-Amz-Content-Sha256"),
			"Content-Type", r.Header.Get("Content-Type"), body)
	}
	f.Add("GET", testHost, "/?X-Amz-Signature="+exampleSignature, "", "20240517T120000Z", "", "", "", "", []byte(nil))

	f.Fuzz(func(t *testing.T, method, host, target, authz, date, token, contentSHA, name, value string, body []byte) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		r := &http.Request{Method: method, URL: u, Host: host, Header: http.Header{}, ContentLength: int64(len(body))}
		for _, h := range []struct{ name, value string }{
			{"Authorization", authz}, {"X-Amz-Date", date}, {"X-Amz-Security-Token", token},
			{"X-Amz-Content-Sha256", contentSHA}, {name, value},
		} {
			if h.name != "" && h.value != "" {
				r.Header.Add(h.name, h.value)
			}
		}
		c, err := v.Verify(context.Background(), r, body, lookup)
		if err == nil {
			t.Fatalf("Verify accepted a request signed without the secret: %+v", c)
		}
		msg := err.Error()
		if strings.Contains(msg, secret) {
			t.Fatalf("error leaks the secret: %q", msg)
		}
		if a, perr := parseAuthorization(authz); perr == nil && strings.Contains(msg, a.Signature) {
			t.Fatalf("error leaks the signature: %q", msg)
		}
	})
}
