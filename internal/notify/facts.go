package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/docs"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/store"
)

// Facts are what a notice says, independent of language: rendered at read time.
type Facts struct {
	Flow      string    `json:"flow,omitempty"` // proactive | protocol | sms
	Initiator *Party    `json:"initiator,omitempty"`
	Owner     *Party    `json:"owner,omitempty"`
	DataSets  []DataSet `json:"data_sets,omitempty"`
	Purpose   string    `json:"purpose,omitempty"`
	Service   *Titled   `json:"service,omitempty"` // flow 1: the proactive service
	Ground    *Ground   `json:"ground,omitempty"`  // flow 2: the legal ground
	ConsentID string    `json:"consent_id,omitempty"`
	// ValidUntil is a consent's end.
	ValidUntil time.Time `json:"valid_until,omitzero"`
	Action     string    `json:"action,omitempty"` // a reported action (pd.Actions)
	Automated  *bool     `json:"automated,omitempty"`
	Deferred   bool      `json:"deferred,omitempty"` // told after a deferral by law
	At         time.Time `json:"at,omitzero"`
	// Sender and Message: a message sent through the domain API. Sender is the
	// sender's one name; SenderNames its name in each language, where the directory
	// holds them (SenderIn).
	Sender      string          `json:"sender,omitempty"`
	SenderNames pd.Titles       `json:"sender_names,omitzero"`
	Message     map[string]Text `json:"message,omitempty"`
	// Confirmation, Method and Deadline: a confirmation request (its id, eds | push,
	// and until when it may be answered).
	Confirmation string    `json:"confirmation,omitempty"`
	Method       string    `json:"method,omitempty"`
	Deadline     time.Time `json:"deadline,omitzero"`
	// Document and Verifier: a view of a digital document (docs.view.recorded); the
	// verifier's organisation is Initiator, a citizen verifier is not named here.
	Document *DocumentRef `json:"document,omitempty"`
	Verifier string       `json:"verifier,omitempty"` // citizen | employee | system
}

// SenderIn names the sender of a message in lang: its name in that language where the
// directory holds one, its one name where it does not.
func (f *Facts) SenderIn(lang string) string {
	return cmp.Or(in(f.SenderNames, lang), f.Sender)
}

// DocumentRef is a digital document's type ("kind/vN") and its titles.
type DocumentRef struct {
	Type   string    `json:"type"`
	Titles pd.Titles `json:"titles"`
}

// Party is an organisation by BIN and the name the directories gave it.
type Party struct {
	BIN  string `json:"bin"`
	Name string `json:"name,omitempty"`
	// Names are the name in each language, where the directories hold them.
	Names pd.Titles `json:"names,omitzero"`
}

// DataSet is a data set by code and its title in plain words.
type DataSet struct {
	Code   string    `json:"code"`
	Title  string    `json:"title,omitempty"`
	Titles pd.Titles `json:"titles,omitzero"`
}

// Titled is a code and its title.
type Titled struct {
	Code   string    `json:"code"`
	Title  string    `json:"title,omitempty"`
	Titles pd.Titles `json:"titles,omitzero"`
}

// Ground is a legal ground: its titles in the three languages and its legal reference.
type Ground struct {
	Code      string    `json:"code"`
	Titles    pd.Titles `json:"titles"`
	LegalRef  string    `json:"legal_ref,omitempty"`
	LegalRefs pd.Titles `json:"legal_refs,omitzero"`
}

// directory is a snapshot of the directories for one batch of events.
type directory struct {
	owners   map[string]pd.DataOwner
	grounds  map[string]pd.Ground
	services map[string]pd.ServiceCode
	orgs     map[string]Party // BIN -> name(s); Name "" when unknown
}

func (s *Service) loadDirectory(ctx context.Context) (*directory, error) {
	d := &directory{owners: map[string]pd.DataOwner{}, grounds: map[string]pd.Ground{}, services: map[string]pd.ServiceCode{}, orgs: map[string]Party{}}
	owners, err := s.cfg.Directory.DataOwners(ctx)
	if err != nil {
		return nil, fmt.Errorf("notify: data owners: %w", err)
	}
	for _, o := range owners {
		d.owners[o.BIN] = o
	}
	grounds, err := s.cfg.Directory.Grounds(ctx)
	if err != nil {
		return nil, fmt.Errorf("notify: grounds: %w", err)
	}
	for _, g := range grounds {
		d.grounds[g.Code] = g
	}
	services, err := s.cfg.Directory.ServiceCodes(ctx)
	if err != nil {
		return nil, fmt.Errorf("notify: service codes: %w", err)
	}
	for _, c := range services {
		d.services[c.Code] = c
	}
	return d, nil
}

// org names an organisation: the data owner directory first, then identity's.
func (s *Service) org(ctx context.Context, d *directory, bin string) (*Party, error) {
	if bin == "" {
		return nil, nil
	}
	if o, ok := d.owners[bin]; ok && o.Name != "" {
		return &Party{BIN: bin, Name: o.Name, Names: o.Names}, nil
	}
	p, ok := d.orgs[bin]
	if !ok {
		p = Party{BIN: bin}
		o, err := s.cfg.Organizations.OrganizationByBIN(ctx, bin)
		switch {
		case errors.Is(err, identity.ErrNotFound):
		case err != nil:
			return nil, fmt.Errorf("notify: organization: %w", err)
		default:
			p.Name, p.Names = o.Name, pd.Titles{KK: o.Names.KK, RU: o.Names.RU, EN: o.Names.EN}
		}
		d.orgs[bin] = p
	}
	return &p, nil
}

func (d *directory) dataSets(owner string, codes []string) []DataSet {
	out := make([]DataSet, 0, len(codes))
	for _, c := range codes {
		ds := DataSet{Code: c}
		for _, x := range d.owners[owner].DataSets {
			if x.Code == c {
				ds.Title, ds.Titles = x.Title, x.Titles
			}
		}
		out = append(out, ds)
	}
	return out
}

func (d *directory) ground(code string) *Ground {
	if code == "" {
		return nil
	}
	g, ok := d.grounds[code]
	if !ok {
		return &Ground{Code: code}
	}
	return &Ground{Code: code, Titles: g.Titles, LegalRef: g.LegalRef, LegalRefs: g.LegalRefs}
}

// The payloads notify reads; they name no IIN.
type (
	issuedPayload struct {
		Flow        string   `json:"flow"`
		Initiator   string   `json:"initiator"`
		Owner       string   `json:"owner"`
		Scope       []string `json:"scope"`
		Purpose     string   `json:"purpose"`
		Code        string   `json:"code"`
		ConsentID   string   `json:"consent_id"`
		SealedUntil string   `json:"sealed_until"`
	}
	releasedPayload struct {
		Initiator  string   `json:"initiator"`
		Owner      string   `json:"owner"`
		Ground     string   `json:"ground"`
		Scope      []string `json:"scope"`
		AccessedAt string   `json:"accessed_at"`
	}
	reportedPayload struct {
		Owner     string   `json:"owner"`
		Initiator string   `json:"initiator"`
		Action    string   `json:"action"`
		Automated bool     `json:"automated"`
		Scope     []string `json:"scope"`
		At        string   `json:"at"`
	}
	confirmPayload struct {
		ID       string    `json:"id"`
		Org      string    `json:"org"`
		Method   string    `json:"method"`
		Deadline time.Time `json:"deadline"`
	}
	consentPayload struct {
		ID         string    `json:"id"`
		ConsentID  string    `json:"consent_id"` // pd.consent.revoked
		Initiator  string    `json:"initiator"`
		Owner      string    `json:"owner"`
		DataSets   []string  `json:"data_sets"`
		Purpose    string    `json:"purpose"`
		ValidUntil time.Time `json:"valid_until"`
	}
)

// fromEvent returns the notice an event calls for; ok is false for events that call
// for none (other types, a sealed issuance whose notice pd releases later).
func (s *Service) fromEvent(ctx context.Context, d *directory, ev store.Event) (p pending, ok bool, err error) {
	p = pending{subject: ev.Subject, eventID: ev.ID}
	f := &p.facts
	bad := func(err error) (pending, bool, error) {
		// A payload notify cannot read is a bug upstream; skipping it would lose a
		// notice silently, so the batch fails and is retried (and logged).
		return pending{}, false, fmt.Errorf("notify: event %d (%s): %w", ev.ID, ev.Type, err)
	}
	switch ev.Type {
	case pd.EvTokenIssued:
		var pl issuedPayload
		if err := json.Unmarshal(ev.Payload, &pl); err != nil {
			return bad(err)
		}
		if pl.SealedUntil != "" {
			return pending{}, false, nil // deferred: pd.access.notice tells when the deferral ends
		}
		p.kind = KindAccess
		f.Flow, f.Purpose, f.At = pl.Flow, pl.Purpose, ev.CreatedAt
		f.DataSets = d.dataSets(pl.Owner, pl.Scope)
		switch pl.Flow {
		case "protocol":
			f.Ground = d.ground(pl.Code)
		case "proactive":
			if pl.Code != "" {
				f.Service = &Titled{Code: pl.Code, Title: d.services[pl.Code].Title, Titles: d.services[pl.Code].Titles}
			}
			f.ConsentID = pl.ConsentID
		default:
			f.ConsentID = pl.ConsentID
		}
		if f.Initiator, err = s.org(ctx, d, pl.Initiator); err != nil {
			return pending{}, false, err
		}
		if f.Owner, err = s.org(ctx, d, pl.Owner); err != nil {
			return pending{}, false, err
		}
		// The shared part above is made of these alone (and the batch's directory d):
		// a field added to it must be added to the key (TestShareKeyCoversSharedFacts).
		p.shareKey = strings.Join([]string{ev.Type, pl.Flow, pl.Code, pl.Initiator, pl.Owner, strings.Join(pl.Scope, "\x01")}, "\x00")
	case pd.EvAccessNotice:
		var pl releasedPayload
		if err := json.Unmarshal(ev.Payload, &pl); err != nil {
			return bad(err)
		}
		p.kind = KindAccess
		f.Flow, f.Deferred = "protocol", true
		f.At = ev.CreatedAt
		if t, err := time.Parse(time.RFC3339, pl.AccessedAt); err == nil {
			f.At = t
		}
		f.DataSets = d.dataSets(pl.Owner, pl.Scope)
		f.Ground = d.ground(pl.Ground)
		if f.Initiator, err = s.org(ctx, d, pl.Initiator); err != nil {
			return pending{}, false, err
		}
		if f.Owner, err = s.org(ctx, d, pl.Owner); err != nil {
			return pending{}, false, err
		}
	case pd.EvActionReported:
		var pl reportedPayload
		if err := json.Unmarshal(ev.Payload, &pl); err != nil {
			return bad(err)
		}
		p.kind = KindAction
		f.Action, f.Automated = pl.Action, &pl.Automated
		f.At = ev.CreatedAt
		if t, err := time.Parse(time.RFC3339Nano, pl.At); err == nil {
			f.At = t
		}
		f.DataSets = d.dataSets(pl.Owner, pl.Scope)
		if f.Initiator, err = s.org(ctx, d, pl.Initiator); err != nil {
			return pending{}, false, err
		}
		if f.Owner, err = s.org(ctx, d, pl.Owner); err != nil {
			return pending{}, false, err
		}
	case pd.EvConsentGiven, pd.EvConsentRefused, pd.EvConsentRevoked:
		var pl consentPayload
		if err := json.Unmarshal(ev.Payload, &pl); err != nil {
			return bad(err)
		}
		p.kind = map[string]string{pd.EvConsentGiven: KindConsentGiven, pd.EvConsentRefused: KindConsentRefused, pd.EvConsentRevoked: KindConsentRevoked}[ev.Type]
		f.ConsentID = pl.ID
		if pl.ConsentID != "" {
			f.ConsentID = pl.ConsentID
		}
		f.Purpose, f.ValidUntil, f.At = pl.Purpose, pl.ValidUntil, ev.CreatedAt
		if len(pl.DataSets) > 0 {
			f.DataSets = d.dataSets(pl.Owner, pl.DataSets)
		}
		if f.Initiator, err = s.org(ctx, d, pl.Initiator); err != nil {
			return pending{}, false, err
		}
		if f.Owner, err = s.org(ctx, d, pl.Owner); err != nil {
			return pending{}, false, err
		}
	case ConfirmRequestType:
		var pl confirmPayload
		if err := json.Unmarshal(ev.Payload, &pl); err != nil {
			return bad(err)
		}
		p.kind = KindConfirmRequest
		f.Confirmation, f.Method, f.Deadline, f.At = pl.ID, pl.Method, pl.Deadline, ev.CreatedAt
		if f.Initiator, err = s.org(ctx, d, pl.Org); err != nil {
			return pending{}, false, err
		}
	case docs.EventViewed:
		var pl struct {
			Type         string `json:"type"`
			VerifierKind string `json:"verifier_kind"`
			VerifierBIN  string `json:"verifier_bin"`
			ViewedAt     string `json:"viewed_at"`
		}
		if err := json.Unmarshal(ev.Payload, &pl); err != nil {
			return bad(err)
		}
		p.kind = KindDocumentViewed
		f.Document, f.Verifier, f.At = &DocumentRef{Type: pl.Type, Titles: documentTitles(pl.Type)}, pl.VerifierKind, ev.CreatedAt
		if t, err := time.Parse(time.RFC3339Nano, pl.ViewedAt); err == nil {
			f.At = t
		}
		if f.Initiator, err = s.org(ctx, d, pl.VerifierBIN); err != nil {
			return pending{}, false, err
		}
	default:
		return pending{}, false, nil
	}
	return p, true, nil
}

// documentTitles are the titles of a document type "kind/vN" of the standard types.
func documentTitles(id string) pd.Titles {
	kind, v, _ := strings.Cut(id, "/v")
	n, _ := strconv.Atoi(v)
	if t := docs.StandardTypes().Get(kind, n); t != nil {
		return pd.Titles{KK: t.Title.KK, RU: t.Title.RU, EN: t.Title.EN}
	}
	return pd.Titles{}
}
