package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Reconnection bounds of the event stream.
const (
	minBackoff = time.Second
	maxBackoff = 10 * time.Second
	// maxRetryAfter caps the wait a 429's Retry-After may ask for.
	maxRetryAfter = time.Minute
	// heartbeatEvery is the issuer's heartbeat period on an idle stream;
	// a connection silent for two of them (or StaleAfter, if longer) is
	// dropped and opened again.
	heartbeatEvery = 5 * time.Second
)

// The snapshot holds every live entry — possibly many: it has bounds of
// its own.
const (
	snapshotTimeout  = 30 * time.Second
	maxSnapshotBytes = 256 << 20
)

// errResync means the stream cannot resume from the id the Verifier holds:
// the snapshot is read again.
var errResync = errors.New("verify: the stream cannot resume from the last event id")

// streamError is a failed connection attempt; retryAfter is the wait the
// issuer asked for (429), if any.
type streamError struct {
	status     int
	retryAfter time.Duration
}

func (e *streamError) Error() string {
	return fmt.Sprintf("verify: revocation stream: status %d", e.status)
}

// loadSnapshot reads GET /revocations?snapshot=1 and applies every entry;
// the stream then resumes from its last_event_id.
func (v *Verifier) loadSnapshot(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, snapshotTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.opts.endpoint("/revocations?snapshot=1"), nil)
	if err != nil {
		return fmt.Errorf("verify: revocation snapshot: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	v.opts.setClientAuth(req)
	resp, err := v.opts.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("verify: revocation snapshot: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := readBounded(resp.Body, maxFetchBytes)
		return fmt.Errorf("verify: revocation snapshot: status %d: %s", resp.StatusCode, oauthError(body))
	}
	var snap snapshot
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxSnapshotBytes)).Decode(&snap); err != nil {
		return fmt.Errorf("verify: revocation snapshot (at most %d bytes): %w", maxSnapshotBytes, err)
	}
	// A policy change in the snapshot carries no time: it counts as now
	// (plus the leeway, for the issuer's clock), so that every IAM token
	// issued before it is introspected once.
	at := v.opts.Now().Add(v.opts.Leeway).Unix()
	if t, ok := eventTime(snap.LastEventID); ok {
		at = max(at, t)
	}
	for _, e := range snap.Revocations {
		v.revs.apply(e, at)
	}
	v.revs.setLastEventID(snap.LastEventID)
	v.touch()
	return nil
}

// oauthError returns the error code of an RFC 6749 §5.2 error body, for
// logs.
func oauthError(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		return "no error code"
	}
	return e.Error
}

// follow reads the event stream until ctx ends, reconnecting with
// exponential backoff and jitter (1s..10s) and resuming with Last-Event-ID.
func (v *Verifier) follow(ctx context.Context) {
	backoff := minBackoff
	for ctx.Err() == nil {
		got, err := v.streamOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if got {
			backoff = minBackoff
		}
		// Equal jitter, never under minBackoff: verifiers that lost
		// the same issuer do not come back all at once.
		wait := max(backoff/2+rand.N(backoff/2+1), minBackoff)
		var se *streamError
		switch {
		case errors.Is(err, errResync):
			v.opts.Logger.Warn("verify: revocation stream cannot resume; reading the snapshot again")
			if err := v.loadSnapshot(ctx); err != nil && ctx.Err() == nil {
				v.opts.Logger.Warn("verify: revocation snapshot failed", "error", err.Error())
			} else {
				wait = 0
			}
		case errors.As(err, &se) && se.retryAfter > 0:
			wait = min(max(wait, se.retryAfter), maxRetryAfter)
			v.opts.Logger.Warn("verify: revocation stream refused; retrying", "error", err.Error(), "retry_in", wait.String())
		default:
			v.opts.Logger.Warn("verify: revocation stream interrupted; reconnecting", "error", errString(err), "retry_in", wait.String())
		}
		backoff = min(2*backoff, maxBackoff)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func errString(err error) string {
	if err == nil {
		return "closed by the issuer"
	}
	return err.Error()
}

// streamOnce opens the stream once and reads it until it ends. got reports
// whether anything arrived (the connection worked).
func (v *Verifier) streamOnce(ctx context.Context) (got bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.opts.endpoint("/revocations"), nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-store")
	last := v.revs.lastID()
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	v.opts.setClientAuth(req)
	resp, err := v.stream.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusBadRequest && last != "":
		return false, errResync
	case resp.StatusCode != http.StatusOK:
		se := &streamError{status: resp.StatusCode}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			se.retryAfter = time.Duration(secs) * time.Second
		}
		return false, se
	case !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream"):
		return false, fmt.Errorf("verify: revocation stream: content type %q", resp.Header.Get("Content-Type"))
	}
	// A connection that stays silent past the heartbeats is dead even if
	// TCP has not noticed: drop it.
	idle := max(v.opts.StaleAfter, 2*heartbeatEvery)
	watchdog := time.AfterFunc(idle, cancel)
	defer watchdog.Stop()
	r := &streamReader{v: v, watchdog: watchdog, idle: idle}
	err = readSSE(resp.Body, last, r)
	return r.got, err
}

var _ sseHandler = (*streamReader)(nil)

// streamReader applies what the stream carries to the Verifier.
type streamReader struct {
	v        *Verifier
	watchdog *time.Timer
	idle     time.Duration
	got      bool
}

func (r *streamReader) line() {
	r.watchdog.Reset(r.idle)
	r.got = true
}

func (r *streamReader) comment() { r.v.touch() }

func (r *streamReader) event(ev sseEvent) error {
	if ev.Type == "revocation" {
		var e entry
		if err := json.Unmarshal([]byte(ev.Data), &e); err != nil {
			// Skipping it would lose a revocation: read the snapshot
			// again instead.
			r.v.opts.Logger.Error("verify: unreadable revocation event", "id", ev.ID, "error", err.Error())
			return errResync
		}
		at, ok := eventTime(ev.ID)
		if !ok {
			at = r.v.opts.Now().Add(r.v.opts.Leeway).Unix()
		}
		if !r.v.revs.apply(e, at) {
			r.v.opts.Logger.Debug("verify: revocation event of an unknown kind ignored", "id", ev.ID, "kind", e.Kind)
		}
	}
	if ev.ID != "" {
		r.v.revs.setLastEventID(ev.ID)
	}
	r.v.touch()
	return nil
}
