package app

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/sandbox"
)

// The organisation directory's admin API: only the authorized body reads and writes
// it; a rename reaches what citizens read at once — a notice sent after it names the
// sender by the new name in each language.
func TestOrganizationDirectoryAPI(t *testing.T) {
	a, srv := newSandbox(t, "")
	ctx := t.Context()
	var regulator, register sandbox.Organization
	for _, o := range a.Pop.Organizations {
		switch o.Role {
		case "regulator":
			regulator = o
		case "state_body":
			register = o
		}
	}
	call := func(o *sandbox.Organization, method, path string, body []byte) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if o != nil {
			spec := orgSpec(t, a, o.BIN)
			if err := orgauth.SignRequest(req, body, spec.Signer, append([]*x509.Certificate{spec.Cert}, spec.Chain...), testNow); err != nil {
				t.Fatal(err)
			}
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		return res.StatusCode, m
	}
	renamed := func(bin string) []byte {
		b, _ := json.Marshal(map[string]any{"bin": bin, "name": "New Population Register", "role": "state_body",
			"names":               map[string]string{"kk": "Жаңа халық тіркелімі", "ru": "Новый регистр населения", "en": "New Population Register"},
			"information_systems": []map[string]string{{"code": "gbdfl", "name": "State database of individuals"}}})
		return b
	}
	path := "/v1/admin/organizations/" + register.BIN

	// Refusals: no signature, another organisation, a BIN in the body not the path's,
	// invalid data. None changes the organisation.
	if st, _ := call(nil, "GET", "/v1/admin/organizations", nil); st != 401 {
		t.Errorf("unsigned list: %d, want 401", st)
	}
	if st, _ := call(nil, "PUT", path, renamed(register.BIN)); st != 401 {
		t.Errorf("unsigned put: %d, want 401", st)
	}
	for _, m := range []string{"GET", "PUT"} {
		var body []byte
		if m == "PUT" {
			body = renamed(register.BIN)
		}
		if st, p := call(&register, m, path, body); st != 403 || p["code"] != "pd.admin.not_regulator" {
			t.Errorf("%s by the organisation itself: %d %v", m, st, p)
		}
	}
	if st, p := call(&regulator, "PUT", path, renamed(regulator.BIN)); st != 400 || p["code"] != "identity.organization.invalid" || p["field"] != "bin" {
		t.Errorf("path and body BIN differ: %d %v", st, p)
	}
	noKK := bytes.Replace(renamed(""), []byte(`"kk":"Жаңа халық тіркелімі",`), nil, 1)
	if st, p := call(&regulator, "PUT", path, noKK); st != 400 || p["field"] != "names.kk" {
		t.Errorf("no Kazakh name: %d %v", st, p)
	}
	if o, _ := a.Identity.OrganizationByBIN(ctx, register.BIN); o.Name != register.Name {
		t.Fatalf("a refused put changed the organisation: %+v", o)
	}

	// The regulator lists, reads and renames (the body may leave the BIN out).
	st, m := call(&regulator, "GET", "/v1/admin/organizations", nil)
	if orgs, _ := m["organizations"].([]any); st != 200 || len(orgs) != len(a.Pop.Organizations) {
		t.Errorf("list: %d %v", st, m)
	}
	if st, m := call(&regulator, "GET", path, nil); st != 200 || m["name"] != register.Name {
		t.Errorf("get: %d %v", st, m)
	}
	if st, m := call(&regulator, "GET", "/v1/admin/organizations/070941024691", nil); st != 404 || m["code"] != "identity.not_found" {
		t.Errorf("get of no organisation: %d %v", st, m)
	}
	noBIN := bytes.Replace(renamed(""), []byte(`"bin":"",`), nil, 1)
	if st, m := call(&regulator, "PUT", path, noBIN); st != 200 || m["bin"] != register.BIN || m["name"] != "New Population Register" {
		t.Fatalf("rename: %d %v", st, m)
	}
	var actor string
	a.DB.QueryRowContext(ctx, `SELECT actor FROM outbox_events WHERE type = 'identity.organization.set'`).Scan(&actor)
	if actor != "org:"+regulator.BIN {
		t.Errorf("the change is recorded by %q", actor)
	}

	// The change's history: the regulator reads it; nobody else does; a malformed BIN is
	// refused.
	st, m = call(&regulator, "GET", path+"/history", nil)
	if h, _ := m["history"].([]any); st != 200 || len(h) != 1 {
		t.Fatalf("history: %d %v", st, m)
	} else if c, _ := h[0].(map[string]any); c["actor"] != "org:"+regulator.BIN || c["organization"].(map[string]any)["name"] != "New Population Register" {
		t.Errorf("history entry: %v", c)
	}
	if st, _ := call(nil, "GET", path+"/history", nil); st != 401 {
		t.Errorf("unsigned history: %d, want 401", st)
	}
	if st, p := call(&register, "GET", path+"/history", nil); st != 403 || p["code"] != "pd.admin.not_regulator" {
		t.Errorf("history read by the organisation itself: %d %v", st, p)
	}
	if st, p := call(&regulator, "GET", "/v1/admin/organizations/12345/history", nil); st != 400 || p["field"] != "bin" {
		t.Errorf("history of a malformed BIN: %d %v", st, p)
	}
	if st, m := call(&regulator, "GET", "/v1/admin/organizations/"+regulator.BIN+"/history", nil); st != 200 || len(m["history"].([]any)) != 0 {
		t.Errorf("history of an organisation never changed: %d %v", st, m)
	}

	// A notice sent after the rename names the sender by its new name.
	alice := a.Pop.Citizens[0]
	reg := orgClient(t, a, srv.URL, register.BIN)
	readBy := testNow.Add(5 * 24 * time.Hour)
	acc, err := reg.SendNotice(ctx, client.Notice{SubjectIIN: alice.IIN, Category: "court", LegallySignificant: true, ReadBy: &readBy,
		Content: map[string]client.NoticeText{"kk": {Title: "Шақыру", Body: "Мәтін."}, "ru": {Title: "Повестка", Body: "Текст."}}}, "org-rename-1")
	if err != nil {
		t.Fatal(err)
	}
	ba := newBrowser(t, srv.URL)
	ba.login(alice)
	for lang, want := range map[string]string{"kk": "Жаңа халық тіркелімі", "ru": "Новый регистр населения", "en": "New Population Register"} {
		_, page := ba.get("/inbox/" + acc.ID + "?lang=" + lang)
		if !strings.Contains(page, want) || strings.Contains(page, register.Names.RU) {
			t.Errorf("the notice in %s does not name the sender %q:\n%s", lang, want, page)
		}
	}
}
