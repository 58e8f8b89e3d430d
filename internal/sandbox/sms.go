package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/senimkz/senim/internal/mgov"
)

// MobileDB is the sandbox mobile citizens database: the demo population's numbers.
type MobileDB struct{ phones map[string]string }

// NewMobileDB returns a database holding the numbers of p's citizens that have one.
func NewMobileDB(p Population) *MobileDB {
	m := &MobileDB{phones: map[string]string{}}
	for _, c := range p.Citizens {
		if c.Phone != "" {
			m.phones[c.IIN] = c.Phone
		}
	}
	return m
}

// Phone implements mgov.MobileDB.
func (m *MobileDB) Phone(_ context.Context, iin string) (string, error) {
	if p, ok := m.phones[iin]; ok {
		return p, nil
	}
	return "", mgov.ErrNotRegistered
}

// Message is an SMS the sandbox gateway "sent" or a reply it received.
type Message struct {
	ID        string    `json:"id"`
	Phone     string    `json:"phone"`
	Text      string    `json:"text"`
	SentAt    time.Time `json:"sent_at"`
	Direction string    `json:"direction"` // "out" (from 1414) or "in" (the citizen's reply)
}

// SMS is the sandbox "mobile government" gateway: it keeps what it sends in memory
// (the most recent MaxMessages), shows it on /sandbox/sms, and passes simulated replies
// to the registered handlers.
type SMS struct {
	Now         func() time.Time
	MaxMessages int

	mu       sync.Mutex
	seq      int
	msgs     []Message
	handlers []mgov.ReplyHandler
}

// NewSMS returns an empty gateway.
func NewSMS(now func() time.Time) *SMS {
	if now == nil {
		now = time.Now
	}
	return &SMS{Now: now, MaxMessages: 10000}
}

// Send implements mgov.SMSGateway.
func (s *SMS) Send(_ context.Context, phone, text string) (string, error) {
	if !mgov.ValidPhone(phone) {
		return "", fmt.Errorf("sandbox sms: %q is not an E.164 number", phone)
	}
	return s.add(phone, text, "out"), nil
}

func (s *SMS) add(phone, text, dir string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := fmt.Sprintf("sbx-%d", s.seq)
	s.msgs = append(s.msgs, Message{ID: id, Phone: phone, Text: text, SentAt: s.Now().UTC(), Direction: dir})
	if over := len(s.msgs) - s.MaxMessages; over > 0 {
		s.msgs = append(s.msgs[:0:0], s.msgs[over:]...)
	}
	return id
}

// OnReply registers a handler for citizens' replies.
func (s *SMS) OnReply(h mgov.ReplyHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers = append(s.handlers, h)
}

// Messages lists the messages sent to phone ("" for every phone), newest first.
func (s *SMS) Messages(phone string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Message{}
	for i := len(s.msgs) - 1; i >= 0; i-- {
		if m := s.msgs[i]; m.Direction == "out" && (phone == "" || m.Phone == phone) {
			out = append(out, m)
		}
	}
	return out
}

// ErrNoHandler: a reply arrived but nothing waits for replies.
var ErrNoHandler = errors.New("sandbox sms: no handler for replies")

// Reply simulates the citizen at phone answering with text.
func (s *SMS) Reply(ctx context.Context, phone, text string) error {
	if !mgov.ValidPhone(phone) {
		return fmt.Errorf("sandbox sms: %q is not an E.164 number", phone)
	}
	text = strings.TrimSpace(text)
	s.add(phone, text, "in")
	s.mu.Lock()
	hs := append([]mgov.ReplyHandler(nil), s.handlers...)
	s.mu.Unlock()
	var errs []error
	for _, h := range hs {
		if err := h.HandleReply(ctx, mgov.Reply{Phone: phone, Text: text, ReceivedAt: s.Now().UTC()}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
