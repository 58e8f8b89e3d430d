package sandbox

import (
	"fmt"
	"net/url"
	"sync"
	"time"
)

// Push is a Web Push message Senim sent, as the sandbox's push outbox records it: the
// push service's origin (never the full endpoint, a capability), what the message
// said, and how the push service answered.
type Push struct {
	ID      string    `json:"id"`
	Service string    `json:"service"` // the endpoint's origin
	Title   string    `json:"title"`
	Text    string    `json:"text"`
	URL     string    `json:"url"`
	Result  string    `json:"result"` // "accepted" or the error code
	SentAt  time.Time `json:"sent_at"`
}

// PushLog keeps the push messages Senim sent in the sandbox (the most recent
// MaxMessages) for /sandbox/push.
type PushLog struct {
	Now         func() time.Time
	MaxMessages int

	mu   sync.Mutex
	seq  int
	msgs []Push
}

// NewPushLog returns an empty log.
func NewPushLog(now func() time.Time) *PushLog {
	if now == nil {
		now = time.Now
	}
	return &PushLog{Now: now, MaxMessages: 10000}
}

// Record adds a message sent to endpoint.
func (l *PushLog) Record(endpoint, title, text, link, result string) {
	origin := "?"
	if u, err := url.Parse(endpoint); err == nil {
		origin = u.Scheme + "://" + u.Host
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	l.msgs = append(l.msgs, Push{ID: fmt.Sprintf("push-%d", l.seq), Service: origin, Title: title, Text: text, URL: link, Result: result, SentAt: l.Now().UTC()})
	if over := len(l.msgs) - l.MaxMessages; over > 0 {
		l.msgs = append(l.msgs[:0:0], l.msgs[over:]...)
	}
}

// Messages lists what was sent, newest first.
func (l *PushLog) Messages() []Push {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Push, 0, len(l.msgs))
	for i := len(l.msgs) - 1; i >= 0; i-- {
		out = append(out, l.msgs[i])
	}
	return out
}
