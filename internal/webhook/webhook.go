package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/verifier"
)

// Type is the typ of a webhook's JWS header; it differs from a security token's and a
// read receipt's, so none passes for another.
const Type = verifier.WebhookType

// ConsumerName is the outbox consumer that turns events into deliveries.
const ConsumerName = "webhook"

// Signer signs a payload as a compact ES256 JWS under Senim's key with header typ
// (pd.Service.SignJWS).
type Signer interface {
	SignJWS(ctx context.Context, typ string, payload []byte) (string, error)
}

// Message is one event for one organisation, as a Route makes it from an outbox event.
type Message struct {
	Org  string // the receiving organisation's BIN
	Type string // one of Config.Events, e.g. "consent.revoked"
	// ID is the event's dedup id, the same in every attempt: unique per (Org, event).
	ID   string
	Data any // the event's data, marshalled as JSON
}

// Route turns an outbox event into the messages it stands for (none for most events).
// It must be deterministic: the same event gives the same messages, so a batch
// consumed twice makes no second delivery.
type Route func(ctx context.Context, e store.Event) ([]Message, error)

// Config configures a Service.
type Config struct {
	DB     *store.DB
	Signer Signer
	Issuer string // "iss" of every event: Senim's public URL
	// Events are the event types organisations may subscribe to; Routes make them.
	Events []string
	Routes []Route
	// Client sends deliveries; default NewClient(nil, AllowLoopback, 10s). A client
	// given here must keep its own protection against internal addresses.
	Client *http.Client
	// Resolver checks a subscription's host; default net.DefaultResolver.
	Resolver Resolver
	// AllowLoopback lets endpoints be on 127.0.0.0/8 and ::1: the sandbox only.
	AllowLoopback bool
	// MaxAttempts before a delivery is failed (default 8); BaseDelay (default 10s)
	// doubles after each failure up to MaxDelay (default 1h), with jitter.
	MaxAttempts int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
	// Lease is how long a claimed delivery is held before another worker may retry
	// it (default 2m); it must exceed the client's timeout.
	Lease time.Duration
	// MaxSubscriptions per organisation (default 10).
	MaxSubscriptions int
	// Interval between polls for due deliveries (default 1s).
	Interval time.Duration
	Now      func() time.Time
	Logger   *slog.Logger
	// Jitter returns a number in [0,1); default math/rand/v2.
	Jitter func() float64
}

// Service keeps subscriptions and delivers events.
type Service struct {
	cfg  Config
	db   *store.DB
	wake chan struct{}
	mu   sync.Mutex // one delivery pass at a time in this process
}

// New checks cfg and fills its defaults.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Signer == nil || cfg.Issuer == "" {
		return nil, errors.New("webhook: DB, Signer and Issuer are required")
	}
	if len(cfg.Events) == 0 {
		return nil, errors.New("webhook: no event types")
	}
	if cfg.Client == nil {
		cfg.Client = NewClient(nil, cfg.AllowLoopback, 10*time.Second)
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = 10 * time.Second
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = time.Hour
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.MaxSubscriptions <= 0 {
		cfg.MaxSubscriptions = 10
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Jitter == nil {
		cfg.Jitter = mrand.Float64
	}
	return &Service{cfg: cfg, db: cfg.DB, wake: make(chan struct{}, 1)}, nil
}

// Events returns the event types organisations may subscribe to.
func (s *Service) Events() []string { return slices.Clone(s.cfg.Events) }

// Subscription is an organisation's endpoint and the events it receives.
type Subscription struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	CreatedAt time.Time `json:"created_at"`
}

func newID(prefix string) string {
	var b [16]byte
	rand.Read(b[:])
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// Subscribe adds an endpoint for org. events nil (left out of the request) means every
// event type. An empty list is refused with ErrEventsEmpty: a caller who sends "no
// events" cannot mean "every event", and a subscription to nothing would never fire.
func (s *Service) Subscribe(ctx context.Context, org, rawURL string, events []string) (*Subscription, error) {
	if events != nil && len(events) == 0 {
		return nil, ErrEventsEmpty.WithDetail("events: name at least one event type, or leave events out for all of them").With("field", "events")
	}
	u, err := CheckURL(ctx, rawURL, s.cfg.Resolver, s.cfg.AllowLoopback)
	if err != nil {
		return nil, err
	}
	if events == nil {
		events = s.Events()
	}
	seen := map[string]bool{}
	var evs []string
	for _, e := range events {
		if !slices.Contains(s.cfg.Events, e) {
			return nil, ErrEventUnknown.WithDetail(fmt.Sprintf("events: %q is not one of %s", e, strings.Join(s.cfg.Events, ", "))).With("field", "events")
		}
		if !seen[e] {
			seen[e] = true
			evs = append(evs, e)
		}
	}
	slices.Sort(evs)
	now := s.cfg.Now().UTC().Truncate(time.Microsecond)
	sub := &Subscription{ID: newID("wh_"), URL: u, Events: evs, CreatedAt: now}
	b, _ := json.Marshal(evs)
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_subscriptions WHERE org_bin = ? AND deleted_at = 0`, org).Scan(&n); err != nil {
			return err
		}
		if n >= s.cfg.MaxSubscriptions {
			return ErrTooMany.WithDetail(fmt.Sprintf("at most %d subscriptions", s.cfg.MaxSubscriptions))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_subscriptions (id, org_bin, url, events, created_at) VALUES (?, ?, ?, ?, ?)`,
			sub.ID, org, sub.URL, string(b), store.Micros(now)); err != nil {
			return err
		}
		_, err := tx.Emit(ctx, store.Event{Type: "webhook.subscription.created", Actor: "org:" + org,
			Payload: json.RawMessage(fmt.Sprintf(`{"id":%q}`, sub.ID))})
		return err
	})
	if err != nil {
		return nil, err
	}
	return sub, nil
}

// Subscriptions lists org's live subscriptions, oldest first.
func (s *Service) Subscriptions(ctx context.Context, org string) ([]Subscription, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, url, events, created_at FROM webhook_subscriptions WHERE org_bin = ? AND deleted_at = 0 ORDER BY created_at, id`, org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Subscription{}
	for rows.Next() {
		var sub Subscription
		var evs string
		var at int64
		if err := rows.Scan(&sub.ID, &sub.URL, &evs, &at); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(evs), &sub.Events); err != nil {
			return nil, err
		}
		sub.CreatedAt = store.FromMicros(at)
		out = append(out, sub)
	}
	return out, rows.Err()
}

// Unsubscribe deletes org's subscription id; its pending deliveries fail. Another
// organisation's subscription is ErrNotFound.
func (s *Service) Unsubscribe(ctx context.Context, org, id string) error {
	now := store.Micros(s.cfg.Now())
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_subscriptions SET deleted_at = ? WHERE id = ? AND org_bin = ? AND deleted_at = 0`, now, id, org)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = 'failed', last_error = 'subscription deleted' WHERE subscription_id = ? AND state = 'pending'`, id); err != nil {
			return err
		}
		_, err = tx.Emit(ctx, store.Event{Type: "webhook.subscription.deleted", Actor: "org:" + org,
			Payload: json.RawMessage(fmt.Sprintf(`{"id":%q}`, id))})
		return err
	})
}

// Delivery is the state of one event's delivery to one subscription.
type Delivery struct {
	EventID     string    `json:"event_id"`
	Type        string    `json:"type"`
	State       string    `json:"state"` // pending | delivered | failed
	Attempts    int       `json:"attempts"`
	LastStatus  int       `json:"last_status,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	NextAt      time.Time `json:"next_attempt_at,omitzero"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
}

// Deliveries lists the newest deliveries (at most limit) of org's subscription id.
func (s *Service) Deliveries(ctx context.Context, org, id string, limit int) ([]Delivery, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_subscriptions WHERE id = ? AND org_bin = ?`, id, org).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, ErrNotFound
	}
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT event_id, event_type, state, attempts, last_status, last_error, created_at, next_at, delivered_at
		FROM webhook_deliveries WHERE subscription_id = ? ORDER BY id DESC LIMIT ?`, id, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		var ca, na, da int64
		if err := rows.Scan(&d.EventID, &d.Type, &d.State, &d.Attempts, &d.LastStatus, &d.LastError, &ca, &na, &da); err != nil {
			return nil, err
		}
		d.CreatedAt = store.FromMicros(ca)
		if d.State == "pending" {
			d.NextAt = store.FromMicros(na)
		}
		if da != 0 {
			d.DeliveredAt = store.FromMicros(da)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Run consumes the outbox into deliveries and sends due deliveries until ctx is done.
func (s *Service) Run(ctx context.Context) error {
	go s.deliverLoop(ctx)
	return s.db.RunConsumer(ctx, ConsumerName, 0, s.cfg.Interval, s.consume)
}

// Sync consumes every pending outbox event into deliveries and makes one delivery
// pass; tests and one-shot tools use it instead of Run. It returns how many deliveries
// were attempted.
func (s *Service) Sync(ctx context.Context) (int, error) {
	for {
		n, err := s.db.ConsumeBatch(ctx, ConsumerName, 0, s.consume)
		if err != nil {
			return 0, err
		}
		if n == 0 {
			break
		}
	}
	return s.DeliverDue(ctx)
}

// consume turns a batch of outbox events into delivery rows. A row per subscription
// and event id exists at most once, so a batch seen twice adds nothing.
func (s *Service) consume(ctx context.Context, events []store.Event) error {
	var msgs []Message
	for _, e := range events {
		for _, route := range s.cfg.Routes {
			m, err := route(ctx, e)
			if err != nil {
				return fmt.Errorf("webhook: route event %d: %w", e.ID, err)
			}
			msgs = append(msgs, m...)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	now := store.Micros(s.cfg.Now())
	added := 0
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		added = 0
		subs := map[string][]subRow{}
		for _, m := range msgs {
			rows, ok := subs[m.Org]
			if !ok {
				var err error
				if rows, err = orgSubs(ctx, tx, m.Org); err != nil {
					return err
				}
				subs[m.Org] = rows
			}
			var data []byte
			for _, sr := range rows {
				if !slices.Contains(sr.events, m.Type) {
					continue
				}
				if data == nil {
					var err error
					if data, err = json.Marshal(m.Data); err != nil {
						return err
					}
				}
				res, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (subscription_id, event_id, event_type, payload, state, next_at, created_at)
					VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (subscription_id, event_id) DO NOTHING`,
					sr.id, m.ID, m.Type, string(data), now, now)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n > 0 {
					added++
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if added > 0 {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

type subRow struct {
	id     string
	events []string
}

func orgSubs(ctx context.Context, tx *store.Tx, org string) ([]subRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, events FROM webhook_subscriptions WHERE org_bin = ? AND deleted_at = 0`, org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []subRow
	for rows.Next() {
		var sr subRow
		var evs string
		if err := rows.Scan(&sr.id, &evs); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(evs), &sr.events); err != nil {
			return nil, err
		}
		out = append(out, sr)
	}
	return out, rows.Err()
}

func (s *Service) deliverLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		if _, err := s.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.WarnContext(ctx, "webhook: delivery pass failed", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

type due struct {
	id       int64
	url      string
	org      string
	eventID  string
	typ      string
	payload  string
	attempts int
	nextAt   int64
	created  int64
}

// DeliverDue sends every delivery that is due now (up to 100) and returns how many it
// attempted. A delivery is claimed by moving its due time a lease ahead, so two nodes
// never send the same row at once; a node that dies while sending leaves the row due
// again when the lease ends.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, s.url, s.org_bin, d.event_id, d.event_type, d.payload, d.attempts, d.next_at, d.created_at
		FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
		WHERE d.state = 'pending' AND d.next_at <= ? ORDER BY d.next_at, d.id LIMIT 100`, store.Micros(now))
	if err != nil {
		return 0, err
	}
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.url, &d.org, &d.eventID, &d.typ, &d.payload, &d.attempts, &d.nextAt, &d.created); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, d := range list {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		res, err := s.db.ExecContext(ctx, `UPDATE webhook_deliveries SET next_at = ? WHERE id = ? AND state = 'pending' AND next_at = ?`,
			store.Micros(now.Add(s.cfg.Lease)), d.id, d.nextAt)
		if err != nil {
			return n, err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			continue // another node claimed it
		}
		n++
		status, sendErr := s.send(ctx, d)
		if err := s.record(ctx, d, status, sendErr); err != nil {
			return n, err
		}
	}
	return n, nil
}

// Claims are the signed fields of a webhook event (verifier.VerifyWebhook checks them).
type Claims = verifier.WebhookEvent

// ContentType is the media type of a delivery's body: the compact JWS.
const ContentType = "application/jose"

func (s *Service) send(ctx context.Context, d due) (int, error) {
	c := Claims{Issuer: s.cfg.Issuer, Audience: d.org, ID: d.eventID, Type: d.typ,
		CreatedAt: store.FromMicros(d.created).Format(time.RFC3339), IssuedAt: s.cfg.Now().Unix(), Data: json.RawMessage(d.payload)}
	b, err := json.Marshal(c)
	if err != nil {
		return 0, err
	}
	jws, err := s.cfg.Signer.SignJWS(ctx, Type, b)
	if err != nil {
		return 0, fmt.Errorf("sign: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, strings.NewReader(jws))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("User-Agent", "Senim-Webhook/1")
	req.Header.Set("Senim-Event-Id", d.eventID)
	req.Header.Set("Senim-Event-Type", d.typ)
	req.Header.Set("Senim-Delivery-Attempt", strconv.Itoa(d.attempts+1))
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("the endpoint answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// Backoff is the wait before attempt n+1 after n failed attempts: BaseDelay doubled
// n-1 times, at most MaxDelay, of which the second half is random (jitter keeps many
// failed deliveries from retrying in step).
func (s *Service) Backoff(n int) time.Duration {
	d := s.cfg.BaseDelay
	for i := 1; i < n && d < s.cfg.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, s.cfg.MaxDelay)
	return d/2 + time.Duration(s.cfg.Jitter()*float64(d/2))
}

func (s *Service) record(ctx context.Context, d due, status int, sendErr error) error {
	now := s.cfg.Now()
	attempts := d.attempts + 1
	if sendErr == nil {
		_, err := s.db.ExecContext(ctx, `UPDATE webhook_deliveries SET state = 'delivered', attempts = ?, last_status = ?, last_error = '', delivered_at = ? WHERE id = ?`,
			attempts, status, store.Micros(now), d.id)
		return err
	}
	reason := failReason(sendErr)
	s.cfg.Logger.WarnContext(ctx, "webhook: delivery failed", slog.String("event_id", d.eventID), slog.String("org", d.org),
		slog.Int("attempt", attempts), slog.Int("status", status), slog.String("reason", reason))
	if attempts >= s.cfg.MaxAttempts {
		_, err := s.db.ExecContext(ctx, `UPDATE webhook_deliveries SET state = 'failed', attempts = ?, last_status = ?, last_error = ? WHERE id = ?`,
			attempts, status, reason, d.id)
		return err
	}
	_, err := s.db.ExecContext(ctx, `UPDATE webhook_deliveries SET attempts = ?, last_status = ?, last_error = ?, next_at = ? WHERE id = ?`,
		attempts, status, reason, store.Micros(now.Add(s.Backoff(attempts))), d.id)
	return err
}

// failReason is a short, safe reason for the delivery list: never a response body.
func failReason(err error) string {
	switch {
	case errors.Is(err, errInternalAddress):
		return "the endpoint resolves to an internal address"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}
