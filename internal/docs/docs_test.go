package docs_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/docs"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

func code(err error) string {
	if p := (*problem.Problem)(nil); errors.As(err, &p) {
		return p.Code
	}
	if err == nil {
		return "<nil>"
	}
	return "error: " + err.Error()
}

// rule DD-2: the owner opens access to a document; the share carries a 128-bit token in
// the URL's fragment and a short code of the configured length from the unambiguous
// alphabet, lives for the default 5 minutes, and only hashes of the secrets are kept.
// rule DD-5: only an authenticated owner (a citizen session) opens access, and only to
// a document the source holds for them.
func TestOpen(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		op := f.open(t, f.owner, docs.KindIdentityCard)
		if len(op.Token) != 22 || !strings.HasPrefix(op.URL, "https://senim.test/documents/verify#t=") || !strings.HasSuffix(op.URL, op.Token) {
			t.Fatalf("token %q url %q", op.Token, op.URL)
		}
		if !regexp.MustCompile(`^[` + docs.DefaultCodeAlphabet + `]{10}$`).MatchString(op.Code) {
			t.Fatalf("code %q", op.Code)
		}
		if got := op.Share.ExpiresAt.Sub(op.Share.CreatedAt); got != 5*time.Minute {
			t.Fatalf("lifetime %s, want 5m", got)
		}
		var n int
		if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM docs_shares WHERE token_hash = ? OR code_hash = ?`, op.Token, op.Code).Scan(&n); err != nil || n != 0 {
			t.Fatalf("a secret is stored in clear (%d rows, %v)", n, err)
		}
		// Bad input changes nothing.
		for _, tc := range []struct {
			o    docs.Owner
			kind string
			want string
		}{
			{docs.Owner{Ref: "org:x", IIN: f.owner.IIN}, docs.KindIdentityCard, "docs.owner.invalid"},
			{docs.Owner{Ref: "citizen:1", IIN: "123"}, docs.KindIdentityCard, "docs.owner.invalid"},
			{f.owner, "passport", "docs.type.unknown"},
			{docs.Owner{Ref: "citizen:19", IIN: f.pop.Citizens[18].IIN}, docs.KindDrivingLicence, "docs.document.not_found"}, // a minor
		} {
			_, err := f.svc.Open(t.Context(), tc.o, tc.kind)
			if code(err) != tc.want {
				t.Errorf("Open(%v, %s) = %s, want %s", tc.o.Ref, tc.kind, code(err), tc.want)
			}
		}
		if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM docs_shares`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d shares after bad input, want 1", n)
		}
	})
}

// rule DD-2: a code or alphabet that a person would misread, or a lifetime out of
// bounds, is refused at start-up.
func TestCodeConfig(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	for _, tc := range []struct {
		alphabet string
		length   int
		lifetime time.Duration
		ok       bool
	}{
		{"", 0, 0, true},
		{"ABCDEFGHJKLMNPQRSTUVWXYZ", 8, time.Minute, true},
		{"0123456789ABCDEF", 10, 0, false}, // 0 and 1
		{"ABCDEFGHIJKLMNOP", 10, 0, false}, // I and O
		{"abcdefghjkmnpqrstuvwxyz", 10, 0, false},
		{"ABCDEFGHJKLMNPQRSTUVWXYZ", 4, 0, false},
		{"AABCDEFGHJKLMNPQRSTU", 10, 0, false},
		{"", 0, 2 * time.Hour, false},
		{"", 0, time.Second, false},
	} {
		_, err := docs.New(docs.Config{DB: f.db, Source: f.src, Signer: f.key, Log: f.log, Issuer: "x", VerifyURL: "x",
			CodeAlphabet: tc.alphabet, CodeLength: tc.length, Lifetime: tc.lifetime})
		if (err == nil) != tc.ok {
			t.Errorf("alphabet %q length %d lifetime %s: %v, want ok=%v", tc.alphabet, tc.length, tc.lifetime, err, tc.ok)
		}
	}
	if _, err := docs.New(docs.Config{DB: f.db, Signer: f.key, Log: f.log, Issuer: "x", VerifyURL: "x"}); err == nil {
		t.Error("New without a source must fail")
	}
}
