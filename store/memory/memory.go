package memory

import (
	"context"
	"encoding/json"
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

// auditTrimSlack is how many audit records beyond record.AuditRetained the
// Store holds before it drops the oldest, so that it trims once in a while
// rather than on every append.
const auditTrimSlack = record.AuditRetained / 10

// Options configures a Store.
type Options struct {
	// Now is the clock locks, nonces, authorization codes, refresh
	// tokens, login sessions, throttles and revocations expire by, and that
	// audit record and revocation event IDs are taken from. Nil means
	// time.Now.
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
	users   map[string]store.User
	// audit is the audit trail, oldest first, so in increasing ID order;
	// lastAuditID is the ID of the newest record ever appended.
	audit       []auditEntry
	lastAuditID record.AuditID

	// IAM users and roles are by name, access keys by id (ListAccessKeys
	// picks a user's out of them all); orgPolicies is never nil.
	iamUsers    map[string]store.IAMUser
	accessKeys  map[string]store.AccessKey
	iamRoles    map[string]store.IAMRole
	orgPolicies []json.RawMessage

	// Codes are by hash, refresh tokens by family and hash, login sessions
	// by id, consents by username and client, throttles by key; all but
	// consents expire by the clock.
	codes         expiringMap[string, codeEntry]
	refreshTokens expiringMap[familyToken, store.RefreshToken]
	loginSessions expiringMap[string, store.LoginSession]
	consents      map[consentOwner]store.Consent
	throttles     expiringMap[string, throttleEntry]

	// rates is the GCRA state of each rate-limited key: its theoretical
	// arrival time, after which the key is back at rest and dropped. It has
	// its own mutex so that rate limiting on every request does not
	// contend with the rest of the Store.
	ratesMu sync.Mutex
	rates   expiringMap[string, time.Time]

	// revocations is the revocation set, by kind, scope and id; events is
	// its event stream, oldest first, so in increasing ID order, and
	// lastEventID the ID of the newest event ever appended. eventAppended
	// is closed, and replaced, on every append, to wake RevocationEvents
	// calls waiting for one.
	revocations   expiringMap[revocationKey, revocationEntry]
	events        []revocationEvent
	lastEventID   record.AuditID
	eventAppended chan struct{}
}

// auditEntry is one stored audit record and its parsed ID.
type auditEntry struct {
	id     record.AuditID
	record store.AuditRecord
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
		now:         now,
		clients:     make(map[string]store.Client),
		keys:        make(map[string]store.SigningKey),
		locks:       make(map[string]heldLock),
		nonces:      make(map[string]time.Time),
		sweepAt:     minNonceSweep,
		users:       make(map[string]store.User),
		iamUsers:    make(map[string]store.IAMUser),
		accessKeys:  make(map[string]store.AccessKey),
		iamRoles:    make(map[string]store.IAMRole),
		orgPolicies: []json.RawMessage{},

		codes:         newExpiringMap[string](func(e codeEntry) time.Time { return e.code.ExpiresAt }),
		refreshTokens: newExpiringMap[familyToken](func(t store.RefreshToken) time.Time { return t.ExpiresAt }),
		loginSessions: newExpiringMap[string](func(s store.LoginSession) time.Time { return s.ExpiresAt }),
		consents:      make(map[consentOwner]store.Consent),
		throttles:     newExpiringMap[string](func(e throttleEntry) time.Time { return e.expires }),
		rates:         newExpiringMap[string](func(tat time.Time) time.Time { return tat }),

		revocations:   newExpiringMap[revocationKey](func(e revocationEntry) time.Time { return e.expires }),
		eventAppended: make(chan struct{}),
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

// GetUser returns the user, or store.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, username string) (store.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[username]
	if !ok {
		return store.User{}, fmt.Errorf("store: get user: %w", store.ErrNotFound)
	}
	return record.CloneUser(u), nil
}

// ListUsers returns every user, ordered by username.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	s.mu.RLock()
	out := make([]store.User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, record.CloneUser(u))
	}
	s.mu.RUnlock()
	slices.SortFunc(out, record.CompareUsers)
	return out, nil
}

// CreateUser stores a new user, or returns store.ErrConflict when one with
// u.Username exists.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	u, err := record.NormalizeUser(u)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[u.Username]; ok {
		return fmt.Errorf("store: create user: %w", store.ErrConflict)
	}
	s.users[u.Username] = u
	return nil
}

// UpdateUser replaces the user with u.Username, or returns
// store.ErrNotFound.
func (s *Store) UpdateUser(ctx context.Context, u store.User) error {
	u, err := record.NormalizeUser(u)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[u.Username]; !ok {
		return fmt.Errorf("store: update user: %w", store.ErrNotFound)
	}
	s.users[u.Username] = u
	return nil
}

// DeleteUser removes the user, or returns store.ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, username string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[username]; !ok {
		return fmt.Errorf("store: delete user: %w", store.ErrNotFound)
	}
	delete(s.users, username)
	return nil
}

// AppendAudit stores r and returns it with its ID set; an ID r already
// carries is replaced. The ID is "<ms>-<seq>", as a Redis stream entry ID:
// the Store's clock in Unix milliseconds and a counter within that
// millisecond. IDs strictly increase, also when the clock stands still or
// goes back (the last ID's millisecond is then reused). A zero r.Time is
// set to the time in the ID.
//
// The Store keeps at least the newest record.AuditRetained records; older
// ones are dropped.
func (s *Store) AppendAudit(ctx context.Context, r store.AuditRecord) (store.AuditRecord, error) {
	r, err := record.NormalizeAudit(r)
	if err != nil {
		return store.AuditRecord{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := nextStreamID(s.lastAuditID, s.now())
	s.lastAuditID = id
	r = record.StampAudit(r, id)
	s.audit = append(s.audit, auditEntry{id: id, record: r})
	if n := len(s.audit) - record.AuditRetained; n > auditTrimSlack {
		s.audit = slices.Delete(s.audit, 0, n)
	}
	return record.CloneAudit(r), nil
}

// ListAudit returns up to limit records, newest first, older than the record
// with ID before, or the newest ones when before is empty. A limit that is
// not positive or is above record.MaxAuditPage (1000) means 1000. Any
// well-formed ID is a cursor, also one whose record was dropped; a before
// that is not an audit record ID is an error (not store.ErrNotFound).
func (s *Store) ListAudit(ctx context.Context, limit int, before string) ([]store.AuditRecord, error) {
	limit = record.AuditPageSize(limit)
	s.mu.RLock()
	defer s.mu.RUnlock()
	end := len(s.audit)
	if before != "" {
		b, err := record.ParseAuditID(before)
		if err != nil {
			return nil, fmt.Errorf("store: list audit: %w", err)
		}
		end, _ = slices.BinarySearchFunc(s.audit, b, func(e auditEntry, b record.AuditID) int { return e.id.Compare(b) })
	}
	out := make([]store.AuditRecord, 0, min(limit, end))
	for i := end - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, record.CloneAudit(s.audit[i].record))
	}
	return out, nil
}

// Ping reports nil: the memory store is always reachable.
func (s *Store) Ping(ctx context.Context) error { return nil }

// Close does nothing; the Store stays usable.
func (s *Store) Close() error { return nil }
