package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/internal/record"
)

// AllowRate reports whether one more event for key fits limit and, if it
// does, counts it. It is the GCRA of github.com/go-redis/redis_rate (the
// Redis store's limiter) on the Store's clock: each event moves the key's
// theoretical arrival time (TAT) Period/Rate later, and an event is
// refused while it would put the TAT more than Burst events ahead of now.
func (s *Store) AllowRate(ctx context.Context, key string, limit store.RateLimit) (store.RateDecision, error) {
	if err := record.CheckRateLimit(limit); err != nil {
		return store.RateDecision{}, fmt.Errorf("store: rate limit: %w", err)
	}
	interval := limit.Period / time.Duration(limit.Rate)
	s.ratesMu.Lock()
	defer s.ratesMu.Unlock()
	now := s.now()
	tat, ok := s.rates.get(key, now)
	if !ok || tat.Before(now) {
		tat = now
	}
	// One more event fits from allowAt on.
	allowAt := tat.Add(interval - interval*time.Duration(limit.Burst))
	if now.Before(allowAt) {
		return store.RateDecision{RetryAfter: allowAt.Sub(now)}, nil
	}
	s.rates.put(key, tat.Add(interval), now)
	return store.RateDecision{Allowed: true, Remaining: int(now.Sub(allowAt) / interval)}, nil
}
