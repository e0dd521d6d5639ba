// Package iam holds lineage's IAM principals — users with access keys,
// roles with trust policies and their STS sessions — and the AWS-compatible
// identifiers, ARNs and temporary credentials that go with them (DESIGN.md
// "IAM model"). Policy grammar and evaluation live in iam/policy; SigV4
// verification in iam/sigv4.
package iam
