package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// stsClient is the real AWS SDK for Go v2 STS client pointed at lineage.
func stsClient(issuer, akid, secret, token string) *sts.Client {
	return sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(issuer + "/sts/"),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: token}, nil
		}),
		RetryMaxAttempts: 1,
	})
}

func apiCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func TestSTSWithTheAWSSDK(t *testing.T) {
	iss := startIssuer(t, "{}")
	ctx := context.Background()
	deployer := stsClient(iss.url, "AKIAEXAMPLEDEPLOYER1", iamSecret, "")

	who, err := deployer.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(who.Arn) != "arn:aws:iam::111122223333:user/deployer" || aws.ToString(who.Account) != "111122223333" ||
		!strings.HasPrefix(aws.ToString(who.UserId), "AIDA") {
		t.Fatalf("GetCallerIdentity = %s %s %s", aws.ToString(who.Arn), aws.ToString(who.UserId), aws.ToString(who.Account))
	}

	out, err := deployer.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::111122223333:role/ExampleAppClientRole"), RoleSessionName: aws.String("build-42"),
		DurationSeconds: aws.Int32(3600),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || len(aws.ToString(c.SecretAccessKey)) != 40 ||
		aws.ToString(c.SessionToken) == "" || c.Expiration == nil ||
		aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::111122223333:assumed-role/ExampleAppClientRole/build-42" ||
		!strings.HasSuffix(aws.ToString(out.AssumedRoleUser.AssumedRoleId), ":build-42") {
		t.Fatalf("AssumeRole = %+v %+v", c, out.AssumedRoleUser)
	}
	if got := c.Expiration.Sub(iss.clock.now()).Round(1e9 * 60); got != 60*1e9*60 {
		t.Fatalf("session lasts %v, want 1h", got)
	}

	session := stsClient(iss.url, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	who, err = session.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(who.Arn) != "arn:aws:sts::111122223333:assumed-role/ExampleAppClientRole/build-42" ||
		!strings.HasPrefix(aws.ToString(who.UserId), "AROA") || !strings.HasSuffix(aws.ToString(who.UserId), ":build-42") {
		t.Fatalf("session identity = %s %s", aws.ToString(who.Arn), aws.ToString(who.UserId))
	}

	// A second session, to swap tokens between sessions.
	other, err := deployer.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::111122223333:role/ExampleAppClientRole"), RoleSessionName: aws.String("build-43")})
	if err != nil {
		t.Fatal(err)
	}

	role := "arn:aws:iam::111122223333:role/ExampleAppClientRole"
	tests := []struct {
		name   string
		client *sts.Client
		call   func(*sts.Client) error
		code   string
	}{
		{name: "wrong secret", client: stsClient(iss.url, "AKIAEXAMPLEDEPLOYER1", "wrong"+iamSecret[5:], ""), code: "SignatureDoesNotMatch"},
		{name: "unknown key", client: stsClient(iss.url, "AKIAEXAMPLEUNKNOWN01", iamSecret, ""), code: "InvalidClientTokenId"},
		{name: "long-term key with a session token", client: stsClient(iss.url, "AKIAEXAMPLEDEPLOYER1", iamSecret, aws.ToString(c.SessionToken)), code: "InvalidClientTokenId"},
		{name: "another session's token", client: stsClient(iss.url, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(other.Credentials.SessionToken)), code: "InvalidClientTokenId"},
		{name: "caller not in the trust policy", client: stsClient(iss.url, "AKIAEXAMPLEOUTSIDER1", iamSecret, ""),
			call: func(s *sts.Client) error {
				_, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("x1")})
				return err
			}, code: "AccessDenied"},
		{name: "org guardrail denies", client: deployer,
			call: func(s *sts.Client) error {
				_, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111122223333:role/Forbidden"), RoleSessionName: aws.String("x1")})
				return err
			}, code: "AccessDenied"},
		{name: "unknown role", client: deployer,
			call: func(s *sts.Client) error {
				_, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111122223333:role/Nope"), RoleSessionName: aws.String("x1")})
				return err
			}, code: "AccessDenied"},
		{name: "duration above the role's maximum", client: deployer,
			call: func(s *sts.Client) error {
				_, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("x1"), DurationSeconds: aws.Int32(3 * 3600)})
				return err
			}, code: "ValidationError"},
		{name: "chained session longer than an hour", client: session,
			call: func(s *sts.Client) error {
				_, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("x1"), DurationSeconds: aws.Int32(7200)})
				return err
			}, code: "ValidationError"},
		{name: "malformed session policy", client: deployer,
			call: func(s *sts.Client) error {
				_, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &role, RoleSessionName: aws.String("x1"), Policy: aws.String(`{"Statement":"nope"}`)})
				return err
			}, code: "MalformedPolicyDocument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			call := tt.call
			if call == nil {
				call = func(s *sts.Client) error {
					_, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
					return err
				}
			}
			err := call(tt.client)
			if got := apiCode(err); got != tt.code {
				t.Fatalf("error code %q (%v), want %s", got, err, tt.code)
			}
		})
	}
}

// retryingSTSClient is the STS client with the SDK's default retries, which
// include its clock-skew correction.
func retryingSTSClient(issuer, akid, secret, token string) *sts.Client {
	return sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(issuer + "/sts/"),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: token}, nil
		}),
	})
}

func TestSTSClockSkewAndExpiry(t *testing.T) {
	iss := startIssuer(t, "{}")
	ctx := context.Background()

	// The issuer's clock runs 10 minutes ahead: the first attempt is
	// refused as skewed, the SDK corrects its clock from the Date header and
	// the retry succeeds.
	iss.clock.add(10 * time.Minute)
	deployer := retryingSTSClient(iss.url, "AKIAEXAMPLEDEPLOYER1", iamSecret, "")
	who, err := deployer.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("no success after the SDK's clock-skew correction: %v", err)
	}
	if aws.ToString(who.Arn) != "arn:aws:iam::111122223333:user/deployer" {
		t.Fatalf("Arn %s", aws.ToString(who.Arn))
	}
	noRetry := stsClient(iss.url, "AKIAEXAMPLEDEPLOYER1", iamSecret, "")
	if _, err := noRetry.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); apiCode(err) != "RequestTimeTooSkewed" {
		t.Fatalf("a skewed request without retries: %v, want RequestTimeTooSkewed", err)
	}

	// A 15-minute session, then the issuer's clock passes its expiration.
	out, err := deployer.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::111122223333:role/ExampleAppClientRole"), RoleSessionName: aws.String("short"),
		DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	session := retryingSTSClient(iss.url, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	if _, err := session.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	iss.clock.add(16 * time.Minute)
	if _, err := session.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); apiCode(err) != "ExpiredToken" {
		t.Fatalf("an expired session: %v, want ExpiredToken", err)
	}
}
