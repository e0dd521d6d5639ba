package memory

// NonceCount reports how many nonces s holds, live or expired.
func (s *Store) NonceCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.nonces)
}

// AuditCount reports how many audit records s holds.
func (s *Store) AuditCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.audit)
}

// ExpiringCounts reports how many authorization codes, refresh tokens,
// login sessions and throttles s holds, live or expired.
func (s *Store) ExpiringCounts() map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return map[string]int{
		"authorization codes": s.codes.len(),
		"refresh tokens":      s.refreshTokens.len(),
		"login sessions":      s.loginSessions.len(),
		"throttles":           s.throttles.len(),
	}
}
