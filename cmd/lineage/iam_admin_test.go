package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func adminJSON(t *testing.T, iss *testIssuer, method, path, body string, want int) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(method, iss.admin+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %v, want %d", method, path, resp.StatusCode, out, want)
	}
	return out
}

func TestIAMAdministration(t *testing.T) {
	iss := startIssuer(t, "{}")
	ctx := context.Background()

	// A policy with an error is refused with its findings; nothing is stored.
	bad := adminJSON(t, iss, "POST", "/admin/v1/iam/users", `{"name":"ci","policies":[{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"sts:AssumeRole","Resource":"*"}]}]}`, 400)
	if f, _ := bad["findings"].([]any); len(f) == 0 {
		t.Fatalf("no findings in %v", bad)
	}
	adminJSON(t, iss, "GET", "/admin/v1/iam/users/ci", "", 404)

	created := adminJSON(t, iss, "POST", "/admin/v1/iam/users", `{"name":"ci","policies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}]}`, 201)
	if u := created["user"].(map[string]any); u["arn"] != "arn:aws:iam::111122223333:user/ci" || !strings.HasPrefix(u["id"].(string), "AIDA") {
		t.Fatalf("created %v", created)
	}
	key := adminJSON(t, iss, "POST", "/admin/v1/iam/users/ci/access-keys", "", 201)
	akid := key["access_key"].(map[string]any)["id"].(string)
	secret := key["secret_access_key"].(string)
	if !strings.HasPrefix(akid, "AKIA") || len(akid) != 20 || len(secret) != 40 {
		t.Fatalf("access key %v", key)
	}
	listed := adminJSON(t, iss, "GET", "/admin/v1/iam/users/ci/access-keys", "", 200)
	if raw, _ := json.Marshal(listed); bytes.Contains(raw, []byte(secret)) {
		t.Fatal("the secret is listed again")
	}

	ci := stsClient(iss.url, akid, secret, "")
	who, err := ci.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:iam::111122223333:user/ci" {
		t.Fatalf("GetCallerIdentity with the new key: %v %v", who, err)
	}

	// A role created through the API, trusting ci.
	adminJSON(t, iss, "POST", "/admin/v1/iam/roles", `{"name":"Deploy","max_session_duration":"2h",
		"trust_policy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/ci"},"Action":"sts:AssumeRole"}]}}`, 201)
	roleARN := "arn:aws:iam::111122223333:role/Deploy"
	out, err := ci.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &roleARN, RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7200)})
	if err != nil {
		t.Fatal(err)
	}
	session := stsClient(iss.url, aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
	if _, err := session.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}

	// A guardrail set through the API denies at the next call.
	put := adminJSON(t, iss, "PUT", "/admin/v1/iam/org-policies", `{"policies":[{"Version":"2012-10-17","Statement":[{"Sid":"NoDeploy","Effect":"Deny","Action":"sts:AssumeRole","Resource":"`+roleARN+`"}]}]}`, 200)
	if _, ok := put["findings"]; !ok {
		t.Fatalf("no findings member in %v", put)
	}
	if _, err := ci.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &roleARN, RoleSessionName: aws.String("s2")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("AssumeRole past a Deny guardrail: %v", err)
	}
	adminJSON(t, iss, "PUT", "/admin/v1/iam/org-policies", `{"policies":[]}`, 200)

	// Deleting the role ends its sessions at once.
	adminJSON(t, iss, "DELETE", "/admin/v1/iam/roles/Deploy", "", 204)
	if _, err := session.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); apiCode(err) != "InvalidClientTokenId" {
		t.Fatalf("session of a deleted role: %v", err)
	}

	// Deactivating the key stops it at once.
	deact := adminJSON(t, iss, "DELETE", "/admin/v1/iam/users/ci/access-keys/"+akid, "", 200)
	if deact["access_key"].(map[string]any)["status"] != "Inactive" {
		t.Fatalf("deactivated %v", deact)
	}
	if _, err := ci.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); apiCode(err) != "InvalidClientTokenId" {
		t.Fatalf("a deactivated key still signs: %v", err)
	}

	// Configured principals are read-only.
	adminJSON(t, iss, "DELETE", "/admin/v1/iam/users/deployer", "", 409)
	adminJSON(t, iss, "DELETE", "/admin/v1/iam/roles/ExampleAppClientRole", "", 409)
	adminJSON(t, iss, "DELETE", "/admin/v1/iam/users/deployer/access-keys/AKIAEXAMPLEDEPLOYER1", "", 409)

	// Every change is audited, without secrets.
	audit := adminJSON(t, iss, "GET", "/admin/v1/audit?limit=100", "", 200)
	raw, _ := json.Marshal(audit)
	for _, action := range []string{"iam_user.create", "access_key.create", "iam_role.create", "org_policies.put", "iam_role.delete", "access_key.deactivate"} {
		if !bytes.Contains(raw, []byte(action)) {
			t.Errorf("no %s in the audit trail", action)
		}
	}
	if bytes.Contains(raw, []byte(secret)) || bytes.Contains(raw, []byte("sealed")) {
		t.Fatal("the audit trail holds a secret")
	}
}

func TestPolicyValidateCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "Version: \"2012-10-17\"\nStatement:\n  - {Sid: A, Effect: Allow, Action: sts:AssumeRole, Resource: \"*\"}\n")
	actor := write("actor.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sso-oauth:CreateTokenWithIAM","Resource":"*"}]}`)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{name: "valid identity policy", args: []string{"policy", "validate", good}, wantCode: 0, wantOut: "no findings"},
		{name: "actor policy without a principal", args: []string{"policy", "validate", "--type", "actor", actor}, wantCode: 1, wantOut: "$.Statement[0]"},
		{name: "json output", args: []string{"policy", "validate", "--type", "actor", "--json", actor}, wantCode: 1, wantOut: `"valid": false`},
		{name: "unknown type", args: []string{"policy", "validate", "--type", "nope", good}, wantCode: 2},
		{name: "missing file", args: []string{"policy", "validate", filepath.Join(dir, "none.json")}, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr, func(string) (string, bool) { return "", false })
			if code != tt.wantCode || !strings.Contains(stdout.String(), tt.wantOut) {
				t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout.String(), stderr.String())
			}
		})
	}
}
