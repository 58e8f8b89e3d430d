package notify

import (
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// rule DC-2: the receipt's hash is of the content exactly as it was shown, in the one
// language it was shown in. A reader whose language the sender did not write in (no
// English) is shown the Russian text (the fallback order ru, kk, en) — all of it, the
// sender's label too — and the receipt's lang and hash are of that content; opened
// again, in any language, the notice shows the same content, whose hash is the
// receipt's. A Kazakh reader's receipt covers the Kazakh content and not the Russian.
func TestReceiptCoversContentInItsLanguage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		for _, tc := range []struct {
			lang, shown, title, label string
		}{
			{"en", "ru", "Повестка", "Отправитель: "},
			{"kk", "kk", "Сот шақыруы", "Жіберуші: "},
			{"ru", "ru", "Повестка", "Отправитель: "},
		} {
			n, err := f.svc.Send(t.Context(), message(alice, true))
			if err != nil {
				t.Fatal(err)
			}
			rd := reader(alice, iinAlice)
			rd.Lang = tc.lang
			o, err := f.svc.Acknowledge(t.Context(), rd, n.Ref)
			if err != nil {
				t.Fatal(err)
			}
			if o.Content.Lang != tc.shown || o.Content.Title != tc.title || !strings.HasPrefix(o.Content.Body[0], tc.label) {
				t.Errorf("%s reader was shown %+v, want it all in %s", tc.lang, o.Content, tc.shown)
			}
			c, err := VerifyReceipt(o.Receipt.JWS, f.key.jwks())
			if err != nil {
				t.Fatal(err)
			}
			if c.Lang != tc.shown || c.ContentSHA256 != o.Content.Hash() {
				t.Errorf("%s reader: receipt lang %s hash %s, shown %s %s", tc.lang, c.Lang, c.ContentSHA256, o.Content.Lang, o.Content.Hash())
			}
			// Reopened in each language, and acknowledged again: the content the receipt covers.
			for _, l := range Langs {
				r := rd
				r.Lang = l
				op, err := f.svc.Open(t.Context(), r, n.Ref)
				if err != nil || op.Content.Hash() != c.ContentSHA256 || body(op.Content) != body(o.Content) {
					t.Errorf("%s reader, reopened in %s: %+v, %v; receipt covers %+v", tc.lang, l, op.Content, err, o.Content)
				}
				again, err := f.svc.Acknowledge(t.Context(), r, n.Ref)
				if err != nil || again.Content.Hash() != c.ContentSHA256 {
					t.Errorf("%s reader, acknowledged again in %s: %+v, %v", tc.lang, l, again.Content, err)
				}
			}
			// Negative: content in another language than the one shown does not match.
			for _, l := range Langs {
				if other := n.Content(l); other.Lang != tc.shown && other.Hash() == c.ContentSHA256 {
					t.Errorf("%s reader: the receipt also matches the %s content", tc.lang, l)
				}
			}
		}
	})
}

// rule DC-2: a notice reopens word for word as its receipt's reader was shown it, after
// a release changed the wording of notices (here the sender's label): the content is
// kept with the receipt. A receipt issued before it was kept is rendered again: kept
// from then on when that rendering has the receipt's hash, and marked Reworded when it
// has not. A stored content that does not parse is an error, never other content.
func TestReceiptReopensWordForWord(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		type acked struct {
			ref, hash, first string
		}
		var got []acked
		for _, lang := range Langs {
			n, err := f.svc.Send(t.Context(), message(alice, true))
			if err != nil {
				t.Fatal(err)
			}
			rd := reader(alice, iinAlice)
			rd.Lang = lang
			o, err := f.svc.Acknowledge(t.Context(), rd, n.Ref)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, acked{n.Ref, o.Content.Hash(), o.Content.Body[0]})
		}
		// A later release words the sender's label differently in every language.
		saved := map[string]string{}
		for _, l := range Langs {
			saved[l] = texts[l]["label.sender"]
			texts[l]["label.sender"] = saved[l] + " (new wording)"
		}
		defer func() {
			for l, v := range saved {
				texts[l]["label.sender"] = v
			}
		}()
		for _, a := range got {
			for _, l := range Langs {
				rd := reader(alice, iinAlice)
				rd.Lang = l
				op, err := f.svc.Open(t.Context(), rd, a.ref)
				if err != nil || op.Content == nil || op.Content.Hash() != a.hash || op.Content.Body[0] != a.first {
					t.Fatalf("reopened in %s: %+v %v; acknowledged %q", l, op.Content, err, a.first)
				}
				again, err := f.svc.Acknowledge(t.Context(), rd, a.ref)
				if err != nil || again.Content.Hash() != a.hash {
					t.Fatalf("acknowledged again in %s: %+v %v", l, again.Content, err)
				}
			}
		}
		// A receipt without its content (issued before 0026) is rendered again, in the
		// receipt's language. Reworded since, that is not what the receipt covers, and
		// the notice says so.
		if _, err := db.ExecContext(t.Context(), `UPDATE notify_receipts SET content = NULL`); err != nil {
			t.Fatal(err)
		}
		op, err := f.svc.Open(t.Context(), reader(alice, iinAlice), got[0].ref)
		if err != nil || op.Content == nil || !strings.Contains(op.Content.Body[0], "(new wording)") || !op.Reworded {
			t.Fatalf("old receipt, reworded: %+v %v reworded %v", op.Content, err, op.Reworded)
		}
		// With the wording it was shown in, it has the receipt's hash: it is what was
		// shown, and it is kept from now on — a rewording after this does not change it.
		for l, v := range saved {
			texts[l]["label.sender"] = v
		}
		op, err = f.svc.Open(t.Context(), reader(alice, iinAlice), got[0].ref)
		if err != nil || op.Reworded || op.Content.Hash() != got[0].hash {
			t.Fatalf("old receipt, same wording: %+v %v reworded %v", op.Content, err, op.Reworded)
		}
		var kept int
		if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM notify_receipts WHERE content IS NOT NULL`).Scan(&kept); err != nil || kept != 1 {
			t.Fatalf("kept %d contents: %v", kept, err)
		}
		for _, l := range Langs {
			texts[l]["label.sender"] = saved[l] + " (newer wording)"
		}
		op, err = f.svc.Open(t.Context(), reader(alice, iinAlice), got[0].ref)
		if err != nil || op.Reworded || op.Content.Hash() != got[0].hash || op.Content.Body[0] != got[0].first {
			t.Fatalf("old receipt, kept, reworded again: %+v %v reworded %v", op.Content, err, op.Reworded)
		}
		if op, err := f.svc.Open(t.Context(), reader(alice, iinAlice), got[1].ref); err != nil || !op.Reworded {
			t.Fatalf("another old receipt, never reopened before the rewording: %+v %v", op, err)
		}
		if _, err := db.ExecContext(t.Context(), `UPDATE notify_receipts SET content = '{"lang":'`); err != nil {
			t.Fatal(err)
		}
		if op, err := f.svc.Open(t.Context(), reader(alice, iinAlice), got[0].ref); err == nil {
			t.Fatalf("unreadable stored content opened: %+v", op.Content)
		}
	})
}
