package notify

import (
	"context"
	"crypto/ecdh"
	"database/sql"
	"encoding/base64"
	"github.com/senimkz/senim/internal/actor"
	"github.com/senimkz/senim/internal/webhook"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/senimkz/senim/internal/store"
)

// Pref is a citizen's choice for one channel.
type Pref struct {
	Enabled    bool
	Address    string // e-mail only
	Subscribed bool   // push only: she has at least one subscription
	// addressed: e-mail only, she gave an address (sendPrefs reads whether, not which).
	addressed bool
}

// hasAddress reports whether the citizen gave an address on this channel, where the
// channel needs one she gives (e-mail); SMS numbers come from the mobile citizens
// database and push from her subscriptions.
func (p Pref) hasAddress() bool { return p.Address != "" || p.addressed }

type querier func(ctx context.Context, query string, args ...any) (*sql.Rows, error)

// loadPrefs reads a citizen's channel preferences; a channel without a row has its
// default: off, except push, which is on once subscribed.
func loadPrefs(ctx context.Context, q querier, subject string) (map[string]Pref, error) {
	out := map[string]Pref{ChannelPush: {Enabled: true}}
	rows, err := q(ctx, `SELECT channel, enabled, address FROM notify_prefs WHERE subject = ?`, subject)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var ch, addr string
		var on bool
		if err := rows.Scan(&ch, &on, &addr); err != nil {
			rows.Close()
			return nil, err
		}
		out[ch] = Pref{Enabled: on, Address: addr}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q(ctx, `SELECT COUNT(*) FROM notify_push_subscriptions WHERE subject = ?`, subject)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var k int
	if rows.Next() {
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
	}
	p := out[ChannelPush]
	p.Subscribed = k > 0
	out[ChannelPush] = p
	return out, rows.Err()
}

// sendPrefs is loadPrefs as enqueueWith needs it (each channel's Enabled, and push's
// Subscribed; no addresses), in one single-row statement: the transaction keeps it
// prepared (store's statement cache), where loadPrefs' two row sets are parsed anew
// for every notice sent.
func sendPrefs(ctx context.Context, tx *store.Tx, subject string) (map[string]Pref, error) {
	var sms, email, addressed, push, subs int
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(CASE WHEN channel = 'sms' THEN enabled END), 0),
		COALESCE(MAX(CASE WHEN channel = 'email' THEN enabled END), 0), COALESCE(MAX(CASE WHEN channel = 'email' AND address <> '' THEN 1 END), 0),
		COALESCE(MAX(CASE WHEN channel = 'push' THEN enabled END), 1),
		(SELECT COUNT(*) FROM notify_push_subscriptions WHERE subject = ?) FROM notify_prefs WHERE subject = ?`, subject, subject).Scan(&sms, &email, &addressed, &push, &subs)
	if err != nil {
		return nil, err
	}
	return map[string]Pref{ChannelSMS: {Enabled: sms != 0}, ChannelEmail: {Enabled: email != 0, addressed: addressed != 0},
		ChannelPush: {Enabled: push != 0, Subscribed: subs > 0}}, nil
}

// loadPrefsMany reads the preferences of several citizens in two queries (a batch of
// outbox events): what loadPrefs gives for each.
func loadPrefsMany(ctx context.Context, q querier, subjects []string) (map[string]map[string]Pref, error) {
	out := make(map[string]map[string]Pref, len(subjects))
	if len(subjects) == 0 {
		return out, nil
	}
	args := make([]any, len(subjects))
	marks := make([]string, len(subjects))
	for i, sub := range subjects {
		args[i], marks[i] = sub, "?"
		out[sub] = map[string]Pref{ChannelPush: {Enabled: true}}
	}
	in := strings.Join(marks, ", ")
	rows, err := q(ctx, `SELECT subject, channel, enabled, address FROM notify_prefs WHERE subject IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var sub, ch, addr string
		var on bool
		if err := rows.Scan(&sub, &ch, &on, &addr); err != nil {
			rows.Close()
			return nil, err
		}
		if m := out[sub]; m != nil {
			m[ch] = Pref{Enabled: on, Address: addr}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q(ctx, `SELECT DISTINCT subject FROM notify_push_subscriptions WHERE subject IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var sub string
		if err := rows.Scan(&sub); err != nil {
			return nil, err
		}
		if m := out[sub]; m != nil {
			p := m[ChannelPush]
			p.Subscribed = true
			m[ChannelPush] = p
		}
	}
	return out, rows.Err()
}

// Prefs returns the citizen's channel preferences (sms, email, push).
func (s *Service) Prefs(ctx context.Context, subject string) (map[string]Pref, error) {
	return loadPrefs(ctx, s.db.QueryContext, subject)
}

// maxEmail bounds an e-mail address (RFC 5321's path limit).
const maxEmail = 254

// SetPref records the citizen's choice for a channel. An e-mail channel switched on
// needs an address. Switching a channel off holds for ordinary notices only: a legally
// significant notice still goes out on every channel she has an address on (DC-2).
func (s *Service) SetPref(ctx context.Context, subject, channel string, enabled bool, address string) error {
	if !actor.IsCitizen(subject) {
		return ErrReader
	}
	switch channel {
	case ChannelSMS, ChannelPush:
		address = ""
	case ChannelEmail:
		address = strings.TrimSpace(address)
		if address != "" {
			a, err := mail.ParseAddress(address)
			if err != nil || a.Name != "" || a.Address != address || len(address) > maxEmail || strings.ContainsAny(address, "\r\n") {
				return ErrPreference.WithDetail("email: not an e-mail address").With("field", "address")
			}
		}
		if enabled && address == "" {
			return ErrPreference.WithDetail("email: an address is required to switch e-mail on").With("field", "address")
		}
	default:
		return ErrPreference.WithDetail("channel: sms, email or push")
	}
	now := store.Micros(s.cfg.Now())
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO notify_prefs (subject, channel, enabled, address, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (subject, channel) DO UPDATE SET enabled = excluded.enabled, address = excluded.address, updated_at = excluded.updated_at`,
			subject, channel, enabled, address, now)
		return err
	})
}

// PushSubscription is a browser's Web Push subscription (the PushSubscription JSON of
// the Push API: endpoint and keys).
type PushSubscription struct {
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256DH string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// check validates a subscription: an https endpoint (http only to loopback, the
// sandbox's), a P-256 public key and a 16-byte auth secret.
func (p PushSubscription) check(allowLoopback bool) error {
	u, err := url.Parse(p.Endpoint)
	if err != nil || len(p.Endpoint) > 2048 || u.Host == "" || u.User != nil {
		return ErrSubscription.WithDetail("endpoint: not a URL")
	}
	host := u.Hostname()
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return ErrSubscription.WithDetail("endpoint: bad port")
		}
	}
	loop := host == "localhost" || isLoopback(host)
	if u.Scheme != "https" && !(allowLoopback && loop && u.Scheme == "http") {
		return ErrSubscription.WithDetail("endpoint: https only")
	}
	if loop && !allowLoopback {
		return ErrSubscription.WithDetail("endpoint: loopback is allowed in the sandbox only")
	}
	if ip := net.ParseIP(host); ip != nil && !loop && !PublicIP(ip) {
		return ErrSubscription.WithDetail("endpoint: not a public address")
	}
	k, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(p.Keys.P256DH, "="))
	if err != nil {
		return ErrSubscription.WithDetail("keys.p256dh: not base64url")
	}
	if _, err := ecdh.P256().NewPublicKey(k); err != nil {
		return ErrSubscription.WithDetail("keys.p256dh: not a P-256 public key")
	}
	a, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(p.Keys.Auth, "="))
	if err != nil || len(a) != 16 {
		return ErrSubscription.WithDetail("keys.auth: 16 bytes, base64url")
	}
	return nil
}

// maxSubscriptions bounds a citizen's push subscriptions (browsers and devices).
const maxSubscriptions = 10

// Subscribe records the citizen's Web Push subscription (the cabinet's service worker
// sends it). An endpoint already subscribed by someone else moves to her: the browser
// is hers now.
func (s *Service) SubscribePush(ctx context.Context, subject string, p PushSubscription) error {
	if !actor.IsCitizen(subject) {
		return ErrReader
	}
	if err := p.check(s.cfg.AllowLoopbackPush); err != nil {
		return err
	}
	now := store.Micros(s.cfg.Now())
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		var k int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_push_subscriptions WHERE subject = ? AND endpoint <> ?`, subject, p.Endpoint).Scan(&k); err != nil {
			return err
		}
		if k >= maxSubscriptions {
			return ErrSubscription.WithDetail("at most 10 subscriptions; remove one first")
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO notify_push_subscriptions (subject, endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (endpoint) DO UPDATE SET subject = excluded.subject, p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at`,
			subject, p.Endpoint, strings.TrimRight(p.Keys.P256DH, "="), strings.TrimRight(p.Keys.Auth, "="), now)
		return err
	})
}

// UnsubscribePush removes the citizen's subscriptions (all of them when endpoint is "").
func (s *Service) UnsubscribePush(ctx context.Context, subject, endpoint string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if endpoint == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM notify_push_subscriptions WHERE subject = ?`, subject)
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM notify_push_subscriptions WHERE subject = ? AND endpoint = ?`, subject, endpoint)
		}
		return err
	})
}

// PushSubscriptions lists the citizen's subscriptions.
func (s *Service) PushSubscriptions(ctx context.Context, subject string) ([]PushSubscription, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT endpoint, p256dh, auth FROM notify_push_subscriptions WHERE subject = ? ORDER BY id`, subject)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PushSubscription
	for rows.Next() {
		var p PushSubscription
		if err := rows.Scan(&p.Endpoint, &p.Keys.P256DH, &p.Keys.Auth); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DropPushEndpoint removes a subscription the push service says no longer exists.
func (s *Service) DropPushEndpoint(ctx context.Context, endpoint string) {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM notify_push_subscriptions WHERE endpoint = ?`, endpoint)
		return err
	})
	if err != nil {
		s.log.WarnContext(ctx, "notify: drop a gone push subscription", "err", err)
	}
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// PublicIP reports whether ip is a public unicast address Senim may call: the one
// check of internal/webhook (webhook.Allowed), which receivers of webhooks pass too.
// Push endpoints (and any URL a citizen gives Senim to call) must resolve to such an
// address.
func PublicIP(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	return ok && webhook.Allowed(a.Unmap(), false)
}
