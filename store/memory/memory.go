package memory

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/internal/record"
)

// minNonceSweep is the nonce count below which expired nonces are left for
// ClaimNonce to overwrite instead of being swept.
const minNonceSweep = 1024

// Options configures a Store.
type Options struct {
	// Now is the clock locks and nonces expire by. Nil means time.Now.
	Now func() time.Time
}

// Store is the in-memory store.Store. The zero value is not usable; call New.
type Store struct {
	now func() time.Time

	mu      sync.RWMutex
	clients map[string]store.Client
	keys    map[string]store.SigningKey
	locks   map[string]heldLock
	nonces  map[string]time.Time
	// sweepAt is the nonce count at which ClaimNonce next drops expired
	// nonces, so that the map stays proportional to the live ones.
	sweepAt int
}

// heldLock is one advisory lock: who holds it and until when.
type heldLock struct {
	owner   string
	expires time.Time
}

// Interface guard.
var _ store.Store = (*Store)(nil)

// New returns an empty Store.
func New(o Options) *Store {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &Store{
		now:     now,
		clients: make(map[string]store.Client),
		keys:    make(map[string]store.SigningKey),
		locks:   make(map[string]heldLock),
		nonces:  make(map[string]time.Time),
		sweepAt: minNonceSweep,
	}
}

// GetClient returns the client with id, or store.ErrNotFound.
func (s *Store) GetClient(ctx context.Context, id string) (store.Client, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.clients[id]
	if !ok {
		return store.Client{}, fmt.Errorf("store: get client: %w", store.ErrNotFound)
	}
	return record.CloneClient(c), nil
}

// ListClients returns every client, ordered by id.
func (s *Store) ListClients(ctx context.Context) ([]store.Client, error) {
	s.mu.RLock()
	out := make([]store.Client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, record.CloneClient(c))
	}
	s.mu.RUnlock()
	slices.SortFunc(out, record.CompareClients)
	return out, nil
}

// CreateClient stores a new client, or returns store.ErrConflict when one
// with c.ID exists.
func (s *Store) CreateClient(ctx context.Context, c store.Client) error {
	c, err := record.NormalizeClient(c)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[c.ID]; ok {
		return fmt.Errorf("store: create client: %w", store.ErrConflict)
	}
	s.clients[c.ID] = c
	return nil
}

// UpdateClient replaces the client with c.ID, or returns store.ErrNotFound.
func (s *Store) UpdateClient(ctx context.Context, c store.Client) error {
	c, err := record.NormalizeClient(c)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[c.ID]; !ok {
		return fmt.Errorf("store: update client: %w", store.ErrNotFound)
	}
	s.clients[c.ID] = c
	return nil
}

// DeleteClient removes the client with id, or returns store.ErrNotFound.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[id]; !ok {
		return fmt.Errorf("store: delete client: %w", store.ErrNotFound)
	}
	delete(s.clients, id)
	return nil
}

// ListSigningKeys returns every key, ordered by SignsFrom (then by KID, so
// that the order is total).
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	s.mu.RLock()
	out := make([]store.SigningKey, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, record.CloneSigningKey(k))
	}
	s.mu.RUnlock()
	slices.SortFunc(out, record.CompareSigningKeys)
	return out, nil
}

// PutSigningKey creates or replaces the key with k.KID.
func (s *Store) PutSigningKey(ctx context.Context, k store.SigningKey) error {
	k, err := record.NormalizeSigningKey(k)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[k.KID] = k
	return nil
}

// DeleteSigningKey removes the key with kid, or returns store.ErrNotFound.
func (s *Store) DeleteSigningKey(ctx context.Context, kid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[kid]; !ok {
		return fmt.Errorf("store: delete signing key: %w", store.ErrNotFound)
	}
	delete(s.keys, kid)
	return nil
}

// AcquireLock takes the lock name for owner until ttl passes on the Store's
// clock, and reports whether it did. The owner that holds the lock may
// re-acquire it, which extends it to now+ttl. ttl must be positive.
func (s *Store) AcquireLock(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, fmt.Errorf("store: acquire lock: ttl %v is not positive", ttl)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if l, ok := s.locks[name]; ok && l.owner != owner && now.Before(l.expires) {
		return false, nil
	}
	s.locks[name] = heldLock{owner: owner, expires: now.Add(ttl)}
	return true, nil
}

// ReleaseLock frees the lock name if owner holds it; otherwise it does
// nothing.
func (s *Store) ReleaseLock(ctx context.Context, name, owner string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.locks[name]; ok && l.owner == owner {
		delete(s.locks, name)
	}
	return nil
}

// ClaimNonce records key until expiresAt and reports true, or reports false
// when key is recorded and has not expired. A nonce whose expiresAt is not
// after the Store's clock is already expired: ClaimNonce reports true and
// records nothing (store/redis behaves the same).
func (s *Store) ClaimNonce(ctx context.Context, key string, expiresAt time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if exp, ok := s.nonces[key]; ok && now.Before(exp) {
		return false, nil
	}
	if !now.Before(expiresAt) {
		delete(s.nonces, key)
		return true, nil
	}
	s.nonces[key] = expiresAt
	if len(s.nonces) >= s.sweepAt {
		for k, exp := range s.nonces {
			if !now.Before(exp) {
				delete(s.nonces, k)
			}
		}
		s.sweepAt = max(minNonceSweep, 2*len(s.nonces))
	}
	return true, nil
}

// Ping reports nil: the memory store is always reachable.
func (s *Store) Ping(ctx context.Context) error { return nil }

// Close does nothing; the Store stays usable.
func (s *Store) Close() error { return nil }
