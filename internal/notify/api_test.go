package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/problem/problemtest"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

var (
	binTax       = mkIIN("99014000001") // a state body with a sender permission (same check digit as an IIN)
	binCourt     = mkIIN("99054000001") // another one
	binRegulator = mkIIN("99064000001")
	binOther     = mkIIN("99074000001") // no sender permission
)

type fakeCitizens map[string]*identity.Citizen

func (f fakeCitizens) CitizenByIIN(_ context.Context, iin string) (*identity.Citizen, error) {
	if c, ok := f[iin]; ok {
		return c, nil
	}
	return nil, identity.ErrNotFound
}

func (f fakeCitizens) CitizenByID(_ context.Context, id int64) (*identity.Citizen, error) {
	for _, c := range f {
		if c.ID == id {
			return c, nil
		}
	}
	return nil, identity.ErrNotFound
}

var citizens = fakeCitizens{
	iinAlice: {ID: 1, IIN: iinAlice, Name: "Alice", Lang: "kk"},
	iinBob:   {ID: 2, IIN: iinBob, Name: "Bob", Lang: "ru"},
}

// apiFixture is a Service with citizens, channels and the sending API on a mux.
type apiFixture struct {
	*fixture
	mux *http.ServeMux
}

func newAPIFixture(t *testing.T, db *store.DB, chans ...Channel) *apiFixture {
	f := &fixture{db: db, key: newSigner(t), now: time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC)}
	svc, err := New(Config{DB: db, Directory: fakeDir{}, Organizations: fakeOrgs{binBank: "Halyk Bank", binTax: "State Revenue Committee"},
		Signer: f.key, Issuer: "https://senim.test", Now: func() time.Time { return f.now }, Citizens: citizens, Channels: chans,
		Backoff: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	a := &apiFixture{fixture: f, mux: http.NewServeMux()}
	svc.Register(func(p string, h http.Handler) { a.mux.Handle(p, h) }, func(bin string) bool { return bin == binRegulator })
	if err := svc.SetSender(t.Context(), "admin:test", binTax, []string{"tax", "general"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetSender(t.Context(), "admin:test", binCourt, []string{"court"}); err != nil {
		t.Fatal(err)
	}
	return a
}

type resp struct {
	status int
	body   map[string]any
	raw    []byte
	header http.Header
}

func (a *apiFixture) do(t *testing.T, bin, method, path, idem string, body any) resp {
	t.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	r := httptest.NewRequestWithContext(t.Context(), method, path, rd)
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if idem != "" {
		r.Header.Set("Idempotency-Key", idem)
	}
	if bin != "" {
		r = r.WithContext(orgauth.WithCaller(r.Context(), &orgauth.Caller{BIN: bin}))
	}
	w := httptest.NewRecorder()
	a.mux.ServeHTTP(w, r)
	out := resp{status: w.Code, raw: w.Body.Bytes(), header: w.Header()}
	json.Unmarshal(out.raw, &out.body)
	return out
}

func submission(iin string) map[string]any {
	return map[string]any{
		"subject_iin": iin, "category": "tax", "legally_significant": true, "read_by": "2026-03-09T00:00:00Z",
		"content": map[string]any{
			"kk": map[string]string{"title": "Салық хабарламасы", "body": "Мүлік салығын 1 сәуірге дейін төлеңіз."},
			"ru": map[string]string{"title": "Налоговое уведомление", "body": "Оплатите налог на имущество до 1 апреля."},
		},
	}
}

// rule DC-2: a state body with a sender permission sends a legally significant notice
// by IIN through POST /v1/notices; it reaches the citizen's inbox, the sender sees its
// status, and after the acknowledgement downloads the same receipt the citizen does.
func TestSendingAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newAPIFixture(t, db)
		r := a.do(t, binTax, "POST", "/v1/notices", "k-1", submission(iinAlice))
		if r.status != http.StatusCreated {
			t.Fatalf("submit: %d %s", r.status, r.raw)
		}
		id, _ := r.body["id"].(string)
		if r.body["state"] != StateDelivered || r.body["policy"] != PolicyVersion || r.header.Get("Location") != "/v1/notices/"+id {
			t.Errorf("answer %s", r.raw)
		}
		if bytes.Contains(r.raw, []byte(iinAlice)) {
			t.Error("the answer repeats the IIN")
		}
		list, _ := a.svc.Inbox(t.Context(), alice)
		if len(list) != 1 || list[0].Ref != id || !list[0].Significant || list[0].Facts.Sender != "State Revenue Committee" {
			t.Fatalf("alice's inbox %+v", list)
		}
		// The status event, the webhook hook point, names the notice and the sender only.
		var ev string
		if err := db.QueryRowContext(t.Context(), `SELECT payload FROM outbox_events WHERE type = 'notify.notice.status' AND subject = ?`, alice).Scan(&ev); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(ev, id) || !strings.Contains(ev, binTax) || strings.Contains(ev, iinAlice) || strings.Contains(ev, "Оплатите") {
			t.Errorf("status event %s", ev)
		}

		st := a.do(t, binTax, "GET", "/v1/notices/"+id, "", nil)
		if st.status != 200 || st.body["state"] != StateDelivered || st.body["receipt_url"] != nil {
			t.Fatalf("status %d %s", st.status, st.raw)
		}
		// Authorization matrix: another sender, and nobody, see nothing.
		if o := a.do(t, binCourt, "GET", "/v1/notices/"+id, "", nil); o.status != 404 || o.body["code"] != "notify.notice.not_found" {
			t.Errorf("another sender read the status: %d %s", o.status, o.raw)
		}
		if o := a.do(t, binCourt, "GET", "/v1/notices/"+id+"/receipt", "", nil); o.status != 404 {
			t.Errorf("another sender's receipt: %d %s", o.status, o.raw)
		}
		if o := a.do(t, "", "GET", "/v1/notices/"+id, "", nil); o.status != 401 {
			t.Errorf("anonymous status: %d", o.status)
		}
		if o := a.do(t, binTax, "GET", "/v1/notices/"+id+"/receipt", "", nil); o.status != 409 || o.body["code"] != "notify.receipt.not_acknowledged" {
			t.Errorf("receipt before acknowledgement: %d %s", o.status, o.raw)
		}
		// The citizen reads it; Bob cannot.
		if _, err := a.svc.Acknowledge(t.Context(), reader(bob, iinBob), id); !errors.Is(err, ErrNotFound) {
			t.Errorf("bob acknowledged alice's notice: %v", err)
		}
		o, err := a.svc.Acknowledge(t.Context(), reader(alice, iinAlice), id)
		if err != nil {
			t.Fatal(err)
		}
		st = a.do(t, binTax, "GET", "/v1/notices/"+id, "", nil)
		if st.body["state"] != StateRead || st.body["receipt_url"] != "/v1/notices/"+id+"/receipt" {
			t.Errorf("status after reading %s", st.raw)
		}
		rc := a.do(t, binTax, "GET", "/v1/notices/"+id+"/receipt", "", nil)
		if rc.status != 200 || rc.body["receipt"] != o.Receipt.JWS {
			t.Fatalf("sender's receipt %d %s", rc.status, rc.raw)
		}
		c, err := VerifyReceipt(rc.body["receipt"].(string), a.key.jwks())
		if err != nil || c.Notice != id || !c.CheckCommit(rc.body["iin_salt"].(string), iinAlice) {
			t.Errorf("the sender's copy does not verify for alice's IIN: %+v %v", c, err)
		}
		// rule DC-2: the sender sees what the receipt covers — the content as shown,
		// with the line Senim adds naming the sender — and the bundle checks it.
		var bundle Receipt
		if err := json.Unmarshal(rc.raw, &bundle); err != nil {
			t.Fatal(err)
		}
		v, err := VerifyReceiptBundle(&bundle, a.key.jwks(), nil)
		if err != nil || v.Content == nil || v.Content.Hash() != c.ContentSHA256 || !reflect.DeepEqual(v.Content, o.Content) {
			t.Errorf("the sender's bundle does not carry the content shown: %+v %v", v, err)
		}
		// A receipt is for its notice only: another notice's id is refused by the check.
		r2 := a.do(t, binTax, "POST", "/v1/notices", "k-2", submission(iinBob))
		if c.Notice == r2.body["id"] {
			t.Error("two notices share an id")
		}
	})
}

// Idempotency: the same key and body answer the first response again; another body
// under the same key is 409; a key is the sender's own (another sender may reuse it).
func TestSendingAPIIdempotency(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newAPIFixture(t, db)
		first := a.do(t, binTax, "POST", "/v1/notices", "k-1", submission(iinAlice))
		again := a.do(t, binTax, "POST", "/v1/notices", "k-1", submission(iinAlice))
		if again.status != 201 || again.body["id"] != first.body["id"] || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay: %d %s, first %s", again.status, again.raw, first.raw)
		}
		// Byte for byte, with the first answer's Location and headers.
		problemtest.SameReplay(t, problemtest.Answer{Status: first.status, Header: first.header, Body: first.raw},
			problemtest.Answer{Status: again.status, Header: again.header, Body: again.raw})
		other := submission(iinAlice)
		other["category"] = "general"
		if c := a.do(t, binTax, "POST", "/v1/notices", "k-1", other); c.status != 409 || c.body["code"] != "notify.idempotency.conflict" {
			t.Errorf("another body under the key: %d %s", c.status, c.raw)
		}
		court := submission(iinAlice)
		court["category"] = "court"
		if c := a.do(t, binCourt, "POST", "/v1/notices", "k-1", court); c.status != 201 {
			t.Errorf("another sender's own k-1: %d %s", c.status, c.raw)
		}
		if n, _, _ := a.svc.Unread(t.Context(), alice); n != 2 {
			t.Errorf("%d notices, want 2 (the replay and the conflict add none)", n)
		}
	})
}

// Every bad input of the list has its own stable problem code, and changes
// nothing.
func TestSendingAPIRefusals(t *testing.T) {
	a := newAPIFixture(t, storetest.Open(t))
	with := func(edit func(m map[string]any)) map[string]any {
		m := submission(iinAlice)
		edit(m)
		return m
	}
	content := func(m map[string]any) map[string]any { return m["content"].(map[string]any) }
	unknown := mkIIN("70070730001")
	for _, tc := range []struct {
		name   string
		bin    string
		idem   string
		body   any
		status int
		code   string
	}{
		{"unknown IIN", binTax, "a", with(func(m map[string]any) { m["subject_iin"] = unknown }), 422, "notify.subject.unknown"},
		{"not an IIN", binTax, "b", with(func(m map[string]any) { m["subject_iin"] = "123456789012" }), 422, "notify.subject.invalid"},
		{"oversize body", binTax, "c", with(func(m map[string]any) {
			content(m)["ru"] = map[string]string{"title": "x", "body": strings.Repeat("я", maxBody)}
		}), 422, "notify.content.too_large"},
		{"oversize request", binTax, "c2", with(func(m map[string]any) {
			content(m)["ru"] = map[string]string{"title": "x", "body": strings.Repeat("a", maxSubmission)}
		}), 413, "request.too_large"},
		{"no Russian", binTax, "d", with(func(m map[string]any) { delete(content(m), "ru") }), 422, "notify.content.language_missing"},
		{"no Kazakh", binTax, "e", with(func(m map[string]any) { delete(content(m), "kk") }), 422, "notify.content.language_missing"},
		{"unknown language", binTax, "f", with(func(m map[string]any) { content(m)["de"] = map[string]string{"title": "x", "body": "y"} }), 422, "notify.content.language_unknown"},
		{"empty title", binTax, "g", with(func(m map[string]any) { content(m)["en"] = map[string]string{"title": " ", "body": "y"} }), 422, "notify.content.empty"},
		{"unknown category", binTax, "h", with(func(m map[string]any) { m["category"] = "lottery" }), 422, "notify.category.unknown"},
		{"category not permitted", binTax, "i", with(func(m map[string]any) { m["category"] = "court" }), 403, "notify.sender.category_not_permitted"},
		{"no sender permission", binBank, "j", submission(iinAlice), 403, "notify.sender.not_permitted"},
		{"deadline passed", binTax, "k", with(func(m map[string]any) { m["read_by"] = "2026-03-01T00:00:00Z" }), 422, "notify.read_by.invalid"},
		{"deadline too far", binTax, "l", with(func(m map[string]any) { m["read_by"] = "2028-03-01T00:00:00Z" }), 422, "notify.read_by.invalid"},
		{"no idempotency key", binTax, "", submission(iinAlice), 400, "notify.idempotency.key_required"},
		{"unknown field", binTax, "m", with(func(m map[string]any) { m["subject_name"] = "Alice" }), 400, "request.unknown_field"},
		{"not JSON", binTax, "n", "{", 400, "request.malformed_json"},
		{"anonymous", "", "o", submission(iinAlice), 401, "auth.unauthenticated"},
	} {
		r := a.do(t, tc.bin, "POST", "/v1/notices", tc.idem, tc.body)
		if r.status != tc.status || r.body["code"] != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.name, r.status, r.body["code"], tc.status, tc.code)
		}
		if strings.Contains(string(r.raw), iinAlice) {
			t.Errorf("%s: the problem repeats the IIN", tc.name)
		}
	}
	var k int
	a.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM notify_notices`).Scan(&k)
	if k != 0 {
		t.Errorf("refused submissions left %d notices", k)
	}
	a.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM idempotency_keys`).Scan(&k)
	if k != 0 {
		t.Errorf("refused submissions left %d idempotency keys", k)
	}
}

// The sender-permission directory is the authorized body's: only a regulator BIN reads
// or changes it, a change is in the outbox, and a withdrawn permission stops sending.
func TestSenderDirectory(t *testing.T) {
	a := newAPIFixture(t, storetest.Open(t))
	if r := a.do(t, binTax, "PUT", "/v1/admin/notify/senders/"+binTax, "", map[string]any{"categories": []string{"court"}}); r.status != 403 || r.body["code"] != "pd.admin.not_regulator" {
		t.Errorf("a sender changed its own permission: %d %s", r.status, r.raw)
	}
	if r := a.do(t, binTax, "GET", "/v1/admin/notify/senders", "", nil); r.status != 403 {
		t.Errorf("a sender read the directory: %d", r.status)
	}
	for name, tc := range map[string]struct {
		path string
		body any
		code string
	}{
		"bad BIN":          {"/v1/admin/notify/senders/123", map[string]any{"categories": []string{"tax"}}, "notify.sender.invalid"},
		"unknown category": {"/v1/admin/notify/senders/" + binOther, map[string]any{"categories": []string{"lottery"}}, "notify.category.unknown"},
		"no categories":    {"/v1/admin/notify/senders/" + binOther, map[string]any{}, "request.invalid_field"},
	} {
		if r := a.do(t, binRegulator, "PUT", tc.path, "", tc.body); r.body["code"] != tc.code {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
	r := a.do(t, binRegulator, "GET", "/v1/admin/notify/senders", "", nil)
	if r.status != 200 || !strings.Contains(string(r.raw), binTax) || strings.Contains(string(r.raw), binOther) {
		t.Errorf("directory %s", r.raw)
	}
	if r := a.do(t, binRegulator, "PUT", "/v1/admin/notify/senders/"+binTax, "", map[string]any{"categories": []string{}}); r.status != 200 {
		t.Fatalf("withdraw: %d %s", r.status, r.raw)
	}
	if r := a.do(t, binTax, "POST", "/v1/notices", "z", submission(iinAlice)); r.body["code"] != "notify.sender.not_permitted" {
		t.Errorf("sent after the permission was withdrawn: %d %s", r.status, r.raw)
	}
	var k int
	a.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events WHERE type = 'notify.directory.sender.set'`).Scan(&k)
	if k != 3 {
		t.Errorf("%d directory events, want 3", k)
	}
}

// Concurrent submissions share transactions (group commit): every one is accepted
// once, and a refused one in the same group (a replayed key with another body) is
// refused alone.
func TestSubmitGroupCommit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newAPIFixture(t, db)
		content := message(alice, false).Content
		sub := Submission{SubjectIIN: iinAlice, Category: "tax", Content: content}
		if _, err := a.svc.Submit(t.Context(), binTax, sub, &IdemKey{Key: "dup", Body: []byte("first")}); err != nil {
			t.Fatal(err)
		}
		const n = 64
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k, body := "k"+strconv.Itoa(i), []byte(strconv.Itoa(i))
				if i == n/2 {
					k = "dup" // another body under a used key
				}
				_, errs[i] = a.svc.Submit(t.Context(), binTax, sub, &IdemKey{Key: k, Body: body})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if i == n/2 {
				if !errors.Is(err, ErrIdempotencyConflict) {
					t.Errorf("the conflicting submission: %v", err)
				}
			} else if err != nil {
				t.Errorf("submission %d: %v", i, err)
			}
		}
		if c, _, _ := a.svc.Unread(t.Context(), alice); c != n {
			t.Errorf("%d notices, want %d", c, n)
		}
	})
}
