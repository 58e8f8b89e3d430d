package console

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/web"
)

// Complaints are citizens' complaints about accesses to their data, as the authorized
// body's staff work on them.
type Complaints interface {
	AllComplaints(ctx context.Context, status string) ([]pd.Complaint, error)
	Complaint(ctx context.Context, id string) (*pd.Complaint, error)
	SetComplaintStatus(ctx context.Context, actor, id, status, note string) (*pd.Complaint, error)
}

// complaintRow is a complaint by names: who accessed which data of the citizen. The
// citizen is named by neither name nor IIN: staff see the complaint, not the person.
type complaintRow struct {
	ID, Text, Status  string
	Initiator, Owner  web.Party
	DataSets          []string
	AccessAt, FiledAt time.Time
	History           []historyLine
	Open              bool
}

// historyLine is one step of a complaint's history: who is the citizen or a member of
// staff (by the number in the actor, never a name).
type historyLine struct {
	At           time.Time
	Status, Note string
	Who, WhoID   string // catalog key and its argument
}

func lines(h []pd.ComplaintChange) []historyLine {
	out := make([]historyLine, len(h))
	for i, c := range h {
		out[i] = historyLine{At: c.At, Status: c.Status, Note: c.Note}
		out[i].Who, out[i].WhoID = who(c.Actor)
	}
	return out
}

type complaintsData struct {
	Complaints []complaintRow
	Status     string   // the filter
	Statuses   []string // every status, for the filter
}

type complaintData struct {
	complaintRow
	Next []string // the statuses it may move to
	Note string   // what was typed, when the change was refused
	Max  int
}

func (a *area) complaintRow(ctx context.Context, lang string, c pd.Complaint) (complaintRow, error) {
	names, err := a.orgNames(ctx, lang)
	if err != nil {
		return complaintRow{}, err
	}
	owners, err := a.cfg.Console.DataOwners(ctx)
	if err != nil {
		return complaintRow{}, err
	}
	row := complaintRow{ID: c.ID, Text: c.Text, Status: c.Status, AccessAt: c.AccessAt, FiledAt: c.FiledAt, History: lines(c.History), Open: c.Open(),
		Initiator: web.Party{Name: names[c.Initiator], BIN: c.Initiator}, Owner: web.Party{Name: names[c.Owner], BIN: c.Owner}, DataSets: c.DataSets}
	for _, o := range owners {
		if o.BIN == c.Owner {
			row.Owner.Name = o.NameIn(lang)
			row.DataSets = make([]string, len(c.DataSets))
			for i, ds := range c.DataSets {
				row.DataSets[i] = o.DataSetTitle(ds, lang)
			}
		}
	}
	return row, nil
}

// complaintsList lists citizens' complaints, newest first, optionally by status.
func (a *area) complaintsList(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	if a.cfg.Complaints == nil {
		return problem.NotFound
	}
	status := r.URL.Query().Get("status")
	if status != "" && !slices.Contains(pd.ComplaintStatuses, status) {
		status = ""
	}
	list, err := a.cfg.Complaints.AllComplaints(r.Context(), status)
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	d := complaintsData{Status: status, Statuses: pd.ComplaintStatuses}
	for _, c := range list {
		row, err := a.complaintRow(r.Context(), p.Lang, c)
		if err != nil {
			return err
		}
		d.Complaints = append(d.Complaints, row)
	}
	p.Data = d
	return a.s.Render(w, r, http.StatusOK, complaintsView, p)
}

func (a *area) complaintPage(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	return a.renderComplaint(w, r, sess, "")
}

func (a *area) renderComplaint(w http.ResponseWriter, r *http.Request, sess *identity.Session, notice string) error {
	if a.cfg.Complaints == nil {
		return problem.NotFound
	}
	c, err := a.cfg.Complaints.Complaint(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	row, err := a.complaintRow(r.Context(), p.Lang, *c)
	if err != nil {
		return err
	}
	p.Data = complaintData{complaintRow: row, Next: next(*c), Max: pd.MaxComplaintNote}
	p.Notice = notice
	return a.s.Render(w, r, http.StatusOK, complaintView, p)
}

// setComplaintStatus moves a complaint on; the domain keeps who, when and what. A bad
// status or an oversize note is refused with the page shown again and the note kept.
func (a *area) setComplaintStatus(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	if a.cfg.Complaints == nil {
		return problem.NotFound
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if !utf8.ValidString(note) || utf8.RuneCountInString(note) > pd.MaxComplaintNote {
		p := a.s.Page(w, r, sess)
		p.Invalid("note", "console.err.note")
		return a.renderComplaintAs(w, r, sess, p, strings.ToValidUTF8(note, ""), http.StatusUnprocessableEntity)
	}
	_, err := a.cfg.Complaints.SetComplaintStatus(r.Context(), staffActor(sess), r.PathValue("id"), r.PostFormValue("status"), note)
	if err != nil {
		pr := problem.From(err)
		if pr.Status == http.StatusNotFound || pr.Status >= 500 {
			return err
		}
		// The console's own message for a refused status: the domain's invalid-input
		// message belongs to the citizen's area.
		p := a.s.Page(w, r, sess)
		key := "console.err.status"
		if k := "error." + pr.Code; pr.Code != pd.ErrComplaintInvalid.Code && i18n.Has(p.Lang, k) {
			key = k
		}
		p.Error = key
		p.Invalid("status", key)
		return a.renderComplaintAs(w, r, sess, p, note, pr.Status)
	}
	return a.renderComplaint(w, r, sess, "console.saved")
}

// renderComplaintAs shows the complaint on a page whose fields were found wrong, with
// status and the note as typed.
func (a *area) renderComplaintAs(w http.ResponseWriter, r *http.Request, sess *identity.Session, p *web.Page, note string, status int) error {
	c, err := a.cfg.Complaints.Complaint(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	row, err := a.complaintRow(r.Context(), p.Lang, *c)
	if err != nil {
		return err
	}
	p.Data = complaintData{complaintRow: row, Next: next(*c), Note: note, Max: pd.MaxComplaintNote}
	if p.Error == "" {
		p.Error = p.Fields[0].Key
	}
	return a.s.Render(w, r, status, complaintView, p)
}

// next are the statuses staff may move c to.
func next(c pd.Complaint) []string {
	var out []string
	if c.Open() {
		for _, st := range pd.ComplaintStatuses[1:] {
			if st != c.Status {
				out = append(out, st)
			}
		}
	}
	return out
}
