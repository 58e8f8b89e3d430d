package pd

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/webhook"
)

// What an initiator sees of the consents it holds, and the events it is sent about
// them (PD-3.2, PD-3.3, PD-3.5): a bank lists the decisions its customers made for it
// and learns of each new one, each revocation, and each change of a legal ground or a
// permission its protocol-mode access relies on.

// HeldConsent is a consent or refusal as the initiator it was given to sees it: with
// the subject's IIN, which the initiator already knows (it asked for the consent).
type HeldConsent struct {
	Consent
	Subject string `json:"subject"`
}

// ConsentFilter narrows an initiator's list of consents.
type ConsentFilter struct {
	Subject string // IIN
	Owner   string // data owner's BIN
	Status  string // active | revoked | expired
	// Decision: given | refused.
	Decision string
	Limit    int    // 1..200, default 50
	After    string // the Next of the previous page
}

// ConsentPage is one page of an initiator's consents, newest first.
type ConsentPage struct {
	Consents []HeldConsent `json:"consents"`
	// Next is the cursor of the following page; empty on the last one.
	Next string `json:"next,omitempty"`
}

// ErrCursorInvalid: the paging cursor is not one Senim gave.
var ErrCursorInvalid = problem.New(http.StatusBadRequest, "pd.cursor.invalid", "The paging cursor is not one this list returned")

// cursor is the position after the last consent of a page: (created_at, id).
func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(store.Micros(at), 10) + "|" + id))
}

func decodeCursor(s string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, "", ErrCursorInvalid
	}
	at, id, ok := strings.Cut(string(b), "|")
	n, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || !strings.HasPrefix(id, "c_") || len(id) > 64 {
		return 0, "", ErrCursorInvalid
	}
	return n, id, nil
}

// InitiatorConsents lists the consents and refusals given to initiator (and only
// those), newest first, a page at a time.
func (s *Service) InitiatorConsents(ctx context.Context, initiator string, f ConsentFilter) (*ConsentPage, error) {
	q := `SELECT subject, ` + consentColumns + ` FROM pd_consents WHERE initiator_bin = ?`
	args := []any{initiator}
	if f.Subject != "" {
		if !kzid.ValidIIN(f.Subject) {
			return nil, problem.Field("subject", "not a valid IIN (12 digits with a valid check digit)")
		}
		c, err := s.cfg.Citizens.CitizenByIIN(ctx, f.Subject)
		if errors.Is(err, identity.ErrNotFound) {
			return &ConsentPage{Consents: []HeldConsent{}}, nil
		}
		if err != nil {
			return nil, err
		}
		q += ` AND subject = ?`
		args = append(args, c.Ref())
	}
	if f.Owner != "" {
		if !kzid.ValidBIN(f.Owner) {
			return nil, problem.Field("owner", "not a valid BIN (12 digits with a valid check digit)")
		}
		q += ` AND owner_bin = ?`
		args = append(args, f.Owner)
	}
	now := store.Micros(s.now())
	switch f.Status {
	case "":
	case "active":
		q += ` AND revoked_at = 0 AND valid_until > ?`
		args = append(args, now)
	case "revoked":
		q += ` AND revoked_at <> 0`
	case "expired":
		q += ` AND revoked_at = 0 AND valid_until <= ?`
		args = append(args, now)
	default:
		return nil, problem.Field("status", "one of active, revoked, expired")
	}
	switch f.Decision {
	case "":
	case DecisionGiven, DecisionRefused:
		q += ` AND decision = ?`
		args = append(args, f.Decision)
	default:
		return nil, problem.Field("decision", "one of given, refused")
	}
	if f.After != "" {
		at, id, err := decodeCursor(f.After)
		if err != nil {
			return nil, err
		}
		q += ` AND (created_at < ? OR (created_at = ? AND id > ?))`
		args = append(args, at, at, id)
	}
	limit := f.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit < 1 || limit > 200:
		return nil, problem.Field("limit", "an integer from 1 to 200")
	}
	q += ` ORDER BY created_at DESC, id LIMIT ?`
	args = append(args, limit+1)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	page := &ConsentPage{Consents: []HeldConsent{}}
	for rows.Next() {
		var ref string
		c, err := s.scanConsent(prefixScanner{rows, &ref})
		if err != nil {
			return nil, err
		}
		page.Consents = append(page.Consents, HeldConsent{Consent: *c, Subject: ref})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(page.Consents) > limit {
		page.Consents = page.Consents[:limit]
		last := page.Consents[limit-1]
		page.Next = encodeCursor(last.CreatedAt, last.ID)
	}
	for i := range page.Consents {
		iin, err := s.subjectIIN(ctx, page.Consents[i].Subject)
		if err != nil {
			return nil, err
		}
		page.Consents[i].Subject = iin
	}
	return page, nil
}

// InitiatorConsent returns one consent given to initiator; anyone else's is
// ErrNotFound.
func (s *Service) InitiatorConsent(ctx context.Context, initiator, id string) (*HeldConsent, error) {
	var ref string
	c, err := s.scanConsent(prefixScanner{s.db.QueryRowContext(ctx, `SELECT subject, `+consentColumns+` FROM pd_consents WHERE id = ? AND initiator_bin = ?`, id, initiator), &ref})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound.WithDetail("no such consent given to you")
	}
	if err != nil {
		return nil, err
	}
	iin, err := s.subjectIIN(ctx, ref)
	if err != nil {
		return nil, err
	}
	return &HeldConsent{Consent: *c, Subject: iin}, nil
}

// prefixScanner scans a leading column into first, then the rest into the caller's
// destinations.
type prefixScanner struct {
	sc    interface{ Scan(...any) error }
	first *string
}

func (p prefixScanner) Scan(dest ...any) error {
	return p.sc.Scan(append([]any{p.first}, dest...)...)
}

// subjectIIN resolves an opaque subject reference ("citizen:<id>") to the IIN.
func (s *Service) subjectIIN(ctx context.Context, ref string) (string, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(ref, "citizen:"), 10, 64)
	if err != nil || !strings.HasPrefix(ref, "citizen:") {
		return "", fmt.Errorf("pd: subject reference %q is not a citizen", ref)
	}
	c, err := s.cfg.Citizens.CitizenByID(ctx, id)
	if err != nil {
		return "", err
	}
	return c.IIN, nil
}

// listHeldConsents: GET /v1/pd/consents, the consents the caller holds.
func (a *api) listHeldConsents(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return problem.Field("query", "not a valid URL query (percent-encode its values)")
	}
	for k := range q {
		switch k {
		case "subject", "owner", "status", "decision", "limit", "after":
		default:
			return problem.UnknownField.WithDetail(fmt.Sprintf("unknown query parameter %q", k)).With("field", k)
		}
	}
	f := ConsentFilter{Subject: q.Get("subject"), Owner: q.Get("owner"), Status: q.Get("status"), Decision: q.Get("decision"), After: q.Get("after")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return problem.Field("limit", "an integer from 1 to 200")
		}
		f.Limit = n
	}
	page, err := a.s.InitiatorConsents(r.Context(), c.BIN, f)
	return reply(w, http.StatusOK, page, err)
}

// getHeldConsent: GET /v1/pd/consents/{id}, one consent the caller holds.
func (a *api) getHeldConsent(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	out, err := a.s.InitiatorConsent(r.Context(), c.BIN, r.PathValue("id"))
	return reply(w, http.StatusOK, out, err)
}

// Webhook event types an initiator may subscribe to.
const (
	EventConsentGiven       = "consent.given"
	EventConsentRefused     = "consent.refused"
	EventConsentRevoked     = "consent.revoked"
	EventGroundChanged      = "ground.changed"
	EventPermissionsChanged = "protocol_permissions.changed"
	EventServiceCodeChanged = "service_code.changed"
)

// WebhookEvents are the event types WebhookRoute makes.
var WebhookEvents = []string{EventConsentGiven, EventConsentRefused, EventConsentRevoked,
	EventGroundChanged, EventPermissionsChanged, EventServiceCodeChanged}

// ConsentEvent is the data of a consent.* webhook.
type ConsentEvent struct {
	ConsentID  string    `json:"consent_id"`
	Subject    string    `json:"subject"` // IIN
	Owner      string    `json:"owner"`
	Decision   string    `json:"decision"`
	DataSets   []string  `json:"data_sets,omitempty"`
	Purpose    string    `json:"purpose,omitempty"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// WebhookRoute turns pd's outbox events into webhooks for the initiators concerned: a
// consent given, refused or revoked goes to the initiator it was for; a changed legal
// ground to every BIN permitted protocol-mode access on it; changed protocol
// permissions to their BIN; a changed proactive service code to the BINs it lists now.
// Grounds route by the permissions at the time the event is consumed (moments after
// it in a running server), so a replayed event may reach a slightly different set.
func (s *Service) WebhookRoute(ctx context.Context, e store.Event) ([]webhook.Message, error) {
	id := "evt_" + strconv.FormatInt(e.ID, 10)
	switch e.Type {
	case "pd.consent.given", "pd.consent.refused":
		var c Consent
		if err := json.Unmarshal(e.Payload, &c); err != nil {
			return nil, err
		}
		iin, err := s.subjectIIN(ctx, e.Subject)
		if err != nil {
			return nil, err
		}
		typ := EventConsentGiven
		if c.Decision == DecisionRefused {
			typ = EventConsentRefused
		}
		return []webhook.Message{{Org: c.Initiator, Type: typ, ID: id, Data: ConsentEvent{ConsentID: c.ID, Subject: iin, Owner: c.Owner,
			Decision: c.Decision, DataSets: c.DataSets, Purpose: c.Purpose, ValidUntil: c.ValidUntil}}}, nil
	case "pd.consent.revoked":
		var p struct {
			ConsentID string `json:"consent_id"`
			Decision  string `json:"decision"`
			Initiator string `json:"initiator"`
			Owner     string `json:"owner"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return nil, err
		}
		iin, err := s.subjectIIN(ctx, e.Subject)
		if err != nil {
			return nil, err
		}
		return []webhook.Message{{Org: p.Initiator, Type: EventConsentRevoked, ID: id, Data: ConsentEvent{ConsentID: p.ConsentID, Subject: iin,
			Owner: p.Owner, Decision: p.Decision, RevokedAt: e.CreatedAt.UTC()}}}, nil
	case "pd.directory.ground.put":
		var g Ground
		if err := json.Unmarshal(e.Payload, &g); err != nil {
			return nil, err
		}
		rows, err := s.db.QueryContext(ctx, `SELECT bin FROM pd_protocol_permissions WHERE ground_code = ? ORDER BY bin`, g.Code)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []webhook.Message
		for rows.Next() {
			var bin string
			if err := rows.Scan(&bin); err != nil {
				return nil, err
			}
			out = append(out, webhook.Message{Org: bin, Type: EventGroundChanged, ID: id, Data: g})
		}
		return out, rows.Err()
	case "pd.directory.protocol_permissions.set":
		var p struct {
			BIN     string   `json:"bin"`
			Grounds []string `json:"grounds"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return nil, err
		}
		return []webhook.Message{{Org: p.BIN, Type: EventPermissionsChanged, ID: id, Data: p}}, nil
	case "pd.directory.service_code.put":
		var c ServiceCode
		if err := json.Unmarshal(e.Payload, &c); err != nil {
			return nil, err
		}
		var out []webhook.Message
		for _, bin := range c.BINs {
			out = append(out, webhook.Message{Org: bin, Type: EventServiceCodeChanged, ID: id, Data: c})
		}
		return out, nil
	}
	return nil, nil
}
