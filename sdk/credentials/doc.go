// Package credentials provides AWS SDK for Go v2 credential providers for
// lineage's AWS-compatible STS (POST /sts/), the same pattern the AWS and
// Alibaba Cloud SDKs use for their own STS:
//
//   - [Static] holds a user's long-term access key (AKIA…), as configured
//     under iam.users[].access_keys.
//   - [Session] holds temporary credentials (ASIA…, secret, session token)
//     that an STS AssumeRole call already returned, and reports their
//     expiry so a cache can refresh them.
//   - [AssumeRole] signs STS AssumeRole with a source provider, through the
//     unmodified aws-sdk-go-v2 sts client pointed at lineage with
//     BaseEndpoint, and caches the session in an [aws.CredentialsCache] that
//     refreshes it [DefaultExpiryWindow] before it expires. Concurrent
//     callers share one in-flight AssumeRole call.
//
// Every provider satisfies [aws.CredentialsProvider], so it plugs into any
// AWS SDK client's Options.Credentials.
package credentials
