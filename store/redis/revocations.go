package redis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/internal/record"
)

// Keys of the revocation set and its event stream; see the package
// documentation.
const (
	revocationEventsKey       = "rev:events"
	revokedJTIKeyPrefix       = "rev:jti:"
	revokedOriginKeyPrefix    = "rev:origin:"
	revokedBeforeKeyPrefix    = "rev:before:"
	policyGenerationKeyPrefix = "rev:policy:"
)

// Fields of a revocation event in the stream, each a string.
const (
	eventKindField   = "kind"
	eventIDField     = "id"
	eventScopeField  = "scope"
	eventBeforeField = "before"
	eventUntilField  = "until"
)

// ackTimeout is how long PutRevocation waits for replicas (WAIT).
const ackTimeout = time.Second

// luaKeepLaterExpiry makes KEYS[1] expire at ARGV[2] (Unix ms) unless it
// already expires later; a key without expiry (PEXPIRETIME -1), as INCR or
// SET KEEPTTL create one, gets it.
const luaKeepLaterExpiry = `
if redis.call('PEXPIRETIME', KEYS[1]) < tonumber(ARGV[2]) then
	redis.call('PEXPIREAT', KEYS[1], ARGV[2])
end
return 1
`

// putRevocation records the entry KEYS[1] of the revocation set: it keeps
// the larger of the stored value and ARGV[1] (a jti's or origin_jti's 1, a
// before rule's T) and the later of the stored expiry and ARGV[2] (Unix
// ms). It returns -1, writing nothing, when ARGV[3] (the entry's end in
// Unix µs) is not after the server's clock, and 1 otherwise.
var putRevocation = goredis.NewScript(luaNow + `
if tonumber(ARGV[3]) <= now then
	return -1
end
local v = redis.call('GET', KEYS[1])
if not v or tonumber(v) < tonumber(ARGV[1]) then
	redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
end
` + luaKeepLaterExpiry)

// bumpPolicyGeneration adds one to the policy generation KEYS[1] (INCR)
// and keeps the later of its expiry and ARGV[2] (Unix ms). ARGV[1] is
// unused, so that the arguments are putRevocation's. It returns -1, writing
// nothing, when ARGV[3] (Unix µs) is not after the server's clock, and 1
// otherwise.
var bumpPolicyGeneration = goredis.NewScript(luaNow + `
if tonumber(ARGV[3]) <= now then
	return -1
end
redis.call('INCR', KEYS[1])
` + luaKeepLaterExpiry)

// PutRevocation records r until r.Until (Unix seconds, by the Redis
// server's clock), then appends it to the stream rev:events, and returns
// the event's stream ID. The entry is one script on its one key (see the
// package documentation): a jti or origin_jti already revoked keeps the
// later expiry, a before rule already present the later Before and the
// later expiry, and a policy revocation adds one to the account's policy
// generation. The event is one XADD with MINID = trimBefore (in Unix ms;
// exact, not ~), which drops every event of an earlier millisecond, the new
// one too if trimBefore lies beyond it. An invalid r (see
// record.CheckRevocation), or an Until that is not after the server's
// clock, is refused with store.ErrInvalid and nothing written.
//
// With waitReplicas > 0 each of the two writes is followed by WAIT
// waitReplicas 1000 on the connection that made it (on a Cluster, one of
// the master that serves the key). Fewer acknowledgements than
// waitReplicas is an error that wraps store.ErrUnavailable, returned once
// both writes are done: the event is appended also when the entry was not
// acknowledged (without waiting again), so that the stream tells of every
// entry the set holds.
func (s *Store) PutRevocation(ctx context.Context, r store.Revocation, trimBefore time.Time, waitReplicas int) (string, error) {
	const op = "put revocation"
	if err := record.CheckRevocation(r); err != nil {
		return "", fmt.Errorf("store: %s: %w", op, err)
	}
	key, script, value := revocationKey(r), putRevocation, int64(1)
	switch r.Kind {
	case store.RevokeBefore:
		value = r.Before
	case store.RevokePolicy:
		script = bumpPolicyGeneration
	}
	var put *goredis.Cmd
	acks, err := s.writeAcknowledged(ctx, key, waitReplicas, func(p goredis.Pipeliner) {
		// EVAL, not EVALSHA: a pipeline cannot fall back on NOSCRIPT.
		args := append([]any{value}, expiryArgs(time.Unix(r.Until, 0))...)
		put = script.Eval(ctx, p, []string{key}, args...)
	})
	if err != nil {
		return "", unavailable(op, err)
	}
	n, err := put.Int()
	if err != nil {
		return "", unavailable(op, err)
	}
	if n == -1 {
		return "", fmt.Errorf("store: %s: %w", op, record.RevocationExpiredError())
	}

	// The event is appended also when the entry was not acknowledged, so
	// that the stream tells of every entry; it need not wait then.
	eventWait := 0
	if acks >= int64(waitReplicas) {
		eventWait = waitReplicas
	}
	var add *goredis.StringCmd
	eventAcks, err := s.writeAcknowledged(ctx, revocationEventsKey, eventWait, func(p goredis.Pipeliner) {
		a := &goredis.XAddArgs{
			Stream: revocationEventsKey,
			ID:     "*",
			Values: []any{
				eventKindField, r.Kind,
				eventIDField, r.ID,
				eventScopeField, r.Scope,
				eventBeforeField, strconv.FormatInt(r.Before, 10),
				eventUntilField, strconv.FormatInt(r.Until, 10),
			},
		}
		if ms := trimBefore.UnixMilli(); ms > 0 {
			a.MinID = strconv.FormatInt(ms, 10)
		}
		add = p.XAdd(ctx, a)
	})
	if err != nil {
		return "", unavailable(op, err)
	}
	if eventWait > 0 {
		acks = min(acks, eventAcks)
	}
	if acks < int64(waitReplicas) {
		return "", fmt.Errorf("store: %s: %w: revocation not acknowledged by %d replicas (%d did)", op, store.ErrUnavailable, waitReplicas, acks)
	}
	return add.Val(), nil
}

// writeAcknowledged runs write in one pipeline, so on one connection, of
// the node that serves key and, when replicas > 0, WAIT replicas 1000
// after it, which counts the replicas that acknowledged that connection's
// writes; it returns that count (replicas when it does not wait) and the
// first error of the pipeline. WAIT names no key, so on a Cluster the
// pipeline runs on the key's master (MasterForKey), not through the
// Cluster client, which would send WAIT to any node.
func (s *Store) writeAcknowledged(ctx context.Context, key string, replicas int, write func(goredis.Pipeliner)) (int64, error) {
	var node goredis.Cmdable = s.rdb
	if cluster, ok := s.rdb.(*goredis.ClusterClient); ok && replicas > 0 {
		master, err := cluster.MasterForKey(ctx, key)
		if err != nil {
			return 0, err
		}
		node = master
	}
	var wait *goredis.Cmd
	_, err := node.Pipelined(ctx, func(p goredis.Pipeliner) error {
		write(p)
		if replicas > 0 {
			// Pipeliner has no Wait method; the pipeline reads its replies
			// within the client's ReadTimeout (3 s by default).
			wait = p.Do(ctx, "WAIT", replicas, ackTimeout.Milliseconds())
		}
		return nil
	})
	if err != nil || wait == nil {
		return int64(replicas), err
	}
	return wait.Int64()
}

// RevocationStatus reads every entry q names in one pipeline, one EXISTS
// or GET per non-empty field. The entries live in different Cluster
// slots, so the pipeline is split by node (one round trip to each, at
// once), never one MGET or script.
func (s *Store) RevocationStatus(ctx context.Context, q store.RevocationQuery) (store.RevocationStatus, error) {
	const op = "revocation status"
	if q.JTI == "" && q.OriginJTI == "" && q.Subject == "" && q.Client == "" && len(q.Principals) == 0 && q.PolicyAccount == "" && len(q.ClientRecords) == 0 {
		return store.RevocationStatus{}, nil // nothing to read
	}
	var read func() (store.RevocationStatus, error)
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		read = s.queueRevocationStatus(ctx, p, q)
		return nil
	})
	// A before rule that is not there is goredis.Nil; every command is
	// checked by read.
	if err != nil && !errors.Is(err, goredis.Nil) {
		return store.RevocationStatus{}, unavailable(op, err)
	}
	return read()
}

// queueRevocationStatus adds the reads of q to the pipeline p and returns
// the function that reads their replies once p has run.
func (s *Store) queueRevocationStatus(ctx context.Context, p goredis.Pipeliner, q store.RevocationQuery) func() (store.RevocationStatus, error) {
	const op = "revocation status"
	var jti, origin *goredis.IntCmd
	var subject, client, generation *goredis.StringCmd
	var principals []*goredis.StringCmd
	var clients []*goredis.StringCmd
	if q.JTI != "" {
		jti = p.Exists(ctx, revokedJTIKey(q.JTI))
	}
	if q.OriginJTI != "" {
		origin = p.Exists(ctx, revokedOriginKey(q.OriginJTI))
	}
	if q.Subject != "" {
		subject = p.Get(ctx, revokedBeforeKey(store.ScopeSubject, q.Subject))
	}
	if q.Client != "" {
		client = p.Get(ctx, revokedBeforeKey(store.ScopeClient, q.Client))
	}
	if q.PolicyAccount != "" {
		generation = p.Get(ctx, policyGenerationKey(q.PolicyAccount))
	}
	for _, id := range q.Principals {
		principals = append(principals, p.Get(ctx, revokedBeforeKey(store.ScopePrincipal, id)))
	}
	for _, id := range q.ClientRecords {
		clients = append(clients, p.Get(ctx, s.clients.key(id)))
	}
	return func() (store.RevocationStatus, error) {
		var st store.RevocationStatus
		var errs [5]error
		st.JTI, errs[0] = readRevoked(jti)
		st.OriginJTI, errs[1] = readRevoked(origin)
		st.SubjectBefore, errs[2] = readInt(subject)
		st.ClientBefore, errs[3] = readInt(client)
		st.PolicyGeneration, errs[4] = readInt(generation)
		if err := cmp.Or(errs[:]...); err != nil {
			return store.RevocationStatus{}, unavailable(op, err)
		}
		for _, cmd := range principals {
			before, err := readInt(cmd)
			if err != nil {
				return store.RevocationStatus{}, unavailable(op, err)
			}
			st.PrincipalBefore = max(st.PrincipalBefore, before)
		}
		for i, cmd := range clients {
			b, err := cmd.Bytes()
			if errors.Is(err, goredis.Nil) {
				continue
			}
			if err != nil {
				return store.RevocationStatus{}, unavailable(op, err)
			}
			c, err := s.clients.decode(op, b)
			if err != nil {
				return store.RevocationStatus{}, err
			}
			if st.Clients == nil {
				st.Clients = map[string]store.Client{}
			}
			st.Clients[q.ClientRecords[i]] = c
		}
		return st, nil
	}
}

// readRevoked reads the reply of EXISTS of a jti or origin_jti entry;
// false when it was not sent.
func readRevoked(c *goredis.IntCmd) (bool, error) {
	if c == nil {
		return false, nil
	}
	n, err := c.Result()
	return n == 1, err
}

// readBefore reads the reply of GET of a before rule: its T, 0 when the
// rule is not there or GET was not sent.
func readInt(c *goredis.StringCmd) (int64, error) {
	if c == nil {
		return 0, nil
	}
	v, err := c.Result()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	t, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("decode: an integer entry: %w", err)
	}
	return t, nil
}

// RevocationEvents returns up to limit events with stream IDs greater than
// after ("" or "0": from the first), oldest first: one XREAD COUNT limit
// from after. A limit that is not positive or is above
// record.MaxRevocationEvents (1000) means 1000. When there are none and
// wait > 0 the XREAD BLOCKs up to wait (rounded up to whole milliseconds,
// and no later than ctx's deadline), holding one pool connection, and an
// empty list is returned if nothing came. go-redis does not end a blocked
// read when ctx is cancelled, so the XREAD then runs on its own goroutine:
// a ctx done during the wait returns ctx's error at once, and the
// connection goes back to the pool when the BLOCK ends. An after that is
// not a stream ID is refused with store.ErrInvalid.
func (s *Store) RevocationEvents(ctx context.Context, after string, limit int, wait time.Duration) ([]store.RevocationEvent, error) {
	const op = "revocation events"
	from, err := record.ParseRevocationCursor(after)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	args := &goredis.XReadArgs{
		Streams: []string{revocationEventsKey, from.String()},
		Count:   int64(record.RevocationPageSize(limit)),
		Block:   -1, // no BLOCK; BLOCK 0 would wait for ever
	}
	if wait <= 0 {
		return s.readEvents(ctx, args)
	}
	if deadline, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(deadline))
	}
	args.Block = max((wait+time.Millisecond-1)/time.Millisecond*time.Millisecond, time.Millisecond)

	type result struct {
		events []store.RevocationEvent
		err    error
	}
	done := make(chan result, 1)
	go func() {
		evs, err := s.readEvents(ctx, args)
		done <- result{evs, err}
	}()
	select {
	case r := <-done:
		return r.events, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("store: %s: %w", op, ctx.Err())
	}
}

// readEvents runs one XREAD of the event stream and decodes what it
// returns; none (goredis.Nil) is an empty list.
func (s *Store) readEvents(ctx context.Context, args *goredis.XReadArgs) ([]store.RevocationEvent, error) {
	const op = "revocation events"
	streams, err := s.rdb.XRead(ctx, args).Result()
	if errors.Is(err, goredis.Nil) {
		return []store.RevocationEvent{}, nil
	}
	if err != nil {
		return nil, unavailable(op, err)
	}
	out := []store.RevocationEvent{}
	for _, st := range streams {
		for _, m := range st.Messages {
			ev, err := decodeRevocationEvent(m)
			if err != nil {
				return nil, unavailable(op+": decode", err)
			}
			out = append(out, ev)
		}
	}
	return out, nil
}

// decodeRevocationEvent reads a revocation event from its stream entry. An
// entry that does not decode means the store is broken.
func decodeRevocationEvent(m goredis.XMessage) (store.RevocationEvent, error) {
	field := func(name string) (string, error) {
		v, ok := m.Values[name].(string)
		if !ok {
			return "", fmt.Errorf("entry %s has no %s field", m.ID, name)
		}
		return v, nil
	}
	number := func(name string) (int64, error) {
		v, err := field(name)
		if err != nil {
			return 0, err
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("entry %s: field %s: %w", m.ID, name, err)
		}
		return n, nil
	}
	ev := store.RevocationEvent{ID: m.ID}
	var errs [5]error
	ev.Kind, errs[0] = field(eventKindField)
	ev.Revocation.ID, errs[1] = field(eventIDField)
	ev.Scope, errs[2] = field(eventScopeField)
	ev.Before, errs[3] = number(eventBeforeField)
	ev.Until, errs[4] = number(eventUntilField)
	if err := errors.Join(errs[:]...); err != nil {
		return store.RevocationEvent{}, err
	}
	return ev, nil
}

// LastRevocationEvent returns the stream ID of the newest event the stream
// holds (XREVRANGE + - COUNT 1), "0-0" when it holds none.
func (s *Store) LastRevocationEvent(ctx context.Context) (string, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, revocationEventsKey, "+", "-", 1).Result()
	if err != nil {
		return "", unavailable("last revocation event", err)
	}
	if len(msgs) == 0 {
		return record.AuditID{}.String(), nil
	}
	return msgs[0].ID, nil
}

// revocationKey is the key of the entry of the revocation set that r
// writes.
func revocationKey(r store.Revocation) string {
	switch r.Kind {
	case store.RevokeJTI:
		return revokedJTIKey(r.ID)
	case store.RevokeOrigin:
		return revokedOriginKey(r.ID)
	case store.RevokeBefore:
		return revokedBeforeKey(r.Scope, r.ID)
	}
	return policyGenerationKey(r.ID)
}

// The jti and the origin_jti are lineage's own random ids, so they are
// keys as they are; the ids of before rules and accounts are hashed.
func revokedJTIKey(jti string) string       { return revokedJTIKeyPrefix + jti }
func revokedOriginKey(origin string) string { return revokedOriginKeyPrefix + origin }
func revokedBeforeKey(scope, id string) string {
	return revokedBeforeKeyPrefix + scope + ":" + hashID(id)
}
func policyGenerationKey(account string) string { return policyGenerationKeyPrefix + hashID(account) }
