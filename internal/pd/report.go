package pd

import (
	"context"
	"database/sql"
	"errors"
	"github.com/senimkz/senim/internal/actor"
	"slices"
	"time"

	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/store"
)

// clockSkew is how far a data owner's clock may run from Senim's in a report's time.
const clockSkew = time.Minute

// Actions on personal data a data owner reports (PD-3.4).
var Actions = []string{"access", "view", "change", "addition", "transfer", "blocking", "deletion"}

// Report is an action a data owner took on a subject's data (PD-3.4), with whether it
// was automated processing (PD-2.8-1).
type Report struct {
	// TokenJTI names the security token the action served (optional for actions the
	// owner takes on its own, e.g. a change of address by the owner itself).
	TokenJTI  string    `json:"token_jti,omitempty"`
	Subject   string    `json:"subject"` // IIN
	Action    string    `json:"action"`
	Automated *bool     `json:"automated"`
	DataSets  []string  `json:"data_sets"`
	At        time.Time `json:"at,omitzero"`
}

// ReportAction records a data owner's report and emits pd.action.reported, which the
// notification dispatcher turns into a notice to the subject (PD-3.4).
func (s *Service) ReportAction(ctx context.Context, caller *orgauth.Caller, r Report) (int64, error) {
	return s.reportAction(ctx, caller, r, nil)
}

func (s *Service) reportAction(ctx context.Context, caller *orgauth.Caller, r Report, idem *idemKey) (int64, error) {
	if caller == nil {
		return 0, ErrForbidden
	}
	if !slices.Contains(Actions, r.Action) || r.Automated == nil || len(r.DataSets) == 0 {
		return 0, ErrReportInvalid.WithDetail("action (access, view, change, addition, transfer, blocking, deletion), automated (PD-2.8-1) and data_sets are required")
	}
	d, err := s.directory(ctx)
	if err != nil {
		return 0, err
	}
	owner := d.owners[caller.BIN]
	if owner == nil {
		return 0, ErrForbidden.WithDetail("only a data owner in the directory reports actions")
	}
	if !owner.has(r.DataSets) {
		return 0, ErrDataSetUnknown
	}
	if !kzid.ValidIIN(r.Subject) {
		return 0, ErrSubjectInvalid
	}
	now := s.now()
	at := r.At
	if at.IsZero() {
		at = now
	} else if at.After(now.Add(clockSkew)) {
		// Replacing a claimed time by another would put a false time in the citizen's
		// notice: a time to come is refused.
		return 0, ErrReportInvalid.WithDetail("at: the action's time is in the future; omit it to mean now").With("field", "at")
	}
	var id int64
	var ref string
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if replay, err := idem.claim(ctx, tx); replay || err != nil {
			return err
		}
		// The subject as this transaction sees it; a citizen record for an IIN Senim
		// has not seen is made only once the report passed every check, so a refused
		// report creates no one.
		var err error
		if ref, err = s.knownRefTx(ctx, tx, r.Subject); err != nil {
			return err
		}
		initiator := ""
		if r.TokenJTI != "" {
			var subj, aud, scope string
			var issued int64
			err := tx.QueryRowContext(ctx, `SELECT subject, owner_bin, initiator_bin, data_sets, issued_at FROM pd_tokens WHERE jti = ?`, r.TokenJTI).Scan(&subj, &aud, &initiator, &scope, &issued)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && (subj != ref || aud != caller.BIN)) {
				return ErrReportToken
			}
			if err != nil {
				return err
			}
			var covered []string
			if err := jsonUnmarshal(scope, &covered); err != nil {
				return err
			}
			for _, ds := range r.DataSets {
				if !slices.Contains(covered, ds) {
					return ErrReportOutside.WithDetail("data_sets: "+ds+" is not in the token's scope").With("field", "data_sets")
				}
			}
			if at.Before(store.FromMicros(issued).Add(-clockSkew)) {
				return ErrReportOutside.WithDetail("at: the action's time is before the token was issued").With("field", "at")
			}
		}
		if ref == "" {
			if ref, err = s.cfg.Citizens.SubjectRefTx(ctx, tx, r.Subject); err != nil {
				return err
			}
		}
		sets := sortedUnique(r.DataSets)
		payload := map[string]any{"owner": caller.BIN, "initiator": initiator, "token_jti": r.TokenJTI, "action": r.Action,
			"automated": *r.Automated, "scope": sets, "at": at.UTC().Format(time.RFC3339Nano)}
		ev, err := tx.Emit(ctx, store.Event{Type: EvActionReported, Actor: actor.Org(caller.BIN).String(), Subject: ref, Payload: []byte(marshal(payload))})
		if err != nil {
			return err
		}
		id, err = tx.InsertID(ctx, `INSERT INTO pd_reports (subject, owner_bin, initiator_bin, token_jti, action, automated, data_sets, occurred_at, reported_at, event_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, ref, caller.BIN, initiator, r.TokenJTI, r.Action, *r.Automated, marshal(sets),
			store.Micros(at), store.Micros(now), ev)
		if err != nil {
			return err
		}
		return idem.save(ctx, tx, 201, map[string]any{"id": id})
	})
	return id, err
}

// HistoryEntry is one line of the subject's access history: a security token issued,
// or an action a data owner reported.
type HistoryEntry struct {
	Kind      string    `json:"kind"` // token | action
	At        time.Time `json:"at"`
	Initiator string    `json:"initiator,omitempty"`
	Owner     string    `json:"owner"`
	DataSets  []string  `json:"data_sets"`
	Purpose   string    `json:"purpose,omitempty"`
	// Flow and Code: proactive with its service code and ConsentID, protocol with its
	// legal ground (GroundTitles), sms.
	Flow          string  `json:"flow,omitempty"`
	Code          string  `json:"code,omitempty"`
	GroundTitles  *Titles `json:"ground_titles,omitempty"`
	ConsentID     string  `json:"consent_id,omitempty"`
	TrustedSystem bool    `json:"trusted_system"`
	// Action and Automated for reports (PD-3.4, PD-2.8-1).
	Action    string    `json:"action,omitempty"`
	Automated bool      `json:"automated"`
	TokenJTI  string    `json:"token_jti,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	EventID   int64     `json:"event_id"`
}

// AccessHistory is the subject's history of access to their data, newest first
// (at most 1000 lines). Accesses whose notice is deferred are left out until the
// deferral ends.
func (s *Service) AccessHistory(ctx context.Context, citizenIIN string) ([]HistoryEntry, error) {
	ref, err := s.subjectRef(ctx, citizenIIN)
	if err != nil {
		return nil, err
	}
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	now := store.Micros(s.now())
	out := []HistoryEntry{}
	rows, err := s.db.QueryContext(ctx, `SELECT jti, flow, initiator_bin, owner_bin, data_sets, purpose, code, consent_id, trusted, issued_at, expires_at, event_id
		FROM pd_tokens WHERE subject = ? AND (sealed_until = 0 OR sealed_until <= ?) ORDER BY issued_at DESC LIMIT 1000`, ref, now)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var h HistoryEntry
		var sets string
		var at, exp int64
		if err := rows.Scan(&h.TokenJTI, &h.Flow, &h.Initiator, &h.Owner, &sets, &h.Purpose, &h.Code, &h.ConsentID, &h.TrustedSystem, &at, &exp, &h.EventID); err != nil {
			rows.Close()
			return nil, err
		}
		h.Kind, h.At, h.ExpiresAt, h.Automated = "token", store.FromMicros(at), store.FromMicros(exp), true
		jsonUnmarshal(sets, &h.DataSets)
		if g := d.grounds[h.Code]; g != nil && h.Flow == "protocol" {
			t := g.Titles
			h.GroundTitles = &t
		}
		out = append(out, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT owner_bin, initiator_bin, token_jti, action, automated, data_sets, occurred_at, event_id FROM pd_reports WHERE subject = ? ORDER BY occurred_at DESC LIMIT 1000`, ref)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var h HistoryEntry
		var sets string
		var at int64
		if err := rows.Scan(&h.Owner, &h.Initiator, &h.TokenJTI, &h.Action, &h.Automated, &sets, &at, &h.EventID); err != nil {
			return nil, err
		}
		h.Kind, h.At = "action", store.FromMicros(at)
		jsonUnmarshal(sets, &h.DataSets)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b HistoryEntry) int { return b.At.Compare(a.At) })
	if len(out) > 1000 {
		out = out[:1000]
	}
	return out, nil
}

// TokenStatus is the online check a data owner may make (PD-6.1.10): whether a token
// it received is still good — issued to it, not expired, and for flow 1 its consent
// not revoked.
type TokenStatus struct {
	JTI    string `json:"jti"`
	Active bool   `json:"active"`
	Reason string `json:"reason,omitempty"` // expired | consent_revoked | consent_expired
}

// CheckToken answers the online check for the data owner caller.
func (s *Service) CheckToken(ctx context.Context, caller *orgauth.Caller, jti string) (*TokenStatus, error) {
	if caller == nil {
		return nil, ErrForbidden
	}
	var owner, consent string
	var exp int64
	err := s.db.QueryRowContext(ctx, `SELECT owner_bin, consent_id, expires_at FROM pd_tokens WHERE jti = ?`, jti).Scan(&owner, &consent, &exp)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && owner != caller.BIN) {
		return nil, ErrNotFound.WithDetail("no token with this jti was issued to you")
	}
	if err != nil {
		return nil, err
	}
	st := &TokenStatus{JTI: jti, Active: true}
	if !s.now().Before(store.FromMicros(exp)) {
		st.Active, st.Reason = false, "expired"
		return st, nil
	}
	if consent != "" {
		var revoked, until int64
		if err := s.db.QueryRowContext(ctx, `SELECT revoked_at, valid_until FROM pd_consents WHERE id = ?`, consent).Scan(&revoked, &until); err != nil {
			return nil, err
		}
		if revoked != 0 {
			st.Active, st.Reason = false, "consent_revoked"
		} else if !s.now().Before(store.FromMicros(until)) {
			st.Active, st.Reason = false, "consent_expired"
		}
	}
	return st, nil
}
