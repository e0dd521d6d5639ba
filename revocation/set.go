package revocation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lineage-oss/lineage/store"
)

// ErrInvalid reports a revocation the set refuses: an unknown kind or
// scope, an empty id, or a before-T rule whose T lies in the future.
var ErrInvalid = errors.New("revocation: invalid revocation")

// ErrUnavailable reports that the revocation set could not be read or
// written; callers fail closed on it.
var ErrUnavailable = errors.New("revocation: store unavailable")

// Options configure a Set.
type Options struct {
	// Horizon is the longest lifetime of any token the issuer mints (the
	// longest of the access, ID and refresh-family lifetimes). A before-T
	// rule lives Horizon past T; the event stream keeps Horizon of events.
	Horizon time.Duration
	// Leeway is the clock skew verifiers allow: entries outlive the last
	// token they can affect by that much.
	Leeway time.Duration
	// WaitReplicas, when positive, makes every revocation wait until that
	// many Redis replicas acknowledged it (store.revocation_wait_replicas).
	WaitReplicas int
	Now          func() time.Time
	// Observer is told of every revocation written and every check (nil:
	// nobody).
	Observer Observer
}

// Observer receives what the set does, for metrics.
type Observer interface {
	// Revoked is called for each revocation written, by kind.
	Revoked(kind string)
	// Checked is called for each read of the set: whether it revoked the
	// token, or the store's error.
	Checked(revoked bool, err error)
}

type nopObserver struct{}

func (nopObserver) Revoked(string)      {}
func (nopObserver) Checked(bool, error) {}

// Set is the revocation set on a store. It is safe for concurrent use.
type Set struct {
	store store.Revocations
	opts  Options
}

// New returns the Set on s.
func New(s store.Revocations, opts Options) (*Set, error) {
	if opts.Horizon <= 0 || opts.Now == nil {
		return nil, errors.New("revocation: Horizon and Now are required")
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	return &Set{store: s, opts: opts}, nil
}

// Token is what the set needs to know about a token to check it.
type Token struct {
	JTI       string // empty for refresh tokens and authorization codes
	OriginJTI string
	Subject   string
	ClientID  string
	IssuedAt  time.Time
	// Principals are, for an IAM-minted token, the IAM principals whose
	// before-T rules cover it (iam_principal — a user, or the role of a
	// session — and iam_source, the principal that assumed the role).
	Principals []string
	// SessionIssuedAt is iam_session_iat: a principal's rule covers the
	// token when the credential that minted it was issued at or before T
	// (AWS "revoke older sessions"), whenever the token itself was.
	SessionIssuedAt time.Time
	// PolicyAccount is, for an IAM-minted token, its principal's account:
	// the check reads that account's policy generation too.
	PolicyAccount string
}

// Revoked reports whether an entry of the set covers t: its jti or its
// origin_jti is revoked, or a before-T rule for its subject, client or
// principal has iat <= T. It reads the set in one round trip, whatever the
// size of t's lineage. An error wraps ErrUnavailable: the caller must not
// treat the token as active.
func (s *Set) Revoked(ctx context.Context, t Token) (bool, error) {
	c, err := s.Check(ctx, t, nil)
	return c.Revoked, err
}

// Check is what one read of the set says about a token, with the stored
// client records read in the same round trip.
type Check struct {
	Revoked bool
	// PolicyGeneration is the policy generation of the token's
	// PolicyAccount (0: unchanged within the horizon).
	PolicyGeneration int64
	// Clients are the stored clients of the ids asked for that exist.
	Clients map[string]store.Client
}

// Check reads, in one round trip, whether an entry covers t (a zero t:
// none is looked up) and the stored records of the clients clientIDs.
func (s *Set) Check(ctx context.Context, t Token, clientIDs []string) (Check, error) {
	st, err := s.store.RevocationStatus(ctx, store.RevocationQuery{
		JTI: t.JTI, OriginJTI: t.OriginJTI, Subject: t.Subject, Client: t.ClientID, Principals: t.Principals,
		PolicyAccount: t.PolicyAccount, ClientRecords: clientIDs,
	})
	if err != nil {
		s.opts.Observer.Checked(false, err)
		return Check{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return Check{Revoked: s.Covers(st, t), PolicyGeneration: st.PolicyGeneration, Clients: st.Clients}, nil
}

// Covers reports whether what the store holds for a token (st, read for
// t's ids) revokes t: its jti or origin_jti entry, or a before-T rule with
// iat <= T.
func (s *Set) Covers(st store.RevocationStatus, t Token) bool {
	iat := t.IssuedAt.Unix()
	sessionIAT := iat
	if !t.SessionIssuedAt.IsZero() {
		sessionIAT = t.SessionIssuedAt.Unix()
	}
	revoked := st.JTI || st.OriginJTI ||
		covers(st.SubjectBefore, iat) || covers(st.ClientBefore, iat) || covers(st.PrincipalBefore, sessionIAT)
	s.opts.Observer.Checked(revoked, nil)
	return revoked
}

// covers reports whether a before-T rule (0: none) covers a token issued
// at iat (unix seconds).
func covers(before, iat int64) bool { return before > 0 && iat <= before }

// RevokeToken revokes one token by its jti (RFC 7009 for an access token)
// until it expires; zero means unknown (Horizon from now).
func (s *Set) RevokeToken(ctx context.Context, jti string, expiresAt time.Time) (store.RevocationEvent, error) {
	return s.put(ctx, store.Revocation{Kind: store.RevokeJTI, ID: jti, Until: s.until(s.orHorizon(expiresAt))})
}

// RevokeLineage revokes every access, ID and refresh token of a lineage
// (its origin_jti) until lastExpiry, the latest any of them can expire;
// zero means unknown (Horizon from now).
func (s *Set) RevokeLineage(ctx context.Context, originJTI string, lastExpiry time.Time) (store.RevocationEvent, error) {
	return s.put(ctx, store.Revocation{Kind: store.RevokeOrigin, ID: originJTI, Until: s.until(s.orHorizon(lastExpiry))})
}

// orHorizon is t, or — t zero, unknown — the latest any token issued now
// can expire.
func (s *Set) orHorizon(t time.Time) time.Time {
	if t.IsZero() {
		return s.opts.Now().Add(s.opts.Horizon)
	}
	return t
}

// RevokeBefore revokes every token of a subject, client or principal
// (scope) issued at or before T (zero: now). T may not lie in the future.
func (s *Set) RevokeBefore(ctx context.Context, scope, id string, before time.Time) (store.RevocationEvent, error) {
	now := s.opts.Now()
	if before.IsZero() {
		before = now
	}
	if before.After(now) {
		return store.RevocationEvent{}, fmt.Errorf("%w: before lies in the future", ErrInvalid)
	}
	switch scope {
	case store.ScopeSubject, store.ScopeClient, store.ScopePrincipal:
	default:
		return store.RevocationEvent{}, fmt.Errorf("%w: scope must be subject, client or principal", ErrInvalid)
	}
	return s.put(ctx, store.Revocation{
		Kind: store.RevokeBefore, ID: id, Scope: scope, Before: before.Unix(),
		Until: s.until(before.Add(s.opts.Horizon)),
	})
}

// PoliciesChanged records that the IAM policies of account changed: its
// policy generation advances, and a policy event tells every verifier to
// re-check the account's IAM-minted tokens (DESIGN.md "Revocation
// events").
func (s *Set) PoliciesChanged(ctx context.Context, account string) (store.RevocationEvent, error) {
	return s.put(ctx, store.Revocation{Kind: store.RevokePolicy, Scope: store.ScopeAccount, ID: account,
		Until: s.until(s.opts.Now().Add(s.opts.Horizon))})
}

// until is when an entry for tokens that expire at last can go.
func (s *Set) until(last time.Time) int64 {
	return last.Add(s.opts.Leeway).Add(time.Second).Unix()
}

func (s *Set) put(ctx context.Context, r store.Revocation) (store.RevocationEvent, error) {
	if r.ID == "" {
		return store.RevocationEvent{}, fmt.Errorf("%w: the id is empty", ErrInvalid)
	}
	if r.Until <= s.opts.Now().Unix() {
		// Every token the entry could affect has expired already.
		return store.RevocationEvent{Revocation: r}, nil
	}
	trim := s.opts.Now().Add(-s.opts.Horizon - s.opts.Leeway)
	id, err := s.store.PutRevocation(ctx, r, trim, s.opts.WaitReplicas)
	switch {
	case errors.Is(err, store.ErrInvalid):
		return store.RevocationEvent{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	case err != nil:
		return store.RevocationEvent{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	s.opts.Observer.Revoked(r.Kind)
	return store.RevocationEvent{ID: id, Revocation: r}, nil
}

// Snapshot is every live entry of the set and the event-stream id it is
// current to (GET /revocations?snapshot=1, GET /admin/v1/revocations).
type Snapshot struct {
	Revocations []store.Revocation `json:"revocations"`
	// LastEventID is the stream id to resume from (Last-Event-ID).
	LastEventID string `json:"last_event_id"`
}

// Snapshot returns every live entry of the set, oldest first and one per
// kind, scope and id (the latest), and the stream id to resume the event
// stream from. The stream keeps every event younger than Horizon, and no
// entry outlives its event by more than that, so the stream holds them all.
func (s *Set) Snapshot(ctx context.Context) (Snapshot, error) {
	last, err := s.store.LastRevocationEvent(ctx)
	if err != nil {
		return Snapshot{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	type key struct{ kind, scope, id string }
	latest := map[key]int{}
	out := []store.Revocation{}
	now := s.opts.Now().Unix()
	for after := "0"; after != last; {
		page, err := s.store.RevocationEvents(ctx, after, 1000, 0)
		if err != nil {
			return Snapshot{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		if len(page) == 0 {
			break
		}
		for _, ev := range page {
			if streamAfter(ev.ID, last) {
				break
			}
			after = ev.ID
			if ev.Until <= now {
				continue
			}
			k := key{ev.Kind, ev.Scope, ev.Revocation.ID}
			if i, ok := latest[k]; ok {
				out[i] = merge(out[i], ev.Revocation)
				continue
			}
			latest[k] = len(out)
			out = append(out, ev.Revocation)
		}
	}
	return Snapshot{Revocations: out, LastEventID: last}, nil
}

// merge combines two entries for the same kind, scope and id as the store
// does: the later Before and the later Until.
func merge(a, b store.Revocation) store.Revocation {
	a.Before = max(a.Before, b.Before)
	a.Until = max(a.Until, b.Until)
	return a
}

// Events returns up to limit events after the stream id after, waiting up
// to wait when there are none.
func (s *Set) Events(ctx context.Context, after string, limit int, wait time.Duration) ([]store.RevocationEvent, error) {
	evs, err := s.store.RevocationEvents(ctx, after, limit, wait)
	switch {
	case errors.Is(err, store.ErrInvalid):
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return evs, nil
}

// LastEvent returns the newest stream id ("0-0": none).
func (s *Set) LastEvent(ctx context.Context) (string, error) {
	id, err := s.store.LastRevocationEvent(ctx)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return id, nil
}
