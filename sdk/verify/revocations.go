package verify

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kinds and scopes of revocation entries (docs/revocation.md).
const (
	kindJTI    = "jti"
	kindOrigin = "origin_jti"
	kindBefore = "before"
	kindPolicy = "policy"

	scopeSubject   = "subject"
	scopeClient    = "client"
	scopePrincipal = "principal"
)

// entry is one revocation as GET /revocations sends it: an event's data
// and an element of the snapshot.
type entry struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Scope  string `json:"scope,omitempty"`
	Before int64  `json:"before,omitempty"`
	Until  int64  `json:"until"`
}

// snapshot is the body of GET /revocations?snapshot=1.
type snapshot struct {
	Revocations []entry `json:"revocations"`
	LastEventID string  `json:"last_event_id"`
}

type ruleKey struct{ scope, id string }

// mark is a before-T rule (T = at) or a policy change of an account at
// time at, kept until until. Times are unix seconds.
type mark struct{ at, until int64 }

// revocationSet is the Verifier's copy of the issuer's revocation set. It
// is safe for concurrent use.
type revocationSet struct {
	// grace keeps entries this long past their until: the Verifier's
	// leeway may exceed the issuer's.
	grace int64

	mu     sync.RWMutex
	jti    map[string]int64 // jti → until
	origin map[string]int64 // origin_jti → until
	before map[ruleKey]mark
	policy map[string]mark // account → its last policy change
	// lastEventID is the id of the last event applied: the stream resumes
	// after it (Last-Event-ID).
	lastEventID string
}

func newRevocationSet(leeway time.Duration) *revocationSet {
	return &revocationSet{
		grace:  int64(leeway / time.Second),
		jti:    map[string]int64{},
		origin: map[string]int64{},
		before: map[ruleKey]mark{},
		policy: map[string]mark{},
	}
}

// apply records e. at is when a policy change happened (unix seconds),
// for an entry that does not say. It reports false for an entry it does
// not know (ignored: a newer issuer may send kinds this one does not
// read).
func (s *revocationSet) apply(e entry, at int64) bool {
	if e.ID == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e.Kind {
	case kindJTI:
		s.jti[e.ID] = max(s.jti[e.ID], e.Until)
	case kindOrigin:
		s.origin[e.ID] = max(s.origin[e.ID], e.Until)
	case kindBefore:
		k := ruleKey{e.Scope, e.ID}
		m := s.before[k]
		s.before[k] = mark{at: max(m.at, e.Before), until: max(m.until, e.Until)}
	case kindPolicy:
		if e.Before > 0 {
			at = e.Before
		}
		m := s.policy[e.ID]
		s.policy[e.ID] = mark{at: max(m.at, at), until: max(m.until, e.Until)}
	default:
		return false
	}
	return true
}

// setLastEventID records the id of the last event applied.
func (s *revocationSet) setLastEventID(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastEventID = id
}

func (s *revocationSet) lastID() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lastEventID
}

// revoked reports whether an entry covers c: its jti or its origin_jti is
// revoked, or a before-T rule for its subject, client or IAM principal
// has iat <= T (DESIGN.md "Revocation model").
func (s *revocationSet) revoked(c *Claims) bool {
	iat := c.IssuedAt.Unix()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.jti[c.JTI]; ok {
		return true
	}
	if _, ok := s.origin[c.OriginJTI]; ok {
		return true
	}
	if len(s.before) == 0 {
		return false
	}
	for _, k := range [...]ruleKey{{scopeSubject, c.Subject}, {scopeClient, c.ClientID}} {
		if k.id == "" {
			continue
		}
		if m, ok := s.before[k]; ok && iat <= m.at {
			return true
		}
	}
	// A principal's rule goes by the issue time of the credential that
	// minted the token (iam_session_iat): AWS "revoke older sessions".
	sessionIAT := iat
	if !c.IAMSessionIssuedAt.IsZero() {
		sessionIAT = c.IAMSessionIssuedAt.Unix()
	}
	for _, arn := range [...]string{c.IAMPrincipal, c.IAMSource} {
		if arn == "" {
			continue
		}
		for _, id := range [...]string{arn, principalRuleID(arn)} {
			if m, ok := s.before[ruleKey{scopePrincipal, id}]; ok && sessionIAT <= m.at {
				return true
			}
		}
	}
	return false
}

// principalRuleID is the id of the rules that cover a role session
// besides its own: its role's (arn:…:sts::<account>:assumed-role/<role>/<session>
// → arn:…:iam::<account>:role/<role>), as the issuer writes them; the SDK
// does not import the issuer's iam package.
func principalRuleID(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sts" {
		return arn
	}
	rest, ok := strings.CutPrefix(parts[5], "assumed-role/")
	if !ok {
		return arn
	}
	role, _, ok := strings.Cut(rest, "/")
	if !ok || role == "" {
		return arn
	}
	return "arn:" + parts[1] + ":iam::" + parts[4] + ":role/" + role
}

// policyChange returns when the policies of account last changed; for an
// empty account (a principal that is not an ARN), the latest change of
// any account.
func (s *revocationSet) policyChange(account string) (int64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if account != "" {
		m, ok := s.policy[account]
		return m.at, ok
	}
	var at int64
	var ok bool
	for _, m := range s.policy {
		at, ok = max(at, m.at), true
	}
	return at, ok
}

// sweep forgets the entries whose until (plus grace) has passed: every
// token they could cover has expired.
func (s *revocationSet) sweep(now int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, until := range s.jti {
		if until+s.grace < now {
			delete(s.jti, id)
		}
	}
	for id, until := range s.origin {
		if until+s.grace < now {
			delete(s.origin, id)
		}
	}
	for k, m := range s.before {
		if m.until+s.grace < now {
			delete(s.before, k)
		}
	}
	for k, m := range s.policy {
		if m.until+s.grace < now {
			delete(s.policy, k)
		}
	}
}

// size returns the number of entries held.
func (s *revocationSet) size() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.jti) + len(s.origin) + len(s.before) + len(s.policy)
}

// eventTime returns the time of a stream id "<ms>-<seq>" in unix seconds.
func eventTime(id string) (int64, bool) {
	ms, _, ok := strings.Cut(id, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n / 1000, true
}
