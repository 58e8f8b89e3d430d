package notify

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/senimkz/senim/internal/actor"
	"github.com/senimkz/senim/internal/secret"
	"maps"
	"slices"
	"time"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/store"
)

// Citizens finds addressees by IIN and IINs by addressee (identity.Service).
type Citizens interface {
	CitizenByIIN(ctx context.Context, iin string) (*identity.Citizen, error)
	CitizenByID(ctx context.Context, id int64) (*identity.Citizen, error)
}

// SetSender replaces the categories the organisation bin may send notices of (the
// sender-permission directory kept by the authorized body); an empty list withdraws the
// permission. The change is an outbox event, so it is in the audit log.
func (s *Service) SetSender(ctx context.Context, actor, bin string, categories []string) error {
	if !kzid.ValidBIN(bin) {
		return ErrSenderDirectory.WithDetail("invalid BIN")
	}
	categories = slices.Clone(categories)
	slices.Sort(categories)
	categories = slices.Compact(categories)
	for _, c := range categories {
		if _, ok := s.policy.Categories[c]; !ok {
			return ErrCategoryUnknown.WithDetail("category " + c + " is not in policy " + s.policy.Version)
		}
	}
	b, _ := json.Marshal(categories)
	now := store.Micros(s.cfg.Now())
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO notify_senders (bin, categories, updated_by, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (bin) DO UPDATE SET categories = excluded.categories, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			bin, string(b), actor, now); err != nil {
			return err
		}
		ev, _ := json.Marshal(map[string]any{"bin": bin, "categories": categories})
		// The change history the directories share (pd_directory_history, kind
		// "sender"), so the console shows who granted or withdrew what, and when.
		if _, err := tx.ExecContext(ctx, `INSERT INTO pd_directory_history (kind, entry, state, deleted, actor, at) VALUES (?, ?, ?, ?, ?, ?)`,
			EntrySender, bin, string(ev), len(categories) == 0, actor, now); err != nil {
			return err
		}
		_, err := tx.Emit(ctx, store.Event{Type: EvSenderSet, Actor: actor, Payload: ev})
		return err
	})
}

// EntrySender is the kind of a sender permission in the directories' change history.
const EntrySender = "sender"

// SenderChange is one change of a BIN's sender permission: the categories it became
// (none: withdrawn), who changed it and when.
type SenderChange struct {
	Categories []string  `json:"categories"`
	Actor      string    `json:"actor"`
	At         time.Time `json:"at"`
}

// SenderHistory lists every change of bin's sender permission, oldest first.
func (s *Service) SenderHistory(ctx context.Context, bin string) ([]SenderChange, error) {
	m, err := s.senderChanges(ctx, ` AND entry = ?`, bin)
	if err != nil {
		return nil, err
	}
	if h := m[bin]; h != nil {
		return h, nil
	}
	return []SenderChange{}, nil
}

// SenderHistories is SenderHistory of every organisation whose permission has changed,
// by BIN, in one query: the console lists the whole directory with its history.
func (s *Service) SenderHistories(ctx context.Context) (map[string][]SenderChange, error) {
	return s.senderChanges(ctx, "")
}

// senderChanges reads the sender-permission changes, and more conditions on them (and
// their arguments), by BIN, each BIN's oldest first.
func (s *Service) senderChanges(ctx context.Context, and string, args ...any) (map[string][]SenderChange, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT entry, state, actor, at FROM pd_directory_history WHERE kind = ?`+and+` ORDER BY id`,
		append([]any{EntrySender}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]SenderChange{}
	for rows.Next() {
		var bin, st string
		var at int64
		var c SenderChange
		if err := rows.Scan(&bin, &st, &c.Actor, &at); err != nil {
			return nil, err
		}
		var v struct {
			Categories []string `json:"categories"`
		}
		if err := json.Unmarshal([]byte(st), &v); err != nil {
			return nil, err
		}
		c.Categories, c.At = v.Categories, store.FromMicros(at)
		out[bin] = append(out[bin], c)
	}
	return out, rows.Err()
}

// Categories are the categories of notice the policy in force knows, sorted.
func (s *Service) Categories() []string {
	return slices.Sorted(maps.Keys(s.policy.Categories))
}

// CategoryTitle names a category in lang as the policy in force does; a code the
// policy does not know is returned as it is.
func (s *Service) CategoryTitle(code, lang string) string {
	if c, ok := s.policy.Categories[code]; ok {
		return c.Titles.In(lang)
	}
	return code
}

// Senders returns the sender-permission directory: categories by BIN.
func (s *Service) Senders(ctx context.Context) (map[string][]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT bin, categories FROM notify_senders ORDER BY bin`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var bin, cats string
		if err := rows.Scan(&bin, &cats); err != nil {
			return nil, err
		}
		var cs []string
		if err := json.Unmarshal([]byte(cats), &cs); err != nil {
			return nil, err
		}
		if len(cs) > 0 {
			out[bin] = cs
		}
	}
	return out, rows.Err()
}

// sender is what every submission of one request shares: the sending organisation's
// BIN, its name for the notice's facts, and the categories its permission covers
// (none: it may not send).
type sender struct {
	bin, name string
	names     pd.Titles // the name in each language, where the directory holds them
	cats      []string
}

// loadSender reads bin's sender permission and name once per request.
func (s *Service) loadSender(ctx context.Context, bin string) (*sender, error) {
	snd := &sender{bin: bin, name: bin}
	var cats string
	err := s.db.QueryRowContext(ctx, `SELECT categories FROM notify_senders WHERE bin = ?`, bin).Scan(&cats)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal([]byte(cats), &snd.cats); err != nil {
			return nil, err
		}
	}
	if len(snd.cats) == 0 {
		return snd, nil
	}
	if o, err := s.cfg.Organizations.OrganizationByBIN(ctx, bin); err == nil && o.Name != "" {
		snd.name = o.Name
		snd.names = pd.Titles{KK: o.Names.KK, RU: o.Names.RU, EN: o.Names.EN}
		return snd, nil
	}
	// A state body that identity does not name is often a data owner, which the
	// authorized body's directory names in each language (as the notices of its
	// reports do): the citizen reads its name, not its BIN.
	owners, err := s.cfg.Directory.DataOwners(ctx)
	if err != nil {
		return nil, fmt.Errorf("notify: data owners: %w", err)
	}
	for _, o := range owners {
		if o.BIN == bin && o.Name != "" {
			snd.name, snd.names = o.Name, o.Names
			break
		}
	}
	return snd, nil
}

// permittedSender is loadSender for a sending request: an organisation that holds no
// sender permission is refused with ErrSenderNotPermitted first, before anything of
// its request is read or checked, so a refusal tells it nothing of the categories or
// of what a valid notice is.
func (s *Service) permittedSender(ctx context.Context, bin string) (*sender, error) {
	snd, err := s.loadSender(ctx, bin)
	if err != nil {
		return nil, err
	}
	if len(snd.cats) == 0 {
		return nil, ErrSenderNotPermitted
	}
	return snd, nil
}

// may tells whether the sender may send notices of category.
func (snd *sender) may(category string) error {
	if len(snd.cats) == 0 {
		return ErrSenderNotPermitted
	}
	if !slices.Contains(snd.cats, category) {
		return ErrCategoryNotPermitted.WithDetail("this organisation may send " + fmt.Sprint(snd.cats))
	}
	return nil
}

// Submission is a notice a state body sends through POST /v1/notices.
type Submission struct {
	SubjectIIN  string          `json:"subject_iin"`
	Category    string          `json:"category"`
	Significant bool            `json:"legally_significant"`
	ReadBy      *time.Time      `json:"read_by,omitempty"`
	Content     map[string]Text `json:"content"`
}

// Accepted is the answer to a submission, and what its status starts as.
type Accepted struct {
	ID          string    `json:"id"`
	State       string    `json:"state"`
	Category    string    `json:"category"`
	Significant bool      `json:"legally_significant"`
	ReadBy      *string   `json:"read_by,omitempty"`
	Policy      string    `json:"policy"`
	CreatedAt   time.Time `json:"created_at"`
	StatusURL   string    `json:"status_url"`
}

// IdemKey is the sender's Idempotency-Key of a submission with the digest of its body;
// Replay is set when the same request was already answered.
type IdemKey struct {
	Key    string
	Body   []byte
	Replay []byte
}

// maxReadBy bounds how far a read-by deadline may lie.
const maxReadBy = 366 * 24 * time.Hour

// Submit accepts a sender's notice: checks the sender permission, the content, the
// deadline and the addressee, then in one transaction claims the idempotency key with
// its answer, stores the notice delivered to the inbox, queues its other channels and
// emits its status events (the hook point of signed webhooks, issue 16). A replay of
// the same key and body returns the first answer (idem.Replay); another body is
// ErrIdempotencyConflict.
func (s *Service) Submit(ctx context.Context, senderBIN string, sub Submission, idem *IdemKey) (*Accepted, error) {
	if s.cfg.Citizens == nil {
		return nil, errors.New("notify: Submit needs Config.Citizens")
	}
	snd, err := s.permittedSender(ctx, senderBIN)
	if err != nil {
		return nil, err
	}
	return s.submit(ctx, snd, sub, idem)
}

// submit is Submit for a sender that permittedSender let through.
func (s *Service) submit(ctx context.Context, snd *sender, sub Submission, idem *IdemKey) (*Accepted, error) {
	if idem == nil || idem.Key == "" || len(idem.Key) > 255 {
		return nil, ErrIdempotencyRequired
	}
	if _, ok := s.policy.Categories[sub.Category]; !ok {
		return nil, ErrCategoryUnknown.WithDetail("category " + fmt.Sprintf("%q", sub.Category) + " is not in policy " + s.policy.Version)
	}
	now := s.cfg.Now()
	p, err := s.prepare(ctx, snd, sub, idem.Key, idem.Body, now, nil)
	if err != nil {
		return nil, err
	}
	var channels []string
	err = s.commit(ctx, func(tx *store.Tx, u unreadDelta) error {
		var err error
		channels, idem.Replay, err = s.write(ctx, tx, u, p, now, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	if idem.Replay != nil {
		return nil, nil
	}
	s.hub.publish(p.subject)
	if len(channels) > 0 {
		s.kick()
	}
	return p.out, nil
}

// prepared is a submission that passed every check, ready to be written.
type prepared struct {
	key     store.IdempotencyKey
	ref     string
	subject string
	sender  string
	facts   []byte
	readBy  int64
	sig     bool
	cat     string
	out     *Accepted
	answer  []byte // out as JSON: the answer stored with the key
}

// prepare checks one submission of snd (in the order of the single send's refusals)
// and draws its reference. body is the request the idempotency key stands for; seen,
// when not nil, caches addressees by IIN across the submissions of one batch.
func (s *Service) prepare(ctx context.Context, snd *sender, sub Submission, key string, body []byte, now time.Time, seen map[string]*identity.Citizen) (*prepared, error) {
	if key == "" || len(key) > 255 {
		return nil, ErrIdempotencyRequired
	}
	if _, ok := s.policy.Categories[sub.Category]; !ok {
		return nil, ErrCategoryUnknown.WithDetail("category " + fmt.Sprintf("%q", sub.Category) + " is not in policy " + s.policy.Version)
	}
	if err := snd.may(sub.Category); err != nil {
		return nil, err
	}
	if err := validContent(sub.Content); err != nil {
		return nil, err
	}
	var readBy int64
	if sub.ReadBy != nil {
		if !sub.ReadBy.After(now) || sub.ReadBy.Sub(now) > maxReadBy {
			return nil, ErrReadByInvalid
		}
		readBy = store.Micros(*sub.ReadBy)
	}
	if !kzid.ValidIIN(sub.SubjectIIN) {
		return nil, ErrSubjectInvalid
	}
	cz := seen[sub.SubjectIIN]
	if cz == nil {
		var err error
		cz, err = s.cfg.Citizens.CitizenByIIN(ctx, sub.SubjectIIN)
		if errors.Is(err, identity.ErrNotFound) {
			return nil, ErrSubjectUnknown
		}
		if err != nil {
			return nil, err
		}
		if seen != nil {
			seen[sub.SubjectIIN] = cz
		}
	}
	facts, _ := json.Marshal(Facts{Sender: snd.name, SenderNames: snd.names, Message: sub.Content})
	sum := sha256.Sum256(body)
	ref := secret.OrderedRef("n_", s.cfg.Now())
	out := &Accepted{ID: ref, State: StateDelivered, Category: sub.Category, Significant: sub.Significant, Policy: s.policy.Version,
		CreatedAt: now.UTC().Truncate(time.Microsecond), StatusURL: "/v1/notices/" + ref}
	if sub.ReadBy != nil {
		rb := sub.ReadBy.UTC().Format(time.RFC3339)
		out.ReadBy = &rb
	}
	answer, _ := json.Marshal(out)
	return &prepared{
		key: store.IdempotencyKey{Scope: actor.Org(snd.bin).String() + " POST /v1/notices", Key: key, RequestHash: sum[:]},
		ref: ref, subject: cz.Ref(), sender: snd.bin, facts: facts, readBy: readBy, sig: sub.Significant, cat: sub.Category,
		out: out, answer: answer,
	}, nil
}

// write stores a prepared submission in tx: the idempotency key with its answer, the
// notice delivered to the inbox, its queued channels and its three status events. A
// replayed key returns the first answer and writes nothing; a key refused (another
// body, in progress) returns its problem before anything of this submission is
// written, so the other writes of the transaction may commit.
//
// prefs, when not nil, holds the addressees' channel preferences read for a whole batch
// (loadPrefsMany); otherwise they are read for this notice.
//
// The notice's unread count goes into u.
func (s *Service) write(ctx context.Context, tx *store.Tx, u unreadDelta, p *prepared, now time.Time, prefs map[string]map[string]Pref) (channels []string, replay []byte, err error) {
	resp, err := tx.ClaimIdempotencyKeyWith(ctx, p.key, store.StoredResponse{Status: 201, ContentType: "application/json", Body: p.answer})
	switch {
	case errors.Is(err, store.ErrIdempotencyConflict):
		return nil, nil, ErrIdempotencyConflict
	case errors.Is(err, store.ErrIdempotencyInProgress):
		return nil, nil, ErrIdempotencyInProgress
	case errors.Is(err, store.ErrInvalidIdempotencyKey):
		return nil, nil, ErrIdempotencyRequired
	case err != nil:
		return nil, nil, err
	case resp != nil:
		return nil, resp.Body, nil
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO notify_notices (ref, subject, kind, facts, significant, state, created_at, delivered_at,
		sender_bin, category, read_by, policy) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.ref, p.subject, KindMessage, string(p.facts), p.sig, StateDelivered, store.Micros(now), store.Micros(now),
		p.sender, p.cat, p.readBy, s.policy.Version).Scan(&id); err != nil {
		return nil, nil, fmt.Errorf("notify: submit: %w", err)
	}
	u.add(p.subject, 1)
	if prefs != nil {
		channels, err = s.enqueueWith(ctx, tx, id, prefs[p.subject], p.sig, PurposeNotice, now)
	} else {
		channels, err = s.enqueue(ctx, tx, id, p.subject, p.sig, PurposeNotice, now)
	}
	if err != nil {
		return nil, nil, err
	}
	// Three status changes, three events in one statement.
	err = tx.EmitAll(ctx, statusEvents(p, channels))
	return channels, nil, err
}

// written is the outcome of one prepared submission of writeMany, as write returns it.
type written struct {
	channels []string
	replay   []byte
	err      error
}

// writeMany is write for the prepared submissions of a bulk send (nil ones skipped):
// out[i] is what write would return for ps[i] had they been written one after the
// other, in order. The keys new to this transaction are claimed at once, and their
// notices, deliveries and status events are written in multi-row statements, a few
// statements for a hundred notices instead of four per notice; every other key (a
// replay, a conflict, a repeat within the batch) then goes through write, which reads
// its answer and writes nothing.
func (s *Service) writeMany(ctx context.Context, tx *store.Tx, u unreadDelta, ps []*prepared, now time.Time, prefs map[string]map[string]Pref) ([]written, error) {
	out := make([]written, len(ps))
	idx := make([]int, 0, len(ps)) // the indexes of the submissions to claim
	keys := make([]store.IdempotencyKey, 0, len(ps))
	resps := make([]store.StoredResponse, 0, len(ps))
	for i, p := range ps {
		if p != nil {
			idx = append(idx, i)
			keys = append(keys, p.key)
			resps = append(resps, store.StoredResponse{Status: 201, ContentType: "application/json", Body: p.answer})
		}
	}
	claimed, err := tx.ClaimIdempotencyKeysWith(ctx, keys, resps)
	if err != nil {
		return nil, err
	}
	fresh := make([]int, 0, len(idx)) // the indexes of the claimed submissions, in order
	var rest []int
	for j, i := range idx {
		if claimed[j] {
			fresh = append(fresh, i)
		} else {
			rest = append(rest, i)
		}
	}
	ids := make(map[string]int64, len(fresh)) // notice ref → id
	for start := 0; start < len(fresh); {
		n := store.MultiRowChunk(len(fresh) - start)
		args := make([]any, 0, 12*n)
		for _, i := range fresh[start : start+n] {
			p := ps[i]
			args = append(args, p.ref, p.subject, KindMessage, string(p.facts), p.sig, StateDelivered, store.Micros(now), store.Micros(now),
				p.sender, p.cat, p.readBy, s.policy.Version)
		}
		q := store.MultiRow(`INSERT INTO notify_notices (ref, subject, kind, facts, significant, state, created_at, delivered_at,
		sender_bin, category, read_by, policy) VALUES `, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", n, ` RETURNING id, ref`)
		err := tx.ScanRows(ctx, q, args, func(rows *sql.Rows) error {
			var id int64
			var ref string
			if err := rows.Scan(&id, &ref); err != nil {
				return err
			}
			ids[ref] = id
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("notify: submit: %w", err)
		}
		start += n
	}
	var ds []delivery
	events := make([]store.Event, 0, 3*len(fresh))
	for _, i := range fresh {
		p := ps[i]
		id, ok := ids[p.ref]
		if !ok {
			return nil, fmt.Errorf("notify: submit: notice %s not written", p.ref)
		}
		u.add(p.subject, 1)
		var chs []string
		if len(s.channels) > 0 {
			chs = s.channelsFor(prefs[p.subject], p.sig)
			for _, ch := range chs {
				ds = append(ds, delivery{notice: id, channel: ch, purpose: PurposeNotice})
			}
		}
		out[i].channels = chs
		events = append(events, statusEvents(p, chs)...)
	}
	if err := queueMany(ctx, tx, ds, now); err != nil {
		return nil, err
	}
	if err := tx.EmitAll(ctx, events); err != nil {
		return nil, err
	}
	for _, i := range rest {
		out[i].channels, out[i].replay, out[i].err = s.write(ctx, tx, u, ps[i], now, prefs)
	}
	return out, nil
}

// statusEvents are the status events of a notice p accepted and delivered to the inbox,
// with its deliveries queued on channels: accepted → dispatched (to the inbox and
// every queued channel) → delivered to the inbox. The sender's webhooks see each (the
// other channels' deliveries follow from the engine).
func statusEvents(p *prepared, channels []string) []store.Event {
	return []store.Event{
		statusEvent(p.ref, p.subject, p.sender, StateAccepted, "", ""),
		dispatchedEvent(p.ref, p.subject, p.sender, append([]string{ChannelInbox}, channels...)),
		statusEvent(p.ref, p.subject, p.sender, StateDelivered, ChannelInbox, PurposeNotice),
	}
}

// emitStatus writes the outbox event of a status change of a notice: the hook point of
// signed webhooks (issue 16 consumes notify.notice.status for notices with a sender).
// It carries references only, never the IIN or the content.
func emitStatus(ctx context.Context, tx *store.Tx, ref, subject, sender, state, channel, purpose string) error {
	_, err := tx.Emit(ctx, statusEvent(ref, subject, sender, state, channel, purpose))
	return err
}

// statusEvent is the event emitStatus writes.
func statusEvent(ref, subject, sender, state, channel, purpose string) store.Event {
	b, _ := json.Marshal(statusPayload{Channel: channel, Notice: ref, Purpose: purpose, Sender: sender, State: state})
	by := actor.System.String()
	if sender != "" {
		by = actor.Org(sender).String()
	}
	return store.Event{Type: EvNoticeStatus, Actor: by, Subject: subject, Payload: b}
}

// statusPayload is a status event's payload. Its members are in the order of their
// names, as the map it replaced was written (a struct costs a third of a map to
// marshal, and a bulk send writes three per notice).
type statusPayload struct {
	Channel  string   `json:"channel,omitempty"`
	Channels []string `json:"channels,omitempty"`
	Notice   string   `json:"notice"`
	Purpose  string   `json:"purpose,omitempty"`
	Sender   string   `json:"sender,omitempty"`
	State    string   `json:"state"`
}

// dispatchedEvent is the status event of a notice handed to its channels: the inbox
// and every channel a delivery was queued on.
func dispatchedEvent(ref, subject, sender string, channels []string) store.Event {
	b, _ := json.Marshal(statusPayload{Channels: channels, Notice: ref, Sender: sender, State: StateDispatched})
	return store.Event{Type: EvNoticeStatus, Actor: actor.Org(sender).String(), Subject: subject, Payload: b}
}

// Status is a sent notice's status as its sender sees it.
type Status struct {
	ID          string           `json:"id"`
	State       string           `json:"state"` // delivered | read | deemed_delivered
	Category    string           `json:"category"`
	Significant bool             `json:"legally_significant"`
	Policy      string           `json:"policy"`
	CreatedAt   time.Time        `json:"created_at"`
	DeliveredAt *time.Time       `json:"delivered_at,omitempty"`
	ReadBy      *time.Time       `json:"read_by,omitempty"`
	ReadAt      *time.Time       `json:"read_at,omitempty"`
	DeemedAt    *time.Time       `json:"deemed_delivered_at,omitempty"`
	Deliveries  []DeliveryStatus `json:"deliveries"`
	ReceiptURL  string           `json:"receipt_url,omitempty"`
}

// DeliveryStatus is one channel's delivery of a notice.
type DeliveryStatus struct {
	Channel  string     `json:"channel"`
	Purpose  string     `json:"purpose"`
	State    string     `json:"state"`
	Attempts int        `json:"attempts"`
	DoneAt   *time.Time `json:"done_at,omitempty"`
}

func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// sentNotice returns the notice ref sent by sender; anyone else's is ErrNotFound.
func (s *Service) sentNotice(ctx context.Context, sender, ref string) (*Notice, error) {
	if sender == "" || ref == "" || len(ref) > 64 {
		return nil, ErrNotFound
	}
	n, err := scanNotice(s.db.QueryRowContext(ctx, `SELECT `+noticeColumns+noticeFrom+` WHERE ref = ? AND sender_bin = ?`, ref, sender))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return n, err
}

// NoticeStatus returns the status of a notice its sender sent; another sender's
// notice is ErrNotFound.
func (s *Service) NoticeStatus(ctx context.Context, sender, ref string) (*Status, error) {
	n, err := s.sentNotice(ctx, sender, ref)
	if err != nil {
		return nil, err
	}
	st := &Status{ID: n.Ref, State: n.State, Category: n.Category, Significant: n.Significant, Policy: n.Policy, CreatedAt: n.CreatedAt,
		DeliveredAt: tp(n.DeliveredAt), ReadBy: tp(n.ReadBy), ReadAt: tp(n.ReadAt), DeemedAt: tp(n.DeemedAt), Deliveries: []DeliveryStatus{}}
	if n.State == StateDelivered && !n.DeemedAt.IsZero() {
		st.State = StateDeemed
	}
	if n.DeliveredAt.IsZero() {
		st.State = StateAccepted
	} else {
		st.Deliveries = append(st.Deliveries, DeliveryStatus{Channel: ChannelInbox, Purpose: PurposeNotice, State: DeliverySent, DoneAt: tp(n.DeliveredAt)})
	}
	rows, err := s.db.QueryContext(ctx, `SELECT channel, purpose, state, attempts, done_at FROM notify_deliveries WHERE notice_id = ? ORDER BY id`, n.Seq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var d DeliveryStatus
		var done int64
		if err := rows.Scan(&d.Channel, &d.Purpose, &d.State, &d.Attempts, &done); err != nil {
			return nil, err
		}
		if done != 0 {
			d.DoneAt = tp(store.FromMicros(done))
		}
		if d.State == deliverySending {
			d.State = DeliveryPending
		}
		st.Deliveries = append(st.Deliveries, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if n.Significant && n.State == StateRead {
		st.ReceiptURL = "/v1/notices/" + n.Ref + "/receipt"
	}
	return st, nil
}

// SenderReceipt returns the read receipt of a notice its sender sent: the same bundle
// the addressee downloads (the salt lets the sender, who knows the IIN, open the
// commitment). Another sender's notice is ErrNotFound.
func (s *Service) SenderReceipt(ctx context.Context, sender, ref string) (*Receipt, error) {
	n, err := s.sentNotice(ctx, sender, ref)
	if err != nil {
		return nil, err
	}
	if !n.Significant {
		return nil, ErrNotSignificant
	}
	rc, err := s.receiptOf(ctx, n.Subject, n)
	if err != nil {
		return nil, err
	}
	return rc, s.attachLog(ctx, n.Subject, rc)
}
