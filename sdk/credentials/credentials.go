package credentials

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Credential sources reported in [aws.Credentials].Source.
const (
	SourceStatic     = "LineageStaticCredentials"
	SourceSession    = "LineageSessionCredentials"
	SourceAssumeRole = "LineageAssumeRoleCredentials"
)

// DefaultExpiryWindow is how long before a session's expiration
// [AssumeRole] fetches a new one.
const DefaultExpiryWindow = time.Minute

// DefaultRegion is the SigV4 region used when AssumeRoleOptions.Region is
// empty; it must match lineage's iam.region.
const DefaultRegion = "us-east-1"

// ErrInvalidOptions reports AssumeRoleOptions that cannot make a request.
var ErrInvalidOptions = errors.New("credentials: invalid AssumeRole options")

// fixed is a provider that returns the same credentials every time.
type fixed struct{ creds aws.Credentials }

var _ aws.CredentialsProvider = fixed{}

func (f fixed) Retrieve(context.Context) (aws.Credentials, error) { return f.creds, nil }

// Static returns a provider for a user's long-term access key (AKIA…),
// which never expires (the SDK's static provider).
func Static(accessKeyID, secret string) aws.CredentialsProvider {
	p := awscreds.NewStaticCredentialsProvider(accessKeyID, secret, "")
	p.Value.Source = SourceStatic
	return p
}

// Session returns a provider for temporary STS credentials (ASIA…, secret,
// session token) that expire at expires; it reports CanExpire and Expires
// and does not renew them.
func Session(accessKeyID, secret, sessionToken string, expires time.Time) aws.CredentialsProvider {
	return fixed{aws.Credentials{
		AccessKeyID: accessKeyID, SecretAccessKey: secret, SessionToken: sessionToken,
		Source: SourceSession, CanExpire: true, Expires: expires,
	}}
}

// AssumeRoleOptions configures [AssumeRole].
type AssumeRoleOptions struct {
	// Endpoint is lineage's STS base URL, e.g. http://127.0.0.1:8080/sts/.
	Endpoint string
	// Region is the SigV4 signing region; DefaultRegion if empty.
	Region string
	// Source signs the AssumeRole call, typically [Static].
	Source aws.CredentialsProvider
	// RoleARN is the role to assume, arn:aws:iam::<account>:role/<name>.
	RoleARN string
	// SessionName names the session in the assumed-role ARN.
	SessionName string
	// Duration is the session's lifetime (DurationSeconds); the server's
	// default if zero.
	Duration time.Duration
	// ExpiryWindow is how long before expiry to refresh;
	// DefaultExpiryWindow if zero.
	ExpiryWindow time.Duration
	// HTTPClient sends the STS requests; the SDK's default if nil.
	HTTPClient aws.HTTPClient
}

// Validate reports every missing or invalid field at once.
func (o AssumeRoleOptions) Validate() error {
	var errs []error
	if o.Endpoint == "" {
		errs = append(errs, errors.New("Endpoint is required"))
	}
	if o.Source == nil {
		errs = append(errs, errors.New("Source is required"))
	}
	if _, err := arn.Parse(o.RoleARN); err != nil {
		errs = append(errs, fmt.Errorf("RoleARN %q: %w", o.RoleARN, err))
	}
	if o.SessionName == "" {
		errs = append(errs, errors.New("SessionName is required"))
	}
	if o.Duration < 0 || o.Duration%time.Second != 0 {
		errs = append(errs, fmt.Errorf("Duration %v is not a positive whole number of seconds", o.Duration))
	}
	if o.ExpiryWindow < 0 {
		errs = append(errs, fmt.Errorf("ExpiryWindow %v is negative", o.ExpiryWindow))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidOptions, errors.Join(errs...))
}

// AssumeRole returns a provider that calls STS AssumeRole on lineage and
// caches the session, refreshing it ExpiryWindow before it expires; it is
// safe for concurrent use. Invalid options surface as an error wrapping
// ErrInvalidOptions from Retrieve.
func AssumeRole(opts AssumeRoleOptions) aws.CredentialsProvider {
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.ExpiryWindow == 0 {
		opts.ExpiryWindow = DefaultExpiryWindow
	}
	if err := opts.Validate(); err != nil {
		return fixedError{err}
	}
	client := sts.New(sts.Options{
		Region:       opts.Region,
		BaseEndpoint: aws.String(opts.Endpoint),
		Credentials:  opts.Source,
		HTTPClient:   opts.HTTPClient,
	})
	// The SDK's own AssumeRole provider, in the SDK's cache, which
	// de-duplicates concurrent refreshes and renews ExpiryWindow early.
	provider := stscreds.NewAssumeRoleProvider(client, opts.RoleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = opts.SessionName
		if opts.Duration > 0 {
			o.Duration = opts.Duration
		}
	})
	return aws.NewCredentialsCache(sourced{provider}, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = opts.ExpiryWindow })
}

// sourced names lineage as the source of an AssumeRole session and adds
// the account id of the assumed role.
type sourced struct{ aws.CredentialsProvider }

func (s sourced) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := s.CredentialsProvider.Retrieve(ctx)
	if err != nil {
		return c, fmt.Errorf("credentials: assume role: %w", err)
	}
	c.Source = SourceAssumeRole
	return c, nil
}

// fixedError is a provider whose every Retrieve fails with err (invalid
// options).
type fixedError struct{ err error }

func (f fixedError) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{}, f.err
}
