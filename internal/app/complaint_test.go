package app

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/pd"
)

// rule PD-3.1: through the whole server, a citizen complains about an access to her
// data; a forged form (no or another session's anti-forgery token), a replayed form,
// another citizen's access or complaint id and an oversize text are each refused with
// nothing recorded; the regulator's employee sees the complaint and changes its status,
// a citizen cannot.
func TestComplaintThroughTheServer(t *testing.T) {
	a, srv := newSandbox(t, "")
	alice, bob := a.Pop.Citizens[0], a.Pop.Citizens[1]
	accessed(t, a, srv.URL, alice)
	h, err := a.PD.AccessHistory(t.Context(), alice.IIN)
	if err != nil || len(h) == 0 {
		t.Fatal("no access on record")
	}
	ev := strconv.FormatInt(h[0].EventID, 10)
	ba, bb := newBrowser(t, srv.URL), newBrowser(t, srv.URL)
	homeA, homeB := ba.login(alice), bb.login(bob)
	csrfA, csrfB := csrfOf(t, homeA), csrfOf(t, homeB)
	count := func() int {
		var n int
		if err := a.DB.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM pd_complaints`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	path := "/access/" + ev + "/complaint"
	for name, tc := range map[string]struct {
		b    *browser
		form url.Values
		want int
	}{
		"no token":               {ba, url.Values{"text": {"x"}}, 403},
		"forged token":           {ba, url.Values{"csrf": {"forged"}, "text": {"x"}}, 403},
		"another session's":      {ba, url.Values{"csrf": {csrfB}, "text": {"x"}}, 403},
		"another citizen's data": {bb, url.Values{"csrf": {csrfB}, "text": {"x"}}, 404},
		"oversize":               {ba, url.Values{"csrf": {csrfA}, "text": {strings.Repeat("ә", pd.MaxComplaintText+1)}}, 422},
	} {
		if st, _ := tc.b.post(path, tc.form); st != tc.want || count() != 0 {
			t.Errorf("%s: %d (want %d), %d complaints", name, st, tc.want, count())
		}
	}
	if st, page := ba.post(path+"?lang=en", url.Values{"csrf": {csrfA}, "text": {"I never asked this bank."}}); st != 200 || count() != 1 {
		t.Fatalf("complaint: %d\n%s", st, page)
	}
	// The same form again: refused, still one.
	if st, _ := ba.post(path, url.Values{"csrf": {csrfA}, "text": {"I never asked this bank."}}); st != 409 || count() != 1 {
		t.Errorf("replayed form: %d, %d complaints", st, count())
	}
	list, _ := a.PD.Complaints(t.Context(), alice.IIN)
	id := list[0].ID
	if st, _ := bb.get("/complaints/" + id); st != 404 {
		t.Errorf("Bob opens Alice's complaint: %d", st)
	}
	if _, page := bb.get("/complaints"); strings.Contains(page, id) {
		t.Error("Bob sees Alice's complaint")
	}
	// Staff move it on; a citizen cannot, not even with her own token.
	if st, _ := ba.post("/console/complaints/"+id+"/status", url.Values{"csrf": {csrfA}, "status": {pd.ComplaintUpheld}}); st != 403 {
		t.Errorf("a citizen changed a complaint's status: %d", st)
	}
	staff, _ := staffBrowser(t, a, srv.URL)
	_, page := staff.get("/console/complaints/" + id + "?lang=en")
	if !strings.Contains(page, "I never asked this bank.") {
		t.Fatalf("the console does not show the complaint:\n%s", page)
	}
	if st, _ := staff.post("/console/complaints/"+id+"/status", url.Values{"csrf": {csrfOf(t, page)}, "status": {pd.ComplaintInReview}, "note": {"asked the bank"}}); st != 200 {
		t.Errorf("status change: %d", st)
	}
	c, err := a.PD.ComplaintFor(t.Context(), alice.IIN, id)
	if err != nil || c.Status != pd.ComplaintInReview || len(c.History) != 2 || !strings.HasPrefix(c.History[1].Actor, "admin:") {
		t.Errorf("complaint after the change: %+v %v", c, err)
	}
}

// rule TR-1: through the whole server, the regulator's employee edits a directory entry
// and deletes it after the confirmation; its history says who did what; a citizen's
// deletion, a deletion without confirmation and a replayed one change nothing more.
func TestDirectoryEntryThroughTheServer(t *testing.T) {
	a, srv := newSandbox(t, "")
	staff, _ := staffBrowser(t, a, srv.URL)
	_, page := staff.get("/console/entries/ground/" + pd.SandboxGround + "?lang=en")
	csrf := csrfOf(t, page)
	if !strings.Contains(page, `id="entry-history"`) {
		t.Fatalf("no history on the entry's page:\n%s", page)
	}
	ba := newBrowser(t, srv.URL)
	home := ba.login(a.Pop.Citizens[0])
	del := "/console/entries/ground/" + pd.SandboxGround + "/delete"
	if st, _ := ba.post(del, url.Values{"csrf": {csrfOf(t, home)}, "confirmed": {"yes"}}); st != 403 {
		t.Errorf("a citizen's deletion: %d", st)
	}
	if st, page := staff.post(del, url.Values{"csrf": {csrf}}); st != 200 || !strings.Contains(page, `id="delete-confirm"`) {
		t.Errorf("deletion without confirmation: %d", st)
	}
	if h, _ := a.PD.DirectoryHistory(t.Context(), pd.EntryGround, pd.SandboxGround); len(h) != 1 {
		t.Fatalf("history before the deletion: %+v", h)
	}
	if st, _ := staff.post(del, url.Values{"csrf": {csrf}, "confirmed": {"yes"}}); st != 200 {
		t.Errorf("deletion: %d", st)
	}
	if st, _ := staff.post(del, url.Values{"csrf": {csrf}, "confirmed": {"yes"}}); st != 404 {
		t.Errorf("replayed deletion: %d", st)
	}
	h, _ := a.PD.DirectoryHistory(t.Context(), pd.EntryGround, pd.SandboxGround)
	if len(h) != 2 || !h[1].Deleted || !strings.HasPrefix(h[1].Actor, "admin:") {
		t.Errorf("history after the deletion: %+v", h)
	}
	if _, page := newBrowser(t, srv.URL).get("/directories"); strings.Contains(page, pd.SandboxGround) {
		t.Error("the deleted ground is still in the public directories")
	}
	_, page = staff.get("/console/entries/ground/" + pd.SandboxGround + "?lang=en")
	if !strings.Contains(page, `id="entry-deleted"`) {
		t.Error("the deleted entry's page does not say so")
	}
}
