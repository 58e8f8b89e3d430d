package notify

import (
	"context"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/store/storetest"
)

// namedOrgs names organisations in each language.
type namedOrgs map[string]identity.Names

func (m namedOrgs) OrganizationByBIN(_ context.Context, bin string) (*identity.Organization, error) {
	if n, ok := m[bin]; ok {
		return &identity.Organization{BIN: bin, Name: n.EN, Names: n}, nil
	}
	return nil, identity.ErrNotFound
}

// rule DC-2: a state body that sends a notice is named in the reader's language — in
// the notice's content (in the language the content is shown in), and in the SMS (in
// the citizen's) — where the directory holds its name in that language; a sender
// with one name is named by it in every language.
func TestSenderNamedInReadersLanguage(t *testing.T) {
	a, gw, _ := smsFixture(t, storetest.Open(t))
	names := identity.Names{KK: "Мемлекеттік кірістер комитеті", RU: "Комитет государственных доходов", EN: "State Revenue Committee"}
	a.svc.cfg.Organizations = namedOrgs{binTax: names, binCourt: {EN: "Supreme Court"}}
	if err := a.svc.SetPref(t.Context(), alice, ChannelSMS, true, ""); err != nil {
		t.Fatal(err)
	}
	if r := a.do(t, binTax, "POST", "/v1/notices", "names-1", submission(iinAlice)); r.status != 201 {
		t.Fatalf("submit: %d %s", r.status, r.raw)
	}
	court := submission(iinAlice)
	court["category"] = "court"
	if r := a.do(t, binCourt, "POST", "/v1/notices", "names-2", court); r.status != 201 {
		t.Fatalf("submit: %d %s", r.status, r.raw)
	}
	list, err := a.svc.Inbox(t.Context(), alice)
	if err != nil || len(list) != 2 {
		t.Fatalf("inbox: %d, %v", len(list), err)
	}
	tax, supreme := &list[1], &list[0] // newest first
	for lang, want := range map[string]string{"kk": names.KK, "ru": names.RU, "en": names.EN} {
		if got := tax.Facts.SenderIn(lang); got != want {
			t.Errorf("%s: sender %q, want %q", lang, got, want)
		}
		if got := supreme.Facts.SenderIn(lang); got != "Supreme Court" {
			t.Errorf("%s: a sender with one name is %q", lang, got)
		}
	}
	// The content names it in the content's language: English falls back to Russian
	// (the notice has no English text), and so does the sender's name.
	for lang, want := range map[string]string{"kk": "Жіберуші: " + names.KK, "ru": "Отправитель: " + names.RU, "en": "Отправитель: " + names.RU} {
		if c := tax.Content(lang); c.Body[0] != want {
			t.Errorf("%s content names the sender %q, want %q", lang, c.Body[0], want)
		}
	}
	// The SMS, in alice's Kazakh.
	a.dispatch(t)
	msgs := gw.Messages("+77010000001")
	var all []string
	for _, m := range msgs {
		all = append(all, m.Text)
	}
	text := strings.Join(all, "\n")
	if !strings.Contains(text, names.KK) || strings.Contains(text, names.RU) || strings.Contains(text, names.EN) {
		t.Errorf("the SMS does not name the sender in Kazakh alone: %q", text)
	}
}

// ownerDir is a directory in which the sending state body is a data owner, named in
// each language.
type ownerDir struct {
	fakeDir
	bin   string
	names pd.Titles
}

func (d ownerDir) DataOwners(context.Context) ([]pd.DataOwner, error) {
	return []pd.DataOwner{{BIN: d.bin, Name: d.names.EN, Names: d.names}}, nil
}

// "Names, not BINs": a state body that sends a notice is named even when only the
// authorized body's directory of data owners knows it — outside the sandbox identity
// names no organisation, and the citizen read "Legally significant notice from
// 990140000012" on the list, the acknowledgement screen, the notice and the SMS, while
// the notices of the same body's reports named it. Now the data owners' directory
// names it, in each language, in the single and the bulk send; a sender that no
// directory knows is still shown by its BIN (nothing is made up).
func TestSenderNamedByTheDataOwnerDirectory(t *testing.T) {
	a, gw, _ := smsFixture(t, storetest.Open(t))
	names := pd.Titles{KK: "Мемлекеттік кірістер комитеті", RU: "Комитет государственных доходов", EN: "State Revenue Committee"}
	a.svc.cfg.Organizations = fakeOrgs{}
	a.svc.cfg.Directory = ownerDir{bin: binTax, names: names}
	if err := a.svc.SetPref(t.Context(), alice, ChannelSMS, true, ""); err != nil {
		t.Fatal(err)
	}
	if r := a.do(t, binTax, "POST", "/v1/notices", "owner-1", submission(iinAlice)); r.status != 201 {
		t.Fatalf("submit: %d %s", r.status, r.raw)
	}
	if r, _ := a.batch(t, binTax, map[string]any{"idempotency_key": "owner-2", "notice": submission(iinAlice)}); r.status != 200 {
		t.Fatalf("bulk: %d %s", r.status, r.raw)
	}
	court := submission(iinAlice)
	court["category"] = "court"
	if r := a.do(t, binCourt, "POST", "/v1/notices", "unknown-1", court); r.status != 201 {
		t.Fatalf("submit: %d %s", r.status, r.raw)
	}
	list, err := a.svc.Inbox(t.Context(), alice)
	if err != nil || len(list) != 3 {
		t.Fatalf("inbox: %d, %v", len(list), err)
	}
	unknown := &list[0]
	for _, n := range list[1:] {
		for lang, want := range map[string]string{"kk": names.KK, "ru": names.RU, "en": names.EN} {
			if got := n.Facts.SenderIn(lang); got != want {
				t.Errorf("%s: sender %q, want %q", lang, got, want)
			}
		}
	}
	if got := unknown.Facts.SenderIn("kk"); got != binCourt {
		t.Errorf("a sender no directory knows is named %q, want its BIN", got)
	}
	a.dispatch(t)
	var texts []string
	for _, m := range gw.Messages("+77010000001") {
		texts = append(texts, m.Text)
	}
	if all := strings.Join(texts, "\n"); strings.Count(all, names.KK) != 2 || strings.Contains(all, binTax) {
		t.Errorf("the SMS do not name the sender in Kazakh: %q", all)
	}
}
