package main

import (
	"fmt"
	"log/slog"

	"github.com/lineage-oss/lineage/config"
	"github.com/lineage-oss/lineage/ratelimit"
	"github.com/lineage-oss/lineage/store"
)

// newRateLimits builds the rate limiter of rate_limits (nil when they are
// disabled), keeping its state in st so that every instance shares it.
func newRateLimits(cfg config.RateLimits, st store.RateLimits, logger *slog.Logger) (*ratelimit.Limiter, error) {
	if !cfg.Enabled {
		return nil, nil
	}
	limit := func(key string, r config.Rate) (store.RateLimit, error) {
		count, period, err := r.Parse()
		if err != nil {
			return store.RateLimit{}, fmt.Errorf("rate_limits.%s: %w", key, err)
		}
		// Up to count at once, then one every period/count.
		return store.RateLimit{Rate: count, Period: period, Burst: count}, nil
	}
	var o ratelimit.Options
	for _, l := range []struct {
		key  string
		rate config.Rate
		dst  *store.RateLimit
	}{
		{"token_per_client", cfg.TokenPerClient, &o.TokenPerClient},
		{"failed_client_auth", cfg.FailedClientAuth, &o.FailedClientAuth},
		{"failed_client_auth_per_ip", cfg.FailedClientAuthPerIP, &o.FailedClientAuthPerIP},
		{"failed_sigv4", cfg.FailedSigV4, &o.FailedSigV4},
		{"failed_sigv4_per_ip", cfg.FailedSigV4PerIP, &o.FailedSigV4PerIP},
	} {
		v, err := limit(l.key, l.rate)
		if err != nil {
			return nil, err
		}
		*l.dst = v
	}
	o.Logger = logger
	return ratelimit.New(st, o), nil
}
