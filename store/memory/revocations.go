package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/internal/record"
)

// revocationKey names an entry of the revocation set: its kind, its scope
// (empty for a jti or origin_jti) and its id.
type revocationKey struct {
	kind, scope, id string
}

// revocationEntry is one entry of the revocation set: its value (1 for a
// jti or origin_jti, T for a before rule, the generation of an account's
// policies) and when it expires.
type revocationEntry struct {
	value   int64
	expires time.Time
}

// revocationEvent is one event of the revocation stream and its ID.
type revocationEvent struct {
	id  record.AuditID
	rev store.Revocation
}

// PutRevocation records r until r.Until (Unix seconds) on the Store's
// clock, then appends it to the event stream and returns the event's ID,
// "<ms>-<seq>" as a Redis stream entry ID (see AppendAudit for how IDs are
// taken from the clock). A jti or origin_jti already revoked keeps the
// later expiry; a before rule already present keeps the later Before and
// the later expiry; a policy revocation adds one to the account's policy
// generation. Events whose millisecond is before trimBefore are dropped
// once the event is appended (the new one too, if trimBefore lies beyond
// it). An invalid r (see record.CheckRevocation), or an Until that is not
// after the clock, is refused with store.ErrInvalid and nothing written.
//
// waitReplicas is ignored: the memory store has no replicas, and what it
// holds is acknowledged once PutRevocation returns.
func (s *Store) PutRevocation(ctx context.Context, r store.Revocation, trimBefore time.Time, waitReplicas int) (string, error) {
	const op = "put revocation"
	if err := record.CheckRevocation(r); err != nil {
		return "", fmt.Errorf("store: %s: %w", op, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	expires := time.Unix(r.Until, 0)
	if !now.Before(expires) {
		return "", fmt.Errorf("store: %s: %w", op, record.RevocationExpiredError())
	}
	k := revocationKey{r.Kind, r.Scope, r.ID}
	e, _ := s.revocations.get(k, now)
	switch r.Kind {
	case store.RevokeBefore:
		e.value = max(e.value, r.Before)
	case store.RevokePolicy:
		e.value++
	default:
		e.value = 1
	}
	if expires.After(e.expires) {
		e.expires = expires
	}
	s.revocations.put(k, e, now)

	id := nextStreamID(s.lastEventID, now)
	s.lastEventID = id
	s.events = append(s.events, revocationEvent{id: id, rev: r})
	if ms := trimBefore.UnixMilli(); ms > 0 {
		keep, _ := slices.BinarySearchFunc(s.events, record.AuditID{Ms: uint64(ms)}, compareEvent)
		s.events = slices.Delete(s.events, 0, keep)
	}
	close(s.eventAppended)
	s.eventAppended = make(chan struct{})
	return id.String(), nil
}

// RevocationStatus reads every entry q names that has not expired on the
// Store's clock.
func (s *Store) RevocationStatus(ctx context.Context, q store.RevocationQuery) (store.RevocationStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	value := func(kind, scope, id string) int64 {
		if id == "" {
			return 0
		}
		e, _ := s.revocations.get(revocationKey{kind, scope, id}, now)
		return e.value
	}
	st := store.RevocationStatus{
		JTI:           value(store.RevokeJTI, "", q.JTI) != 0,
		OriginJTI:     value(store.RevokeOrigin, "", q.OriginJTI) != 0,
		SubjectBefore: value(store.RevokeBefore, store.ScopeSubject, q.Subject),
		ClientBefore:  value(store.RevokeBefore, store.ScopeClient, q.Client),
	}
	st.PolicyGeneration = value(store.RevokePolicy, store.ScopeAccount, q.PolicyAccount)
	for _, id := range q.Principals {
		st.PrincipalBefore = max(st.PrincipalBefore, value(store.RevokeBefore, store.ScopePrincipal, id))
	}
	for _, id := range q.ClientRecords {
		if c, ok := s.clients[id]; ok {
			if st.Clients == nil {
				st.Clients = map[string]store.Client{}
			}
			st.Clients[id] = record.CloneClient(c)
		}
	}
	return st, nil
}

// RevocationEvents returns up to limit events with IDs greater than after
// ("" or "0": from the first), oldest first. A limit that is not positive
// or is above record.MaxRevocationEvents (1000) means 1000. When there are
// none it waits up to wait for one to be appended, and returns an empty
// list if none is; a ctx done during the wait ends it with ctx's error. An
// after that is not a stream ID is refused with store.ErrInvalid.
func (s *Store) RevocationEvents(ctx context.Context, after string, limit int, wait time.Duration) ([]store.RevocationEvent, error) {
	const op = "revocation events"
	from, err := record.ParseRevocationCursor(after)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	limit = record.RevocationPageSize(limit)
	var timeout <-chan time.Time
	if wait > 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		timeout = timer.C
	}
	for {
		s.mu.RLock()
		out := s.eventsAfter(from, limit)
		appended := s.eventAppended
		s.mu.RUnlock()
		if len(out) > 0 || wait <= 0 {
			return out, nil
		}
		select {
		case <-appended:
		case <-timeout:
			return out, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("store: %s: %w", op, ctx.Err())
		}
	}
}

// eventsAfter returns up to limit events with IDs greater than from. The
// caller holds s.mu.
func (s *Store) eventsAfter(from record.AuditID, limit int) []store.RevocationEvent {
	i, found := slices.BinarySearchFunc(s.events, from, compareEvent)
	if found {
		i++
	}
	out := make([]store.RevocationEvent, 0, min(limit, len(s.events)-i))
	for _, e := range s.events[i:] {
		if len(out) == limit {
			break
		}
		out = append(out, store.RevocationEvent{ID: e.id.String(), Revocation: e.rev})
	}
	return out
}

// LastRevocationEvent returns the ID of the newest event the stream holds,
// "0-0" when it holds none.
func (s *Store) LastRevocationEvent(ctx context.Context) (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.events) == 0 {
		return record.AuditID{}.String(), nil
	}
	return s.events[len(s.events)-1].id.String(), nil
}

// compareEvent orders an event against a stream ID, for binary search.
func compareEvent(e revocationEvent, id record.AuditID) int { return e.id.Compare(id) }

// nextStreamID returns the ID that follows last at now, as Redis assigns
// stream entry IDs: now in Unix milliseconds with sequence 0, or, when the
// clock has not passed last's millisecond (it stood still or went back),
// last's millisecond with the next sequence.
func nextStreamID(last record.AuditID, now time.Time) record.AuditID {
	id := record.AuditID{Ms: uint64(max(now.UnixMilli(), 0))}
	if id.Ms <= last.Ms {
		id = record.AuditID{Ms: last.Ms, Seq: last.Seq + 1}
	}
	return id
}
