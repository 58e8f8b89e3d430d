package confirm

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/confirm"
	"github.com/senimkz/senim/internal/confirm/policy"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/web/webtest"
)

const iinAlice, iinBob = "900101300019", "850505400017"

// fake is the confirmation point with two requests of Alice's: a loan (eds) and a
// data-sharing consent (push), decided by the default policy.
type fake struct {
	reqs    map[string]*confirm.Confirmation
	answers []confirm.Answer
}

func newFake(t *testing.T, subject string) *fake {
	t.Helper()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f := &fake{reqs: map[string]*confirm.Confirmation{}}
	for id, tx := range map[string]policy.Transaction{
		"c_loanloanloanloanloanloa": {Kind: "loan", TermMonths: 24, Amount: "2000000", Obligations: []string{"repayment"}, Consequences: []string{"encumbrance"}},
		"c_sharesharesharesharesha": {Kind: "data_sharing_consent", OneTime: true, Obligations: []string{"data_disclosure"}},
		"c_techtechtechtechtechtec": {Kind: "contact_change", Obligations: []string{"none"}},
	} {
		d, err := policy.Default().Decide(tx, at)
		if err != nil {
			t.Fatal(err)
		}
		text := map[string]string{"kk": "Қарыз шарты.", "ru": "Договор займа."}
		f.reqs[id] = &confirm.Confirmation{ID: id, Org: "050490001003", Subject: subject, Transaction: tx, Text: text,
			TextSHA256: map[string]string{"kk": confirm.Hash(text["kk"]), "ru": confirm.Hash(text["ru"])}, Method: d.Method, Decision: d,
			PolicyVersion: d.PolicyVersion, State: confirm.StatePending, Deadline: at.Add(time.Hour), CreatedAt: at}
	}
	return f
}

func (f *fake) Mine(_ context.Context, subject string, _ bool) ([]confirm.Confirmation, error) {
	var out []confirm.Confirmation
	for _, c := range f.reqs {
		if c.Subject == subject {
			out = append(out, *c)
		}
	}
	return out, nil
}
func (f *fake) Pending(ctx context.Context, subject string) (int, error) {
	l, _ := f.Mine(ctx, subject, true)
	return len(l), nil
}
func (f *fake) ForSubject(_ context.Context, subject, id string) (*confirm.Confirmation, error) {
	if c, ok := f.reqs[id]; ok && c.Subject == subject {
		cp := *c
		return &cp, nil
	}
	return nil, confirm.ErrNotFound
}
func (f *fake) Respond(ctx context.Context, a confirm.Answerer, id string, ans confirm.Answer) (*confirm.Confirmation, error) {
	c, err := f.ForSubject(ctx, a.Subject, id)
	if err != nil {
		return nil, err
	}
	if ans.TextSHA256 != c.TextSHA256[ans.Lang] {
		return nil, confirm.ErrTextChanged
	}
	if ans.Decision == confirm.Confirm && c.Method == policy.EDS {
		return nil, confirm.ErrEDSRequired
	}
	f.answers = append(f.answers, ans)
	f.reqs[id].State, f.reqs[id].Lang, f.reqs[id].AnswerEvent = confirm.StateConfirmed, ans.Lang, 7
	return f.ForSubject(ctx, a.Subject, id)
}
func (f *fake) Sign(context.Context, confirm.Answerer, string, string, string, []byte) (*confirm.Confirmation, error) {
	return nil, confirm.ErrSignature
}
func (f *fake) Evidence(context.Context, *confirm.Confirmation) ([]byte, error) {
	return []byte(`{"format":"senim.kz/confirm/evidence/v1"}`), nil
}
func (f *fake) Agreement(context.Context, *confirm.Confirmation) (*confirm.SignedAgreement, error) {
	return nil, confirm.ErrNoEvidence
}

type orgs struct{}

func (orgs) OrganizationByBIN(_ context.Context, bin string) (*identity.Organization, error) {
	return &identity.Organization{BIN: bin, Name: "Demo Bank"}, nil
}

func mount(t *testing.T) (*webtest.Harness, *fake, *webtest.Login) {
	h := webtest.New(t)
	alice := h.Citizen(iinAlice, "Alice")
	f := newFake(t, alice.Session.Citizen.Ref())
	if err := Mount(h.Shell, Config{Confirmations: f, Organizations: orgs{}, SessionRef: func(*identity.Session) string { return "0123456789abcdef" }}); err != nil {
		t.Fatal(err)
	}
	return h, f, alice
}

func TestCatalog(t *testing.T) {
	if err := i18n.Check(catalog); err != nil {
		t.Error(err)
	}
}

func TestGuards(t *testing.T) {
	h, _, _ := mount(t)
	webtest.CheckGuards(t, h)
}

// Every page in every language: the reasons in plain words, no raw key or code.
func TestReadable(t *testing.T) {
	h, _, alice := mount(t)
	for _, lang := range []string{"kk", "ru", "en"} {
		for _, path := range []string{"/confirm", "/confirm/c_loanloanloanloanloanloa", "/confirm/c_sharesharesharesharesha", "/confirm/c_techtechtechtechtechtec"} {
			w := h.Get(path+"?lang="+lang, alice)
			if w.Code != http.StatusOK {
				t.Fatalf("%s %s: %d", path, lang, w.Code)
			}
			webtest.Readable(t, path, lang, w.Body.String())
		}
	}
	w := h.Get("/confirm/c_loanloanloanloanloanloa?lang=en", alice)
	for _, want := range []string{"The term, 24 months, is longer than 12 months", "2\u202f000\u202f000 KZT, reaches 432\u202f500 KZT", "encumbrance of property", `id="cms"`, "Rule DC-3:"} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("loan page lacks %q", want)
		}
	}
}

// rule DC-4: a push request is confirmed in the session with the hash of the text
// shown; rule DC-5: another text is refused; rule DC-3: the EDS request offers no push.
func TestAnswer(t *testing.T) {
	h, f, alice := mount(t)
	share := f.reqs["c_sharesharesharesharesha"]
	w := h.Post("/confirm/"+share.ID+"/answer?lang=en", url.Values{"decision": {"confirm"}, "lang": {"ru"}, "text_sha256": {confirm.Hash("другое")}}, alice)
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "not the text of the request") {
		t.Errorf("changed text: %d", w.Code)
	}
	w = h.Post("/confirm/"+share.ID+"/answer?lang=en", url.Values{"decision": {"confirm"}, "lang": {"ru"}, "text_sha256": {share.TextSHA256["ru"]}}, alice)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="evidence"`) || len(f.answers) != 1 {
		t.Errorf("confirm: %d\n%s", w.Code, w.Body.String())
	}
	if w := h.Get("/confirm/c_loanloanloanloanloanloa", alice); strings.Contains(w.Body.String(), `id="confirm-push"`) {
		t.Error("the EDS request offers a push")
	}
	bob := h.Citizen(iinBob, "Bob")
	if w := h.Get("/confirm/"+share.ID, bob); w.Code != http.StatusNotFound {
		t.Errorf("Bob reads Alice's request: %d", w.Code)
	}
	if w := h.Get("/confirm/"+share.ID+"/evidence.json", bob); w.Code != http.StatusNotFound {
		t.Errorf("Bob downloads Alice's evidence: %d", w.Code)
	}
}
