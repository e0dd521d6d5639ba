package revocation

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Hub is one issuer instance's consumer of the event stream: a single
// goroutine tails the stream and wakes every local subscriber when events
// arrive, so that subscribers read the stream only when there is news and
// one blocking store connection serves them all. It also caps each
// client's concurrent subscriptions.
type Hub struct {
	set    *Set
	logger *slog.Logger
	limit  int

	mu      sync.Mutex
	changed chan struct{}
	conns   map[string]int
}

// NewHub returns a Hub on set allowing limit concurrent subscriptions per
// client.
func NewHub(set *Set, limit int, logger *slog.Logger) *Hub {
	return &Hub{set: set, logger: logger, limit: limit, changed: make(chan struct{}), conns: map[string]int{}}
}

// tailWait is how long one read of the stream blocks; tailRetry is the
// pause after a failed read.
const (
	tailWait  = 5 * time.Second
	tailRetry = time.Second
)

// Run tails the stream until ctx ends. Store failures are logged and
// retried: the Hub recovers by itself once the store is back.
func (h *Hub) Run(ctx context.Context) {
	after := ""
	for ctx.Err() == nil {
		if after == "" {
			last, err := h.set.LastEvent(ctx)
			if err != nil {
				h.retry(ctx, err)
				continue
			}
			after = last
		}
		evs, err := h.set.Events(ctx, after, 512, tailWait)
		if err != nil {
			if errors.Is(err, ErrInvalid) {
				after = ""
			}
			h.retry(ctx, err)
			continue
		}
		if len(evs) > 0 {
			after = evs[len(evs)-1].ID
			h.publish()
		}
	}
}

func (h *Hub) retry(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	h.logger.WarnContext(ctx, "revocation stream: read failed; retrying", "error", err.Error())
	// Wake subscribers too: they find out for themselves whether the
	// store answers.
	h.publish()
	select {
	case <-ctx.Done():
	case <-time.After(tailRetry):
	}
}

func (h *Hub) publish() {
	h.mu.Lock()
	defer h.mu.Unlock()
	close(h.changed)
	h.changed = make(chan struct{})
}

// Changed returns a channel closed when the Hub next sees new events. Take
// it before reading the stream, so that no event slips between the read
// and the wait.
func (h *Hub) Changed() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changed
}

// Subscribe counts one more subscription of client and returns its
// release, or reports false when the client already holds the most it
// may.
func (h *Hub) Subscribe(client string) (release func(), ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conns[client] >= h.limit {
		return nil, false
	}
	h.conns[client]++
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.conns[client]--; h.conns[client] <= 0 {
				delete(h.conns, client)
			}
		})
	}, true
}
