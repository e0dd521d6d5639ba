package credentials_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/lineage-oss/lineage/internal/issuertest"
	"github.com/lineage-oss/lineage/sdk/credentials"
)

const (
	accessKeyID = "AKIAEXAMPLEDEPLOYER1"
	secret      = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" // 40 characters
	userARN     = "arn:aws:iam::111122223333:user/deployer"
	roleARN     = "arn:aws:iam::111122223333:role/ExampleAppClientRole"
)

// startIssuer runs the real lineage binary with an iam section and returns
// its STS endpoint.
func startIssuer(t *testing.T) string {
	t.Helper()
	addr := issuertest.FreeAddr(t)
	issuer := "http://" + addr
	cfg := fmt.Sprintf(`
issuer: %q
http: {public: %q, admin: %q, admin_token: "admin-token-0123456789abcdef0123456789"}
secrets: {system: "system-secret-0123456789abcdef0123456789"}
store: {}
iam:
  account_id: "111122223333"
  region: us-east-1
  users:
    - name: deployer
      access_keys: [{id: %s, secret: %q}]
      policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sts:AssumeRole", Resource: "*"}]}]
  roles:
    - name: ExampleAppClientRole
      max_session_duration: 1h
      trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: %q}, Action: "sts:AssumeRole"}]}
    - name: OutsidersOnly
      trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::111122223333:user/outsider"}, Action: "sts:AssumeRole"}]}
`, issuer, addr, issuertest.FreeAddr(t), accessKeyID, secret, userARN)
	path := filepath.Join(t.TempDir(), "lineage.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	issuertest.Start(t, nil, "serve", "--config", path).WaitReady(t, issuer)
	return issuer + "/sts/"
}

// callerARN asks lineage who the provider's credentials belong to, through
// the unmodified AWS SDK sts client.
func callerARN(t *testing.T, endpoint string, p aws.CredentialsProvider) string {
	t.Helper()
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: p, RetryMaxAttempts: 1})
	out, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	return aws.ToString(out.Arn)
}

// countingTransport counts the requests that reach the issuer.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func assumeRole(endpoint, role string, duration, window time.Duration) (aws.CredentialsProvider, *countingTransport) {
	ct := &countingTransport{}
	return credentials.AssumeRole(credentials.AssumeRoleOptions{
		Endpoint: endpoint, Region: "us-east-1", Source: credentials.Static(accessKeyID, secret),
		RoleARN: role, SessionName: "build-42", Duration: duration, ExpiryWindow: window,
		HTTPClient: &http.Client{Transport: ct},
	}), ct
}

func TestProvidersAgainstTheIssuer(t *testing.T) {
	endpoint := startIssuer(t)
	ctx := context.Background()

	t.Run("static", func(t *testing.T) {
		if got := callerARN(t, endpoint, credentials.Static(accessKeyID, secret)); got != userARN {
			t.Fatalf("caller = %s, want %s", got, userARN)
		}
	})

	t.Run("assume role and session", func(t *testing.T) {
		p, _ := assumeRole(endpoint, roleARN, time.Hour, 0)
		creds, err := p.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || creds.SessionToken == "" || !creds.CanExpire ||
			creds.Expires.IsZero() || creds.AccountID != "111122223333" || creds.Source != credentials.SourceAssumeRole {
			t.Fatalf("assumed credentials = %+v", creds)
		}
		const want = "arn:aws:sts::111122223333:assumed-role/ExampleAppClientRole/build-42"
		if got := callerARN(t, endpoint, p); got != want {
			t.Fatalf("caller = %s, want %s", got, want)
		}

		s := credentials.Session(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken, creds.Expires)
		sc, err := s.Retrieve(ctx)
		if err != nil || !sc.CanExpire || !sc.Expires.Equal(creds.Expires) {
			t.Fatalf("session credentials = %+v, %v", sc, err)
		}
		if got := callerARN(t, endpoint, s); got != want {
			t.Fatalf("session caller = %s, want %s", got, want)
		}
	})

	t.Run("concurrent callers share one AssumeRole call", func(t *testing.T) {
		p, calls := assumeRole(endpoint, roleARN, 15*time.Minute, time.Minute)
		var wg sync.WaitGroup
		keys := make([]string, 16)
		errs := make([]error, 16)
		for i := range keys {
			wg.Go(func() {
				c, err := p.Retrieve(ctx)
				keys[i], errs[i] = c.AccessKeyID, err
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if k != keys[0] {
				t.Fatalf("callers got different keys: %v", keys)
			}
		}
		if n := calls.n.Load(); n != 1 {
			t.Fatalf("%d AssumeRole calls, want 1", n)
		}
	})

	t.Run("refreshes within the expiry window", func(t *testing.T) {
		// A 15-minute session with a 20-minute window is due for refresh
		// as soon as it arrives.
		p, calls := assumeRole(endpoint, roleARN, 15*time.Minute, 20*time.Minute)
		first, err := p.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		second, err := p.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := calls.n.Load(); n != 2 || first.AccessKeyID == second.AccessKeyID {
			t.Fatalf("%d AssumeRole calls, keys %s %s; want a refresh", n, first.AccessKeyID, second.AccessKeyID)
		}
	})

	t.Run("role the user may not assume", func(t *testing.T) {
		p, _ := assumeRole(endpoint, "arn:aws:iam::111122223333:role/OutsidersOnly", 0, 0)
		_, err := p.Retrieve(ctx)
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" {
			t.Fatalf("Retrieve error = %v, want AccessDenied", err)
		}
	})
}

func TestAssumeRoleRejectsInvalidOptions(t *testing.T) {
	_, err := credentials.AssumeRole(credentials.AssumeRoleOptions{RoleARN: "not-an-arn", Duration: time.Millisecond}).Retrieve(context.Background())
	if !errors.Is(err, credentials.ErrInvalidOptions) {
		t.Fatalf("error = %v, want ErrInvalidOptions", err)
	}
	for _, field := range []string{"Endpoint", "Source", "RoleARN", "SessionName", "Duration"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error does not mention %s: %v", field, err)
		}
	}
}
