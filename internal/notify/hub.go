package notify

import "sync"

// hub wakes the live views of addressees in this process.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

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

func (h *hub) publish(subject string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[subject] {
		select {
		case ch <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}
