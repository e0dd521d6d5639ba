package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/oauth"
	"github.com/lineage-oss/lineage/revocation"
)

// RevocationStream serves the revocation event stream, GET /revocations
// (DESIGN.md "Revocation events"), to confidential clients with
// revocation_events: Server-Sent Events resumable with Last-Event-ID, a
// comment heartbeat, and ?snapshot=1 for every live entry.
type RevocationStream struct {
	provider *oauth.Provider
	set      *revocation.Set
	hub      *revocation.Hub
	// stop ends every open stream (graceful shutdown).
	stop context.Context
	// Heartbeat is the interval of comment lines on an idle stream.
	heartbeat time.Duration
}

// NewRevocationStream returns the stream handler; streams end when stop
// does.
func NewRevocationStream(provider *oauth.Provider, set *revocation.Set, hub *revocation.Hub, stop context.Context) *RevocationStream {
	return &RevocationStream{provider: provider, set: set, hub: hub, stop: stop, heartbeat: 5 * time.Second}
}

// streamWriteTimeout bounds each write to a stream: a reader that stops
// reading is dropped.
const streamWriteTimeout = 30 * time.Second

// errTooManyStreams answers a client holding as many streams as it may.
var errTooManyStreams = &fosite.RFC6749Error{ErrorField: "slow_down", DescriptionField: "Too many open revocation streams for this client.", CodeField: http.StatusTooManyRequests}

func (s *RevocationStream) serve(c echo.Context) error {
	ctx := c.Request().Context()
	client, err := s.provider.AuthenticateConfidential(ctx, c.Request())
	if err != nil {
		return err
	}
	if !client.RevocationEvents {
		return fosite.ErrAccessDenied.WithHint("The client may not read the revocation events.")
	}
	if c.QueryParam("snapshot") == "1" {
		snap, err := s.set.Snapshot(ctx)
		if err != nil {
			return fosite.ErrTemporarilyUnavailable.WithWrap(err)
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.JSON(http.StatusOK, snap)
	}
	after := c.Request().Header.Get("Last-Event-ID")
	if after != "" {
		if _, ok := revocation.ParseStreamID(after); !ok {
			return fosite.ErrInvalidRequest.WithHint("Last-Event-ID is not an event id of this stream.")
		}
	} else if after, err = s.set.LastEvent(ctx); err != nil {
		return fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	release, ok := s.hub.Subscribe(client.ID)
	if !ok {
		c.Response().Header().Set("Retry-After", "5")
		return errTooManyStreams
	}
	defer release()

	w := c.Response()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	out := &eventWriter{w: w, rc: http.NewResponseController(w)}
	out.printf("retry: 2000\n\n")
	heartbeat := time.NewTicker(s.heartbeat)
	defer heartbeat.Stop()
	for out.err == nil {
		changed := s.hub.Changed()
		evs, err := s.set.Events(ctx, after, 256, 0)
		if err != nil {
			// The store is away: end the stream; the reader resumes
			// with Last-Event-ID once it is back.
			return nil
		}
		for _, ev := range evs {
			data, _ := json.Marshal(ev.Revocation)
			out.printf("id: %s\nevent: revocation\ndata: %s\n\n", ev.ID, data)
			after = ev.ID
		}
		out.flush()
		if len(evs) == 256 {
			continue
		}
		select {
		case <-changed:
		case <-heartbeat.C:
			out.printf(": heartbeat\n\n")
			out.flush()
		case <-ctx.Done():
			return nil
		case <-s.stop.Done():
			return nil
		}
	}
	return nil
}

// eventWriter writes a stream, extending the write deadline before each
// write and remembering the first error (a reader gone).
type eventWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	err error
}

func (e *eventWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	if err := e.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		e.err = err
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}

func (e *eventWriter) flush() {
	if e.err == nil {
		e.err = e.rc.Flush()
	}
}
