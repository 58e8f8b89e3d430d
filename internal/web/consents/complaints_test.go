package consents

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/web/webtest"
)

// otherIIN is a second citizen, to whom none of the fake's accesses belong.
const otherIIN = "900101300003"

func (f *fakePD) FileComplaint(ctx context.Context, iin string, event int64, text string) (*pd.Complaint, error) {
	h, _ := f.AccessHistory(ctx, iin)
	i := slices.IndexFunc(h, func(e pd.HistoryEntry) bool { return e.EventID == event })
	if i < 0 {
		return nil, pd.ErrNotFound
	}
	for _, c := range f.filed {
		if c.EventID == event && c.Open() {
			return nil, pd.ErrComplaintDuplicate
		}
	}
	c := pd.Complaint{ID: "cp_" + iin + "_" + string(rune('a'+len(f.filed))), Subject: "citizen:" + iin, EventID: event, Kind: h[i].Kind,
		Initiator: h[i].Initiator, Owner: h[i].Owner, DataSets: h[i].DataSets, AccessAt: h[i].At, Text: text, Status: pd.ComplaintFiled,
		History: []pd.ComplaintChange{{Status: pd.ComplaintFiled, Actor: "citizen:" + iin, At: h[i].At}}}
	f.filed = append(f.filed, c)
	return &c, nil
}

func (f *fakePD) Complaints(_ context.Context, iin string) ([]pd.Complaint, error) {
	var out []pd.Complaint
	for _, c := range f.filed {
		if c.Subject == "citizen:"+iin {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakePD) ComplaintFor(_ context.Context, iin, id string) (*pd.Complaint, error) {
	for _, c := range f.filed {
		if c.ID == id && c.Subject == "citizen:"+iin {
			return &c, nil
		}
	}
	return nil, pd.ErrNotFound
}

// TestComplaint: from an access the citizen files a complaint to the authorized body
// ("this wasn't me", rule PD-3.1) and sees it with its status; an oversize text is
// refused next to its field with what she typed kept; a replayed form is refused as a
// duplicate; another citizen can neither open the form on her access, file on it, nor
// see her complaint.
func TestComplaint(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "Aigerim")
	access := h.Get("/access?lang=en", c).Body.String()
	if !strings.Contains(access, `href="/access/11/complaint"`) || !strings.Contains(access, `href="/complaints"`) {
		t.Errorf("the access page offers no complaint:\n%s", access)
	}
	if one := h.Get("/access/11?lang=en", c).Body.String(); !strings.Contains(one, `id="access-complaint"`) {
		t.Errorf("the access detail offers no complaint:\n%s", one)
	}
	w := h.Get("/access/11/complaint?lang=en", c)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Bank of Tests") || !strings.Contains(w.Body.String(), i18n.T("en", "complaint.effect")) {
		t.Fatalf("complaint form: %d\n%s", w.Code, w.Body)
	}
	// Oversize: 422, the summary, the text kept, nothing filed.
	long := strings.Repeat("ж", pd.MaxComplaintText+1)
	w = h.Post("/access/11/complaint?lang=kk", url.Values{"text": {long}}, c)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), i18n.T("kk", "complaint.err.text")) ||
		!strings.Contains(w.Body.String(), long) || len(f.filed) != 0 {
		t.Errorf("oversize text: %d, filed %d", w.Code, len(f.filed))
	}
	w = h.Post("/access/11/complaint?lang=en", url.Values{"text": {"I never applied to this bank."}}, c)
	if w.Code != 200 || !strings.Contains(w.Body.String(), i18n.T("en", "complaint.filed")) || len(f.filed) != 1 {
		t.Fatalf("filing: %d\n%s", w.Code, w.Body)
	}
	id := f.filed[0].ID
	if !strings.Contains(w.Body.String(), `id="complaint-`+id+`"`) || !strings.Contains(w.Body.String(), i18n.T("en", "complaint.status.filed")) {
		t.Errorf("the complaint is not listed with its status:\n%s", w.Body)
	}
	// The same form again (a replay): refused, the form shown again with what was typed.
	w = h.Post("/access/11/complaint?lang=ru", url.Values{"text": {"Повтор"}}, c)
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), i18n.T("ru", "error.pd.complaint.duplicate")) ||
		!strings.Contains(w.Body.String(), "Повтор") || len(f.filed) != 1 {
		t.Errorf("replayed complaint: %d, filed %d", w.Code, len(f.filed))
	}
	if w := h.Get("/complaints/"+id+"?lang=en", c); w.Code != 200 || !strings.Contains(w.Body.String(), "I never applied to this bank.") {
		t.Errorf("complaint page: %d\n%s", w.Code, w.Body)
	}
	// An unknown or malformed access.
	for _, p := range []string{"/access/999/complaint", "/access/0/complaint", "/access/x/complaint"} {
		if w := h.Get(p, c); w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, w.Code)
		}
		if w := h.Post(p, url.Values{"text": {"x"}}, c); w.Code != http.StatusNotFound {
			t.Errorf("POST %s: %d", p, w.Code)
		}
	}
	// Another citizen: not her access, not her complaint.
	b := h.Citizen(otherIIN, "Bolat")
	if w := h.Get("/access/11/complaint", b); w.Code != http.StatusNotFound {
		t.Errorf("another citizen opens the complaint form on her access: %d", w.Code)
	}
	if w := h.Post("/access/11/complaint", url.Values{"text": {"x"}}, b); w.Code != http.StatusNotFound || len(f.filed) != 1 {
		t.Errorf("another citizen files on her access: %d, filed %d", w.Code, len(f.filed))
	}
	if w := h.Get("/complaints/"+id, b); w.Code != http.StatusNotFound {
		t.Errorf("another citizen opens her complaint: %d", w.Code)
	}
	if w := h.Get("/complaints?lang=en", b); strings.Contains(w.Body.String(), id) {
		t.Error("another citizen sees her complaint")
	}
}

// TestComplaintsReadable: the complaint pages, with every status, in every language.
func TestComplaintsReadable(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "Aigerim")
	hist, _ := f.AccessHistory(t.Context(), "900101300001")
	for i, st := range pd.ComplaintStatuses {
		cp := pd.Complaint{ID: "cp" + st, Subject: "citizen:900101300001", EventID: hist[i%len(hist)].EventID, Initiator: "100040000109",
			Owner: "100040000208", DataSets: []string{"identity"}, Text: "Мен емес", Status: st,
			History: []pd.ComplaintChange{{Status: pd.ComplaintFiled, At: hist[0].At}, {Status: st, Note: "Тексерілді", At: hist[0].At}}}
		f.filed = append(f.filed, cp)
	}
	for _, lang := range i18n.Langs {
		paths := []string{"/complaints", "/access/11/complaint"}
		for _, st := range pd.ComplaintStatuses {
			paths = append(paths, "/complaints/cp"+st)
		}
		for _, p := range paths {
			w := h.Get(p+"?lang="+lang, c)
			if w.Code != 200 {
				t.Errorf("%s: %d", p, w.Code)
			}
			webtest.Readable(t, p, lang, w.Body.String())
		}
		webtest.Readable(t, "oversize", lang, h.Post("/access/11/complaint?lang="+lang, url.Values{"text": {strings.Repeat("ж", pd.MaxComplaintText+1)}}, c).Body.String())
	}
}
