// Package bench is lineage's load tool (`lineage bench`): it measures the
// issuer's hot paths the way clients use them, which a generic HTTP load
// generator cannot. Every request is distinct — introspection walks a pool
// of pre-minted tokens of several kinds (valid, of a disabled client,
// malformed) and checks every answer (RFC 7662 §2.2), each refresh worker
// walks its own refresh-token lineage, begun by signing in through the
// hosted login form, and each CreateTokenWithIAM request carries its own
// SigV4 signature by an IAM role session — and each scenario provisions
// what it needs through the admin API and deletes it afterwards, even when
// the run fails or is interrupted.
//
// A run is set-up, an unmeasured warm-up, the measured phase (a duration or
// a request count) and clean-up. The [Report] gives requests per second,
// latency percentiles (p50, p90, p99, p99.9), errors by kind, and the host
// that generated the load; with a Redis URL it also gives the Redis
// commands the issuer sent during the measured phase (INFO commandstats
// before and after) and Redis's persistence mode, so that a reader can see
// what each request cost the store.
//
// Scenarios implement [Scenario]; Run selects one by name.
package bench
