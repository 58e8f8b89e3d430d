package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/senimkz/senim/internal/actor"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/senimkz/senim/internal/store"
)

// The delivery engine (issue 9, item 6) is built on the store, not on a job queue:
// docs/notify.md says why River did not fit. Each channel of each notice is one row of
// notify_deliveries, unique by (notice, channel, purpose): a notice is never queued
// twice on a channel for the same purpose, whatever retries or redelivered events do.
// Dispatch claims due rows with a lease (state sending, next_at = lease end) by a
// conditional UPDATE, so two workers (or two nodes on PostgreSQL) never send one row
// at the same time, and a worker that dies mid-send leaves a row that is claimed again
// when its lease ends: at least once. A failure is retried with exponential backoff and
// full jitter; after MaxAttempts the row is dead and shows in DeadLetters.

// Delivery states.
const (
	DeliveryPending = "pending"
	deliverySending = "sending"
	DeliverySent    = "sent"
	DeliverySkipped = "skipped"
	DeliveryDead    = "dead"
)

// StateDeemed is the status of an unread, legally significant notice the policy deems
// delivered.
const StateDeemed = "deemed_delivered"

// Engine defaults.
const (
	defaultMaxAttempts = 8
	defaultBackoff     = 30 * time.Second
	maxBackoff         = time.Hour
	defaultLease       = 2 * time.Minute
	dispatchBatch      = 256
)

// backoff is the wait before attempt n+1 (n ≥ 1 attempts made): base·2^(n-1), at most
// an hour, with full jitter over its upper half.
func backoff(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	return d/2 + rand.N(d/2+1)
}

// bucket is a token bucket on the injected clock: a channel's rate limit.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func (b *bucket) take(now time.Time) bool {
	if b.last.IsZero() {
		b.tokens = b.burst
	} else if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(b.burst, b.tokens+el*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

type engine struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	kick    chan struct{}
}

func (s *Service) kick() {
	select {
	case s.eng.kick <- struct{}{}:
	default:
	}
}

// enqueue queues the notice's other channels for purpose: every channel the citizen
// enabled, and for a legally significant notice every channel (it cannot be switched
// off; a channel without an address is skipped when dispatched). Push is queued only
// when she has a subscription. It returns the channels queued.
func (s *Service) enqueue(ctx context.Context, tx *store.Tx, noticeID int64, subject string, significant bool, purpose string, now time.Time) ([]string, error) {
	prefs, err := sendPrefs(ctx, tx, subject)
	if err != nil {
		return nil, err
	}
	return s.enqueueWith(ctx, tx, noticeID, prefs, significant, purpose, now)
}

// enqueueWith is enqueue with the citizen's preferences already read.
func (s *Service) enqueueWith(ctx context.Context, tx *store.Tx, noticeID int64, prefs map[string]Pref, significant bool, purpose string, now time.Time) ([]string, error) {
	out := s.channelsFor(prefs, significant)
	for _, ch := range out {
		if err := s.queue(ctx, tx, noticeID, ch, purpose, now); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// channelsFor lists the channels, in Channels' order, a notice goes out on besides the
// inbox, by its addressee's preferences: those this service has, the addressee has an
// address on, and has left on (a legally significant notice goes out on each she has
// an address on).
func (s *Service) channelsFor(prefs map[string]Pref, significant bool) []string {
	var out []string
	for _, ch := range Channels {
		if _, ok := s.channels[ch]; !ok {
			continue
		}
		p := prefs[ch]
		if ch == ChannelPush && !p.Subscribed || ch == ChannelEmail && !p.hasAddress() {
			continue // nowhere to send it, even a legally significant notice
		}
		if !significant && !p.Enabled {
			continue
		}
		out = append(out, ch)
	}
	return out
}

// delivery is a row queueMany writes: notice's delivery on channel, for purpose.
type delivery struct {
	notice           int64
	channel, purpose string
}

// queueMany is queue for many deliveries, in multi-row INSERTs.
func queueMany(ctx context.Context, tx *store.Tx, ds []delivery, now time.Time) error {
	at := store.Micros(now)
	for start := 0; start < len(ds); {
		n := store.MultiRowChunk(len(ds) - start)
		args := make([]any, 0, 5*n)
		for _, d := range ds[start : start+n] {
			args = append(args, d.notice, d.channel, d.purpose, at, at)
		}
		q := store.MultiRow(`INSERT INTO notify_deliveries (notice_id, channel, purpose, state, next_at, created_at) VALUES `,
			"(?, ?, ?, 'pending', ?, ?)", n, ` ON CONFLICT (notice_id, channel, purpose) DO NOTHING`)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("notify: queue: %w", err)
		}
		start += n
	}
	return nil
}

// queue adds one delivery; a second one for the same notice, channel and purpose is
// dropped (the de-duplication).
func (s *Service) queue(ctx context.Context, tx *store.Tx, noticeID int64, ch, purpose string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO notify_deliveries (notice_id, channel, purpose, state, next_at, created_at) VALUES (?, ?, ?, 'pending', ?, ?)
		ON CONFLICT (notice_id, channel, purpose) DO NOTHING`, noticeID, ch, purpose, store.Micros(now), store.Micros(now))
	return err
}

type claimed struct {
	id       int64
	noticeID int64
	channel  string
	purpose  string
	attempts int
}

// Dispatch sends the deliveries due now, at most one batch, and returns how many it
// attempted. Rows over a channel's rate limit stay queued for the next pass. The batch
// is claimed in one transaction, sent concurrently (dispatchWorkers at a time) and its
// outcomes recorded in one transaction; rows not yet sent when half the lease has
// passed are given back unsent, not counted as attempted.
func (s *Service) Dispatch(ctx context.Context) (int, error) {
	now := s.cfg.Now()
	rows, err := s.db.QueryContext(ctx, `SELECT id, notice_id, channel, purpose, state, attempts, next_at FROM notify_deliveries
		WHERE state IN ('pending', 'sending') AND next_at <= ? ORDER BY next_at, id LIMIT ?`, store.Micros(now), dispatchBatch)
	if err != nil {
		return 0, err
	}
	type due struct {
		claimed
		state string
		next  int64
	}
	var ds []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.noticeID, &d.channel, &d.purpose, &d.state, &d.attempts, &d.next); err != nil {
			rows.Close()
			return 0, err
		}
		ds = append(ds, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var allowed []due
	for _, d := range ds {
		if s.allow(d.channel, now) {
			allowed = append(allowed, d)
		}
	}
	if len(allowed) == 0 {
		return 0, nil
	}
	// Claim: only rows nobody else claimed since the SELECT.
	var cs []claimed
	lease := store.Micros(now.Add(s.cfg.Lease))
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		cs = cs[:0]
		for _, d := range allowed {
			res, err := tx.ExecContext(ctx, `UPDATE notify_deliveries SET state = 'sending', attempts = attempts + 1, next_at = ?
				WHERE id = ? AND state = ? AND next_at = ?`, lease, d.id, d.state, d.next)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 1 {
				c := d.claimed
				c.attempts++
				cs = append(cs, c)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	// A send not started by half the lease is not started at all: the batch gives it
	// back (errReleased), so that the rows still in flight are recorded before their
	// lease ends and no other worker claims one of them while it is being sent. Every
	// channel bounds a send well under the other half (by default e-mail 30 s, push
	// 15 s, SMS 5 s; the lease 2 min).
	deadline := now.Add(s.cfg.Lease / 2)
	errs := make([]error, len(cs))
	sem := make(chan struct{}, dispatchWorkers)
	var wg sync.WaitGroup
	attempted := 0
	for i, c := range cs {
		sem <- struct{}{}
		if s.cfg.Now().After(deadline) {
			<-sem
			errs[i] = errReleased
			continue
		}
		attempted++
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = s.send(ctx, c)
		}()
	}
	wg.Wait()
	s.record(ctx, cs, errs, now)
	return attempted, nil
}

// dispatchWorkers bounds the sends of one batch in flight at once.
const dispatchWorkers = 8

func (s *Service) allow(ch string, now time.Time) bool {
	s.eng.mu.Lock()
	defer s.eng.mu.Unlock()
	b := s.eng.buckets[ch]
	return b == nil || b.take(now)
}

// record writes the outcomes of a batch in one transaction: sent, skipped, dead (with a
// status event each, but skipped) or pending again after a backoff. If it fails the
// rows stay sending; their lease ends and they are claimed again.
func (s *Service) record(ctx context.Context, cs []claimed, errs []error, now time.Time) {
	type outcome struct {
		state, code string
		next        int64
		released    bool // not attempted: pending again at once, its attempt not counted
	}
	out := make([]outcome, len(cs))
	for i, d := range cs {
		err := errs[i]
		o := outcome{state: DeliverySent}
		switch {
		case err == nil:
		case errors.Is(err, errReleased):
			o = outcome{state: DeliveryPending, next: store.Micros(now), released: true}
		case errors.Is(err, errNotNeeded):
			o = outcome{state: DeliverySkipped, code: "read"}
		case errors.Is(err, ErrNoAddress):
			o = outcome{state: DeliverySkipped, code: errorCode(err)}
		case errors.Is(err, ErrPermanent) || d.attempts >= s.cfg.MaxAttempts:
			o = outcome{state: DeliveryDead, code: errorCode(err)}
		default:
			o = outcome{state: DeliveryPending, code: errorCode(err), next: store.Micros(now.Add(backoff(s.cfg.Backoff, d.attempts)))}
		}
		if err != nil && o.state != DeliverySkipped && !o.released {
			s.log.WarnContext(ctx, "notify: delivery failed", "delivery", d.id, "channel", d.channel, "attempt", d.attempts, "code", o.code, "state", o.state)
		}
		out[i] = o
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		for i, d := range cs {
			o := out[i]
			if o.released {
				if _, err := tx.ExecContext(ctx, `UPDATE notify_deliveries SET state = 'pending', next_at = ?, attempts = attempts - 1 WHERE id = ? AND state = 'sending'`,
					o.next, d.id); err != nil {
					return err
				}
				continue
			}
			if o.state == DeliveryPending {
				if _, err := tx.ExecContext(ctx, `UPDATE notify_deliveries SET state = 'pending', next_at = ?, last_error = ? WHERE id = ? AND state = 'sending'`,
					o.next, o.code, d.id); err != nil {
					return err
				}
				continue
			}
			res, err := tx.ExecContext(ctx, `UPDATE notify_deliveries SET state = ?, done_at = ?, last_error = ? WHERE id = ? AND state = 'sending'`,
				o.state, store.Micros(now), o.code, d.id)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k != 1 || o.state == DeliverySkipped {
				continue
			}
			var ref, subject, sender string
			if err := tx.QueryRowContext(ctx, `SELECT ref, subject, sender_bin FROM notify_notices WHERE id = ?`, d.noticeID).Scan(&ref, &subject, &sender); err != nil {
				return err
			}
			st := StateDelivered
			if o.state == DeliveryDead {
				st = "failed"
			}
			if err := emitStatus(ctx, tx, ref, subject, sender, st, d.channel, d.purpose); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.ErrorContext(ctx, "notify: record deliveries", "deliveries", len(cs), "err", err)
	}
}

// errReleased: a claimed delivery its batch gave back unsent (Dispatch's deadline).
var errReleased = errors.New("notify: delivery released unsent")

// errNotNeeded: a reminder or fallback of a notice read in the meantime.
var errNotNeeded = errors.New("notify: notice already read")

// send builds the Outgoing message of a delivery and hands it to its channel.
func (s *Service) send(ctx context.Context, d claimed) error {
	ch := s.channels[d.channel]
	if ch == nil {
		return fmt.Errorf("%w: channel %s is not configured", ErrPermanent, d.channel)
	}
	n, err := s.byID(ctx, d.noticeID)
	if err != nil {
		return err
	}
	if d.purpose != PurposeNotice && n.State == StateRead {
		return errNotNeeded
	}
	id, err := actor.ParseCitizen(n.Subject)
	if err != nil || s.cfg.Citizens == nil {
		return ErrNoAddress
	}
	cz, err := s.cfg.Citizens.CitizenByID(ctx, id)
	if err != nil {
		return err
	}
	m := s.outgoing(n, d, cz.Lang)
	switch d.channel {
	case ChannelSMS:
		m.IIN = cz.IIN
	case ChannelEmail:
		prefs, err := loadPrefs(ctx, s.db.QueryContext, n.Subject)
		if err != nil {
			return err
		}
		if m.Email = prefs[ChannelEmail].Address; m.Email == "" {
			return ErrNoAddress
		}
	case ChannelPush:
		if m.Push, err = s.PushSubscriptions(ctx, n.Subject); err != nil {
			return err
		}
		if len(m.Push) == 0 {
			return ErrNoAddress
		}
	}
	return ch.Send(ctx, m)
}

// outgoing renders what a channel says of a notice in the citizen's language: who
// sent it and where to open it, never its content.
func (s *Service) outgoing(n *Notice, d claimed, lang string) Outgoing {
	if !validLang(lang) {
		lang = "ru"
	}
	t := texts[lang]
	var title string
	if n.Kind == KindMessage {
		title = fmt.Sprintf(t["out."+d.purpose], n.Facts.SenderIn(lang))
	} else {
		title = fmt.Sprintf(t["out.auto"], n.Content(lang).Title)
	}
	url := strings.TrimRight(s.cfg.Issuer, "/") + "/inbox/" + n.Ref
	text := title + "\n"
	if n.Significant {
		text += t["out.significant"] + "\n"
	}
	text += url
	return Outgoing{ID: "d" + strconv.FormatInt(d.id, 10) + "." + n.Ref, Notice: n.Ref, Purpose: d.purpose, Lang: lang, Title: title, Text: text, URL: url}
}

// DeadLetter is a delivery that failed for good, as operators see it: references and
// an error code only.
type DeadLetter struct {
	ID       int64     `json:"id"`
	Notice   string    `json:"notice"`
	Channel  string    `json:"channel"`
	Purpose  string    `json:"purpose"`
	Attempts int       `json:"attempts"`
	Error    string    `json:"error"`
	At       time.Time `json:"at"`
}

// DeadLetters lists dead deliveries, newest first (at most 500).
func (s *Service) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, n.ref, d.channel, d.purpose, d.attempts, d.last_error, d.done_at
		FROM notify_deliveries d JOIN notify_notices n ON n.id = d.notice_id WHERE d.state = 'dead' ORDER BY d.done_at DESC, d.id DESC LIMIT 500`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []DeadLetter{}
	for rows.Next() {
		var dl DeadLetter
		var at int64
		if err := rows.Scan(&dl.ID, &dl.Notice, &dl.Channel, &dl.Purpose, &dl.Attempts, &dl.Error, &at); err != nil {
			return nil, err
		}
		dl.At = store.FromMicros(at)
		out = append(out, dl)
	}
	return out, rows.Err()
}

// Retry puts a dead delivery back in the queue with a fresh count of attempts.
func (s *Service) Retry(ctx context.Context, actor string, id int64) error {
	now := s.cfg.Now()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notify_deliveries SET state = 'pending', attempts = 0, next_at = ?, done_at = 0 WHERE id = ? AND state = 'dead'`,
			store.Micros(now), id)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return ErrDeliveryNotFound
		}
		_, err = tx.Emit(ctx, store.Event{Type: EvDeliveryRetried, Actor: actor, Payload: []byte(`{"delivery":` + strconv.FormatInt(id, 10) + `}`)})
		return err
	})
	if err == nil {
		s.kick()
	}
	return err
}

// Escalate applies the policy of each unread notice sent through the API, at the
// clock's now: a reminder on the citizen's channels once ReminderAfter has passed since
// delivery; the fallback channel once the read-by deadline has passed; deemed delivery
// for a legally significant notice DeemedDeliveredAfterHours after its last dispatch
// (the inbox, or the fallback when the deadline passed unread). Each step happens once
// (the deliveries' unique key, deemed_at). It returns how many steps it took.
func (s *Service) Escalate(ctx context.Context) (int, error) {
	now := s.cfg.Now()
	steps := 0
	var after int64
	for {
		us, err := s.unread(ctx, after)
		if err != nil {
			return steps, err
		}
		for _, u := range us {
			after = u.id
			took, err := s.escalateOne(ctx, u, now)
			if err != nil {
				return steps, err
			}
			if took {
				steps++
			}
		}
		if len(us) < escalateBatch {
			break
		}
	}
	if steps > 0 {
		s.kick()
	}
	return steps, nil
}

// escalateBatch is how many unread notices Escalate reads at a time (a variable for
// the test of its paging).
var escalateBatch = 500

type unread struct {
	id                int64
	subject           string
	significant       bool
	delivered, readBy int64
	policy, cat       string
	ref, sender       string
}

// unreadPolicyQuery reads the partial index notify_notices_pending, whose condition
// its own repeats word for word (a planner uses a partial index only for a query
// that implies its condition).
const unreadPolicyQuery = `SELECT id, subject, significant, delivered_at, read_by, policy, category, ref, sender_bin FROM notify_notices
		WHERE state = 'delivered' AND policy <> '' AND deemed_at = 0 AND id > ? ORDER BY id LIMIT ?`

// unread lists, after id, the unread notices that have a policy and are not deemed
// delivered yet.
func (s *Service) unread(ctx context.Context, after int64) ([]unread, error) {
	rows, err := s.db.QueryContext(ctx, unreadPolicyQuery, after, escalateBatch)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var us []unread
	for rows.Next() {
		var u unread
		if err := rows.Scan(&u.id, &u.subject, &u.significant, &u.delivered, &u.readBy, &u.policy, &u.cat, &u.ref, &u.sender); err != nil {
			return nil, err
		}
		us = append(us, u)
	}
	return us, rows.Err()
}

// escalateOne takes the policy's steps that are due for one unread notice.
func (s *Service) escalateOne(ctx context.Context, u unread, now time.Time) (bool, error) {
	p, err := s.policyOf(u.policy)
	if err != nil {
		return false, err
	}
	c, ok := p.Categories[u.cat]
	if !ok {
		return false, nil
	}
	delivered := store.FromMicros(u.delivered)
	// Nothing can be due before the earliest of the steps' times: no transaction then.
	due := false
	if a := c.reminderAfter(u.significant); a > 0 && !now.Before(delivered.Add(a)) {
		due = true
	}
	if u.readBy != 0 && c.FallbackChannel != "" && !now.Before(store.FromMicros(u.readBy)) {
		due = true
	}
	if u.significant && c.DeemedDeliveredAfterHours > 0 && !now.Before(delivered.Add(hours(c.DeemedDeliveredAfterHours))) {
		due = true
	}
	if !due {
		return false, nil
	}
	var took bool
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		took = false
		if after := c.reminderAfter(u.significant); after > 0 && !now.Before(delivered.Add(after)) {
			var k int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_deliveries WHERE notice_id = ? AND purpose = 'reminder'`, u.id).Scan(&k); err != nil {
				return err
			}
			if k == 0 {
				chs, err := s.enqueue(ctx, tx, u.id, u.subject, u.significant, PurposeReminder, now)
				if err != nil {
					return err
				}
				if len(chs) > 0 {
					took = true
				}
			}
		}
		fallbackUsed := u.readBy != 0 && c.FallbackChannel != ""
		if fallbackUsed && !now.Before(store.FromMicros(u.readBy)) {
			if _, ok := s.channels[c.FallbackChannel]; ok {
				// An ordinary notice's fallback goes only where the citizen switched it
				// on, as every other delivery of an ordinary notice does; else it is
				// recorded skipped ("off"), once, so the sender's status says so and a
				// channel switched on later does not bring an old deadline's message.
				state, done, code := DeliveryPending, int64(0), ""
				if !u.significant {
					prefs, err := sendPrefs(ctx, tx, u.subject)
					if err != nil {
						return err
					}
					if p := prefs[c.FallbackChannel]; !p.Enabled || c.FallbackChannel == ChannelPush && !p.Subscribed {
						state, done, code = DeliverySkipped, store.Micros(now), "off"
					}
				}
				res, err := tx.ExecContext(ctx, `INSERT INTO notify_deliveries (notice_id, channel, purpose, state, next_at, created_at, done_at, last_error)
					VALUES (?, ?, 'fallback', ?, ?, ?, ?, ?) ON CONFLICT (notice_id, channel, purpose) DO NOTHING`,
					u.id, c.FallbackChannel, state, store.Micros(now), store.Micros(now), done, code)
				if err != nil {
					return err
				}
				if k, _ := res.RowsAffected(); k == 1 && state == DeliveryPending {
					took = true
				}
			} else {
				fallbackUsed = false
			}
		}
		if !u.significant || c.DeemedDeliveredAfterHours == 0 {
			return nil
		}
		from := delivered
		if fallbackUsed {
			var done int64
			err := tx.QueryRowContext(ctx, `SELECT done_at FROM notify_deliveries WHERE notice_id = ? AND purpose = 'fallback' AND state IN ('sent', 'skipped', 'dead')`, u.id).Scan(&done)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // the fallback has not gone out yet
			}
			if err != nil {
				return err
			}
			from = store.FromMicros(done)
		}
		if now.Before(from.Add(hours(c.DeemedDeliveredAfterHours))) {
			return nil
		}
		res, err := tx.ExecContext(ctx, `UPDATE notify_notices SET deemed_at = ? WHERE id = ? AND state = 'delivered' AND deemed_at = 0`, store.Micros(now), u.id)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 1 {
			took = true
			return emitStatus(ctx, tx, u.ref, u.subject, u.sender, StateDeemed, "", "")
		}
		return nil
	})
	return took, err
}

func (s *Service) policyOf(version string) (*Policy, error) {
	if version == s.policy.Version {
		return s.policy, nil
	}
	s.eng.mu.Lock()
	defer s.eng.mu.Unlock()
	if p := s.policies[version]; p != nil {
		return p, nil
	}
	p, err := LoadPolicy(version)
	if err != nil {
		return nil, err
	}
	s.policies[version] = p
	return p, nil
}

// RunDispatcher sends due deliveries until ctx is done: at once when a notice is
// queued in this process, else every interval. It stays a tight loop over its own
// leased rows; the policy (Escalate) is a job of the server's job engine
// (internal/jobs), run on one node at a time.
func (s *Service) RunDispatcher(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, err := s.Dispatch(ctx)
			if err != nil && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "notify: dispatch", "err", err)
			}
			if n < dispatchBatch || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.eng.kick:
		}
	}
}
