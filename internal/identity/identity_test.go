package identity

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/mgov"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// Cheap argon2 parameters: the tests check the logic, not the cost.
var testArgon = Argon2Params{Memory: 64, Time: 1, Threads: 1}

type fakeMobile struct{ phones map[string]string }

func (f fakeMobile) Phone(_ context.Context, iin string) (string, error) {
	if p, ok := f.phones[iin]; ok {
		return p, nil
	}
	return "", mgov.ErrNotRegistered
}

type fakeSMS struct {
	mu   sync.Mutex
	down bool
	last map[string]string
}

func (f *fakeSMS) Send(_ context.Context, phone, text string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return "", mgov.ErrUnavailable
	}
	if f.last == nil {
		f.last = map[string]string{}
	}
	f.last[phone] = text
	return "1", nil
}

func (f *fakeSMS) code(phone string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.last[phone]
	return t[strings.LastIndex(t, " ")+1:]
}

const (
	iinA   = "850314010001"
	iinB   = "790921010018"
	iinNoP = "920705010022"
	phoneA = "+77990001000"
	phoneB = "+77990001001"
)

type fixture struct {
	svc *Service
	db  *store.DB
	sms *fakeSMS
	now *time.Time
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	f := &fixture{db: db, sms: &fakeSMS{}, now: &now}
	svc, err := New(Config{
		DB: db, Mobile: fakeMobile{map[string]string{iinA: phoneA, iinB: phoneB}}, SMS: f.sms,
		Now: func() time.Time { return *f.now }, Argon2: testArgon,
		LoginText: func(lang, code string) string { return "[" + lang + "] code " + code },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	ctx := t.Context()
	for _, c := range []Citizen{{IIN: iinA, Name: "A", Lang: "kk"}, {IIN: iinB, Name: "B", Lang: "ru"}, {IIN: iinNoP, Name: "C", Lang: "en"}} {
		if _, _, err := svc.EnsureCitizen(ctx, c, "pw-"+c.IIN); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fixture) login(t *testing.T, iin string) (string, *Session) {
	t.Helper()
	ch, err := f.svc.StartLogin(t.Context(), iin, "pw-"+iin)
	if err != nil {
		t.Fatalf("StartLogin: %v", err)
	}
	phone := map[string]string{iinA: phoneA, iinB: phoneB}[iin]
	tok, sess, err := f.svc.FinishLogin(t.Context(), ch.Token, f.sms.code(phone))
	if err != nil {
		t.Fatalf("FinishLogin: %v", err)
	}
	return tok, sess
}

func TestLogin(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := t.Context()

		t.Run("happy path", func(t *testing.T) {
			ch, err := f.svc.StartLogin(ctx, iinA, "pw-"+iinA)
			if err != nil {
				t.Fatal(err)
			}
			if ch.MaskedPhone != "+7 799 *** ** 00" {
				t.Errorf("masked phone = %q", ch.MaskedPhone)
			}
			if !strings.HasPrefix(f.sms.last[phoneA], "[kk] code ") {
				t.Errorf("SMS not in the citizen's language: %q", f.sms.last[phoneA])
			}
			tok, sess, err := f.svc.FinishLogin(ctx, ch.Token, f.sms.code(phoneA))
			if err != nil {
				t.Fatal(err)
			}
			if sess.Citizen.IIN != iinA || sess.Method != MethodPasswordSMS || sess.CSRF == "" {
				t.Errorf("session = %+v", sess)
			}
			got, err := f.svc.Session(ctx, tok)
			if err != nil || got.CitizenID != sess.CitizenID || got.CSRF != sess.CSRF || got.Method != sess.Method || !got.ExpiresAt.Equal(sess.ExpiresAt) {
				t.Fatalf("Session = %+v, %v", got, err)
			}
			if *got.Citizen != *sess.Citizen || got.Citizen.ID != got.CitizenID {
				t.Errorf("the session's citizen = %+v, want %+v", *got.Citizen, *sess.Citizen)
			}
			// The code is single-use.
			if _, _, err := f.svc.FinishLogin(ctx, ch.Token, f.sms.code(phoneA)); !errors.Is(err, ErrChallengeGone) {
				t.Errorf("code reused: %v", err)
			}
			if err := f.svc.CloseSession(ctx, tok); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Session(ctx, tok); !errors.Is(err, ErrNoSession) {
				t.Errorf("session after logout: %v", err)
			}
		})

		t.Run("bad credentials", func(t *testing.T) {
			for _, tc := range []struct{ iin, pw string }{{iinA, "wrong"}, {"000000000000", "x"}, {"", ""}} {
				if _, err := f.svc.StartLogin(ctx, tc.iin, tc.pw); !errors.Is(err, ErrBadCredentials) {
					t.Errorf("StartLogin(%q, %q) = %v, want ErrBadCredentials", tc.iin, tc.pw, err)
				}
			}
			// A success resets the failure count.
			f.login(t, iinA)
		})

		t.Run("no phone in БМГ", func(t *testing.T) {
			// rule PD-6.3.4: without a number in the mobile citizens database the citizen is sent to eGov.
			if _, err := f.svc.StartLogin(ctx, iinNoP, "pw-"+iinNoP); !errors.Is(err, ErrNoPhone) {
				t.Errorf("StartLogin = %v, want ErrNoPhone", err)
			}
		})

		t.Run("SMS gateway down leaves no challenge", func(t *testing.T) {
			f.sms.down = true
			defer func() { f.sms.down = false }()
			if _, err := f.svc.StartLogin(ctx, iinB, "pw-"+iinB); !errors.Is(err, ErrSMSUnavailable) {
				t.Fatalf("StartLogin = %v, want ErrSMSUnavailable", err)
			}
			var n int
			db.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_challenges`).Scan(&n)
			if n != 0 {
				t.Errorf("%d challenges left after a failed send", n)
			}
		})

		t.Run("wrong code, then attempts used up", func(t *testing.T) {
			ch, err := f.svc.StartLogin(ctx, iinB, "pw-"+iinB)
			if err != nil {
				t.Fatal(err)
			}
			good := f.sms.code(phoneB)
			bad := "000000"
			if bad == good {
				bad = "000001"
			}
			for i := 0; i < 4; i++ {
				if _, _, err := f.svc.FinishLogin(ctx, ch.Token, bad); !errors.Is(err, ErrBadCode) {
					t.Fatalf("attempt %d: %v, want ErrBadCode", i, err)
				}
			}
			// The fifth failure locks the account and kills the challenge, so even the
			// right code no longer works.
			if _, _, err := f.svc.FinishLogin(ctx, ch.Token, bad); !errors.Is(err, ErrBadCode) {
				t.Fatalf("attempt 5: %v", err)
			}
			if _, _, err := f.svc.FinishLogin(ctx, ch.Token, good); !errors.Is(err, ErrChallengeGone) {
				t.Errorf("right code after lockout: %v, want ErrChallengeGone", err)
			}
			if _, err := f.svc.StartLogin(ctx, iinB, "pw-"+iinB); !errors.Is(err, ErrLocked) {
				t.Errorf("login while locked: %v, want ErrLocked", err)
			}
			*f.now = f.now.Add(16 * time.Minute)
			f.login(t, iinB)
		})

		t.Run("password lockout", func(t *testing.T) {
			for i := 0; i < 5; i++ {
				if _, err := f.svc.StartLogin(ctx, iinA, "nope"); !errors.Is(err, ErrBadCredentials) {
					t.Fatalf("attempt %d: %v", i, err)
				}
			}
			if _, err := f.svc.StartLogin(ctx, iinA, "pw-"+iinA); !errors.Is(err, ErrLocked) {
				t.Errorf("right password while locked: %v, want ErrLocked", err)
			}
			*f.now = f.now.Add(16 * time.Minute)
			f.login(t, iinA)
		})

		t.Run("expired code", func(t *testing.T) {
			ch, err := f.svc.StartLogin(ctx, iinA, "pw-"+iinA)
			if err != nil {
				t.Fatal(err)
			}
			*f.now = f.now.Add(6 * time.Minute)
			if _, _, err := f.svc.FinishLogin(ctx, ch.Token, f.sms.code(phoneA)); !errors.Is(err, ErrChallengeGone) {
				t.Errorf("expired code: %v", err)
			}
		})

		t.Run("a newer login replaces the older code", func(t *testing.T) {
			ch1, _ := f.svc.StartLogin(ctx, iinA, "pw-"+iinA)
			code1 := f.sms.code(phoneA)
			if _, err := f.svc.StartLogin(ctx, iinA, "pw-"+iinA); err != nil {
				t.Fatal(err)
			}
			if _, _, err := f.svc.FinishLogin(ctx, ch1.Token, code1); !errors.Is(err, ErrChallengeGone) {
				t.Errorf("old challenge still open: %v", err)
			}
		})

		t.Run("session timeouts", func(t *testing.T) {
			tok, _ := f.login(t, iinA)
			*f.now = f.now.Add(29 * time.Minute)
			if _, err := f.svc.Session(ctx, tok); err != nil {
				t.Fatalf("within idle timeout: %v", err)
			}
			*f.now = f.now.Add(31 * time.Minute)
			if _, err := f.svc.Session(ctx, tok); !errors.Is(err, ErrNoSession) {
				t.Errorf("after idle timeout: %v", err)
			}
			tok, _ = f.login(t, iinA)
			for i := 0; i < 17; i++ { // active, but past the 8-hour absolute limit
				*f.now = f.now.Add(29 * time.Minute)
				f.svc.Session(ctx, tok)
			}
			if _, err := f.svc.Session(ctx, tok); !errors.Is(err, ErrNoSession) {
				t.Errorf("after absolute lifetime: %v", err)
			}
			if _, err := f.svc.Session(ctx, "forged"); !errors.Is(err, ErrNoSession) {
				t.Errorf("forged token: %v", err)
			}
		})

		t.Run("sessions are the citizen's own", func(t *testing.T) {
			tokA, _ := f.login(t, iinA)
			tokB, _ := f.login(t, iinB)
			a, _ := f.svc.Session(ctx, tokA)
			b, _ := f.svc.Session(ctx, tokB)
			if a.Citizen.IIN != iinA || b.Citizen.IIN != iinB || a.CSRF == b.CSRF {
				t.Errorf("sessions mixed up: %+v %+v", a.Citizen, b.Citizen)
			}
			// B's logout does not end A's session.
			f.svc.CloseSession(ctx, tokB)
			if _, err := f.svc.Session(ctx, tokA); err != nil {
				t.Errorf("A's session ended by B's logout: %v", err)
			}
		})

		t.Run("events name citizens by reference, never by IIN", func(t *testing.T) {
			var types []string
			_, err := db.ConsumeBatch(ctx, "identity-test", 10000, func(_ context.Context, evs []store.Event) error {
				for _, e := range evs {
					types = append(types, e.Type)
					b, _ := json.Marshal(e)
					for _, iin := range []string{iinA, iinB, iinNoP, phoneA, phoneB} {
						if strings.Contains(string(b), iin) {
							t.Errorf("event %s carries personal data: %s", e.Type, b)
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			joined := strings.Join(types, ",")
			for _, want := range []string{"identity.citizen.created", "identity.login.code_sent", "identity.session.opened", "identity.login.failed", "identity.session.closed"} {
				if !strings.Contains(joined, want) {
					t.Errorf("no %s event among %v", want, types)
				}
			}
		})
	})
}

func TestEnsureIdempotentAndValidated(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := t.Context()
		c, created, err := f.svc.EnsureCitizen(ctx, Citizen{IIN: iinA, Name: "Other", Lang: "en"}, "x")
		if err != nil || created || c.Name != "A" {
			t.Errorf("second EnsureCitizen = %+v, %v, %v; want the existing citizen", c, created, err)
		}
		for _, bad := range []Citizen{{IIN: "871008401428", Name: "x", Lang: "kk"}, {IIN: "871008401427", Name: "", Lang: "kk"}, {IIN: "871008401427", Name: "x", Lang: "de"}} {
			if _, _, err := f.svc.EnsureCitizen(ctx, bad, "x"); !errors.Is(err, ErrInvalidCitizen) {
				t.Errorf("EnsureCitizen(%+v) = %v, want ErrInvalidCitizen", bad, err)
			}
		}
		o, created, err := f.svc.EnsureOrganization(ctx, Organization{BIN: "940140000385", Name: "Bank", Role: "bank", Systems: []InformationSystem{{"core", "Core"}}})
		if err != nil || !created || len(o.Systems) != 1 {
			t.Fatalf("EnsureOrganization = %+v, %v, %v", o, created, err)
		}
		if _, created, _ := f.svc.EnsureOrganization(ctx, Organization{BIN: "940140000385", Name: "Bank", Role: "bank"}); created {
			t.Error("organization created twice")
		}
		if _, _, err := f.svc.EnsureOrganization(ctx, Organization{BIN: "871008401427", Name: "x", Role: "bank"}); !errors.Is(err, ErrInvalidOrg) {
			t.Errorf("an IIN accepted as BIN: %v", err)
		}
		if _, err := f.svc.OrganizationByBIN(ctx, "070941024691"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown BIN: %v", err)
		}
	})
}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse", testArgon)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash = %q", h)
	}
	if ok, err := CheckPassword(h, "correct horse"); !ok || err != nil {
		t.Errorf("right password: %v %v", ok, err)
	}
	if ok, _ := CheckPassword(h, "correct horsE"); ok {
		t.Error("wrong password accepted")
	}
	h2, _ := HashPassword("correct horse", testArgon)
	if h2 == h {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=0,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaA", strings.Replace(h, "m=64", "m=99999999", 1)} {
		if _, err := CheckPassword(bad, "x"); err == nil {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}

func TestSubjectRef(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := t.Context()
		a, err := f.svc.CitizenByIIN(ctx, iinA)
		if err != nil {
			t.Fatal(err)
		}
		if ref, err := f.svc.SubjectRef(ctx, iinA); err != nil || ref != a.Ref() {
			t.Errorf("SubjectRef(known) = %q, %v; want %q", ref, err, a.Ref())
		}
		ref1, err := f.svc.SubjectRef(ctx, "871008401427")
		if err != nil || !strings.HasPrefix(ref1, "citizen:") {
			t.Fatalf("SubjectRef(new) = %q, %v", ref1, err)
		}
		if ref2, _ := f.svc.SubjectRef(ctx, "871008401427"); ref2 != ref1 {
			t.Errorf("SubjectRef not stable: %q then %q", ref1, ref2)
		}
		// A record made this way cannot log in: it has no password.
		if _, err := f.svc.StartLogin(ctx, "871008401427", ""); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("login to a subject-only record: %v", err)
		}
		if _, err := f.svc.SubjectRef(ctx, "871008401428"); !errors.Is(err, ErrInvalidCitizen) {
			t.Errorf("invalid IIN: %v", err)
		}
		// Concurrent first requests about one person (flow 2 under load, several
		// API nodes on PostgreSQL): one record, one event, the same reference for all.
		const n = 16
		refs := make(chan string, n)
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				ref, err := f.svc.SubjectRef(ctx, "990101300013")
				refs <- ref
				errs <- err
			})
		}
		wg.Wait()
		close(refs)
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent SubjectRef: %v", err)
			}
		}
		first := <-refs
		for ref := range refs {
			if ref != first {
				t.Errorf("concurrent SubjectRef gave %q and %q", first, ref)
			}
		}
		var events int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox_events WHERE type = 'identity.citizen.created' AND subject = ?`, first).Scan(&events); err != nil || events != 1 {
			t.Errorf("%d identity.citizen.created events for %s, %v; want 1", events, first, err)
		}
	})
}

// SubjectRefTx writes in the caller's transaction: when that transaction is rolled back
// (the request was refused), no citizen and no identity.citizen.created event stay
// (bad input changes nothing); when it commits, the record and one event do.
func TestSubjectRefTx(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := t.Context()
		const iin = "871008401427"
		refused := errors.New("refused")
		var before int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox_events WHERE type = 'identity.citizen.created'`).Scan(&before); err != nil {
			t.Fatal(err)
		}
		err := db.Tx(ctx, func(tx *store.Tx) error {
			ref, err := f.svc.SubjectRefTx(ctx, tx, iin)
			if err != nil || !strings.HasPrefix(ref, "citizen:") {
				t.Fatalf("SubjectRefTx = %q, %v", ref, err)
			}
			if got, err := f.svc.CitizenRefTx(ctx, tx, iin); err != nil || got != ref {
				t.Errorf("CitizenRefTx in the same transaction = %q, %v; want %q", got, err, ref)
			}
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatal(err)
		}
		count := func(q string, args ...any) int {
			var n int
			if err := db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(`SELECT COUNT(*) FROM citizens WHERE iin = ?`, iin); n != 0 {
			t.Errorf("rolled back: %d citizen rows, want 0", n)
		}
		if n := count(`SELECT COUNT(*) FROM outbox_events WHERE type = 'identity.citizen.created'`); n != before {
			t.Errorf("rolled back: %d identity.citizen.created events, want %d as before", n, before)
		}
		var ref string
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := f.svc.CitizenRefTx(ctx, tx, iin); !errors.Is(err, ErrNotFound) {
				t.Errorf("CitizenRefTx(unknown) = %v, want ErrNotFound", err)
			}
			ref, err = f.svc.SubjectRefTx(ctx, tx, iin)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if again, err := f.svc.SubjectRef(ctx, iin); err != nil || again != ref {
			t.Errorf("SubjectRef after commit = %q, %v; want %q", again, err, ref)
		}
		if n := count(`SELECT COUNT(*) FROM outbox_events WHERE type = 'identity.citizen.created' AND subject = ?`, ref); n != 1 {
			t.Errorf("committed: %d identity.citizen.created events, want 1", n)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := f.svc.SubjectRefTx(ctx, tx, "871008401428")
			return err
		}); !errors.Is(err, ErrInvalidCitizen) {
			t.Errorf("invalid IIN: %v", err)
		}
	})
}
