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
	set      *Set
	logger   *slog.Logger
	limit    int
	observer HubObserver

	mu      sync.Mutex
	changed chan struct{}
	conns   map[string]int
}

// HubObserver receives what the Hub sees, for metrics.
type HubObserver interface {
	// StreamRead is called with how long after it was appended the Hub
	// read the newest event of a batch.
	StreamRead(lag time.Duration)
	// StreamSubscribers is called with +1 and -1 as subscriptions open
	// and close.
	StreamSubscribers(delta int)
}

type nopHubObserver struct{}

func (nopHubObserver) StreamRead(time.Duration) {}
func (nopHubObserver) StreamSubscribers(int)    {}

// NewHub returns a Hub on set allowing limit concurrent subscriptions per
// client; observer may be nil.
func NewHub(set *Set, limit int, logger *slog.Logger, observer HubObserver) *Hub {
	if observer == nil {
		observer = nopHubObserver{}
	}
	return &Hub{set: set, logger: logger, limit: limit, observer: observer, changed: make(chan struct{}), conns: map[string]int{}}
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
			if id, ok := ParseStreamID(after); ok {
				h.observer.StreamRead(h.set.opts.Now().Sub(time.UnixMilli(int64(id.MS))))
			}
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
	h.observer.StreamSubscribers(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.conns[client]--; h.conns[client] <= 0 {
				delete(h.conns, client)
			}
			h.observer.StreamSubscribers(-1)
		})
	}, true
}
