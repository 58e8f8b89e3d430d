package notify

import (
	"context"
	"sync"
	"time"
)

// hub wakes the live views of addressees: those in this process at once, and on
// PostgreSQL those on every other node too, through a store signal (topic
// signalTopic, the addressee's actor string as key: no content, no IIN). A lost
// signal costs only latency: the live view also polls.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}

	// signal relays wake-ups to the other nodes (store.DB.Signal); nil on SQLite.
	signal   func(ctx context.Context, subjects []string) error
	pending  map[string]struct{}
	flushing bool
}

// signalTopic is the store signal of notice changes.
const signalTopic = "notify_wake"

func (h *hub) subscribe(subject string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.subs[subject] == nil {
		h.subs[subject] = map[chan struct{}]struct{}{}
	}
	h.subs[subject][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[subject], ch)
		if len(h.subs[subject]) == 0 {
			delete(h.subs, subject)
		}
		h.mu.Unlock()
	}
}

// publish wakes subject's live views here and on the other nodes.
func (h *hub) publish(subject string) {
	h.wake(subject)
	h.relay(subject)
}

// wake wakes subject's live views in this process; "" wakes every one (a signal
// listener reconnected and may have missed wake-ups).
func (h *hub) wake(subject string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if subject == "" {
		for _, chs := range h.subs {
			poke(chs)
		}
		return
	}
	poke(h.subs[subject])
}

func poke(chs map[chan struct{}]struct{}) {
	for ch := range chs {
		select {
		case ch <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

// relay queues subject for the other nodes. One goroutine at a time sends what is
// queued, many subjects per signal, and ends when the queue is empty: a burst of
// deliveries costs a few NOTIFYs, not one each, and nothing waits on the database
// in the caller.
func (h *hub) relay(subject string) {
	if h.signal == nil {
		return
	}
	h.mu.Lock()
	if h.pending == nil {
		h.pending = map[string]struct{}{}
	}
	h.pending[subject] = struct{}{}
	start := !h.flushing
	h.flushing = true
	h.mu.Unlock()
	if start {
		go h.flush()
	}
}

func (h *hub) flush() {
	for {
		h.mu.Lock()
		if len(h.pending) == 0 {
			h.flushing = false
			h.mu.Unlock()
			return
		}
		subjects := make([]string, 0, len(h.pending))
		for s := range h.pending {
			subjects = append(subjects, s)
		}
		clear(h.pending)
		h.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = h.signal(ctx, subjects) // best effort: the live view polls as well
		cancel()
	}
}
