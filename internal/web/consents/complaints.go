package consents

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/web"
)

// complaintRow is a complaint as the citizen reads it: the access it is about by names,
// what she wrote, its status and history.
type complaintRow struct {
	ID, Text, Status  string
	EventID           int64
	Initiator, Owner  web.Party
	DataSets          []string
	AccessAt, FiledAt time.Time
	History           []pd.ComplaintChange
	Open              bool
}

func (n *names) complaint(c pd.Complaint) complaintRow {
	return complaintRow{ID: c.ID, Text: c.Text, Status: c.Status, EventID: c.EventID, Initiator: n.org(c.Initiator),
		Owner: n.owner(c.Owner), DataSets: n.dataSets(c.Owner, c.DataSets), AccessAt: c.AccessAt, FiledAt: c.FiledAt,
		History: c.History, Open: c.Open()}
}

// complaintFormData is the "this wasn't me" page: the access, and what was typed.
type complaintFormData struct {
	Access accessRow
	Text   string
	Max    int
}

// ownAccess finds the access the path's {event} names in the citizen's own history;
// another subject's access is not found.
func (a *area) ownAccess(r *http.Request, sess *identity.Session, n *names) (accessRow, error) {
	id, err := strconv.ParseInt(r.PathValue("event"), 10, 64)
	if err != nil || id <= 0 {
		return accessRow{}, problem.NotFound
	}
	h, err := a.cfg.PD.AccessHistory(r.Context(), sess.Citizen.IIN)
	if err != nil {
		return accessRow{}, err
	}
	for _, e := range h {
		if e.EventID == id {
			return n.access(e), nil
		}
	}
	return accessRow{}, problem.NotFound
}

// complaintForm asks the citizen what is wrong with one access to her data, to tell
// the authorized body (rule PD-3.1).
func (a *area) complaintForm(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	return a.renderComplaintForm(w, r, sess, "", nil)
}

func (a *area) renderComplaintForm(w http.ResponseWriter, r *http.Request, sess *identity.Session, text string, ferr error) error {
	p := a.s.Page(w, r, sess)
	n, err := a.names(r.Context(), p.Lang)
	if err != nil {
		return err
	}
	acc, err := a.ownAccess(r, sess, n)
	if err != nil {
		return err
	}
	p.Data = complaintFormData{Access: acc, Text: text, Max: pd.MaxComplaintText}
	switch {
	case ferr != nil:
		return a.s.FormError(w, r, complaintNewV, p, ferr)
	case len(p.Fields) > 0:
		return a.s.Invalid(w, r, complaintNewV, p)
	}
	return a.s.Render(w, r, http.StatusOK, complaintNewV, p)
}

// fileComplaint files the complaint and shows her complaints. A text too long is
// refused next to its field with what she typed kept; a second complaint on an access
// whose complaint is still open (a replayed form too) is refused with the form shown
// again; nothing is recorded either way.
func (a *area) fileComplaint(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	text := strings.TrimSpace(r.PostFormValue("text"))
	if !utf8.ValidString(text) || utf8.RuneCountInString(text) > pd.MaxComplaintText {
		p := a.s.Page(w, r, sess)
		p.Invalid("text", "complaint.err.text")
		n, err := a.names(r.Context(), p.Lang)
		if err != nil {
			return err
		}
		acc, err := a.ownAccess(r, sess, n)
		if err != nil {
			return err
		}
		p.Data = complaintFormData{Access: acc, Text: strings.ToValidUTF8(text, ""), Max: pd.MaxComplaintText}
		return a.s.Invalid(w, r, complaintNewV, p)
	}
	id, _ := strconv.ParseInt(r.PathValue("event"), 10, 64)
	c, err := a.cfg.PD.FileComplaint(r.Context(), sess.Citizen.IIN, id, text)
	if err != nil {
		if pr := problem.From(err); pr.Status == http.StatusNotFound || pr.Status >= 500 {
			return err
		}
		return a.renderComplaintForm(w, r, sess, text, err)
	}
	return a.renderComplaints(w, r, sess, "complaint.filed", c.ID)
}

type complaintsData struct {
	Complaints []complaintRow
	New        string // the complaint just filed
}

// complaints lists the citizen's complaints with their status.
func (a *area) complaints(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	return a.renderComplaints(w, r, sess, "", "")
}

func (a *area) renderComplaints(w http.ResponseWriter, r *http.Request, sess *identity.Session, notice, filed string) error {
	list, err := a.cfg.PD.Complaints(r.Context(), sess.Citizen.IIN)
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	n, err := a.names(r.Context(), p.Lang)
	if err != nil {
		return err
	}
	d := complaintsData{New: filed}
	for _, c := range list {
		d.Complaints = append(d.Complaints, n.complaint(c))
	}
	p.Notice = notice
	p.Data = d
	return a.s.Render(w, r, http.StatusOK, complaintsV, p)
}

// complaintOne is one of the citizen's complaints with its history; another citizen's
// complaint is not found.
func (a *area) complaintOne(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	c, err := a.cfg.PD.ComplaintFor(r.Context(), sess.Citizen.IIN, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	n, err := a.names(r.Context(), p.Lang)
	if err != nil {
		return err
	}
	p.Data = n.complaint(*c)
	return a.s.Render(w, r, http.StatusOK, complaintOneV, p)
}
