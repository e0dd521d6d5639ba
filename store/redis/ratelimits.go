package redis

import (
	"context"
	"fmt"

	"github.com/go-redis/redis_rate/v10"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/internal/record"
)

// AllowRate reports whether one more event for key fits limit and, if it
// does, counts it: one script (github.com/go-redis/redis_rate, GCRA on the
// Redis server's clock) on the key rate:<sha256(key)>.
func (s *Store) AllowRate(ctx context.Context, key string, limit store.RateLimit) (store.RateDecision, error) {
	const op = "allow rate"
	if err := record.CheckRateLimit(limit); err != nil {
		return store.RateDecision{}, fmt.Errorf("store: %s: %w", op, err)
	}
	res, err := s.rates.Allow(ctx, hashID(key), rateLimit(limit))
	if err != nil {
		return store.RateDecision{}, unavailable(op, err)
	}
	if res.Allowed == 0 {
		return store.RateDecision{RetryAfter: res.RetryAfter}, nil
	}
	return store.RateDecision{Allowed: true, Remaining: res.Remaining}, nil
}

func rateLimit(l store.RateLimit) redis_rate.Limit {
	return redis_rate.Limit{Rate: l.Rate, Period: l.Period, Burst: l.Burst}
}
