package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/senimkz/senim/internal/mgov"
)

// Channels. The inbox is always on and is written in the notice's own transaction; the
// others are behind Channel and go through the delivery engine.
const (
	ChannelInbox = "inbox"
	ChannelSMS   = "sms"
	ChannelEmail = "email"
	ChannelPush  = "push"
)

// Channels is the order in which a notice's other channels are queued.
var Channels = []string{ChannelSMS, ChannelEmail, ChannelPush}

// Purposes of a delivery: the notice itself, a reminder of an unread one, the fallback
// after its read-by deadline.
const (
	PurposeNotice   = "notice"
	PurposeReminder = "reminder"
	PurposeFallback = "fallback"
)

// Outgoing is what a channel sends: never the content of the notice, only that there
// is one, from whom, and where to read it (the content opens in the cabinet, after the
// acknowledgement screen where the notice is legally significant).
type Outgoing struct {
	// ID is the delivery's id, the same on every attempt: channels pass it on
	// (Message-ID, push Topic) so a receiver can drop a repeated attempt.
	ID      string
	Notice  string // the notice's ref
	Purpose string
	Lang    string
	Title   string // one line
	Text    string // a few lines of plain text, the link included
	URL     string // the notice in the cabinet

	// Addresses, filled by the engine for the channel that needs them. IIN is only for
	// looking up a phone number (never logged or stored by a channel).
	IIN   string
	Email string
	Push  []PushSubscription
}

// Channel sends Outgoing messages on one medium.
type Channel interface {
	Name() string
	Send(ctx context.Context, m Outgoing) error
}

// Errors a Channel returns. ErrNoAddress: the citizen has no address on this channel
// (the delivery is skipped, not retried). ErrPermanent: the message can never be
// delivered (dead at once). Any other error is retried with backoff.
var (
	ErrNoAddress = errors.New("notify: no address on this channel")
	ErrPermanent = errors.New("notify: permanent delivery failure")
)

// SMSChannel sends through the "mobile government" gateway to the number the mobile
// citizens database (БМГ) holds for the IIN.
type SMSChannel struct {
	Mobile  mgov.MobileDB
	Gateway mgov.SMSGateway
}

// Name implements Channel.
func (SMSChannel) Name() string { return ChannelSMS }

// Send implements Channel.
func (c SMSChannel) Send(ctx context.Context, m Outgoing) error {
	if m.IIN == "" {
		return ErrNoAddress
	}
	phone, err := c.Mobile.Phone(ctx, m.IIN)
	if errors.Is(err, mgov.ErrNotRegistered) {
		return ErrNoAddress
	}
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	// m.Text: the title, that the notice is legally significant where it is (in the
	// citizen's language), and the link.
	if _, err := c.Gateway.Send(ctx, phone, m.Text); err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	return nil
}

// errorCode is what the delivery row keeps of an error: a short code, never the
// error's text (which may carry an address).
func errorCode(err error) string {
	switch {
	case errors.Is(err, ErrNoAddress):
		return "no_address"
	case errors.Is(err, ErrPermanent):
		return "permanent"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, mgov.ErrUnavailable):
		return "unavailable"
	}
	var ce interface{ Code() string }
	if errors.As(err, &ce) {
		return ce.Code()
	}
	s := err.Error()
	if i := strings.IndexByte(s, ':'); i > 0 && i < 16 {
		return s[:i] + "_error"
	}
	return "error"
}
