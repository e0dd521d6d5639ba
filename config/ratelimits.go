package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RateLimits configures the rate limits shared by every issuer instance
// (their state is in the store). Each limit is a Rate; "0" turns one off.
// Login throttling (per username and per client IP) is always on and is
// not configured here.
type RateLimits struct {
	// Enabled turns every limit below on or off at once.
	Enabled bool `yaml:"enabled"`
	// TokenPerClient limits /token requests (standard grants and
	// CreateTokenWithIAM) per authenticated client. Default "0": no limit.
	TokenPerClient Rate `yaml:"token_per_client"`
	// FailedClientAuth limits failed client authentications per claimed
	// client id; a client over it is refused before its credentials are
	// checked.
	FailedClientAuth Rate `yaml:"failed_client_auth"`
	// FailedClientAuthPerIP is FailedClientAuth per client IP.
	FailedClientAuthPerIP Rate `yaml:"failed_client_auth_per_ip"`
	// FailedSigV4 limits failed SigV4 authentications (unknown key id,
	// wrong session token, wrong signature) per claimed access key id.
	FailedSigV4 Rate `yaml:"failed_sigv4"`
	// FailedSigV4PerIP is FailedSigV4 per client IP.
	FailedSigV4PerIP Rate `yaml:"failed_sigv4_per_ip"`
}

// Rate is a rate limit written "<count>/<period>": "100/s", "10/m",
// "500/h", or a Go duration as the period ("30/10s"). Up to count events
// may come at once; after that one every period/count. "0" (or empty)
// means no limit.
type Rate string

// Limits on a Rate.
const (
	maxRatePeriod   = 24 * time.Hour
	minRateInterval = time.Microsecond
)

// Parse returns the count and the period of r; a count of 0 means no
// limit.
func (r Rate) Parse() (count int, period time.Duration, err error) {
	s := strings.TrimSpace(string(r))
	if s == "" || s == "0" {
		return 0, 0, nil
	}
	n, p, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("must be <count>/<period> such as 100/s, 10/m or 500/h, or 0 for no limit")
	}
	count, err = strconv.Atoi(strings.TrimSpace(n))
	if err != nil || count < 0 {
		return 0, 0, fmt.Errorf("the count of %s must be a whole number", quote(s))
	}
	switch p = strings.TrimSpace(p); p {
	case "s":
		period = time.Second
	case "m":
		period = time.Minute
	case "h":
		period = time.Hour
	default:
		period, err = time.ParseDuration(p)
		if err != nil {
			return 0, 0, fmt.Errorf("the period of %s must be s, m, h or a Go duration such as 10s", quote(s))
		}
	}
	switch {
	case count == 0:
		return 0, 0, nil
	case period <= 0 || period > maxRatePeriod:
		return 0, 0, fmt.Errorf("the period of %s must be positive and at most 24h", quote(s))
	case period/time.Duration(count) < minRateInterval:
		return 0, 0, fmt.Errorf("%s is more than one event per microsecond", quote(s))
	}
	return count, period, nil
}

// rateLimits checks each limit's syntax.
func (v *validator) rateLimits(r RateLimits) {
	for _, l := range []struct {
		key  string
		rate Rate
	}{
		{"rate_limits.token_per_client", r.TokenPerClient},
		{"rate_limits.failed_client_auth", r.FailedClientAuth},
		{"rate_limits.failed_client_auth_per_ip", r.FailedClientAuthPerIP},
		{"rate_limits.failed_sigv4", r.FailedSigV4},
		{"rate_limits.failed_sigv4_per_ip", r.FailedSigV4PerIP},
	} {
		if _, _, err := l.rate.Parse(); err != nil {
			v.addf(l.key, "%v", err)
		}
	}
}

// defaultRateLimits are on, and far from what a well-behaved caller
// reaches: no limit on /token per client (one client of the load tool
// makes thousands of requests a second per instance), and failure limits
// that stop guessing but let a misconfigured client retry now and then.
func defaultRateLimits() RateLimits {
	return RateLimits{
		Enabled:               true,
		TokenPerClient:        "0",
		FailedClientAuth:      "10/m",
		FailedClientAuthPerIP: "60/m",
		FailedSigV4:           "20/m",
		FailedSigV4PerIP:      "100/m",
	}
}
