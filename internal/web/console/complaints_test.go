package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/web/webtest"
)

func (f *fakeDirs) AllComplaints(_ context.Context, status string) ([]pd.Complaint, error) {
	var out []pd.Complaint
	for _, c := range f.complaints {
		if status == "" || c.Status == status {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeDirs) Complaint(_ context.Context, id string) (*pd.Complaint, error) {
	for _, c := range f.complaints {
		if c.ID == id {
			return &c, nil
		}
	}
	return nil, pd.ErrNotFound
}

// SetComplaintStatus checks as the domain does (its own test proves the domain).
func (f *fakeDirs) SetComplaintStatus(_ context.Context, actor, id, status, note string) (*pd.Complaint, error) {
	i := slices.IndexFunc(f.complaints, func(c pd.Complaint) bool { return c.ID == id })
	if i < 0 {
		return nil, pd.ErrNotFound
	}
	c := &f.complaints[i]
	if status == pd.ComplaintFiled || !slices.Contains(pd.ComplaintStatuses, status) {
		return nil, pd.ErrComplaintInvalid.With("field", "status")
	}
	if !c.Open() || c.Status == status {
		return nil, pd.ErrComplaintTransition.With("field", "status")
	}
	c.Status = status
	c.History = append(c.History, pd.ComplaintChange{Status: status, Note: note, Actor: actor, At: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)})
	f.writes = append(f.writes, actor+": complaint "+id+" "+status)
	return c, nil
}

func complaint(id, status string) pd.Complaint {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	return pd.Complaint{ID: id, Subject: "citizen:7", EventID: 11, Kind: "token", Initiator: "100000000001", Owner: "100000000002",
		DataSets: []string{"identity"}, AccessAt: at, Text: "Мен бұл банкке жүгінген жоқпын", Status: status, FiledAt: at,
		History: []pd.ComplaintChange{{Status: pd.ComplaintFiled, Actor: "citizen:7", At: at}}}
}

// TestConsoleComplaints: staff list citizens' complaints by names, open one and move
// it on with a note (rule PD-3.1); the history shows who did what; a forged status, an
// oversize note, a closed complaint and an unknown id are refused and change nothing;
// the citizen behind a complaint is named by neither name nor IIN.
func TestConsoleComplaints(t *testing.T) {
	h, f := mount(t)
	f.complaints = []pd.Complaint{complaint("cp_1", pd.ComplaintFiled), complaint("cp_2", pd.ComplaintUpheld)}
	s := h.Staff("900101300003", "Staff")
	if page := h.Get("/console?lang=en", s).Body.String(); !strings.Contains(page, `href="/console/complaints"`) {
		t.Error("the console does not link the complaints")
	}
	w := h.Get("/console/complaints?lang=en", s)
	page := w.Body.String()
	for _, want := range []string{`id="complaint-cp_1"`, `id="complaint-cp_2"`, "Bank of Tests", "Identity card", i18n.T("en", "console.complaint.status.filed")} {
		if w.Code != 200 || !strings.Contains(page, want) {
			t.Errorf("complaints list: %d, no %q", w.Code, want)
		}
	}
	if page := h.Get("/console/complaints?status=upheld&lang=en", s).Body.String(); strings.Contains(page, `id="complaint-cp_1"`) || !strings.Contains(page, `id="complaint-cp_2"`) {
		t.Error("the status filter lets the wrong complaints through")
	}
	w = h.Get("/console/complaints/cp_1?lang=en", s)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Мен бұл банкке") || !strings.Contains(w.Body.String(), `id="complaint-form"`) {
		t.Fatalf("complaint page: %d\n%s", w.Code, w.Body)
	}
	// Refused: a status not offered, a closed complaint, an oversize note, an unknown id.
	for _, st := range []string{"filed", "closed", ""} {
		w = h.Post("/console/complaints/cp_1/status?lang=en", url.Values{"status": {st}, "note": {"typed"}}, s)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "typed") {
			t.Errorf("status %q: %d", st, w.Code)
		}
	}
	w = h.Post("/console/complaints/cp_2/status?lang=en", url.Values{"status": {pd.ComplaintDismissed}}, s)
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), i18n.T("en", "error.pd.complaint.transition")) {
		t.Errorf("closed complaint: %d", w.Code)
	}
	long := strings.Repeat("ы", pd.MaxComplaintNote+1)
	w = h.Post("/console/complaints/cp_1/status?lang=ru", url.Values{"status": {pd.ComplaintInReview}, "note": {long}}, s)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), i18n.T("ru", "console.err.note")) || !strings.Contains(w.Body.String(), long) {
		t.Errorf("oversize note: %d", w.Code)
	}
	if w := h.Post("/console/complaints/cp_nope/status", url.Values{"status": {pd.ComplaintInReview}}, s); w.Code != http.StatusNotFound {
		t.Errorf("unknown complaint: %d", w.Code)
	}
	if w := h.Get("/console/complaints/cp_nope", s); w.Code != http.StatusNotFound {
		t.Errorf("unknown complaint page: %d", w.Code)
	}
	if len(f.writes) != 0 {
		t.Fatalf("refused changes were made: %q", f.writes)
	}
	// A citizen is refused everywhere here.
	c := h.Citizen("900101300001", "A")
	if w := h.Post("/console/complaints/cp_1/status", url.Values{"status": {pd.ComplaintUpheld}}, c); w.Code != http.StatusForbidden || len(f.writes) != 0 {
		t.Errorf("a citizen changed a complaint: %d", w.Code)
	}
	for _, p := range []string{"/console/complaints", "/console/complaints/cp_1"} {
		if w := h.Get(p, c); w.Code != http.StatusForbidden {
			t.Errorf("a citizen at %s: %d", p, w.Code)
		}
	}
	w = h.Post("/console/complaints/cp_1/status?lang=en", url.Values{"status": {pd.ComplaintInReview}, "note": {"Asked the bank"}}, s)
	if w.Code != 200 || !strings.Contains(w.Body.String(), i18n.T("en", "console.saved")) || len(f.writes) != 1 || !strings.HasPrefix(f.writes[0], "admin:") {
		t.Fatalf("status change: %d %q\n%s", w.Code, f.writes, w.Body)
	}
	page = w.Body.String()
	if !strings.Contains(page, "Asked the bank") || !strings.Contains(page, i18n.T("en", "console.actor.staff", strings.TrimPrefix(strings.Fields(f.writes[0])[0][:len(strings.Fields(f.writes[0])[0])-1], "admin:"))) {
		t.Errorf("the history does not say who did what:\n%s", page)
	}
	if strings.Contains(page, "citizen:7") {
		t.Error("the citizen's reference is shown")
	}
}

// TestConsoleComplaintsReadable: the complaint pages in every language, every status.
func TestConsoleComplaintsReadable(t *testing.T) {
	h, f := mount(t)
	for _, st := range pd.ComplaintStatuses {
		c := complaint("cp_"+st, st)
		c.History = append(c.History, pd.ComplaintChange{Status: st, Note: "Тексерілді", Actor: "admin:3@100000000009", At: c.FiledAt})
		f.complaints = append(f.complaints, c)
	}
	s := h.Staff("900101300003", "Staff")
	for _, lang := range i18n.Langs {
		paths := []string{"/console/complaints", "/console/complaints?status=in_review"}
		for _, st := range pd.ComplaintStatuses {
			paths = append(paths, "/console/complaints/cp_"+st)
		}
		for _, p := range paths {
			w := h.Get(p+"&lang="+lang, s)
			if !strings.Contains(p, "?") {
				w = h.Get(p+"?lang="+lang, s)
			}
			if w.Code != 200 {
				t.Errorf("%s: %d", p, w.Code)
			}
			webtest.Readable(t, p, lang, w.Body.String())
		}
		webtest.Readable(t, "refused", lang, h.Post("/console/complaints/cp_filed/status?lang="+lang, url.Values{"status": {"x"}}, s).Body.String())
	}
}
