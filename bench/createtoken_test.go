package bench

import (
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"testing"
)

func TestCheckIAMToken(t *testing.T) {
	const (
		app     = "lineage-bench-1-iam-app"
		session = "arn:aws:sts::111122223333:assumed-role/lineage-bench-1-iam-role/lineage-bench-1"
	)
	jwt := func(claims map[string]any) string {
		b, _ := json.Marshal(claims)
		return "eyJhbGciOiJFUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(b) + ".c2ln"
	}
	claims := func(change func(c map[string]any)) map[string]any {
		c := map[string]any{"sub": session, "iam_principal": session, "client_id": app, "scope": "read"}
		change(c)
		return c
	}
	body := func(change func(m map[string]any)) []byte {
		m := map[string]any{"accessToken": jwt(claims(func(map[string]any) {})), "tokenType": "Bearer", "expiresIn": 3600, "scope": []string{"read"}}
		change(m)
		b, _ := json.Marshal(m)
		return b
	}
	if err := checkIAMToken(body(func(map[string]any) {}), app, session); err != nil {
		t.Fatalf("a right answer: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(m map[string]any)
		kind   string
	}{
		{"snake_case fields (RFC 6749, not SSO-OIDC)", func(m map[string]any) {
			m["access_token"], m["token_type"] = m["accessToken"], m["tokenType"]
			delete(m, "accessToken")
			delete(m, "tokenType")
		}, ErrUnexpectedBody},
		{"opaque access token", func(m map[string]any) { m["accessToken"] = "opaque" }, ErrUnexpectedBody},
		{"tokenType mac", func(m map[string]any) { m["tokenType"] = "mac" }, ErrUnexpectedBody},
		{"no expiresIn", func(m map[string]any) { delete(m, "expiresIn") }, ErrUnexpectedBody},
		{"undecodable payload", func(m map[string]any) { m["accessToken"] = "a.!!!.c" }, ErrUnexpectedBody},
		{"another subject", func(m map[string]any) {
			m["accessToken"] = jwt(claims(func(c map[string]any) { c["sub"] = "arn:aws:iam::111122223333:user/someone" }))
		}, ErrWrongAnswer},
		{"no iam_principal", func(m map[string]any) {
			m["accessToken"] = jwt(claims(func(c map[string]any) { delete(c, "iam_principal") }))
		}, ErrWrongAnswer},
		{"another client", func(m map[string]any) {
			m["accessToken"] = jwt(claims(func(c map[string]any) { c["client_id"] = "other" }))
		}, ErrWrongAnswer},
		{"a wider scope", func(m map[string]any) {
			m["accessToken"] = jwt(claims(func(c map[string]any) { c["scope"] = "read write" }))
		}, ErrWrongAnswer},
		{"no scope in the response", func(m map[string]any) { delete(m, "scope") }, ErrWrongAnswer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkIAMToken(body(tc.change), app, session)
			if err == nil || failureOf(err).Kind != tc.kind {
				t.Fatalf("error %v, want %s", err, tc.kind)
			}
		})
	}
	if err := checkIAMToken([]byte("<html>"), app, session); err == nil || failureOf(err).Kind != ErrUnexpectedBody {
		t.Errorf("HTML taken for a token response: %v", err)
	}
}

func TestAWSFailureNamesTheExceptionType(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		header     string
		body       string
		kind, text string
	}{
		{"access denied", 400, "AccessDeniedException",
			`{"__type":"AccessDeniedException","error":"access_denied","error_description":"x is not authorized","message":"x is not authorized"}`,
			"http_400:AccessDeniedException", "x is not authorized"},
		{"a signature error has no OAuth code", 403, "SignatureDoesNotMatch",
			`{"__type":"SignatureDoesNotMatch","message":"Credential should be scoped to a valid region: 'us-east-1'."}`,
			"http_403:SignatureDoesNotMatch", "Credential should be scoped to a valid region: 'us-east-1'."},
		{"no header: the body's __type", 401, "", `{"__type":"InvalidClientException","message":"unknown"}`,
			"http_401:InvalidClientException", "unknown"},
		{"not AWS at all", 502, "", "<html>Bad Gateway</html>", "http_502", "Bad Gateway"},
		{"a type that is not a name", 400, "Access Denied", `{}`, "http_400", "Bad Request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := awsFailure(tc.status, tc.header, []byte(tc.body))
			if f.Kind != tc.kind || f.Detail != tc.text {
				t.Fatalf("%+v, want kind %q, detail %q", f, tc.kind, tc.text)
			}
		})
	}
}

func TestInvocationIDIsAUUIDv4(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	form := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := invocationID(r)
		if !form.MatchString(id) {
			t.Fatalf("%q is not a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("%q came twice", id)
		}
		seen[id] = true
	}
}
