package memory

import "time"

// minExpiringSweep is the entry count below which an expiringMap leaves
// expired entries for lookups to drop instead of sweeping them.
const minExpiringSweep = 1024

// expiringMap holds entries that expire by the Store's clock: codes,
// refresh tokens, login sessions and throttles. A lookup never returns an
// expired entry, and a put drops every expired one once the map has
// doubled since the last sweep, so that it stays proportional to the live
// ones. It is guarded by the Store's mutex.
type expiringMap[K comparable, V any] struct {
	entries map[K]V
	expires func(V) time.Time
	sweepAt int
}

func newExpiringMap[K comparable, V any](expires func(V) time.Time) expiringMap[K, V] {
	return expiringMap[K, V]{entries: make(map[K]V), expires: expires, sweepAt: minExpiringSweep}
}

// get returns the entry at k unless it has expired at now (it expires at
// its expiry, not a nanosecond later); an expired entry is dropped.
func (m *expiringMap[K, V]) get(k K, now time.Time) (V, bool) {
	v, ok := m.entries[k]
	if ok && !now.Before(m.expires(v)) {
		delete(m.entries, k)
		var zero V
		return zero, false
	}
	return v, ok
}

// put stores v at k, and sweeps when the map has grown enough.
func (m *expiringMap[K, V]) put(k K, v V, now time.Time) {
	m.entries[k] = v
	if len(m.entries) < m.sweepAt {
		return
	}
	for k, v := range m.entries {
		if !now.Before(m.expires(v)) {
			delete(m.entries, k)
		}
	}
	m.sweepAt = max(minExpiringSweep, 2*len(m.entries))
}

// delete drops the entry at k, if any.
func (m *expiringMap[K, V]) delete(k K) { delete(m.entries, k) }

// len is how many entries the map holds, live or expired.
func (m *expiringMap[K, V]) len() int { return len(m.entries) }
