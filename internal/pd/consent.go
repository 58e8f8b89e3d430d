package pd

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/senimkz/senim/internal/actor"
	"slices"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/xmlsigned"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/store"
)

// Consent decisions and channels.
const (
	DecisionGiven   = "given"
	DecisionRefused = "refused"

	ChannelCabinet   = "cabinet"
	ChannelInitiator = "initiator"
)

// Consent is a subject's consent or refusal (PD-3.2) for an initiator to access a data
// owner's data sets for a purpose and a period.
type Consent struct {
	ID        string   `json:"id"`
	Initiator string   `json:"initiator"`
	Owner     string   `json:"owner"`
	DataSets  []string `json:"data_sets"`
	Purpose   string   `json:"purpose"`
	Decision  string   `json:"decision"`
	Method    string   `json:"method"`  // biometric | eds | paper
	Channel   string   `json:"channel"` // cabinet | initiator
	Evidence  Evidence `json:"evidence"`
	ActedBy   string   `json:"acted_by"` // citizen:<id>
	// Representative: a legal representative decided for a minor.
	Representative bool      `json:"representative"`
	ValidFrom      time.Time `json:"valid_from"`
	ValidUntil     time.Time `json:"valid_until"`
	RevokedAt      time.Time `json:"revoked_at,omitzero"`
	RevokedBy      string    `json:"revoked_by,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	// Status is computed: active, revoked or expired.
	Status string `json:"status"`
}

// Evidence is what proves how a consent was obtained (digests only, never the content).
type Evidence struct {
	Reference       string `json:"reference,omitempty"`        // biometric check id, paper form reference
	TextSHA256      string `json:"text_sha256,omitempty"`      // of ConsentText
	SignatureSHA256 string `json:"signature_sha256,omitempty"` // of the CMS
	SignerSerial    string `json:"signer_serial,omitempty"`    // the EDS certificate serial
	DocumentSHA256  string `json:"document_sha256,omitempty"`  // of a scanned paper form
}

// ConsentRequest is a decision to record.
type ConsentRequest struct {
	SubjectIIN string `json:"subject"`
	// ActorIIN is who decides: the subject, or the legal representative of a minor
	// subject (cabinet only; empty means the subject).
	ActorIIN   string    `json:"-"`
	Initiator  string    `json:"initiator"`
	Owner      string    `json:"owner"`
	DataSets   []string  `json:"data_sets"`
	Purpose    string    `json:"purpose"`
	ValidUntil time.Time `json:"valid_until"`
	// Method and Reference: how the initiator obtained the consent (initiator channel).
	Method    string `json:"method,omitempty"`
	Reference string `json:"reference,omitempty"`
	// Signature is a CMS (DER, attached or detached) by the deciding person over
	// ConsentText, or ConsentXML with an enveloped XML-DSig signature: required for
	// EDS consents. DocumentSHA256 is the paper scan's digest.
	Signature      []byte `json:"signature,omitempty"`
	DocumentSHA256 string `json:"document_sha256,omitempty"`
	// Lang, when set ("kk", "ru" or "en"), makes the signed text format v2: in that
	// language, naming the organizations and data (ConsentTextFor). Empty: format v1.
	Lang string `json:"lang,omitempty"`
	// Format, with Lang set, is the signed text's format: "" is v2, "3" is v3, which
	// states the end as a date and time in Kazakhstan (ConsentTextFor). A signature
	// is checked against the format it names, so texts signed in v2 stay verifiable.
	Format string `json:"format,omitempty"`
}

// FormatV3 is the format of the consent text the cabinet offers now (ConsentRequest.Format).
const FormatV3 = "3"

// Astana is Kazakhstan's time (UTC+5 in the whole country since 1 March 2024): the
// zone of a consent's end date, fixed so the signed text never depends on tzdata.
var Astana = time.FixedZone("UTC+5", 5*60*60)

// EndOfDay is the last second of day (a date in Kazakhstan, as a date input gives it):
// a consent chosen to end on a day lasts through it.
func EndOfDay(day time.Time) time.Time {
	y, m, d := day.Date()
	return time.Date(y, m, d, 23, 59, 59, 0, Astana).UTC()
}

// CheckConsentEnd checks the end a person chose for a consent before they are asked to
// sign it: not already past (ErrConsentEndPast) and not beyond the longest a consent may
// last (ErrConsentEndTooFar). The same bounds are enforced when the consent is recorded.
func (s *Service) CheckConsentEnd(until time.Time) error {
	now := s.now()
	if !until.After(now) {
		return ErrConsentEndPast
	}
	if until.Sub(now) > s.maxConsent() {
		return ErrConsentEndTooFar
	}
	return nil
}

// ConsentEndRange is the first and the last day (midnight of dates in Kazakhstan, as a
// date input gives them) a person may choose for a consent to end, so that the form can
// offer exactly the days CheckConsentEnd accepts: today, unless its last second has
// passed, and the last day that ends within the longest a consent may last.
func (s *Service) ConsentEndRange() (first, last time.Time) {
	now := s.now()
	day := func(t time.Time) time.Time {
		y, m, d := t.In(Astana).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, Astana)
	}
	first = day(now)
	if !EndOfDay(first).After(now) {
		first = first.AddDate(0, 0, 1)
	}
	limit := now.Add(s.maxConsent())
	last = day(limit)
	if EndOfDay(last).After(limit) {
		last = last.AddDate(0, 0, -1)
	}
	return first, last
}

// maxConsent is the longest a consent may last.
func (s *Service) maxConsent() time.Duration { return s.cfg.MaxTokenLifetime * 5 }

// ConsentText is the exact text a person signs to give consent; the cabinet shows it
// and NCALayer signs it (CMS over its UTF-8 bytes). It names no IIN of anyone but the
// subject's, and it is deterministic, so Senim can check what was signed.
func ConsentText(r ConsentRequest) string {
	sets := sortedUnique(r.DataSets)
	return fmt.Sprintf("SENIM CONSENT v1\nsubject IIN: %s\ninitiator BIN: %s\ndata owner BIN: %s\ndata sets: %s\npurpose: %s\nvalid until: %s\n",
		r.SubjectIIN, r.Initiator, r.Owner, strings.Join(sets, ","), r.Purpose, r.ValidUntil.UTC().Format(time.RFC3339))
}

// astanaTime is how a v3 consent text names the time of its end, in each language.
var astanaTime = map[string]string{"kk": "Астана уақыты, UTC+5", "ru": "время Астаны, UTC+5", "en": "Astana time, UTC+5"}

// consentLabels are the words of a v2 and v3 consent text in each language.
var consentLabels = map[string][7]string{
	"kk": {"Мен төмендегі ұйымның көрсетілген деректерді осы мақсатта алуына келісім беремін.", "Субъектінің ЖСН", "Ұйым", "Деректер иесі", "Деректер", "Мақсаты", "Мерзімі (дейін)"},
	"ru": {"Я даю согласие на получение указанной организацией этих данных для этой цели.", "ИИН субъекта", "Организация", "Владелец данных", "Данные", "Цель", "Действует до"},
	"en": {"I consent to the organization below receiving these data for this purpose.", "Subject IIN", "Organization", "Data owner", "Data", "Purpose", "Valid until"},
}

var binWord = map[string]string{"kk": "БСН", "ru": "БИН", "en": "BIN"}

// ConsentTextFor is the exact text a person signs in the cabinet: with r.Lang set,
// format v2 (v3 with r.Format FormatV3, which states the end as a date and time in
// Astana time instead of RFC 3339 UTC) — in that language, naming the organization, the data owner and each
// data set by the names the directories hold now, with the BINs beside them; without,
// format v1 (ConsentText). It is deterministic for given directories, so Senim checks
// a signature against the text it would show; a name changed in between makes the
// signature fail, and the person signs the new text.
func (s *Service) ConsentTextFor(ctx context.Context, r ConsentRequest) (string, error) {
	l, ok := consentLabels[r.Lang]
	if !ok {
		return ConsentText(r), nil
	}
	d, err := s.directory(ctx)
	if err != nil {
		return "", err
	}
	owner, titles := r.Owner, []string{}
	o := d.owners[r.Owner]
	if o != nil {
		owner = o.NameIn(r.Lang)
	}
	for _, c := range sortedUnique(r.DataSets) {
		t := c
		if o != nil {
			t = o.DataSetTitle(c, r.Lang)
		}
		titles = append(titles, t)
	}
	party := func(name, bin string) string {
		if name == "" {
			return binWord[r.Lang] + " " + bin
		}
		return name + " (" + binWord[r.Lang] + " " + bin + ")"
	}
	version, until := "v2", r.ValidUntil.UTC().Format(time.RFC3339)
	switch r.Format {
	case "":
	case FormatV3:
		// v3: the end as the person chose it, the last second of a day in Kazakhstan.
		version, until = "v3", r.ValidUntil.In(Astana).Format("2006-01-02 15:04:05")+" ("+astanaTime[r.Lang]+")"
	default:
		return "", ErrConsentInvalid.WithDetail("format must be empty (v2) or " + FormatV3)
	}
	return fmt.Sprintf("SENIM %s %s\n%s\n%s: %s\n%s: %s\n%s: %s\n%s: %s\n%s: %s\n%s: %s\n",
		version, r.Lang, l[0], l[1], r.SubjectIIN, l[2], party(s.initiatorName(ctx, r.Initiator, r.Lang), r.Initiator), l[3], party(owner, r.Owner),
		l[4], strings.Join(titles, "; "), l[5], r.Purpose, l[6], until), nil
}

func (s *Service) validateRequest(ctx context.Context, r *ConsentRequest) error {
	if !kzid.ValidIIN(r.SubjectIIN) {
		return ErrSubjectInvalid
	}
	if !kzid.ValidBIN(r.Initiator) || strings.TrimSpace(r.Purpose) == "" || len(r.Purpose) > 500 || len(r.DataSets) == 0 {
		return ErrConsentInvalid.WithDetail("initiator (a BIN), data_sets and purpose (at most 500 characters) are required")
	}
	now := s.now()
	if !r.ValidUntil.After(now) || r.ValidUntil.Sub(now) > s.maxConsent() {
		return ErrConsentInvalid.WithDetail(fmt.Sprintf("valid_until must be in the future and no later than %s (the longest a consent may last)",
			now.Add(s.maxConsent()).UTC().Truncate(time.Second).Format(time.RFC3339))).With("field", "valid_until")
	}
	r.ValidUntil = r.ValidUntil.UTC().Truncate(time.Second)
	d, err := s.directory(ctx)
	if err != nil {
		return err
	}
	o := d.owners[r.Owner]
	if o == nil {
		return ErrDataOwnerUnknown
	}
	if !o.has(r.DataSets) {
		return ErrDataSetUnknown
	}
	r.DataSets = sortedUnique(r.DataSets)
	return nil
}

// actor checks who decides for the subject and returns their reference and whether
// they act as a legal representative.
func (s *Service) actor(ctx context.Context, subjectIIN, actorIIN string) (string, bool, error) {
	if actorIIN == "" || actorIIN == subjectIIN {
		ref, err := s.subjectRef(ctx, subjectIIN)
		return ref, false, err
	}
	// An adult decides alone. Where the IIN gives no birth date (the sandbox's demo
	// IINs have the never-assigned century digit 0), the registry of representatives
	// answers for minors only.
	if n := kzid.ParseIIN(subjectIIN, s.now); n != nil && n.BirthDate != "" {
		if b, err := time.Parse(time.DateOnly, n.BirthDate); err == nil && !b.AddDate(18, 0, 0).After(s.now()) {
			return "", false, ErrNotRepresentative.WithDetail("only a minor's legal representative may act for them")
		}
	}
	if s.cfg.Representatives == nil {
		return "", false, ErrNotRepresentative
	}
	ok, err := s.cfg.Representatives.IsRepresentative(ctx, actorIIN, subjectIIN)
	if err != nil {
		return "", false, err
	}
	if !ok {
		return "", false, ErrNotRepresentative
	}
	ref, err := s.subjectRef(ctx, actorIIN)
	return ref, true, err
}

// ConsentXMLNS is the namespace of ConsentXML's document.
const ConsentXMLNS = "urn:senim:consent:1"

// ConsentXML is the consent text as an XML document, for signing in XML (NCALayer's
// format "xml", eGov Mobile's signMethod XML): the exact text in one element, with
// its language when it has one. It is in canonical form, so the canonical bytes a
// signature covers are exactly these.
func ConsentXML(text, lang string) string {
	attr := ""
	if lang != "" {
		attr = ` lang="` + lang + `"`
	}
	return `<consent xmlns="` + ConsentXMLNS + `"` + attr + `><text>` + xmlsigned.EscapeText(text) + `</text></consent>`
}

// ConsentXMLFor is ConsentXML of ConsentTextFor(r).
func (s *Service) ConsentXMLFor(ctx context.Context, r ConsentRequest) (string, error) {
	t, err := s.ConsentTextFor(ctx, r)
	if err != nil {
		return "", err
	}
	lang := r.Lang
	if _, ok := consentLabels[lang]; !ok {
		lang = ""
	}
	return ConsentXML(t, lang), nil
}

// verifyConsentSignature checks that signerIIN signed ConsentTextFor(r) (as a CMS, or
// as ConsentXML in XML-DSig) with a valid EDS.
func (s *Service) verifyConsentSignature(ctx context.Context, r ConsentRequest, signerIIN string) (Evidence, error) {
	t, err := s.ConsentTextFor(ctx, r)
	if err != nil {
		return Evidence{}, err
	}
	text := []byte(t)
	ev := Evidence{TextSHA256: sha(text), SignatureSHA256: sha(r.Signature)}
	if len(r.Signature) == 0 {
		return ev, ErrConsentNeedsEDS
	}
	if xmlsigned.IsXML(r.Signature) {
		doc, err := s.ConsentXMLFor(ctx, r)
		if err != nil {
			return ev, err
		}
		sg, err := xmlsigned.Check(ctx, r.Signature, []byte(doc), xmlsigned.Options{Validator: s.cfg.Validator, Revocation: s.cfg.Revocation, Now: s.now})
		if err != nil {
			return ev, ErrConsentSignature.WithDetail("the XML signature was refused: " + eds.Code(err))
		}
		if sg.Info.Subject.IIN != signerIIN {
			return ev, ErrConsentSignature.WithDetail("the signer is not the person who decides")
		}
		ev.SignerSerial = sg.Info.SerialNumber
		return ev, nil
	}
	res, err := cms.Verify(ctx, r.Signature, text, cms.VerifyOptions{Validator: s.cfg.Validator, Revocation: s.cfg.Revocation, Now: s.now})
	if err != nil {
		// An attached CMS with other content is refused by Verify: try it attached.
		res, err = cms.Verify(ctx, r.Signature, nil, cms.VerifyOptions{Validator: s.cfg.Validator, Revocation: s.cfg.Revocation, Now: s.now})
		if err != nil || string(res.Content) != string(text) {
			return ev, ErrConsentSignature.WithDetail("the CMS must sign exactly the consent text")
		}
	}
	if !res.Valid || len(res.Signers) != 1 || res.Signers[0].CertInfo == nil {
		return ev, ErrConsentSignature
	}
	if res.Signers[0].CertInfo.Subject.IIN != signerIIN {
		return ev, ErrConsentSignature.WithDetail("the signer is not the person who decides")
	}
	ev.SignerSerial = res.Signers[0].CertInfo.SerialNumber
	return ev, nil
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// GiveConsent records a consent the subject (or a minor's legal representative) gives
// in the cabinet, confirmed by an EDS signature over ConsentText (PD-3.2, PD-6.1.1: a
// session opened with an SMS code alone is not enough).
func (s *Service) GiveConsent(ctx context.Context, r ConsentRequest) (*Consent, error) {
	if err := s.validateRequest(ctx, &r); err != nil {
		return nil, err
	}
	actorRef, rep, err := s.actor(ctx, r.SubjectIIN, r.ActorIIN)
	if err != nil {
		return nil, err
	}
	signer := r.SubjectIIN
	if rep {
		signer = r.ActorIIN
	}
	ev, err := s.verifyConsentSignature(ctx, r, signer)
	if err != nil {
		return nil, err
	}
	return s.recordDecision(ctx, r, DecisionGiven, "eds", ChannelCabinet, ev, actorRef, rep, nil)
}

// RefuseConsent records a refusal (PD-3.2); a refusal needs no signature.
func (s *Service) RefuseConsent(ctx context.Context, r ConsentRequest) (*Consent, error) {
	if err := s.validateRequest(ctx, &r); err != nil {
		return nil, err
	}
	actorRef, rep, err := s.actor(ctx, r.SubjectIIN, r.ActorIIN)
	if err != nil {
		return nil, err
	}
	text, err := s.ConsentTextFor(ctx, r)
	if err != nil {
		return nil, err
	}
	return s.recordDecision(ctx, r, DecisionRefused, "cabinet", ChannelCabinet, Evidence{TextSHA256: sha([]byte(text))}, actorRef, rep, nil)
}

// RecordConsent records a consent an initiator obtained itself (PD-6.1.1) with its
// evidence: an EDS-signed consent text (verified here), a biometric check reference,
// or a paper form reference with the scan's digest.
func (s *Service) RecordConsent(ctx context.Context, initiatorBIN string, r ConsentRequest) (*Consent, error) {
	return s.recordConsent(ctx, initiatorBIN, r, nil)
}

func (s *Service) recordConsent(ctx context.Context, initiatorBIN string, r ConsentRequest, idem *idemKey) (*Consent, error) {
	r.Initiator, r.ActorIIN = initiatorBIN, ""
	if err := s.validateRequest(ctx, &r); err != nil {
		return nil, err
	}
	if slices.Contains(otpMethods, strings.ToLower(r.Method)) {
		return nil, ErrConsentOTP
	}
	var ev Evidence
	switch r.Method {
	case "eds":
		var err error
		if ev, err = s.verifyConsentSignature(ctx, r, r.SubjectIIN); err != nil {
			return nil, err
		}
	case "biometric":
		if r.Reference == "" || len(r.Reference) > 200 {
			return nil, ErrConsentEvidence.WithDetail("a biometric consent needs the reference of the biometric check")
		}
		ev = Evidence{Reference: r.Reference, TextSHA256: sha([]byte(ConsentText(r)))}
	case "paper":
		if r.Reference == "" || len(r.Reference) > 200 || len(r.DocumentSHA256) != 64 {
			return nil, ErrConsentEvidence.WithDetail("a paper consent needs the form's reference and document_sha256 of the scan")
		}
		ev = Evidence{Reference: r.Reference, DocumentSHA256: strings.ToLower(r.DocumentSHA256), TextSHA256: sha([]byte(ConsentText(r)))}
	default:
		return nil, ErrConsentMethod
	}
	return s.recordDecision(ctx, r, DecisionGiven, r.Method, ChannelInitiator, ev, actor.Org(initiatorBIN).String(), false, idem)
}

func (s *Service) recordDecision(ctx context.Context, r ConsentRequest, decision, method, channel string, ev Evidence, actedBy string, rep bool, idem *idemKey) (*Consent, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	c := &Consent{ID: "c_" + newJTI(), Initiator: r.Initiator, Owner: r.Owner, DataSets: r.DataSets, Purpose: r.Purpose, Decision: decision,
		Method: method, Channel: channel, Evidence: ev, ActedBy: actedBy, Representative: rep, ValidFrom: now, ValidUntil: r.ValidUntil,
		CreatedAt: now, Status: "active"}
	// The event names who acted when that is an organization or the citizen; a
	// representative or anyone else appears as Senim, with the detail in the payload.
	by := actor.System.String()
	if a, err := actor.Parse(actedBy); err == nil && (a.Kind() == actor.KindOrg || a.Kind() == actor.KindCitizen) {
		by = actedBy
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if replay, err := idem.claim(ctx, tx); replay || err != nil {
			return err
		}
		// The subject's record, made for an IIN Senim has not seen in this transaction:
		// a refused request (an Idempotency-Key reused) makes no one.
		subject, err := s.knownRefTx(ctx, tx, r.SubjectIIN)
		if err == nil && subject == "" {
			subject, err = s.cfg.Citizens.SubjectRefTx(ctx, tx, r.SubjectIIN)
		}
		if err != nil {
			return err
		}
		// One signature records one consent: the same signature again (a reloaded
		// page, a repeated call) finds the consent it recorded, with no new event.
		if ev.SignatureSHA256 != "" {
			prev, err := s.consentBySignature(ctx, tx, ev.SignatureSHA256)
			if err != nil || prev != nil {
				if prev != nil {
					c = prev
					err = idem.save(ctx, tx, 201, c)
				}
				return err
			}
		}
		// The newest decision governs: keep a subject's decisions strictly ordered even
		// within one microsecond.
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(created_at), 0) FROM pd_consents WHERE subject = ?`, subject).Scan(&last); err != nil {
			return err
		}
		if store.Micros(now) <= last {
			now = store.FromMicros(last + 1)
			c.CreatedAt, c.ValidFrom = now, now
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO pd_consents (id, subject, initiator_bin, owner_bin, data_sets, purpose, decision, method, channel, evidence, acted_by, representative, valid_from, valid_until, created_at, signature_sha256)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (signature_sha256) WHERE signature_sha256 <> '' DO NOTHING`,
			c.ID, subject, c.Initiator, c.Owner, marshal(c.DataSets), c.Purpose, decision, method, channel, marshal(ev), actedBy, rep,
			store.Micros(c.ValidFrom), store.Micros(c.ValidUntil), store.Micros(now), ev.SignatureSHA256)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			// A concurrent submission of the same signature recorded it first.
			prev, err := s.consentBySignature(ctx, tx, ev.SignatureSHA256)
			if err != nil {
				return err
			}
			if prev == nil {
				return errors.New("pd: consent neither inserted nor found by its signature")
			}
			c = prev
			return idem.save(ctx, tx, 201, c)
		}
		if _, err = tx.Emit(ctx, store.Event{Type: consentEvent(decision), Actor: by, Subject: subject, Payload: []byte(marshal(c))}); err != nil {
			return err
		}
		return idem.save(ctx, tx, 201, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// consentBySignature finds the consent recorded with the signature of this digest, or
// nil.
func (s *Service) consentBySignature(ctx context.Context, tx *store.Tx, digest string) (*Consent, error) {
	c, err := s.scanConsent(tx.QueryRowContext(ctx, `SELECT `+consentColumns+` FROM pd_consents WHERE signature_sha256 = ?`, digest))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return c, err
}

const consentColumns = `id, initiator_bin, owner_bin, data_sets, purpose, decision, method, channel, evidence, acted_by, representative, valid_from, valid_until, revoked_at, revoked_by, created_at`

func (s *Service) scanConsent(sc interface{ Scan(...any) error }) (*Consent, error) {
	var c Consent
	var ds, ev string
	var vf, vu, ra, ca int64
	if err := sc.Scan(&c.ID, &c.Initiator, &c.Owner, &ds, &c.Purpose, &c.Decision, &c.Method, &c.Channel, &ev, &c.ActedBy, &c.Representative, &vf, &vu, &ra, &c.RevokedBy, &ca); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(ds), &c.DataSets); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(ev), &c.Evidence); err != nil {
		return nil, err
	}
	c.ValidFrom, c.ValidUntil, c.CreatedAt = store.FromMicros(vf), store.FromMicros(vu), store.FromMicros(ca)
	c.Status = "active"
	if ra != 0 {
		c.RevokedAt, c.Status = store.FromMicros(ra), "revoked"
	} else if !s.now().Before(c.ValidUntil) {
		c.Status = "expired"
	}
	return &c, nil
}

// ListConsents lists the subject's consents and refusals, newest first (cabinet).
func (s *Service) ListConsents(ctx context.Context, citizenIIN string) ([]Consent, error) {
	ref, err := s.subjectRef(ctx, citizenIIN)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+consentColumns+` FROM pd_consents WHERE subject = ? ORDER BY created_at DESC, id`, ref)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Consent{}
	for rows.Next() {
		c, err := s.scanConsent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// Holder is an initiator that holds a live consent of the subject (PD-3.5).
type Holder struct {
	Initiator  string    `json:"initiator"`
	Owner      string    `json:"owner"`
	DataSets   []string  `json:"data_sets"`
	Purpose    string    `json:"purpose"`
	ConsentID  string    `json:"consent_id"`
	ValidUntil time.Time `json:"valid_until"`
}

// HoldersOfConsent lists who holds the subject's live consents (PD-3.5).
func (s *Service) HoldersOfConsent(ctx context.Context, citizenIIN string) ([]Holder, error) {
	all, err := s.ListConsents(ctx, citizenIIN)
	if err != nil {
		return nil, err
	}
	out := []Holder{}
	for _, c := range all {
		if c.Decision == DecisionGiven && c.Status == "active" {
			out = append(out, Holder{Initiator: c.Initiator, Owner: c.Owner, DataSets: c.DataSets, Purpose: c.Purpose, ConsentID: c.ID, ValidUntil: c.ValidUntil})
		}
	}
	return out, nil
}

// RevokeConsent revokes a consent or a refusal (PD-3.3) with immediate effect on new
// tokens; the actor is the subject or a minor's legal representative.
func (s *Service) RevokeConsent(ctx context.Context, subjectIIN, actorIIN, consentID string) (*Consent, error) {
	if !kzid.ValidIIN(subjectIIN) {
		return nil, ErrSubjectInvalid
	}
	actorRef, _, err := s.actor(ctx, subjectIIN, actorIIN)
	if err != nil {
		return nil, err
	}
	subject, err := s.subjectRef(ctx, subjectIIN)
	if err != nil {
		return nil, err
	}
	var c *Consent
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		c, err = s.scanConsent(tx.QueryRowContext(ctx, `SELECT `+consentColumns+` FROM pd_consents WHERE id = ? AND subject = ?`, consentID, subject))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound.WithDetail("no such consent of this subject")
		}
		if err != nil {
			return err
		}
		if !c.RevokedAt.IsZero() {
			return ErrConsentAlreadyRevoked
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		if _, err := tx.ExecContext(ctx, `UPDATE pd_consents SET revoked_at = ?, revoked_by = ? WHERE id = ?`, store.Micros(now), actorRef, c.ID); err != nil {
			return err
		}
		c.RevokedAt, c.RevokedBy, c.Status = now, actorRef, "revoked"
		_, err = tx.Emit(ctx, store.Event{Type: EvConsentRevoked, Actor: actorRef, Subject: subject,
			Payload: []byte(marshal(map[string]any{"consent_id": c.ID, "decision": c.Decision, "initiator": c.Initiator, "owner": c.Owner,
				"data_sets": c.DataSets, "purpose": c.Purpose}))})
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// activeConsent finds the decision that governs a flow-1 request: the newest
// unrevoked decision of the subject for this initiator and owner (or the one the
// token names). A refusal, an expired, revoked or too narrow consent refuses.
func (s *Service) activeConsent(ctx context.Context, tx *store.Tx, subject, initiator, owner string, scope []string, ref string) (*Consent, error) {
	if strings.HasPrefix(ref, "c_") {
		c, err := s.scanConsent(tx.QueryRowContext(ctx, `SELECT `+consentColumns+` FROM pd_consents WHERE id = ? AND subject = ? AND initiator_bin = ? AND owner_bin = ?`, ref, subject, initiator, owner))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrConsentNotFound.WithDetail("evidence_ref names no consent of this subject for you and this data owner")
		}
		if err != nil {
			return nil, err
		}
		return c, consentCovers(c, scope)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+consentColumns+` FROM pd_consents WHERE subject = ? AND initiator_bin = ? AND owner_bin = ? ORDER BY created_at DESC, id`, subject, initiator, owner)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var revoked *Consent
	for rows.Next() {
		c, err := s.scanConsent(rows)
		if err != nil {
			return nil, err
		}
		if c.Status == "revoked" {
			if revoked == nil {
				revoked = c
			}
			continue
		}
		return c, consentCovers(c, scope)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if revoked != nil {
		return nil, ErrConsentRevoked
	}
	return nil, ErrConsentNotFound
}

func consentCovers(c *Consent, scope []string) error {
	switch {
	case c.Status == "revoked":
		return ErrConsentRevoked
	case c.Decision == DecisionRefused:
		return ErrConsentRefused
	case c.Status == "expired":
		return ErrConsentExpired
	case !subset(scope, c.DataSets):
		return ErrConsentScope
	}
	return nil
}
