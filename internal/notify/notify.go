package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/senimkz/senim/internal/actor"
	"github.com/senimkz/senim/internal/secret"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/senimkz/senim/internal/docs"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/store"
)

// ConsumerName is notify's cursor in the outbox.
const ConsumerName = "notify"

// Notice states.
const (
	StateAccepted  = "accepted"
	StateDelivered = "delivered"
	StateRead      = "read"
	// StateDispatched is a status event only (notify.notice.status, webhooks): the
	// notice was handed to its channels. A notice's stored state never says it.
	StateDispatched = "dispatched"
)

// Notice kinds.
const (
	KindAccess         = "access"
	KindAction         = "action"
	KindConsentGiven   = "consent_given"
	KindConsentRefused = "consent_refused"
	KindConsentRevoked = "consent_revoked"
	KindMessage        = "message"
	// KindConfirmRequest: a relying party asks the citizen to confirm a transaction
	// (internal/confirm's confirm.request.created).
	KindConfirmRequest = "confirm_request"
	KindDocumentViewed = "document_viewed" // a verifier viewed the citizen's digital document (DD-6)
)

// Directory is what notify reads of the authorized body's directories (pd.Service).
type Directory interface {
	DataOwners(ctx context.Context) ([]pd.DataOwner, error)
	Grounds(ctx context.Context) ([]pd.Ground, error)
	ServiceCodes(ctx context.Context) ([]pd.ServiceCode, error)
}

// Organizations names organizations by BIN (identity.Service).
type Organizations interface {
	OrganizationByBIN(ctx context.Context, bin string) (*identity.Organization, error)
}

// Signer signs a compact ES256 JWS with Senim's security-token key under its own typ
// (pd.Service.SignJWS); the JWKS that verifies security tokens verifies receipts.
type Signer interface {
	SignJWS(ctx context.Context, typ string, payload []byte) (string, error)
}

// Config configures a Service.
type Config struct {
	DB            *store.DB
	Directory     Directory
	Organizations Organizations
	Signer        Signer
	// Issuer is the iss of read receipts: Senim's public URL.
	Issuer   string
	Now      func() time.Time
	Logger   *slog.Logger
	BatchMax int           // events per consumer batch (default 256)
	Interval time.Duration // consumer poll interval (default 1s)
	// Gather is how long Run lets events gather after a batch that was not full
	// before it reads the next (default 50 ms; negative: none). The store wakes the
	// consumer at every commit with an event; under load a batch per commit costs the
	// single writer a commit of its own each, so letting the next batch fill for a
	// moment trades at most Gather of latency for fewer, larger transactions.
	Gather time.Duration

	// Citizens finds addressees by IIN (the sending API) and phone lookups' IINs.
	Citizens Citizens
	// Channels are the channels beside the inbox (SMS, e-mail, Web Push); one missing
	// is simply not used.
	Channels []Channel
	// Rates limits each channel's sends per second (burst: one second's worth, at
	// least 1); a channel without an entry is not limited.
	Rates map[string]float64
	// MaxAttempts before a delivery is dead (default 8); Backoff is the first retry's
	// wait (default 30 s, doubling, at most an hour, jittered); Lease is how long a
	// claimed delivery may take before another worker claims it again (default 2 min).
	MaxAttempts int
	Backoff     time.Duration
	Lease       time.Duration
	// PolicyVersion selects the policy file in force (default PolicyVersion).
	PolicyVersion string
	// AllowLoopbackPush accepts push endpoints on loopback over http (the sandbox).
	AllowLoopbackPush bool
	// Log is the audit log (auditlog.Log): a downloaded read receipt carries the
	// inclusion proof of its notify.receipt.issued event. Nil: receipts without it.
	Log Log
}

// Log is the audit log as read receipts need it (auditlog.Log).
type Log interface {
	IndexOfSubjectEvent(ctx context.Context, subject, typ string, match func(store.Event) bool) (int64, int64, error)
	Bundle(ctx context.Context, subject string, index int64) ([]byte, error)
}

// Service is the notification point.
type Service struct {
	cfg Config
	db  *store.DB
	log *slog.Logger
	hub hub

	policy   *Policy
	policies map[string]*Policy
	channels map[string]Channel
	eng      engine
	group    *store.Group[groupWrite]
	facts    sharedFacts
}

// New validates cfg and fills defaults.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Directory == nil || cfg.Organizations == nil || cfg.Signer == nil || cfg.Issuer == "" {
		return nil, errors.New("notify: DB, Directory, Organizations, Signer and Issuer are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BatchMax <= 0 {
		cfg.BatchMax = 256
	}
	if cfg.Gather == 0 {
		cfg.Gather = defaultGather
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = defaultMaxAttempts
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = defaultBackoff
	}
	if cfg.Lease <= 0 {
		cfg.Lease = defaultLease
	}
	if cfg.PolicyVersion == "" {
		cfg.PolicyVersion = PolicyVersion
	}
	pol, err := LoadPolicy(cfg.PolicyVersion)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, db: cfg.DB, log: cfg.Logger, hub: hub{subs: map[string]map[chan struct{}]struct{}{}}, group: newGroup(cfg.DB),
		policy: pol, policies: map[string]*Policy{}, channels: map[string]Channel{},
		eng: engine{buckets: map[string]*bucket{}, kick: make(chan struct{}, 1)}}
	if cfg.DB.Engine() == store.Postgres {
		s.hub.signal = func(ctx context.Context, subjects []string) error {
			return cfg.DB.Signal(ctx, signalTopic, subjects)
		}
	}
	for _, c := range cfg.Channels {
		if c == nil {
			continue
		}
		switch c.Name() {
		case ChannelSMS, ChannelEmail, ChannelPush:
		default:
			return nil, fmt.Errorf("notify: unknown channel %q", c.Name())
		}
		s.channels[c.Name()] = c
	}
	for ch, r := range cfg.Rates {
		if r > 0 {
			s.eng.buckets[ch] = &bucket{rate: r, burst: max(1, r)}
		}
	}
	return s, nil
}

// defaultGather is Config.Gather's default.
const defaultGather = 50 * time.Millisecond

// Run turns outbox events into notices until ctx is done. On PostgreSQL it also
// listens for the wake-ups other nodes send when they deliver or read a notice, so
// that a citizen's live inbox on this node updates at once whichever node did it.
func (s *Service) Run(ctx context.Context) error {
	lctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if s.hub.signal != nil {
		wg.Go(func() { s.db.ListenSignals(lctx, signalTopic, s.hub.wake) })
	}
	err := s.db.RunConsumer(ctx, ConsumerName, s.cfg.BatchMax, s.cfg.Interval, func(ctx context.Context, evs []store.Event) error {
		if err := s.consume(ctx, evs); err != nil {
			return err
		}
		if len(evs) < s.cfg.BatchMax && s.cfg.Gather > 0 {
			// The batch is done (its notices are readable); its cursor advances when
			// this returns, and the next batch is read at once.
			t := time.NewTimer(s.cfg.Gather)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
		return nil
	})
	stop()
	wg.Wait()
	return err
}

// Sync handles every event pending now and returns how many events it saw. Tests and
// one-shot tools use it instead of Run.
func (s *Service) Sync(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.db.ConsumeBatch(ctx, ConsumerName, s.cfg.BatchMax, s.consume)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// Notice is one notice of an addressee.
type Notice struct {
	Seq         int64 // order of acceptance
	Ref         string
	Subject     string
	EventID     int64 // 0 for a message sent through the domain API
	Kind        string
	Facts       Facts
	Significant bool
	State       string
	CreatedAt   time.Time
	DeliveredAt time.Time
	ReadAt      time.Time
	// Sent through the API (issue 9, item 2): the sender's BIN, the category, the
	// read-by deadline, the policy version; DeemedAt when the policy deemed it delivered.
	SenderBIN string
	Category  string
	ReadBy    time.Time
	Policy    string
	DeemedAt  time.Time
}

// pending is a notice about to be accepted.
type pending struct {
	subject     string
	eventID     int64
	kind        string
	facts       Facts
	significant bool
	// shareKey, where set, names everything the shared part of facts was made of
	// (within one batch's directory): notices with the same key have the same shared
	// part, marshalled once per batch (prepareFacts).
	shareKey string
}

// consume accepts the notices of a batch of events delivered to the inbox, in one
// transaction (one commit per batch: under flow 2 at full speed the batches follow
// pd's commits, and every commit is a turn of the single writer). Redelivered events
// find their notice already there (event_id is unique); one an earlier version left
// accepted is delivered.
func (s *Service) consume(ctx context.Context, evs []store.Event) error {
	var dir *directory
	var ps []pending
	var first, last int64
	for _, ev := range evs {
		if !actor.IsCitizen(ev.Subject) || !strings.HasPrefix(ev.Type, "pd.") && ev.Type != ConfirmRequestType && ev.Type != docs.EventViewed {
			continue
		}
		if dir == nil {
			var err error
			if dir, err = s.loadDirectory(ctx); err != nil {
				return err
			}
		}
		p, ok, err := s.fromEvent(ctx, dir, ev)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		ps = append(ps, p)
		if first == 0 {
			first = ev.ID
		}
		last = ev.ID
	}
	if len(ps) == 0 {
		return nil
	}
	fr, err := s.prepareFacts(ps)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	queued := false
	var prefs map[string]map[string]Pref
	var subjects []string
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		queued = false
		if len(s.channels) > 0 && prefs == nil {
			var err error
			if prefs, err = loadPrefsMany(ctx, tx.QueryContext, subjectsOf(ps)); err != nil {
				return err
			}
		}
		subjects = subjects[:0]
		fresh := map[string]bool{}
		u := unreadDelta{}
		ids, err := s.acceptDeliveredMany(ctx, tx, ps, fr, now)
		if err != nil {
			return err
		}
		for i, p := range ps {
			id := ids[i]
			if id != 0 {
				u.add(p.subject, 1)
				if !fresh[p.subject] {
					fresh[p.subject] = true
					subjects = append(subjects, p.subject)
				}
			}
			if id == 0 || len(s.channels) == 0 {
				continue
			}
			chs, err := s.enqueueWith(ctx, tx, id, prefs[p.subject], p.significant, PurposeNotice, now)
			if err != nil {
				return err
			}
			queued = queued || len(chs) > 0
		}
		// The notices accepted now are in the inbox already. Those of redelivered
		// events that an earlier version left accepted are delivered now: the batch's
		// events are the outbox ids first..last, and no other event's notice lies in
		// that range.
		late, err := deliverTx(ctx, tx, u, "event_id BETWEEN ? AND ?", []any{first, last}, now)
		if err != nil {
			return err
		}
		for _, sub := range late {
			if !fresh[sub] {
				fresh[sub] = true
				subjects = append(subjects, sub)
			}
		}
		if err := u.flush(ctx, tx); err != nil {
			return err
		}
		// The consumer's cursor moves in this transaction: one commit per batch, not
		// two (on SQLite; see store.Tx.AdvanceConsumer).
		return tx.AdvanceConsumer(ctx)
	})
	if err != nil {
		return err
	}
	s.facts.remember(fr.fresh)
	for _, sub := range subjects {
		s.hub.publish(sub)
	}
	if queued {
		s.kick()
	}
	return nil
}

// accept stores p as accepted and returns its id, or 0 when its event already has a
// notice.
func (s *Service) accept(ctx context.Context, tx *store.Tx, p pending, now time.Time) (int64, error) {
	return s.insertNotice(ctx, tx, p, StateAccepted, 0, now)
}

// acceptDeliveredMany stores a batch of pending notices of events already delivered to
// the inbox (the outbox consumer, whose transaction does both: one row write instead of
// an insert and an update, each with its indexes), in multi-row INSERTs of up to
// store.RowsChunk rows (one statement instead of one per notice: under flow 2 the
// per-statement cost was most of the consumer's), with their shared facts fr
// (prepareFacts) stored once. ids[i] is ps[i]'s notice, 0 when its event already had one.
func (s *Service) acceptDeliveredMany(ctx context.Context, tx *store.Tx, ps []pending, fr *factRows, now time.Time) (ids []int64, err error) {
	for _, p := range ps {
		if p.eventID <= 0 {
			return nil, fmt.Errorf("notify: accept: a pending notice without its event")
		}
	}
	if err := storeFacts(ctx, tx, fr); err != nil {
		return nil, err
	}
	ids = make([]int64, len(ps))
	at := make(map[int64]int, len(ps)) // event id → index in ps
	for start := 0; start < len(ps); {
		n := store.MultiRowChunk(len(ps) - start)
		args := make([]any, 0, 10*n)
		for i, p := range ps[start : start+n] {
			args = append(args, secret.OrderedRef("n_", now), p.subject, p.eventID, p.kind, fr.own[start+i], fr.refs[start+i], p.significant, StateDelivered, store.Micros(now), store.Micros(now))
			at[p.eventID] = start + i
		}
		err := tx.ScanRows(ctx, noticesInsert(n), args, func(rows *sql.Rows) error {
			var id, ev int64
			if err := rows.Scan(&id, &ev); err != nil {
				return err
			}
			if i, ok := at[ev]; ok {
				ids[i] = id
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("notify: accept: %w", err)
		}
		start += n
	}
	return ids, nil
}

// noticesInsert is the statement inserting n delivered notices of events.
func noticesInsert(n int) string {
	return store.MultiRow(`INSERT INTO notify_notices (ref, subject, event_id, kind, facts, facts_ref, significant, state, created_at, delivered_at) VALUES `,
		"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", n, ` ON CONFLICT (event_id) DO NOTHING RETURNING id, event_id`)
}

func (s *Service) insertNotice(ctx context.Context, tx *store.Tx, p pending, state string, delivered int64, now time.Time) (int64, error) {
	facts, err := json.Marshal(p.facts)
	if err != nil {
		return 0, err
	}
	var ev sql.NullInt64
	if p.eventID > 0 {
		ev = sql.NullInt64{Int64: p.eventID, Valid: true}
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO notify_notices (ref, subject, event_id, kind, facts, significant, state, created_at, delivered_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING RETURNING id`,
		secret.OrderedRef("n_", now), p.subject, ev, p.kind, string(facts), p.significant, state, store.Micros(now), delivered).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("notify: accept: %w", err)
	}
	return id, nil
}

// deliver moves the accepted notices matching where to delivered (in the inbox) and
// wakes their addressees' live views.
func (s *Service) deliver(ctx context.Context, where string, args []any) error {
	now := s.cfg.Now()
	var subjects []string
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		u := unreadDelta{}
		if subjects, err = deliverTx(ctx, tx, u, where, args, now); err != nil {
			return err
		}
		return u.flush(ctx, tx)
	})
	if err != nil {
		return err
	}
	for _, sub := range subjects {
		s.hub.publish(sub)
	}
	return nil
}

// deliverTx moves the accepted notices matching where to delivered in tx and returns
// their addressees, each once, to wake after the commit; their unread counts go into u.
func deliverTx(ctx context.Context, tx *store.Tx, u unreadDelta, where string, args []any, now time.Time) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `UPDATE notify_notices SET state = 'delivered', delivered_at = ? WHERE state = 'accepted' AND `+where+` RETURNING subject`,
		append([]any{store.Micros(now)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("notify: deliver: %w", err)
	}
	defer rows.Close()
	var subjects []string
	seen := map[string]bool{}
	for rows.Next() {
		var sub string
		if err := rows.Scan(&sub); err != nil {
			return nil, fmt.Errorf("notify: deliver: %w", err)
		}
		u.add(sub, 1)
		if !seen[sub] {
			seen[sub] = true
			subjects = append(subjects, sub)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notify: deliver: %w", err)
	}
	return subjects, nil
}

// Text is a message's title and body in one language.
type Text struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// Message is a notice sent through the domain API (the sending API for state bodies
// builds on it in a later slice). Content needs Kazakh and Russian; English is optional.
type Message struct {
	Subject     string          // the addressee's reference, "citizen:<id>"
	Sender      string          // the sender's name, shown to the citizen
	SenderNames pd.Titles       // its name in each language, where known (optional)
	Content     map[string]Text // by language: kk, ru (required), en
	Significant bool            // legally significant: read through the acknowledgement screen
}

// Limits of a message.
const (
	maxTitle = 200
	maxBody  = 20000
)

// validContent checks a message's content: Kazakh and Russian required, English
// optional, each with a title and a body within the limits.
func validContent(content map[string]Text) error {
	for lang, t := range content {
		if lang != "kk" && lang != "ru" && lang != "en" {
			return ErrLanguageUnknown.WithDetail("content: " + lang + " is not kk, ru or en")
		}
		if strings.TrimSpace(t.Title) == "" || strings.TrimSpace(t.Body) == "" {
			return ErrContentEmpty.WithDetail("content." + lang + ": a title and a body are required")
		}
		if len(t.Title) > maxTitle || len(t.Body) > maxBody {
			return ErrContentTooLarge.WithDetail("content." + lang + ": a title is at most 200 bytes and a body at most 20000")
		}
		for field, text := range map[string]string{"title": t.Title, "body": t.Body} {
			if r, at, bad := invalidChar(text); bad {
				return ErrContentCharacter.WithDetail(fmt.Sprintf("content.%s.%s: %U at byte %d", lang, field, r, at))
			}
		}
	}
	for _, lang := range []string{"kk", "ru"} {
		if _, ok := content[lang]; !ok {
			return ErrLanguageMissing.WithDetail("content." + lang + " is required")
		}
	}
	return nil
}

// invalidChar finds the first character a notice's text may not hold: a control
// character other than tab, line feed and carriage return (C0, DEL, C1), or a
// bidirectional embedding, override or isolate (U+202A–U+202E, U+2066–U+2069), which
// make what is shown differ in order from what the receipt's hash covers. The plain
// direction marks (U+200E, U+200F) reorder nothing and pass.
func invalidChar(s string) (rune, int, bool) {
	for i, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
		case r < 0x20 || r >= 0x7f && r <= 0x9f,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return r, i, true
		}
	}
	return 0, 0, false
}

// Send accepts a message and delivers it to the addressee's inbox.
func (s *Service) Send(ctx context.Context, m Message) (*Notice, error) {
	if !actor.IsCitizen(m.Subject) || len(m.Subject) > 64 {
		return nil, ErrMessageInvalid.WithDetail("subject: a citizen reference is required")
	}
	if m.Sender == "" || len(m.Sender) > maxTitle || len(m.SenderNames.KK) > maxTitle || len(m.SenderNames.RU) > maxTitle || len(m.SenderNames.EN) > maxTitle {
		return nil, ErrMessageInvalid.WithDetail("sender: 1 to 200 bytes")
	}
	if err := validContent(m.Content); err != nil {
		return nil, err
	}
	p := pending{subject: m.Subject, kind: KindMessage, significant: m.Significant,
		facts: Facts{Sender: m.Sender, SenderNames: m.SenderNames, Message: m.Content}}
	now := s.cfg.Now()
	var id int64
	var chs []string
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if id, err = s.accept(ctx, tx, p, now); err != nil {
			return err
		}
		chs, err = s.enqueue(ctx, tx, id, p.subject, p.significant, PurposeNotice, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.deliver(ctx, "id = ?", []any{id}); err != nil {
		return nil, err
	}
	if len(chs) > 0 {
		s.kick()
	}
	return s.byID(ctx, id)
}

// noticeColumns are a notice's columns as scanNotice reads them, from noticeFrom.
const noticeColumns = `id, ref, subject, COALESCE(event_id, 0), kind, facts, COALESCE(body, ''), significant, state, created_at, delivered_at, read_at,
	sender_bin, category, read_by, policy, deemed_at`

// noticeFrom joins a notice to the facts it shares with others (0022), if any.
const noticeFrom = ` FROM notify_notices LEFT JOIN notify_facts ON digest = facts_ref`

func scanNotice(sc interface{ Scan(...any) error }) (*Notice, error) {
	var n Notice
	var facts, shared []byte
	var c, d, r, rb, dm int64
	if err := sc.Scan(&n.Seq, &n.Ref, &n.Subject, &n.EventID, &n.Kind, &facts, &shared, &n.Significant, &n.State, &c, &d, &r,
		&n.SenderBIN, &n.Category, &rb, &n.Policy, &dm); err != nil {
		return nil, err
	}
	if err := mergeFacts(&n.Facts, shared, facts); err != nil {
		return nil, fmt.Errorf("notify: notice %s: %w", n.Ref, err)
	}
	n.CreatedAt = store.FromMicros(c)
	if d != 0 {
		n.DeliveredAt = store.FromMicros(d)
	}
	if r != 0 {
		n.ReadAt = store.FromMicros(r)
	}
	if rb != 0 {
		n.ReadBy = store.FromMicros(rb)
	}
	if dm != 0 {
		n.DeemedAt = store.FromMicros(dm)
	}
	return &n, nil
}

func (s *Service) byID(ctx context.Context, id int64) (*Notice, error) {
	return scanNotice(s.db.QueryRowContext(ctx, `SELECT `+noticeColumns+noticeFrom+` WHERE id = ?`, id))
}

// notice returns the addressee's notice ref; ErrNotFound for anyone else's.
func (s *Service) notice(ctx context.Context, q func(context.Context, string, ...any) *sql.Row, subject, ref string) (*Notice, error) {
	if subject == "" || ref == "" || len(ref) > 64 {
		return nil, ErrNotFound
	}
	n, err := scanNotice(q(ctx, `SELECT `+noticeColumns+noticeFrom+` WHERE ref = ? AND subject = ? AND state <> 'accepted'`, ref, subject))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return n, err
}

// noticeUnread is notice with, read in the same statement, the addressee's unread count
// up to UnreadCap+1 (as Unread, unread.go): an opening's page shows the count without a
// statement of its own.
func (s *Service) noticeUnread(ctx context.Context, subject, ref string) (*Notice, int, error) {
	if subject == "" || ref == "" || len(ref) > 64 {
		return nil, 0, ErrNotFound
	}
	var unread int
	n, err := scanNotice(scanPlus{s.db.QueryRowContext(ctx, noticeUnreadQuery, subject, ref, subject), &unread})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, ErrNotFound
	}
	return n, min(max(unread, 0), UnreadCap+1), err
}

var noticeUnreadQuery = `SELECT ` + noticeColumns + `,
	COALESCE((SELECT n FROM notify_unread WHERE subject = ?), 0)` + noticeFrom + ` WHERE ref = ? AND subject = ? AND state <> 'accepted'`

// scanPlus scans a row of noticeColumns and one more column, into extra.
type scanPlus struct {
	row   *sql.Row
	extra any
}

func (p scanPlus) Scan(dest ...any) error { return p.row.Scan(append(dest, p.extra)...) }

// maxInbox bounds a listing.
const maxInbox = 500

// The addressee's queries. Each is answered from the index notify_notices_inbox
// (subject, id, state) alone, the unread count without reading a row
// (TestInboxQueriesUseTheIndex).
const (
	inboxQuery = `SELECT ` + noticeColumns + noticeFrom + ` WHERE subject = ? AND state <> 'accepted' ORDER BY id DESC LIMIT ?`
	sinceQuery = `SELECT ` + noticeColumns + noticeFrom + ` WHERE subject = ? AND id > ? AND state <> 'accepted' ORDER BY id LIMIT ?`
	// olderQuery is a page of the inbox: the notices before the seq of a notice the
	// previous page ended with, newest first.
	olderQuery = `SELECT ` + noticeColumns + noticeFrom + ` WHERE subject = ? AND id < ? AND state <> 'accepted' ORDER BY id DESC LIMIT ?`
)

// unreadQuery reads the addressee's unread count (unread.go); the head is the inbox
// index's last entry.
const unreadQuery = `SELECT COALESCE((SELECT n FROM notify_unread WHERE subject = ?), 0),
	COALESCE((SELECT id FROM notify_notices WHERE subject = ? AND state <> 'accepted' ORDER BY id DESC LIMIT 1), 0)`

// UnreadCap bounds the unread count as Unread gives it: a count of UnreadCap means "at
// least that many", which the cabinet shows as "99+".
const UnreadCap = 100

// Inbox lists the addressee's delivered notices, newest first (at most 500).
func (s *Service) Inbox(ctx context.Context, subject string) ([]Notice, error) {
	return s.list(ctx, inboxQuery, subject, maxInbox)
}

// InboxPage lists up to limit of the addressee's delivered notices, newest first,
// after the notice before (a ref of theirs; "" for the newest), and whether older ones
// follow. The inbox is read a page at a time so that no notice falls out of it: notices
// are never deleted, and a list cut at its newest 500 hid the older ones, legally
// significant ones too, while the unread count still counted them. limit is at most
// 500; a before that is not the addressee's notice is ErrNotFound.
func (s *Service) InboxPage(ctx context.Context, subject, before string, limit int) (page []Notice, more bool, err error) {
	if limit <= 0 || limit > maxInbox {
		limit = maxInbox
	}
	q, args := inboxQuery, []any{subject, limit + 1}
	if before != "" {
		n, err := s.notice(ctx, s.db.QueryRowContext, subject, before)
		if err != nil {
			return nil, false, err
		}
		q, args = olderQuery, []any{subject, n.Seq, limit + 1}
	}
	if page, err = s.list(ctx, q, args...); err != nil {
		return nil, false, err
	}
	if len(page) > limit {
		return page[:limit], true, nil
	}
	return page, false, nil
}

// Since lists the addressee's notices delivered after seq, oldest first: what a live
// view has not shown yet.
func (s *Service) Since(ctx context.Context, subject string, seq int64) ([]Notice, error) {
	return s.list(ctx, sinceQuery, subject, seq, maxInbox)
}

func (s *Service) list(ctx context.Context, q string, args ...any) ([]Notice, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Notice{}
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *n)
	}
	return out, rows.Err()
}

// Unread counts the addressee's delivered, unread notices, up to UnreadCap, and returns
// the newest notice's seq.
func (s *Service) Unread(ctx context.Context, subject string) (count int, head int64, err error) {
	err = s.db.QueryRowContext(ctx, unreadQuery, subject, subject).Scan(&count, &head)
	return min(max(count, 0), UnreadCap), head, err
}

// Subscribe returns a channel that receives a value when a notice is delivered to
// subject in this process, and a function to stop. Slow readers miss nothing but
// wake-ups: a wake-up means "look again".
func (s *Service) Subscribe(subject string) (<-chan struct{}, func()) {
	return s.hub.subscribe(subject)
}

func subjectsOf(ps []pending) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range ps {
		if !seen[p.subject] {
			seen[p.subject] = true
			out = append(out, p.subject)
		}
	}
	return out
}
