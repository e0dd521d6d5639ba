package iam

import "testing"

func TestRuleID(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:sts::111122223333:assumed-role/App/job-1": "arn:aws:iam::111122223333:role/App",
		"arn:aws-cn:sts::111122223333:assumed-role/App/j":  "arn:aws-cn:iam::111122223333:role/App",
		"arn:aws:iam::111122223333:user/ci":                "arn:aws:iam::111122223333:user/ci",
		"arn:aws:iam::111122223333:role/App":               "arn:aws:iam::111122223333:role/App",
		"arn:aws:sts::111122223333:assumed-role/App":       "arn:aws:sts::111122223333:assumed-role/App",
		"arn:aws:sts::111122223333:federated-user/x":       "arn:aws:sts::111122223333:federated-user/x",
		"not an arn": "not an arn",
	} {
		if got := RuleID(in); got != want {
			t.Errorf("RuleID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRuleIDs(t *testing.T) {
	got := RuleIDs("arn:aws:sts::1:assumed-role/App/s", "", "arn:aws:iam::1:user/ci")
	want := []string{"arn:aws:sts::1:assumed-role/App/s", "arn:aws:iam::1:role/App", "arn:aws:iam::1:user/ci"}
	if len(got) != len(want) {
		t.Fatalf("RuleIDs = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("RuleIDs = %q, want %q", got, want)
		}
	}
}
