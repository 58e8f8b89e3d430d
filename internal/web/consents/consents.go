// Package consents is the cabinet's personal-data area: the citizen's consents and
// refusals and who holds them (PD-3.5), giving a consent signed with EDS or refusing one
// (PD-3.2, PD-6.1.1), revoking (PD-3.3), and who accessed their data (PD-3.4).
package consents

import (
	"context"
	"embed"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/mobilesign"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed catalog/*.json
var catalogFS embed.FS

// catalog is the area's messages, merged into the catalogs at start-up.
var catalog = web.Messages(catalogFS)

var (
	views         = web.NewViews(templateFS)
	consentsV     = views.Add("consents", "consents.title")
	accessV       = views.Add("access", "access.title")
	consentNewV   = views.Add("consentnew", "consent.new.title")
	signV         = views.Add("consentsign", "consent.sign.title")
	revokeV       = views.Add("revoke", "revoke.title")
	revokedV      = views.Add("revoked", "revoked.title")
	accessOneV    = views.Add("accessone", "access.one.title")
	complaintNewV = views.Add("complaintnew", "complaint.new.title")
	complaintsV   = views.Add("complaints", "complaints.title")
	complaintOneV = views.Add("complaintone", "complaint.one.title")
)

// PersonalData is personal-data access control as this area sees it.
type PersonalData interface {
	ListConsents(ctx context.Context, citizenIIN string) ([]pd.Consent, error)
	HoldersOfConsent(ctx context.Context, citizenIIN string) ([]pd.Holder, error)
	RevokeConsent(ctx context.Context, subjectIIN, actorIIN, consentID string) (*pd.Consent, error)
	AccessHistory(ctx context.Context, citizenIIN string) ([]pd.HistoryEntry, error)
	GiveConsent(ctx context.Context, r pd.ConsentRequest) (*pd.Consent, error)
	RefuseConsent(ctx context.Context, r pd.ConsentRequest) (*pd.Consent, error)
	DataOwners(ctx context.Context) ([]pd.DataOwner, error)
	ServiceCodes(ctx context.Context) ([]pd.ServiceCode, error)
	CheckConsentEnd(until time.Time) error
	ConsentEndRange() (first, last time.Time)
	ConsentTextFor(ctx context.Context, r pd.ConsentRequest) (string, error)
	ConsentXMLFor(ctx context.Context, r pd.ConsentRequest) (string, error)
	FileComplaint(ctx context.Context, citizenIIN string, eventID int64, text string) (*pd.Complaint, error)
	Complaints(ctx context.Context, citizenIIN string) ([]pd.Complaint, error)
	ComplaintFor(ctx context.Context, citizenIIN, id string) (*pd.Complaint, error)
}

// Organizations lists the organizations a consent may be given to.
type Organizations interface {
	Organizations(ctx context.Context) ([]identity.Organization, error)
}

// Log is the tamper-evident log as this area sees it: the proof of each access.
type Log interface {
	SubjectHistory(ctx context.Context, subject string) ([]auditlog.HistoryEntry, error)
}

// Config configures the area.
type Config struct {
	PD            PersonalData
	Organizations Organizations
	// Log shows each access's proof of inclusion (optional: without it, none).
	Log Log
}

type area struct {
	s   *web.Shell
	cfg Config
}

// Mount adds the consent and access pages and their menu entries to the shell.
func Mount(s *web.Shell, cfg Config) error {
	if cfg.PD == nil || cfg.Organizations == nil {
		return errors.New("consents: PD and Organizations are required")
	}
	if err := s.Parse(views); err != nil {
		return err
	}
	a := &area{s: s, cfg: cfg}
	s.Handle("GET /consents", web.Citizen(a.consents))
	s.Handle("GET /consents/{id}/revoke", web.Citizen(a.revokeConfirm))
	s.Handle("POST /consents/{id}/revoke", web.Form(web.Citizen(a.revoke)))
	s.Handle("GET /access", web.Citizen(a.access))
	s.Handle("GET /access/{event}", web.Citizen(a.accessOne))
	s.Handle("GET /access/export.json", web.Download(a.exportJSON))
	s.Handle("GET /access/export.csv", web.Download(a.exportCSV))
	s.Handle("GET /access/{event}/complaint", web.Citizen(a.complaintForm))
	s.Handle("POST /access/{event}/complaint", web.Form(web.Citizen(a.fileComplaint)))
	s.Handle("GET /complaints", web.Citizen(a.complaints))
	s.Handle("GET /complaints/{id}", web.Citizen(a.complaintOne))
	s.Handle("GET /consents/new", web.Citizen(a.consentForm))
	s.Handle("POST /consents/new", web.Form(web.Citizen(a.decide)))
	s.Handle("POST /consents/confirm", web.Form(web.Citizen(a.confirm)))
	s.Handle("POST /consents/confirm/mobile", web.Form(web.Citizen(a.confirmMobile)))
	s.Nav(web.NavItem{Place: web.NavMain, Href: "/consents", ID: "nav-consents", Key: "nav.consents"})
	s.Nav(web.NavItem{Place: web.NavMain, Href: "/access", ID: "nav-access", Key: "nav.access"})
	return nil
}

type consentsData struct {
	Consents []consentRow
	Holders  []consentRow
}

// consentRow is a consent or refusal as the citizen reads it: names, not numbers.
type consentRow struct {
	ID, Decision, Status, Purpose string
	Representative, Active        bool
	Initiator, Owner              web.Party
	DataSets                      []string
	ValidUntil, RevokedAt         time.Time
}

func (n *names) consent(c pd.Consent) consentRow {
	return consentRow{ID: c.ID, Decision: c.Decision, Status: c.Status, Purpose: c.Purpose, Representative: c.Representative,
		Active: c.Status == "active", Initiator: n.org(c.Initiator), Owner: n.owner(c.Owner),
		DataSets: n.dataSets(c.Owner, c.DataSets), ValidUntil: c.ValidUntil, RevokedAt: c.RevokedAt}
}

// consents lists the citizen's consents and refusals and who holds them (PD-3.5); after
// a decision (done=given, refused or revoked) it says that it was recorded.
func (a *area) consents(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	return a.renderConsents(w, r, sess, doneNotices[r.URL.Query().Get("done")])
}

// doneNotices are the results a decision's POST redirects to (Post/Redirect/Get).
var doneNotices = map[string]string{"given": "consent.given", "refused": "consent.refused", "revoked": "consents.revoked"}

// done sends the browser, after a decision was recorded, to the list that shows it
// (303 See Other), so that reloading the result does not post the decision again.
func done(w http.ResponseWriter, r *http.Request, what, id string) error {
	q := url.Values{"done": {what}}
	if l := r.URL.Query().Get("lang"); i18n.Supported(l) {
		q.Set("lang", l)
	}
	to := "/consents?" + q.Encode()
	if id != "" {
		to += "#consent-" + url.PathEscape(id)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (a *area) renderConsents(w http.ResponseWriter, r *http.Request, sess *identity.Session, notice string) error {
	list, err := a.cfg.PD.ListConsents(r.Context(), sess.Citizen.IIN)
	if err != nil {
		return err
	}
	holders, err := a.cfg.PD.HoldersOfConsent(r.Context(), sess.Citizen.IIN)
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	n, err := a.names(r.Context(), p.Lang)
	if err != nil {
		return err
	}
	var d consentsData
	for _, c := range list {
		d.Consents = append(d.Consents, n.consent(c))
	}
	for _, h := range holders {
		d.Holders = append(d.Holders, consentRow{ID: h.ConsentID, Purpose: h.Purpose, Initiator: n.org(h.Initiator),
			Owner: n.owner(h.Owner), DataSets: n.dataSets(h.Owner, h.DataSets), ValidUntil: h.ValidUntil})
	}
	p.Notice = notice
	p.Data = d
	return a.s.Render(w, r, http.StatusOK, consentsV, p)
}

// ownConsent finds one of the citizen's own consents or refusals; another subject's
// id is not found.
func (a *area) ownConsent(r *http.Request, sess *identity.Session) (*pd.Consent, error) {
	list, err := a.cfg.PD.ListConsents(r.Context(), sess.Citizen.IIN)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].ID == r.PathValue("id") {
			return &list[i], nil
		}
	}
	return nil, pd.ErrConsentNotFound
}

// revokeConfirm asks the citizen to confirm a revocation and says what will follow
// (PD-3.3): nothing changes until they confirm. A decision already revoked says so,
// when, and offers nothing more to do.
func (a *area) revokeConfirm(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	return a.renderRevoke(w, r, sess, http.StatusOK)
}

// renderRevoke shows the confirmation, or that the decision is already revoked (with
// status, or 409 Conflict when a revocation was posted for it).
func (a *area) renderRevoke(w http.ResponseWriter, r *http.Request, sess *identity.Session, revokedStatus int) error {
	c, err := a.ownConsent(r, sess)
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	n, err := a.names(r.Context(), p.Lang)
	if err != nil {
		return err
	}
	p.Data = n.consent(*c)
	if c.Status == "revoked" {
		return a.s.Render(w, r, revokedStatus, revokedV, p)
	}
	return a.s.Render(w, r, http.StatusOK, revokeV, p)
}

// revoke revokes one of the citizen's own consents or refusals (PD-3.3) once they have
// confirmed it on the confirmation page; the service refuses another subject's
// consent id. A POST without the confirmation shows the confirmation page instead.
func (a *area) revoke(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	if r.PostFormValue("confirmed") != "yes" {
		return a.renderRevoke(w, r, sess, http.StatusConflict)
	}
	c, err := a.cfg.PD.RevokeConsent(r.Context(), sess.Citizen.IIN, sess.Citizen.IIN, r.PathValue("id"))
	if errors.Is(err, pd.ErrConsentAlreadyRevoked) {
		return a.renderRevoke(w, r, sess, http.StatusConflict)
	}
	if err != nil {
		return err
	}
	return done(w, r, "revoked", c.ID)
}

// accessRow is one access as the citizen reads it: who, which data, why, when and,
// for a data owner's report, what was done.
type accessRow struct {
	At                time.Time
	Kind, Action      string // Kind: token | action; Action: a reported action (pd.Actions)
	Automated         bool
	Initiator, Owner  web.Party
	DataSets          []string
	Flow, Purpose     string
	Service           string // proactive: the service's title
	Ground, GroundRef string // protocol: the legal ground's title and code
	ConsentID         string
	EventID           int64
	TokenJTI          string
	// Under is, for a data owner's report of an action under a security token, the
	// access (its event) the token granted: the report's "why". 0 for the owner's own
	// action, or when that access is not in the citizen's history (yet).
	Under int64
	// Trust is shown for issued tokens only: whether the initiator's system is in the
	// registry of trusted objects. A data owner's report says nothing about it.
	ShowTrust, Trusted bool
}

// grants maps each security token of the history to the access (event) it granted, so
// a data owner's report names the access it served.
func grants(h []pd.HistoryEntry) map[string]int64 {
	m := map[string]int64{}
	for _, e := range h {
		if e.Kind == "token" && e.TokenJTI != "" {
			m[e.TokenJTI] = e.EventID
		}
	}
	return m
}

// access is one entry of the history as the citizen reads it.
func (n *names) access(e pd.HistoryEntry) accessRow {
	row := accessRow{At: e.At, Kind: e.Kind, Action: e.Action, Automated: e.Automated, Initiator: n.org(e.Initiator),
		Owner: n.owner(e.Owner), DataSets: n.dataSets(e.Owner, e.DataSets), Flow: e.Flow, Purpose: e.Purpose,
		ConsentID: e.ConsentID, EventID: e.EventID, TokenJTI: e.TokenJTI, ShowTrust: e.Kind == "token" && e.Initiator != "", Trusted: e.TrustedSystem}
	switch e.Flow {
	case "proactive":
		row.Service = n.service(e.Code)
	case "protocol":
		row.Ground, row.GroundRef = e.Code, e.Code
		if e.GroundTitles != nil {
			row.Ground = e.GroundTitles.In(n.lang)
		}
	}
	return row
}

// accessOneData is one access with what the data owner reported about it and its proof.
type accessOneData struct {
	Access  accessRow
	Reports []accessRow
	Proof   *auditlog.HistoryEntry // nil: not in the log yet (or no log)
}

// accessOne shows one access to the citizen's data: who, which data, why, when, what
// the data owner reported doing under it, and its proof in the tamper-evident log. An
// access that is not about the citizen is not found.
func (a *area) accessOne(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	id, err := strconv.ParseInt(r.PathValue("event"), 10, 64)
	if err != nil || id <= 0 {
		return problem.NotFound
	}
	h, err := a.cfg.PD.AccessHistory(r.Context(), sess.Citizen.IIN)
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	n, err := a.names(r.Context(), p.Lang)
	if err != nil {
		return err
	}
	var d accessOneData
	found := false
	granted := grants(h)
	for _, e := range h {
		if e.EventID == id {
			d.Access, found = n.access(e), true
			if e.Kind == "action" {
				d.Access.Under = granted[e.TokenJTI]
			}
		}
	}
	if !found {
		return problem.NotFound
	}
	for _, e := range h {
		if e.Kind == "action" && d.Access.Kind == "token" && e.TokenJTI != "" && e.TokenJTI == d.Access.TokenJTI {
			d.Reports = append(d.Reports, n.access(e))
		}
	}
	if a.cfg.Log != nil {
		entries, err := a.cfg.Log.SubjectHistory(r.Context(), sess.Citizen.Ref())
		if err != nil {
			return err
		}
		for i := range entries {
			if entries[i].EventID == id {
				d.Proof = &entries[i]
			}
		}
	}
	p.Data = d
	return a.s.Render(w, r, http.StatusOK, accessOneV, p)
}

// accessData is the access page: the rows the filter lets through, and the filter.
type accessData struct {
	Rows     []accessRow
	Orgs     []web.Party // every organization in the history, for the filter
	Org      string      // the BIN filtered on, or ""
	From, To string      // the period filtered on (dates in Kazakhstan), as typed
	Filtered bool
	Total    int
}

// access shows the history of access to the citizen's data (PD-3.4), optionally only
// one organization's (as initiator or data owner) and only a period, both days
// inclusive in Kazakhstan's time.
func (a *area) access(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	h, err := a.cfg.PD.AccessHistory(r.Context(), sess.Citizen.IIN)
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	n, err := a.names(r.Context(), p.Lang)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := accessData{Org: strings.TrimSpace(q.Get("org")), From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")), Total: len(h)}
	day := func(id, v string) (time.Time, bool) {
		if v == "" {
			return time.Time{}, true
		}
		t, err := time.ParseInLocation(time.DateOnly, v, i18n.Zone)
		if err != nil {
			p.Invalid(id, "access.err.date")
			return time.Time{}, false
		}
		return t, true
	}
	from, okFrom := day("from", d.From)
	to, okTo := day("to", d.To)
	if okFrom && okTo && !from.IsZero() && !to.IsZero() && to.Before(from) {
		p.Invalid("to", "access.err.order")
	}
	d.Filtered = d.Org != "" || d.From != "" || d.To != ""
	seen := map[string]bool{}
	granted := grants(h)
	for _, e := range h {
		for _, bin := range []string{e.Initiator, e.Owner} {
			if bin != "" && !seen[bin] {
				seen[bin] = true
				d.Orgs = append(d.Orgs, n.owner(bin))
			}
		}
		if len(p.Fields) == 0 && (d.Org != "" && e.Initiator != d.Org && e.Owner != d.Org ||
			!from.IsZero() && e.At.Before(from) || !to.IsZero() && !e.At.Before(to.AddDate(0, 0, 1))) {
			continue
		}
		row := n.access(e)
		if e.Kind == "action" {
			row.Under = granted[e.TokenJTI]
		}
		d.Rows = append(d.Rows, row)
	}
	slices.SortFunc(d.Orgs, func(x, y web.Party) int { return strings.Compare(x.Name+x.BIN, y.Name+y.BIN) })
	p.Data = d
	if len(p.Fields) > 0 {
		return a.s.Invalid(w, r, accessV, p)
	}
	return a.s.Render(w, r, http.StatusOK, accessV, p)
}

// form is what the citizen fills in; it travels through both steps unchanged.
type form struct {
	Initiator, Owner, Purpose, Until, ForMinor string
	DataSets                                   []string
	// TextLang and TextFormat are the language and format of the consent text shown
	// for signing; they travel with the signature so the text checked is the one shown.
	TextLang, TextFormat string
}

func readForm(r *http.Request) form {
	r.ParseForm()
	return form{
		Initiator: strings.TrimSpace(r.PostForm.Get("initiator")),
		Owner:     strings.TrimSpace(r.PostForm.Get("owner")),
		Purpose:   strings.TrimSpace(r.PostForm.Get("purpose")),
		Until:     strings.TrimSpace(r.PostForm.Get("valid_until")),
		ForMinor:  strings.TrimSpace(r.PostForm.Get("for_minor")),
		DataSets:  r.PostForm["data_sets"],
		TextLang:  r.PostForm.Get("text_lang"),
		// A sign page served before v3 carried no format: its text was v2.
		TextFormat: r.PostForm.Get("text_format"),
	}
}

// Ticked reports whether the citizen ticked the data set code, so a form shown again
// keeps what they chose.
func (f form) Ticked(code string) bool { return slices.Contains(f.DataSets, code) }

// check finds what is missing or malformed in the form, each error next to its field;
// the domain checks the rest (the directories, the dates' range, representation).
func (f form) check(p *web.Page) {
	// A BIN that is not one (a tampered form, a stale link) is told apart from one
	// not chosen.
	switch {
	case f.Initiator == "":
		p.Invalid("initiator", "consent.err.initiator")
	case !kzid.ValidBIN(f.Initiator):
		p.Invalid("initiator", "consent.err.initiator_bin")
	}
	switch {
	case f.Owner == "":
		p.Invalid("owner", "consent.err.owner")
	case !kzid.ValidBIN(f.Owner):
		p.Invalid("owner", "consent.err.owner_bin")
	}
	if len(f.DataSets) == 0 {
		p.Invalid("data_sets", "consent.err.datasets")
	}
	if f.Purpose == "" || utf8.RuneCountInString(f.Purpose) > 500 {
		p.Invalid("purpose", "consent.err.purpose")
	}
	if _, ok := f.end(); !ok {
		p.Invalid("valid_until", "consent.err.until")
	}
	if f.ForMinor != "" && !twelveDigits(f.ForMinor) {
		p.Invalid("for_minor", "consent.err.minor")
	}
}

// end is the end the citizen chose: through the whole day she picked, in Kazakhstan's
// time (pd.EndOfDay), not its first moment in UTC.
func (f form) end() (time.Time, bool) {
	day, err := time.Parse(time.DateOnly, f.Until)
	if err != nil {
		return time.Time{}, false
	}
	return pd.EndOfDay(day), true
}

// checkEnd asks the domain whether the end is allowed (not past, not beyond the
// longest a consent lasts), so the citizen learns it on the form, before she signs.
func (a *area) checkEnd(p *web.Page, f form) {
	until, ok := f.end()
	if !ok {
		return
	}
	switch err := a.cfg.PD.CheckConsentEnd(until); {
	case errors.Is(err, pd.ErrConsentEndPast):
		p.Invalid("valid_until", "consent.err.until_past")
	case errors.Is(err, pd.ErrConsentEndTooFar):
		p.Invalid("valid_until", "consent.err.until_far")
	}
}

func twelveDigits(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// request turns the form into a decision by the logged-in citizen: about themselves, or
// about a minor they represent (the service checks that they do).
func (f form) request(sess *identity.Session) (pd.ConsentRequest, error) {
	until, ok := f.end()
	if !ok {
		return pd.ConsentRequest{}, pd.ErrConsentInvalid.WithDetail("valid_until must be a date")
	}
	req := pd.ConsentRequest{SubjectIIN: sess.Citizen.IIN, Initiator: f.Initiator, Owner: f.Owner,
		DataSets: f.DataSets, Purpose: f.Purpose, ValidUntil: until, Lang: f.TextLang, Format: f.TextFormat}
	if f.ForMinor != "" && f.ForMinor != sess.Citizen.IIN {
		req.SubjectIIN, req.ActorIIN = f.ForMinor, sess.Citizen.IIN
	}
	return req, nil
}

type formData struct {
	Form          form
	Organizations []web.Party
	Owners        []ownerChoice
	// EndMin and EndMax bound the end date input (YYYY-MM-DD); LastEnd names the last
	// day for people.
	EndMin, EndMax, LastEnd string
}

// ownerChoice is a data owner and its data sets as the form offers them.
type ownerChoice struct {
	web.Party
	DataSets []dataSetChoice
}

type dataSetChoice struct{ Code, Title string }

type signData struct {
	Form    form
	Summary consentRow
	Sign    web.Sign
}

func (a *area) consentForm(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := a.s.Page(w, r, sess)
	// A year from today by default, on the service's clock, within the days allowed.
	first, last := a.cfg.PD.ConsentEndRange()
	until := first.AddDate(1, 0, 0)
	if until.After(last) {
		until = last
	}
	return a.renderForm(w, r, p, form{Until: until.Format(time.DateOnly)}, nil)
}

// renderForm shows the form with what the citizen typed; with p.Fields or ferr it
// shows the errors too.
func (a *area) renderForm(w http.ResponseWriter, r *http.Request, p *web.Page, f form, ferr error) error {
	orgs, err := a.cfg.Organizations.Organizations(r.Context())
	if err != nil {
		return err
	}
	owners, err := a.cfg.PD.DataOwners(r.Context())
	if err != nil {
		return err
	}
	first, last := a.cfg.PD.ConsentEndRange()
	d := formData{Form: f, EndMin: first.Format(time.DateOnly), EndMax: last.Format(time.DateOnly), LastEnd: i18n.Date(p.Lang, last)}
	for _, o := range orgs {
		d.Organizations = append(d.Organizations, web.Party{Name: o.NameIn(p.Lang), BIN: o.BIN})
	}
	for _, o := range owners {
		c := ownerChoice{Party: web.Party{Name: o.NameIn(p.Lang), BIN: o.BIN}}
		for _, ds := range o.DataSets {
			c.DataSets = append(c.DataSets, dataSetChoice{Code: ds.Code, Title: ds.TitleIn(p.Lang)})
		}
		d.Owners = append(d.Owners, c)
	}
	p.Data = d
	switch {
	case ferr != nil:
		return a.s.FormError(w, r, consentNewV, p, ferr)
	case len(p.Fields) > 0:
		return a.s.Invalid(w, r, consentNewV, p)
	}
	return a.s.Render(w, r, http.StatusOK, consentNewV, p)
}

func (a *area) renderSign(w http.ResponseWriter, r *http.Request, sess *identity.Session, f form, req pd.ConsentRequest, ferr error) error {
	p := a.s.Page(w, r, sess)
	n, err := a.names(r.Context(), p.Lang)
	if err != nil {
		return err
	}
	sum := n.consent(pd.Consent{Initiator: req.Initiator, Owner: req.Owner, DataSets: req.DataSets, Purpose: req.Purpose, ValidUntil: req.ValidUntil})
	text, err := a.cfg.PD.ConsentTextFor(r.Context(), req)
	if err != nil {
		return err
	}
	doc, err := a.cfg.PD.ConsentXMLFor(r.Context(), req)
	if err != nil {
		return err
	}
	f.TextLang, f.TextFormat = req.Lang, req.Format
	// The consent is offered in XML too: it is the document a citizen keeps and an
	// initiator's systems read (XML-DSig, as Kazakh e-government exchanges documents).
	p.Data = signData{Form: f, Summary: sum, Sign: a.s.Signer(p, web.Sign{How: "consent.sign.how", Heading: "consent.sign.text", TextID: "consent-text", Text: text,
		TextLang: req.Lang, Label: "consent.sign.cms", IIN: sess.Citizen.IIN, Mobile: "/consents/confirm/mobile", XML: doc})}
	if ferr != nil {
		return a.s.FormError(w, r, signV, p, ferr)
	}
	return a.s.Render(w, r, http.StatusOK, signV, p)
}

// decide records a refusal at once (PD-3.2: it needs no signature) or shows the exact
// consent text to sign with EDS: a consent that a proactive service relies on is
// confirmed by an EDS signature, never by the SMS code that may have opened the session
// (PD-6.1.1, PD-6.X).
func (a *area) decide(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	f := readForm(r)
	p := a.s.Page(w, r, sess)
	decision := r.PostForm.Get("decision")
	if decision != "give" && decision != "refuse" {
		// Only the form's two buttons send a decision; the error leads to the first.
		p.Invalid("consent-give", "consent.err.decision")
	}
	if f.check(p); len(p.Fields) == 0 {
		a.checkEnd(p, f)
	}
	if len(p.Fields) > 0 {
		return a.renderForm(w, r, p, f, nil)
	}
	req, err := f.request(sess)
	if err != nil {
		return a.renderForm(w, r, p, f, err)
	}
	if decision == "refuse" {
		c, err := a.cfg.PD.RefuseConsent(r.Context(), req)
		if err != nil {
			return a.renderForm(w, r, p, f, err)
		}
		return done(w, r, "refused", c.ID)
	}
	// The text to sign is in the language of the page, in the newest format.
	req.Lang, req.Format = p.Lang, pd.FormatV3
	return a.renderSign(w, r, sess, f, req, nil)
}

// confirmMobile asks eGov Mobile for the citizen's signature of the consent text the
// form describes (PD-6.1.1: a consent is confirmed by EDS); only the citizen's own
// signature is accepted, and it comes back through confirm.
func (a *area) confirmMobile(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	f := readForm(r)
	p := a.s.Page(w, r, sess)
	if f.check(p); len(p.Fields) > 0 {
		return problem.Field(p.Fields[0].ID, "invalid")
	}
	req, err := f.request(sess)
	if err != nil {
		return err
	}
	if r.PostFormValue("sign_format") == "xml" {
		doc, err := a.cfg.PD.ConsentXMLFor(r.Context(), req)
		if err != nil {
			return err
		}
		return a.s.StartMobileAs(w, r, []byte(doc), mobilesign.XML, "consent.sign.mobile_description", sess.Citizen.IIN)
	}
	text, err := a.cfg.PD.ConsentTextFor(r.Context(), req)
	if err != nil {
		return err
	}
	return a.s.StartMobile(w, r, text, "consent.sign.mobile_description", sess.Citizen.IIN, true)
}

// confirm records a consent given with an EDS signature over its text (a CMS, or the
// text's XML document signed in XML-DSig); the service checks the signature, the
// chain and that the signer is the deciding person.
func (a *area) confirm(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	f := readForm(r)
	p := a.s.Page(w, r, sess)
	if f.check(p); len(p.Fields) > 0 {
		return a.renderForm(w, r, p, f, nil)
	}
	req, err := f.request(sess)
	if err != nil {
		return a.renderForm(w, r, p, f, err)
	}
	req.Signature = web.SignedCMS(r)
	c, err := a.cfg.PD.GiveConsent(r.Context(), req)
	if err != nil {
		return a.renderSign(w, r, sess, f, req, err)
	}
	return done(w, r, "given", c.ID)
}
