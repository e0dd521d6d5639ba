package policy

import (
	"testing"
	"time"
)

const (
	account    = "111122223333"
	userARN    = "arn:aws:iam::111122223333:user/deployer"
	roleARN    = "arn:aws:iam::111122223333:role/AppRole"
	sessionARN = "arn:aws:sts::111122223333:assumed-role/AppRole/build-42"
	appARN     = "arn:aws:sso::111122223333:application/ssoins-1/apl-web"
)

// testTime is the request time of the tests: 2025-01-01T00:00:00Z.
var testTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func user() Principal {
	return Principal{ARN: userARN, UserID: "AIDAEXAMPLEDEPLOYER", Username: "deployer"}
}

func session() Principal {
	return Principal{ARN: sessionARN, UserID: "AROAEXAMPLEAPPROLE:build-42"}
}

func mustParse(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

// allow is a 2012-10-17 identity policy of one Allow statement.
func allow(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"Allow","Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

// deny is a 2012-10-17 policy of one Deny statement.
func deny(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"Deny","Effect":"Deny","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

// grant is a resource policy allowing a principal element.
func grant(principal, action string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"Grant","Effect":"Allow","Principal":` + principal + `,"Action":"` + action + `","Resource":"*"}]}`
}

func policies(t testing.TB, docs ...string) []*Policy {
	t.Helper()
	var ps []*Policy
	for _, d := range docs {
		ps = append(ps, mustParse(t, d))
	}
	return ps
}
