package notify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

const (
	binBank     = "990340000015"
	binRegister = "990240000011"
	alice       = "citizen:1"
	bob         = "citizen:2"
)

var (
	iinAlice = mkIIN("90010130001")
	iinBob   = mkIIN("85050540001")
)

func mkIIN(first11 string) string {
	for s := first11; ; s = s[:10] + string(s[10]+1) {
		if d, ok := kzid.CheckDigit(s); ok {
			return s + string('0'+d)
		}
	}
}

type fakeDir struct{}

func (fakeDir) DataOwners(context.Context) ([]pd.DataOwner, error) {
	return []pd.DataOwner{{BIN: binRegister, Name: "Population register", DataSets: []pd.DataSet{{Code: "identity", Title: "Identity document data"}, {Code: "address", Title: "Registered address"}}}}, nil
}

func (fakeDir) Grounds(context.Context) ([]pd.Ground, error) {
	return []pd.Ground{{Code: "crim-proc", Titles: pd.Titles{KK: "Қылмыстық іс жүргізу", RU: "Уголовный процесс", EN: "Criminal procedure"}, LegalRef: "CPC RK art. 122",
		LegalRefs: pd.Titles{KK: "ҚР ҚПК 122-бабы", RU: "УПК РК, ст. 122"}}}, nil
}

func (fakeDir) ServiceCodes(context.Context) ([]pd.ServiceCode, error) {
	return []pd.ServiceCode{{Code: "birth", Title: "Birth allowance"}}, nil
}

type fakeOrgs map[string]string

func (f fakeOrgs) OrganizationByBIN(_ context.Context, bin string) (*identity.Organization, error) {
	if n, ok := f[bin]; ok {
		return &identity.Organization{BIN: bin, Name: n}, nil
	}
	return nil, identity.ErrNotFound
}

// keySigner signs like pd.Service.SignJWS, with a key of the test.
type keySigner struct {
	kid  string
	priv *ecdsa.PrivateKey
}

func newSigner(t testing.TB) *keySigner {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := k.PublicKey.Bytes()
	enc := base64.RawURLEncoding
	// The kid is the RFC 7638 thumbprint, as pd's.
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + enc.EncodeToString(b[1:33]) + `","y":"` + enc.EncodeToString(b[33:]) + `"}`))
	return &keySigner{kid: enc.EncodeToString(sum[:]), priv: k}
}

// jwk is the public JWK of the key, as pd.Service.PublicJWK gives it.
func (k *keySigner) jwk() []byte {
	b, _ := k.priv.PublicKey.Bytes()
	enc := base64.RawURLEncoding
	j, _ := json.Marshal(map[string]string{"kty": "EC", "crv": "P-256", "kid": k.kid, "alg": "ES256", "use": "sig",
		"x": enc.EncodeToString(b[1:33]), "y": enc.EncodeToString(b[33:])})
	return j
}

func (k *keySigner) SignJWS(_ context.Context, typ string, payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(`{"alg":"ES256","kid":"`+k.kid+`","typ":"`+typ+`"}`)) + "." + enc.EncodeToString(payload)
	sum := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, sum[:])
	if err != nil {
		return "", err
	}
	var sig [64]byte
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + enc.EncodeToString(sig[:]), nil
}

func (k *keySigner) jwks() []byte {
	return []byte(`{"keys":[` + string(k.jwk()) + `]}`)
}

type fixture struct {
	db  *store.DB
	svc *Service
	key *keySigner
	now time.Time
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	f := &fixture{db: db, key: newSigner(t), now: time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC)}
	svc, err := New(Config{DB: db, Directory: fakeDir{}, Organizations: fakeOrgs{binBank: "Halyk Bank"}, Signer: f.key,
		Issuer: "https://senim.test", Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func (f *fixture) emit(t *testing.T, typ, subject string, payload any) int64 {
	t.Helper()
	b, _ := json.Marshal(payload)
	var id int64
	err := f.db.Tx(t.Context(), func(tx *store.Tx) error {
		var err error
		id, err = tx.Emit(t.Context(), store.Event{Type: typ, Actor: "org:" + binBank, Subject: subject, Payload: b, CreatedAt: f.now})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) sync(t *testing.T) {
	t.Helper()
	if _, err := f.svc.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func reader(subject, iin string) Reader {
	return Reader{Subject: subject, IIN: iin, Lang: "ru", Method: string(identity.MethodPasswordSMS), Session: "0123456789abcdef0123456789abcdef"}
}

func body(c *Content) string { return c.Title + "\n" + strings.Join(c.Body, "\n") }

// Every pd event that touches a citizen's data becomes one notice that names the
// organisation, the data owner, the data in plain words, the ground with its legal
// reference and the time in Kazakhstan; a sealed issuance shows only once pd releases
// its notice. The law is cited in the notice's language where the directory has that
// form, and as the authorized body cites it where it has not (here English).
func TestNoticesFromEvents(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.emit(t, "pd.token.issued", alice, map[string]any{"jti": "j1", "flow": "protocol", "initiator": binBank, "owner": binRegister,
			"scope": []string{"identity"}, "code": "crim-proc", "expires_at": "2026-03-02T07:45:00Z"})
		// A sealed issuance (deferred ground): no notice yet.
		f.emit(t, "pd.token.issued", bob, map[string]any{"jti": "j2", "flow": "protocol", "initiator": binBank, "owner": binRegister,
			"scope": []string{"address"}, "code": "crim-proc", "sealed_until": "2026-06-01T00:00:00Z"})
		f.emit(t, "identity.session.opened", alice, map[string]string{"method": "password_sms"})
		f.sync(t)
		if n, _, _ := f.svc.Unread(t.Context(), bob); n != 0 {
			t.Fatalf("a sealed access shows %d notices before its deferral ends", n)
		}
		list, err := f.svc.Inbox(t.Context(), alice)
		if err != nil || len(list) != 1 {
			t.Fatalf("alice's inbox: %d notices, %v", len(list), err)
		}
		n := list[0]
		if n.Kind != KindAccess || n.State != StateDelivered || n.Significant {
			t.Errorf("notice %+v", n)
		}
		ru := n.Content("ru")
		for _, want := range []string{"Доступ к вашим данным", "Halyk Bank (БИН " + binBank + ")", "Population register", "Identity document data",
			"Уголовный процесс — УПК РК, ст. 122", "2 марта 2026 г., 12:30 (время Астаны, UTC+5)"} {
			if !strings.Contains(body(&ru), want) {
				t.Errorf("ru notice lacks %q:\n%s", want, body(&ru))
			}
		}
		kk, en := n.Content("kk"), n.Content("en")
		if !strings.Contains(body(&kk), "Қылмыстық іс жүргізу — ҚР ҚПК 122-бабы") || !strings.Contains(body(&en), "Criminal procedure — CPC RK art. 122") || en.Title != "Your data was accessed" {
			t.Errorf("not rendered per language:\n%s\n%s", body(&kk), body(&en))
		}
		if strings.Contains(body(&kk)+body(&ru), "CPC RK") {
			t.Errorf("a kk or ru notice cites the law in English:\n%s\n%s", body(&kk), body(&ru))
		}

		// The deferral ends: pd emits pd.access.notice, which is the notice.
		f.emit(t, "pd.access.notice", bob, map[string]any{"jti": "j2", "sealed_event": 2, "initiator": binBank, "owner": binRegister,
			"ground": "crim-proc", "scope": []string{"address"}, "accessed_at": "2026-03-02T07:30:00Z"})
		f.sync(t)
		bl, _ := f.svc.Inbox(t.Context(), bob)
		if len(bl) != 1 || !bl[0].Facts.Deferred {
			t.Fatalf("bob's released notice: %+v", bl)
		}
		if c := bl[0].Content("en"); !strings.Contains(body(&c), "deferred by law") || !strings.Contains(body(&c), "Registered address") {
			t.Errorf("released notice:\n%s", body(&c))
		}
	})
}

// rule PD-3.4: every action a data owner reports reaches the subject, with the owner's
// name, the action and whether it was automated; consents given, refused and revoked
// are notices too.
func TestNoticesOfReportsAndConsents(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.emit(t, "pd.action.reported", alice, map[string]any{"owner": binRegister, "initiator": binBank, "token_jti": "j1", "action": "view",
			"automated": true, "scope": []string{"identity"}, "at": "2026-03-02T07:31:00Z"})
		f.emit(t, "pd.consent.given", alice, map[string]any{"id": "c_1", "initiator": binBank, "owner": binRegister, "data_sets": []string{"identity", "address"},
			"purpose": "loan", "decision": "given", "valid_until": "2027-03-02T00:00:00Z"})
		f.emit(t, "pd.consent.refused", alice, map[string]any{"id": "c_2", "initiator": "990999000013", "owner": binRegister, "data_sets": []string{"address"}, "decision": "refused"})
		f.emit(t, "pd.consent.revoked", alice, map[string]any{"consent_id": "c_1", "decision": "given", "initiator": binBank, "owner": binRegister})
		f.sync(t)
		list, err := f.svc.Inbox(t.Context(), alice)
		if err != nil || len(list) != 4 {
			t.Fatalf("%d notices, %v", len(list), err)
		}
		var kinds []string
		for _, n := range list {
			kinds = append(kinds, n.Kind)
		}
		if want := []string{KindConsentRevoked, KindConsentRefused, KindConsentGiven, KindAction}; !slices.Equal(kinds, want) {
			t.Errorf("kinds %v, want newest first %v", kinds, want)
		}
		act := list[3].Content("en")
		for _, want := range []string{"A data owner reported an action", "Data owner: Population register (BIN " + binRegister + ")", "viewing (automatically)",
			"Identity document data", "2 March 2026, 12:31 (Astana time, UTC+5)"} {
			if !strings.Contains(body(&act), want) {
				t.Errorf("report notice lacks %q:\n%s", want, body(&act))
			}
		}
		given := list[2].Content("en")
		if !strings.Contains(body(&given), "Halyk Bank") || !strings.Contains(body(&given), "Registered address") || !strings.Contains(body(&given), "loan") {
			t.Errorf("consent notice:\n%s", body(&given))
		}
		// An organisation no directory names is shown by its BIN.
		if refused := list[1].Content("en"); !strings.Contains(body(&refused), "Organisation: BIN 990999000013") {
			t.Errorf("unknown organisation:\n%s", body(&refused))
		}
	})
}

// One notice per event, never two: a redelivered batch (at least once) adds nothing.
func TestOneNoticePerEvent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		id := f.emit(t, "pd.consent.given", alice, map[string]any{"id": "c_1", "initiator": binBank, "owner": binRegister, "data_sets": []string{"identity"}})
		f.sync(t)
		ev := store.Event{ID: id, Type: "pd.consent.given", Actor: "citizen:1", Subject: alice, CreatedAt: f.now,
			Payload: []byte(`{"id":"c_1","initiator":"` + binBank + `","owner":"` + binRegister + `","data_sets":["identity"]}`)}
		for range 2 {
			if err := f.svc.consume(t.Context(), []store.Event{ev}); err != nil {
				t.Fatal(err)
			}
		}
		if n, _, _ := f.svc.Unread(t.Context(), alice); n != 1 {
			t.Errorf("%d notices for one event", n)
		}
		// A payload notify cannot read fails the batch (retried, never skipped).
		bad := ev
		bad.ID, bad.Payload = id+100, []byte(`[1]`)
		if err := f.svc.consume(t.Context(), []store.Event{bad}); err == nil {
			t.Error("an unreadable payload was skipped")
		}
	})
}

// Reading is confirmed only from the addressee's authenticated session; another
// citizen's notice does not exist for them.
func TestReadLifecycle(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.emit(t, "pd.consent.given", alice, map[string]any{"id": "c_1", "initiator": binBank, "owner": binRegister, "data_sets": []string{"identity"}})
		f.sync(t)
		list, _ := f.svc.Inbox(t.Context(), alice)
		ref := list[0].Ref
		if _, err := f.svc.Open(t.Context(), reader(bob, iinBob), ref); !errors.Is(err, ErrNotFound) {
			t.Errorf("bob opened alice's notice: %v", err)
		}
		noSession := reader(alice, iinAlice)
		noSession.Session = ""
		if _, err := f.svc.Open(t.Context(), noSession, ref); !errors.Is(err, ErrReader) {
			t.Errorf("opened without a session: %v", err)
		}
		if n, _, _ := f.svc.Unread(t.Context(), alice); n != 1 {
			t.Fatalf("refused opens changed the state: %d unread", n)
		}
		o, err := f.svc.Open(t.Context(), reader(alice, iinAlice), ref)
		if err != nil || o.Content == nil || o.NeedsAcknowledgement || o.Notice.State != StateRead {
			t.Fatalf("open: %+v, %v", o, err)
		}
		if n, _, _ := f.svc.Unread(t.Context(), alice); n != 0 {
			t.Errorf("%d unread after reading", n)
		}
		if _, err := f.svc.Acknowledge(t.Context(), reader(alice, iinAlice), ref); !errors.Is(err, ErrNotSignificant) {
			t.Errorf("acknowledged a notice that is not legally significant: %v", err)
		}
	})
}

func message(subject string, significant bool) Message {
	return Message{Subject: subject, Sender: "Ministry of Justice", Significant: significant, Content: map[string]Text{
		"kk": {Title: "Сот шақыруы", Body: "Сізді 10 наурызда сотқа шақырамыз."},
		"ru": {Title: "Повестка", Body: "Вас вызывают в суд 10 марта."},
	}}
}

// rule DC-2: a legally significant notice opens only after the acknowledgement screen;
// the receipt is signed over the hash of the exact content shown, the time, the
// authentication method and the session, commits to the IIN without carrying it, goes
// to the outbox, verifies offline with the JWKS, and cannot be forged or moved.
func TestAcknowledgementReceipt(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		n, err := f.svc.Send(t.Context(), message(alice, true))
		if err != nil {
			t.Fatal(err)
		}
		o, err := f.svc.Open(t.Context(), reader(alice, iinAlice), n.Ref)
		if err != nil || !o.NeedsAcknowledgement || o.Content != nil {
			t.Fatalf("a legally significant notice opened without acknowledgement: %+v, %v", o, err)
		}
		if _, err := f.svc.Receipt(t.Context(), alice, n.Ref); !errors.Is(err, ErrNotAcknowledged) {
			t.Errorf("receipt before acknowledgement: %v", err)
		}
		if _, err := f.svc.Acknowledge(t.Context(), reader(bob, iinBob), n.Ref); !errors.Is(err, ErrNotFound) {
			t.Errorf("bob acknowledged alice's notice: %v", err)
		}
		f.now = f.now.Add(time.Hour)
		o, err = f.svc.Acknowledge(t.Context(), reader(alice, iinAlice), n.Ref)
		if err != nil || o.Content == nil || o.Receipt == nil {
			t.Fatalf("acknowledge: %+v, %v", o, err)
		}
		if o.Content.Title != "Повестка" {
			t.Errorf("shown %+v, want the Russian content", o.Content)
		}
		c, err := VerifyReceipt(o.Receipt.JWS, f.key.jwks())
		if err != nil {
			t.Fatal(err)
		}
		if c.Notice != n.Ref || c.ContentSHA256 != o.Content.Hash() || c.Lang != "ru" || c.AuthMethod != string(identity.MethodPasswordSMS) ||
			c.Session != reader(alice, iinAlice).Session || c.ReadAt != "2026-03-02T08:30:00Z" || c.Issuer != "https://senim.test" {
			t.Errorf("claims %+v", c)
		}
		payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(o.Receipt.JWS, ".")[1])
		if bytes.Contains(payload, []byte(iinAlice)) {
			t.Error("the receipt carries the IIN in clear")
		}
		if !c.CheckCommit(o.Receipt.IINSalt, iinAlice) || c.CheckCommit(o.Receipt.IINSalt, iinBob) {
			t.Error("the IIN commitment does not open to alice's IIN alone")
		}
		// The receipt's event is in the outbox, without the IIN.
		var evPayload string
		if err := db.QueryRowContext(t.Context(), `SELECT payload FROM outbox_events WHERE type = 'notify.receipt.issued' AND subject = ?`, alice).Scan(&evPayload); err != nil {
			t.Fatalf("no receipt event: %v", err)
		}
		if !strings.Contains(evPayload, c.ID) || strings.Contains(evPayload, iinAlice) {
			t.Errorf("receipt event %s", evPayload)
		}
		// Opened again, and acknowledged again: the same receipt, the same content.
		again, err := f.svc.Acknowledge(t.Context(), reader(alice, iinAlice), n.Ref)
		if err != nil || again.Receipt.JWS != o.Receipt.JWS {
			t.Errorf("a second acknowledgement made another receipt: %v", err)
		}
		op, err := f.svc.Open(t.Context(), reader(alice, iinAlice), n.Ref)
		if err != nil || op.NeedsAcknowledgement || op.Content.Hash() != c.ContentSHA256 {
			t.Errorf("reopened: %+v, %v", op, err)
		}
		if _, err := f.svc.Receipt(t.Context(), bob, n.Ref); !errors.Is(err, ErrNotFound) {
			t.Errorf("bob downloaded alice's receipt: %v", err)
		}
		var events int
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events WHERE type = 'notify.receipt.issued'`).Scan(&events)
		if events != 1 {
			t.Errorf("%d receipt events", events)
		}

		// Forgeries.
		parts := strings.Split(o.Receipt.JWS, ".")
		var claims map[string]any
		json.Unmarshal(payload, &claims)
		claims["notice"] = "n_AAAAAAAAAAAAAAAAAAAAAA" // moved to another notice
		moved, _ := json.Marshal(claims)
		other := newSigner(t)
		otherJWS, _ := other.SignJWS(t.Context(), ReceiptType, payload)
		tokenTyp, _ := f.key.SignJWS(t.Context(), "senim-security-token+jwt", payload)
		badClaims, _ := f.key.SignJWS(t.Context(), ReceiptType, []byte(`{"iss":"x","jti":"r_1"}`))
		for name, jws := range map[string]string{
			"moved to another notice": parts[0] + "." + base64.RawURLEncoding.EncodeToString(moved) + "." + parts[2],
			"signed by another key":   otherJWS,
			"another typ":             tokenTyp,
			"malformed claims":        badClaims,
			"truncated":               parts[0] + "." + parts[1],
		} {
			if _, err := VerifyReceipt(jws, f.key.jwks()); !errors.Is(err, ErrReceiptInvalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

// Bad messages are refused with a stable code and change nothing.
func TestSendRefusals(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	noRU := message(alice, true)
	delete(noRU.Content, "ru")
	noKK := message(alice, true)
	delete(noKK.Content, "kk")
	badLang := message(alice, true)
	badLang.Content["de"] = Text{Title: "x", Body: "y"}
	huge := message(alice, true)
	huge.Content["ru"] = Text{Title: "x", Body: strings.Repeat("a", maxBody+1)}
	noSubject := message("1", true)
	for name, tc := range map[string]struct {
		m    Message
		want error
	}{"no ru": {noRU, ErrLanguageMissing}, "no kk": {noKK, ErrLanguageMissing}, "unknown language": {badLang, ErrLanguageUnknown},
		"oversize": {huge, ErrContentTooLarge}, "no subject": {noSubject, ErrMessageInvalid}} {
		if _, err := f.svc.Send(t.Context(), tc.m); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if n, _, _ := f.svc.Unread(t.Context(), alice); n != 0 {
		t.Errorf("refused messages left %d notices", n)
	}
	// The fallback order for a missing English text: Russian.
	n, err := f.svc.Send(t.Context(), message(alice, false))
	if err != nil {
		t.Fatal(err)
	}
	if c := n.Content("en"); c.Lang != "ru" || c.Title != "Повестка" {
		t.Errorf("en fell back to %+v", c)
	}
}

// A live view wakes when a notice reaches its citizen, and not for another's.
func TestSubscribe(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	ch, stop := f.svc.Subscribe(alice)
	defer stop()
	if _, err := f.svc.Send(t.Context(), message(bob, false)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
		t.Fatal("woken by another citizen's notice")
	default:
	}
	if _, err := f.svc.Send(t.Context(), message(alice, false)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(time.Second):
		t.Fatal("not woken")
	}
}

func TestTextsComplete(t *testing.T) {
	for _, l := range Langs {
		if len(texts[l]) != len(texts["en"]) {
			t.Errorf("%s has %d texts, en %d", l, len(texts[l]), len(texts["en"]))
		}
		for k, v := range texts["en"] {
			if texts[l][k] == "" || v == "" {
				t.Errorf("%s: %s missing", l, k)
			}
		}
	}
}

// A notice writes its times as the cabinet's pages do (i18n.When): Kazakhstan's time,
// in the reader's language, with the zone named.
func TestNoticeTimesAsPages(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n := &Notice{Kind: KindConsentGiven, Facts: Facts{At: at, ValidUntil: at.AddDate(1, 0, 0)}}
	for lang, want := range map[string]string{
		"kk": "Уақыты: 2026 жылғы 1 қаңтар, 05:00 (Астана уақыты, UTC+5)",
		"ru": "Время: 1 января 2026 г., 05:00 (время Астаны, UTC+5)",
		"en": "Time: 1 January 2026, 05:00 (Astana time, UTC+5)",
	} {
		c := n.Content(lang)
		if b := body(&c); !strings.Contains(b, want) || !strings.Contains(b, i18n.When(lang, at.AddDate(1, 0, 0))) {
			t.Errorf("%s: %q lacks %q", lang, b, want)
		}
	}
}

// One notice per event, never two: the consumer stores a notice already delivered to
// the inbox, and an event whose notice an earlier run left accepted (not yet in the
// inbox) has that notice delivered, not a second one.
func TestConsumeCompletesAcceptedNotice(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := t.Context()
		payload := map[string]any{"jti": "j1", "flow": "protocol", "initiator": binBank, "owner": binRegister,
			"scope": []string{"identity"}, "code": "crim-proc", "expires_at": "2026-03-02T07:45:00Z"}
		left := f.emit(t, "pd.token.issued", alice, payload)
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := f.svc.accept(ctx, tx, pending{subject: alice, eventID: left, kind: KindAccess, facts: Facts{Flow: "protocol"}}, f.now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if list, _ := f.svc.Inbox(ctx, alice); len(list) != 0 {
			t.Fatalf("an accepted notice is in the inbox: %+v", list)
		}
		payload["jti"] = "j2"
		fresh := f.emit(t, "pd.token.issued", alice, payload)
		f.sync(t)
		list, err := f.svc.Inbox(ctx, alice)
		if err != nil || len(list) != 2 {
			t.Fatalf("inbox: %d notices, %v", len(list), err)
		}
		got := map[int64]Notice{}
		for _, n := range list {
			got[n.EventID] = n
		}
		for _, ev := range []int64{left, fresh} {
			if n, ok := got[ev]; !ok || n.State != StateDelivered || n.DeliveredAt.IsZero() {
				t.Errorf("event %d: %+v", ev, n)
			}
		}
		if k, _, _ := f.svc.Unread(ctx, alice); k != 2 {
			t.Errorf("unread %d, want 2", k)
		}
	})
}

// rule DC-2: acknowledgements of one notice that race (two tabs, a double tap) all
// answer the one receipt that was made; none is refused and none makes a second.
func TestConcurrentAcknowledgementsShareTheReceipt(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		n, err := f.svc.Send(t.Context(), message(alice, true))
		if err != nil {
			t.Fatal(err)
		}
		const tabs = 8
		jws := make([]string, tabs)
		errs := make([]error, tabs)
		var wg sync.WaitGroup
		for i := range tabs {
			wg.Go(func() {
				o, err := f.svc.Acknowledge(t.Context(), reader(alice, iinAlice), n.Ref)
				if err == nil {
					jws[i] = o.Receipt.JWS
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i := range tabs {
			if errs[i] != nil || jws[i] == "" || jws[i] != jws[0] {
				t.Errorf("acknowledgement %d: %v (same receipt as the first: %t)", i, errs[i], jws[i] == jws[0])
			}
		}
		var receipts int
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM notify_receipts`).Scan(&receipts)
		if receipts != 1 {
			t.Errorf("%d receipts for one notice", receipts)
		}
	})
}

// Design, "What people see": a notice about a consent names it by its organisation,
// data and purpose in words and links to it on the consents page; the consent's id,
// which a person cannot read, is never in the text.
func TestConsentNoticesNameNotID(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		const id = "c_5f0e9b1a7c3d4e2f"
		f.emit(t, "pd.consent.given", alice, map[string]any{"id": id, "initiator": binBank, "owner": binRegister, "data_sets": []string{"identity", "address"},
			"purpose": "loan", "decision": "given", "valid_until": "2027-03-02T00:00:00Z"})
		f.emit(t, "pd.consent.refused", alice, map[string]any{"id": id + "r", "initiator": binBank, "owner": binRegister, "data_sets": []string{"address"}, "decision": "refused"})
		f.emit(t, "pd.consent.revoked", alice, map[string]any{"consent_id": id, "decision": "given", "initiator": binBank, "owner": binRegister,
			"data_sets": []string{"identity", "address"}, "purpose": "loan"})
		f.emit(t, "pd.token.issued", alice, map[string]any{"flow": "proactive", "initiator": binBank, "owner": binRegister, "scope": []string{"identity"},
			"purpose": "loan", "code": "", "consent_id": id})
		f.sync(t)
		list, err := f.svc.Inbox(t.Context(), alice)
		if err != nil || len(list) != 4 {
			t.Fatalf("%d notices, %v", len(list), err)
		}
		for _, n := range list {
			want := "/consents#consent-" + id
			if n.Kind == KindConsentRefused {
				want += "r"
			}
			if got := n.Link(); got != want {
				t.Errorf("%s: link %q, want %q", n.Kind, got, want)
			}
			for _, lang := range Langs {
				c := n.Content(lang)
				if b := body(&c); strings.Contains(b, id) || !strings.Contains(b, "("+i18n.T(lang, "common.bin", binBank)+")") {
					t.Errorf("%s %s: the consent's id shown, or the bank not named:\n%s", n.Kind, lang, b)
				}
			}
			if c := n.Content("en"); n.Kind != KindAccess && !strings.Contains(body(&c), "Registered address") {
				t.Errorf("%s: the data not named in words:\n%s", n.Kind, body(&c))
			}
		}
		if c := list[0].Content("en"); !strings.Contains(body(&c), "Basis: your consent") {
			t.Errorf("access under a consent does not say so:\n%s", body(&c))
		}
		// Other notices link nowhere.
		if l := (&Notice{Kind: KindAction, Facts: Facts{ConsentID: id}}).Link(); l != "" {
			t.Errorf("an action notice links to %q", l)
		}
	})
}
