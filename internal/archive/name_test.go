package archive

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// A document keeps the name it was given; only what cannot be shown safely goes
// (before, any name outside letters, digits and ._()- became document.bin, silently).
func TestCleanName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Договор аренды №1", "Договор аренды №1"},
		{"Договор №5, «аренда»", "Договор №5, «аренда»"},
		{"Заявление 1/2026: отпуск?", "Заявление 1/2026: отпуск?"},
		{"  Расписка \n", "Расписка"},
		{"cod\u202Eexe.txt", "codexe.txt"}, // a right-to-left override
		{"a\x00b\x1bc\u200Bd", "abcd"},     // controls and a zero-width space
		{"ok\xff\xfename", "okname"},       // invalid UTF-8
		{"", "document.bin"},               //
		{" \u202E\t", "document.bin"},      //
		{strings.Repeat("ж", 200), strings.Repeat("ж", 128)},
	} {
		if got := CleanName(tc.in); got != tc.want {
			t.Errorf("CleanName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The name a document's bytes are saved under is a file name a phone opens: the
// stored name made safe, with an extension from the content when it has none.
func TestFileName(t *testing.T) {
	pdf := []byte("%PDF-1.7\n%...")
	text := []byte("Прошу предоставить отпуск")
	bin := []byte{0x30, 0x82, 0x01, 0x00, 0xff, 0x00, 0x01}
	for _, tc := range []struct {
		name    string
		content []byte
		want    string
	}{
		{"scan.pdf", pdf, "scan.pdf"},
		{"Договор аренды №1", pdf, "Договор аренды №1.pdf"},
		{"Заявление на отпуск", text, "Заявление на отпуск.txt"},
		{"Договор №5, «аренда»", text, "Договор №5, «аренда».txt"},
		{"Заявление 1/2026: отпуск?", text, "Заявление 1_2026_ отпуск_.txt"},
		{"../../etc/passwd", text, "_.._etc_passwd.txt"},
		{"..\\..\\boot.ini", text, "_.._boot.ini"},
		{".hidden", text, "hidden.txt"},
		{"mimetype", text, "document.txt"},
		{"", bin, "document.bin"},
		{"data", bin, "data.bin"},
	} {
		got := FileName(tc.name, tc.content)
		if got != tc.want {
			t.Errorf("FileName(%q) = %q, want %q", tc.name, got, tc.want)
		}
		if strings.ContainsAny(got, "/\\\x00") || strings.HasPrefix(got, ".") {
			t.Errorf("FileName(%q) = %q is not a plain file name", tc.name, got)
		}
	}
}

// Ingest stores the name as given (cleaned), and a container names the document's entry
// by FileName, which the container's reader gives back.
func TestIngestKeepsTheName(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	clock := func() time.Time { return w.clock }
	svc, err := New(Config{DB: storetest.Open(t), Validation: w.validation(w.crl()), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("Прошу предоставить отпуск")
	sig, err := cms.Sign(ctx, content, []cms.SignerSpec{w.signer("Alice")}, cms.SignOptions{Detached: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	const name = "Договор №5, «аренда»"
	sum, err := svc.Ingest(ctx, "citizen:1", "  "+name+"\u202E", content, [][]byte{sig})
	if err != nil || sum.Name != name {
		t.Fatalf("ingest: %+v %v, want the name %q", sum, err, name)
	}
	d, _, err := svc.Open(ctx, "citizen:1", sum.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteASiCS(&buf, d, w.clock); err != nil {
		t.Fatal(err)
	}
	back, err := ReadASiCS(buf.Bytes(), Limits{})
	if err != nil || back.Name != name+".txt" {
		t.Fatalf("the container's entry: %q %v, want %q", back.Name, err, name+".txt")
	}
}

// rule DC-6: a document stored without a name is named by its content, so that its
// download opens: an attached signature of a PDF pasted in the cabinet without a name
// was stored as "document.txt" (the cabinet's default) and downloaded as a text file,
// and through the API as "document.bin". A given name is kept as given.
func TestUnnamedDocumentNamedByContent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w := newWorld(t)
		svc, err := New(Config{DB: db, Validation: w.validation(w.crl()), Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		pdf := append([]byte("%PDF-1.7\n"), make([]byte, 64)...)
		for _, tc := range []struct {
			name    string
			content []byte
			want    string
		}{
			{"", pdf, "document.pdf"},
			{" \u202E\t", pdf, "document.pdf"},
			{"", []byte("Заявление о выдаче справки"), "document.txt"},
			{"document.bin", pdf, "document.bin"},
			{"Договор №5", pdf, "Договор №5"},
		} {
			attached, err := cms.Sign(ctx, tc.content, []cms.SignerSpec{w.signer("Alice")}, cms.SignOptions{Now: func() time.Time { return w.clock }})
			if err != nil {
				t.Fatal(err)
			}
			sum, err := svc.Ingest(ctx, "citizen:1", tc.name, nil, [][]byte{attached})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Name != tc.want || FileName(sum.Name, tc.content) != FileName(tc.want, tc.content) {
				t.Errorf("%q: stored as %q, want %q", tc.name, sum.Name, tc.want)
			}
		}
	})
}
