package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// rateLimitsYAML are low limits, so that a test reaches them in a few
// requests: at most 4 tokens per client, 3 failures per client id or
// access key id and 5 per client IP, an hour.
const rateLimitsYAML = `
rate_limits: {enabled: true, token_per_client: 4/h, failed_client_auth: 3/h, failed_client_auth_per_ip: 5/h,
              failed_sigv4: 3/h, failed_sigv4_per_ip: 5/h}
`

// fromIP sends every request as if from ip: the issuers trust 127.0.0.1
// as a proxy, so X-Forwarded-For names the client. It is set after
// signing, as a proxy would.
type fromIP string

func (ip fromIP) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", string(ip))
	return http.DefaultTransport.RoundTrip(r)
}

// tokenFrom is postToken from ip.
func tokenFrom(t *testing.T, issuer, ip, user, pass string) tokenResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, issuer+"/token", strings.NewReader(cc().Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	resp, err := (&http.Client{Transport: fromIP(ip)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	return tokenResponse{status: resp.StatusCode, header: resp.Header, body: body, raw: string(raw)}
}

// wantOAuthLimited checks the RFC 6749 shape of a refusal by a limit of
// perHour: 429, temporarily_unavailable, and a Retry-After of at most one
// interval.
func wantOAuthLimited(t *testing.T, r tokenResponse, perHour int, what string) {
	t.Helper()
	if r.status != http.StatusTooManyRequests || r.body["error"] != "temporarily_unavailable" || r.body["error_description"] == "" {
		t.Fatalf("%s: %d %s, want 429 temporarily_unavailable", what, r.status, r.raw)
	}
	wantRetryAfter(t, r.header, time.Hour/time.Duration(perHour), what)
}

// wantRetryAfter checks a Retry-After of whole seconds, positive and at
// most max.
func wantRetryAfter(t *testing.T, h http.Header, max time.Duration, what string) {
	t.Helper()
	secs, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || secs <= 0 || time.Duration(secs)*time.Second > max+time.Second {
		t.Fatalf("%s: Retry-After = %q, want whole seconds in (0, %v]", what, h.Get("Retry-After"), max)
	}
}

// awsResponse returns the HTTP response behind an AWS SDK error.
func awsResponse(t *testing.T, err error) *http.Response {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	return re.Response.Response
}

// TestRateLimitsAcrossInstances: with low limits, requests alternating
// between two instances on one Redis are refused at the combined count
// (failures: from the one past the limit on; an instance that has not yet
// counted a failure past it lets one more through) —
// /token per client, failed client authentication per client id and per
// IP, failed SigV4 per access key id and per IP — each with Retry-After,
// in its protocol's shape: RFC 6749 JSON at /token, STS XML at /sts/,
// SSO-OIDC JSON at /token?aws_iam=t.
func TestRateLimitsAcrossInstances(t *testing.T) {
	iss, _ := startBalancedIssuers(t, rateLimitsYAML)
	ctx := context.Background()

	t.Run("token per client", func(t *testing.T) {
		for i := range 4 {
			if r := tokenFrom(t, iss.url, "198.51.100.1", "svc", svcSecret); r.status != 200 {
				t.Fatalf("token %d of 4: %d %s", i+1, r.status, r.raw)
			}
		}
		wantOAuthLimited(t, tokenFrom(t, iss.url, "198.51.100.1", "svc", svcSecret), 4, "fifth token")
		wantOAuthLimited(t, tokenFrom(t, iss.url, "198.51.100.2", "svc", svcSecret), 4, "fifth token from another IP")
		if r := tokenFrom(t, iss.url, "198.51.100.1", "short-lived", svcSecret); r.status != 200 {
			t.Fatalf("another client: %d %s", r.status, r.raw)
		}
	})

	t.Run("failed client authentication per client id", func(t *testing.T) {
		for i := range 3 {
			ip := fmt.Sprintf("198.51.100.%d", 10+i)
			if r := tokenFrom(t, iss.url, ip, "rs", "wrong-secret"); r.status != http.StatusUnauthorized || r.body["error"] != "invalid_client" {
				t.Fatalf("wrong secret %d of 3: %d %s", i+1, r.status, r.raw)
			}
		}
		wantOAuthLimited(t, tokenFrom(t, iss.url, "198.51.100.20", "rs", "wrong-secret"), 3, "fourth wrong secret")
		// Refused before the secret is checked: the right one fares no
		// better, so guessing gains nothing from the answer.
		wantOAuthLimited(t, tokenFrom(t, iss.url, "198.51.100.21", "rs", svcSecret), 3, "the right secret over the limit")
		if r := tokenFrom(t, iss.url, "198.51.100.20", "short-lived", svcSecret); r.status != 200 {
			t.Fatalf("another client from the same IP: %d %s", r.status, r.raw)
		}
	})

	t.Run("failed client authentication per IP", func(t *testing.T) {
		const ip = "203.0.113.7"
		for i := range 5 {
			if r := tokenFrom(t, iss.url, ip, fmt.Sprintf("guess-%d", i), "wrong-secret"); r.status != http.StatusUnauthorized {
				t.Fatalf("unknown client %d of 5: %d %s", i+1, r.status, r.raw)
			}
		}
		// An instance learns that a key is over its limit from the store
		// when it counts a failure of that key: the one that counted the
		// fifth knows, the other learns from the sixth, refused.
		wantOAuthLimited(t, tokenFrom(t, iss.url, ip, "guess-5", "wrong-secret"), 5, "sixth unknown client")
		wantOAuthLimited(t, tokenFrom(t, iss.url, ip, "short-lived", svcSecret), 5, "a good client from the IP over the limit")
		if r := tokenFrom(t, iss.url, "203.0.113.8", "short-lived", svcSecret); r.status != 200 {
			t.Fatalf("the good client from another IP: %d %s", r.status, r.raw)
		}
	})

	stsFrom := func(ip, akid, secret string) *sts.Client {
		return sts.New(sts.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(iss.url + "/sts/"), RetryMaxAttempts: 1,
			HTTPClient: &http.Client{Transport: fromIP(ip)},
			Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}, nil
			}),
		})
	}
	wantThrottling := func(t *testing.T, err error, perHour int, what string) {
		t.Helper()
		if apiCode(err) != "Throttling" {
			t.Fatalf("%s: %v, want Throttling", what, err)
		}
		resp := awsResponse(t, err)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-Amz-Retry-After") == "" {
			t.Fatalf("%s: status %d, X-Amz-Retry-After %q; want 429 with the header", what, resp.StatusCode, resp.Header.Get("X-Amz-Retry-After"))
		}
		wantRetryAfter(t, resp.Header, time.Hour/time.Duration(perHour), what)
	}

	t.Run("failed SigV4 per access key id, STS", func(t *testing.T) {
		for i := range 3 {
			_, err := stsFrom(fmt.Sprintf("198.51.100.%d", 30+i), "AKIAEXAMPLEOUTSIDER1", strings.Repeat("x", 40)).
				GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if apiCode(err) != "SignatureDoesNotMatch" {
				t.Fatalf("wrong secret %d of 3: %v", i+1, err)
			}
		}
		_, err := stsFrom("198.51.100.40", "AKIAEXAMPLEOUTSIDER1", strings.Repeat("x", 40)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantThrottling(t, err, 3, "fourth wrong secret")
		_, err = stsFrom("198.51.100.41", "AKIAEXAMPLEOUTSIDER1", iamSecret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantThrottling(t, err, 3, "the right secret over the limit")
		if _, err := stsFrom("198.51.100.40", "AKIAEXAMPLEDEPLOYER1", iamSecret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatalf("another key from the same IP: %v", err)
		}
	})

	t.Run("failed SigV4 per IP, STS", func(t *testing.T) {
		const ip = "203.0.113.9"
		for i := range 5 {
			_, err := stsFrom(ip, fmt.Sprintf("AKIAEXAMPLEGUESS%04d", i), strings.Repeat("x", 40)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if apiCode(err) != "InvalidClientTokenId" {
				t.Fatalf("unknown key %d of 5: %v", i+1, err)
			}
		}
		_, err := stsFrom(ip, "AKIAEXAMPLEGUESS0005", strings.Repeat("x", 40)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantThrottling(t, err, 5, "sixth unknown key")
		_, err = stsFrom(ip, "AKIAEXAMPLEDEPLOYER1", iamSecret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantThrottling(t, err, 5, "a good key from the IP over the limit")
	})

	createIAMApp(t, iss)
	sessionCreds := assumeRole(t, stsFrom("198.51.100.50", "AKIAEXAMPLEDEPLOYER1", iamSecret), roleARN, "limits")
	ssoFrom := func(ip string, creds aws.Credentials) *ssooidc.Client {
		return ssooidc.New(ssooidc.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(iss.url), RetryMaxAttempts: 1,
			HTTPClient:  &http.Client{Transport: fromIP(ip)},
			Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
		})
	}
	wantSlowDown := func(t *testing.T, err error, perHour int, what string) {
		t.Helper()
		var slow *ssotypes.SlowDownException
		if !errors.As(err, &slow) || aws.ToString(slow.Error_) != "slow_down" {
			t.Fatalf("%s: %v, want SlowDownException slow_down", what, err)
		}
		resp := awsResponse(t, err)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-Amzn-ErrorType") != "SlowDownException" {
			t.Fatalf("%s: status %d, X-Amzn-ErrorType %q; want 429 SlowDownException", what, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
		}
		wantRetryAfter(t, resp.Header, time.Hour/time.Duration(perHour), what)
	}
	createToken := func(c *ssooidc.Client) error {
		_, err := c.CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{ClientId: aws.String(iamApp), GrantType: aws.String("client_credentials"),
			Scope: []string{"read"}})
		return err
	}

	t.Run("token per client, CreateTokenWithIAM", func(t *testing.T) {
		for i := range 4 {
			if err := createToken(ssoFrom("198.51.100.60", sessionCreds)); err != nil {
				t.Fatalf("CreateTokenWithIAM %d of 4: %v", i+1, err)
			}
		}
		wantSlowDown(t, createToken(ssoFrom("198.51.100.60", sessionCreds)), 4, "fifth CreateTokenWithIAM")
	})

	t.Run("failed SigV4 per access key id, CreateTokenWithIAM", func(t *testing.T) {
		wrong := aws.Credentials{AccessKeyID: "AKIAEXAMPLEDEPLOYER1", SecretAccessKey: strings.Repeat("y", 40)}
		for i := range 3 {
			if err := createToken(ssoFrom(fmt.Sprintf("198.51.100.%d", 70+i), wrong)); apiCode(err) != "InvalidSignatureException" {
				t.Fatalf("wrong secret %d of 3: %v", i+1, err)
			}
		}
		wantSlowDown(t, createToken(ssoFrom("198.51.100.80", wrong)), 3, "fourth wrong secret")
	})
}
