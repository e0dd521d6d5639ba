// Package metrics holds lineage's Prometheus metrics (the official client
// library, on a registry of its own — no global state): what the issuer
// serves at /metrics on the admin listener. Domain packages report through
// the small interfaces they declare; this package implements them.
package metrics
