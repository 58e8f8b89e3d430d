package pd

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
)

// Complaint statuses. A complaint is filed by the citizen, and the authorized body's
// staff move it to in_review and close it as upheld or dismissed.
const (
	ComplaintFiled     = "filed"
	ComplaintInReview  = "in_review"
	ComplaintUpheld    = "upheld"
	ComplaintDismissed = "dismissed"
)

// ComplaintStatuses are the statuses in the order a complaint goes through them.
var ComplaintStatuses = []string{ComplaintFiled, ComplaintInReview, ComplaintUpheld, ComplaintDismissed}

// MaxComplaintText and MaxComplaintNote bound what a citizen writes and what staff
// note on a change, in characters.
const (
	MaxComplaintText = 2000
	MaxComplaintNote = 1000
)

// Errors of complaints.
var (
	ErrComplaintInvalid    = problem.New(http.StatusBadRequest, "pd.complaint.invalid", "The complaint is invalid").WithRule("PD-3.1")
	ErrComplaintDuplicate  = problem.New(http.StatusConflict, "pd.complaint.duplicate", "A complaint about this access is already open").WithRule("PD-3.1")
	ErrComplaintTransition = problem.New(http.StatusConflict, "pd.complaint.transition", "The complaint cannot move to this status").WithRule("PD-3.1")
)

// Complaint is a citizen's complaint to the authorized body about one access to their
// data ("this wasn't me", PD-3.1, PD-3.4): the access as it was recorded, what they
// wrote, its status and the history of its status.
type Complaint struct {
	ID        string
	Subject   string // opaque reference, never an IIN
	EventID   int64  // the outbox event that recorded the access
	Kind      string // token | action
	Initiator string
	Owner     string
	DataSets  []string
	AccessAt  time.Time
	Text      string
	Status    string
	FiledAt   time.Time
	UpdatedAt time.Time
	History   []ComplaintChange // oldest first; filled by Complaint and ComplaintFor
}

// ComplaintChange is one step of a complaint's history.
type ComplaintChange struct {
	Status string
	Note   string
	Actor  string // citizen:<id> or admin:<id>@<BIN>
	At     time.Time
}

// Open reports whether staff may still change the complaint.
func (c Complaint) Open() bool { return c.Status == ComplaintFiled || c.Status == ComplaintInReview }

// FileComplaint records the citizen's complaint about one access to their data, found
// by the event that recorded it in their own access history (another subject's access
// is not found), with an outbox event in the same transaction (rule PD-3.1). At most
// one complaint per access is open at a time.
func (s *Service) FileComplaint(ctx context.Context, citizenIIN string, eventID int64, text string) (*Complaint, error) {
	text = strings.TrimSpace(text)
	if !utf8.ValidString(text) || utf8.RuneCountInString(text) > MaxComplaintText {
		return nil, ErrComplaintInvalid.WithDetail("the text is longer than 2000 characters").With("field", "text")
	}
	if eventID <= 0 {
		return nil, ErrNotFound
	}
	h, err := s.AccessHistory(ctx, citizenIIN)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(h, func(e HistoryEntry) bool { return e.EventID == eventID })
	if i < 0 {
		return nil, ErrNotFound.WithDetail("no such access to this subject's data")
	}
	e := h[i]
	subject, err := s.subjectRef(ctx, citizenIIN)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	c := &Complaint{ID: "cp_" + newJTI(), Subject: subject, EventID: eventID, Kind: e.Kind, Initiator: e.Initiator, Owner: e.Owner,
		DataSets: e.DataSets, AccessAt: e.At, Text: text, Status: ComplaintFiled, FiledAt: now, UpdatedAt: now,
		History: []ComplaintChange{{Status: ComplaintFiled, Actor: subject, At: now}}}
	if c.DataSets == nil {
		c.DataSets = []string{}
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pd_complaints WHERE subject = ? AND event_id = ? AND status IN ('filed', 'in_review')`, subject, eventID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrComplaintDuplicate
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO pd_complaints (id, subject, event_id, kind, initiator_bin, owner_bin, data_sets, access_at, text, status, filed_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, subject, eventID, c.Kind, c.Initiator, c.Owner, marshal(c.DataSets),
			store.Micros(c.AccessAt), c.Text, c.Status, store.Micros(now), store.Micros(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO pd_complaint_history (complaint_id, status, note, actor, at) VALUES (?, ?, '', ?, ?)`,
			c.ID, c.Status, subject, store.Micros(now)); err != nil {
			return err
		}
		// The event carries no text the citizen wrote: only which access, and whose.
		_, err := tx.Emit(ctx, store.Event{Type: EvComplaintFiled, Actor: subject, Subject: subject,
			Payload: []byte(marshal(map[string]any{"complaint_id": c.ID, "access_event": eventID, "initiator": c.Initiator, "owner": c.Owner}))})
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

const complaintColumns = `id, subject, event_id, kind, initiator_bin, owner_bin, data_sets, access_at, text, status, filed_at, updated_at`

func scanComplaint(row interface{ Scan(...any) error }) (*Complaint, error) {
	var c Complaint
	var sets string
	var at, filed, updated int64
	if err := row.Scan(&c.ID, &c.Subject, &c.EventID, &c.Kind, &c.Initiator, &c.Owner, &sets, &at, &c.Text, &c.Status, &filed, &updated); err != nil {
		return nil, err
	}
	jsonUnmarshal(sets, &c.DataSets)
	c.AccessAt, c.FiledAt, c.UpdatedAt = store.FromMicros(at), store.FromMicros(filed), store.FromMicros(updated)
	return &c, nil
}

func (s *Service) listComplaints(ctx context.Context, where string, args ...any) ([]Complaint, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+complaintColumns+` FROM pd_complaints `+where+` ORDER BY filed_at DESC, id LIMIT 1000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Complaint{}
	for rows.Next() {
		c, err := scanComplaint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// Complaints are the citizen's own complaints, newest first.
func (s *Service) Complaints(ctx context.Context, citizenIIN string) ([]Complaint, error) {
	subject, err := s.subjectRef(ctx, citizenIIN)
	if err != nil {
		return nil, err
	}
	return s.listComplaints(ctx, `WHERE subject = ?`, subject)
}

// AllComplaints are every citizen's complaints for the authorized body's console,
// newest first, optionally only those with status (one of ComplaintStatuses).
func (s *Service) AllComplaints(ctx context.Context, status string) ([]Complaint, error) {
	if status != "" {
		if !slices.Contains(ComplaintStatuses, status) {
			return nil, ErrComplaintInvalid.WithDetail("unknown status").With("field", "status")
		}
		return s.listComplaints(ctx, `WHERE status = ?`, status)
	}
	return s.listComplaints(ctx, ``)
}

// ComplaintFor is one of the citizen's own complaints with its history; another
// subject's complaint is not found.
func (s *Service) ComplaintFor(ctx context.Context, citizenIIN, id string) (*Complaint, error) {
	subject, err := s.subjectRef(ctx, citizenIIN)
	if err != nil {
		return nil, err
	}
	return s.complaint(ctx, s.db.QueryRowContext(ctx, `SELECT `+complaintColumns+` FROM pd_complaints WHERE id = ? AND subject = ?`, id, subject))
}

// Complaint is any complaint with its history, for the authorized body's console.
func (s *Service) Complaint(ctx context.Context, id string) (*Complaint, error) {
	return s.complaint(ctx, s.db.QueryRowContext(ctx, `SELECT `+complaintColumns+` FROM pd_complaints WHERE id = ?`, id))
}

func (s *Service) complaint(ctx context.Context, row *sql.Row) (*Complaint, error) {
	c, err := scanComplaint(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound.WithDetail("no such complaint")
	}
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT status, note, actor, at FROM pd_complaint_history WHERE complaint_id = ? ORDER BY id`, c.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var h ComplaintChange
		var at int64
		if err := rows.Scan(&h.Status, &h.Note, &h.Actor, &at); err != nil {
			return nil, err
		}
		h.At = store.FromMicros(at)
		c.History = append(c.History, h)
	}
	return c, rows.Err()
}

// SetComplaintStatus moves a complaint on, by a member of the authorized body's staff
// (actor), with an optional note; the history keeps who, when and what, and an outbox
// event tells the citizen. A closed complaint stays closed.
func (s *Service) SetComplaintStatus(ctx context.Context, actor, id, status, note string) (*Complaint, error) {
	note = strings.TrimSpace(note)
	if !utf8.ValidString(note) || utf8.RuneCountInString(note) > MaxComplaintNote {
		return nil, ErrComplaintInvalid.WithDetail("the note is longer than 1000 characters").With("field", "note")
	}
	if status == ComplaintFiled || !slices.Contains(ComplaintStatuses, status) {
		return nil, ErrComplaintInvalid.WithDetail("unknown status").With("field", "status")
	}
	if actor == "" {
		return nil, ErrForbidden
	}
	var c *Complaint
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		c, err = scanComplaint(tx.QueryRowContext(ctx, `SELECT `+complaintColumns+` FROM pd_complaints WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound.WithDetail("no such complaint")
		}
		if err != nil {
			return err
		}
		if !c.Open() || c.Status == status {
			return ErrComplaintTransition.WithDetail("from "+c.Status+" to "+status).With("field", "status")
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		if _, err := tx.ExecContext(ctx, `UPDATE pd_complaints SET status = ?, updated_at = ? WHERE id = ?`, status, store.Micros(now), c.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO pd_complaint_history (complaint_id, status, note, actor, at) VALUES (?, ?, ?, ?, ?)`,
			c.ID, status, note, actor, store.Micros(now)); err != nil {
			return err
		}
		c.Status, c.UpdatedAt = status, now
		_, err = tx.Emit(ctx, store.Event{Type: EvComplaintStatus, Actor: actor, Subject: c.Subject,
			Payload: []byte(marshal(map[string]any{"complaint_id": c.ID, "status": status}))})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Complaint(ctx, c.ID)
}
