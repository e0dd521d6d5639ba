package verify_test

import (
	"context"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/sdk/credentials"
	"github.com/lineage-oss/lineage/sdk/iamtoken"
	"github.com/lineage-oss/lineage/sdk/verify"
)

// workerPolicies are the identity policies of the role Worker: every
// sso-oauth action, and with deny an explicit Deny of CreateTokenWithIAM.
func workerPolicies(deny bool) string {
	p := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sso-oauth:*","Resource":"*"}]}`
	if deny {
		p += `,{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sso-oauth:CreateTokenWithIAM","Resource":"*"}]}`
	}
	return "[" + p + "]"
}

// TestPolicyEventRechecksIAMTokens: a token minted with CreateTokenWithIAM
// (through sdk/credentials and sdk/iamtoken) verifies locally; after an
// explicit Deny is added to its role, the policy event makes the verifier
// re-check it by introspection and refuse it; once the Deny is gone, it is
// accepted again. Other tokens are not introspected.
func TestPolicyEventRechecksIAMTokens(t *testing.T) {
	t.Parallel()
	iss := startIssuer(t)
	ctx := context.Background()
	iss.adminDo(t, "POST", "/admin/v1/iam/users", `{"name":"ci","policies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}]}`, 201, nil)
	var key struct {
		AccessKey struct {
			ID string `json:"id"`
		} `json:"access_key"`
		Secret string `json:"secret_access_key"`
	}
	iss.adminDo(t, "POST", "/admin/v1/iam/users/ci/access-keys", "", 201, &key)
	iss.adminDo(t, "POST", "/admin/v1/iam/roles", `{"name":"Worker","trust_policy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/ci"},"Action":"sts:AssumeRole"}]},"policies":`+workerPolicies(false)+`}`, 201, nil)
	iss.adminDo(t, "POST", "/admin/v1/clients", `{"id":"jobs","grant_types":["client_credentials"],"audiences":["`+apiAudience+`"],
		"actor_policy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Worker"},"Action":"sso-oauth:CreateTokenWithIAM","Resource":"*"}]}}`, 201, nil)

	role := credentials.AssumeRole(credentials.AssumeRoleOptions{Endpoint: iss.url + "/sts/",
		Source: credentials.Static(key.AccessKey.ID, key.Secret), RoleARN: "arn:aws:iam::111122223333:role/Worker", SessionName: "job-1"})
	src, err := iamtoken.New(ctx, iamtoken.Options{Issuer: iss.url, Credentials: role, ClientID: "jobs"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	other := iss.token(t, "svc")

	v, rec := newVerifier(t, iss, nil)
	claims, err := v.Verify(ctx, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if claims.IAMPrincipal != "arn:aws:sts::111122223333:assumed-role/Worker/job-1" {
		t.Fatalf("iam_principal %q", claims.IAMPrincipal)
	}

	iss.adminDo(t, "PUT", "/admin/v1/iam/roles/Worker/policies", `{"policies":`+workerPolicies(true)+`}`, 200, nil)
	eventually(t, 10*time.Second, "the IAM token refused after the Deny", func() error {
		_, err := v.Verify(ctx, tok.AccessToken)
		return wantErr(err, verify.ErrRevoked)
	})
	if _, err := v.Verify(ctx, other); err != nil {
		t.Fatalf("a token not minted with IAM: %v", err)
	}
	iss.adminDo(t, "PUT", "/admin/v1/iam/roles/Worker/policies", `{"policies":`+workerPolicies(false)+`}`, 200, nil)
	eventually(t, 10*time.Second, "the IAM token accepted once the Deny is gone", func() error {
		_, err := v.Verify(ctx, tok.AccessToken)
		return err
	})
	if rec.count("/introspect") == 0 {
		t.Fatal("the verifier never introspected: the refusal did not come from a re-check")
	}
}
