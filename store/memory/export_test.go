package memory

// NonceCount reports how many nonces s holds, live or expired.
func (s *Store) NonceCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.nonces)
}
