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
