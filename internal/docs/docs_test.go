package docs_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
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

// failing is a source that holds nothing of one kind and fails for another.
type failing struct {
	docs.Source
	none, down string
}

func (s failing) Fetch(ctx context.Context, kind, iin string) (*docs.Record, error) {
	switch kind {
	case s.none:
		return nil, docs.ErrNoDocument
	case s.down:
		return nil, docs.ErrSourceUnavailable
	}
	return s.Source.Fetch(ctx, kind, iin)
}

// The owner's list offers only what the source holds for her: every third demo
// citizen has a vehicle registration certificate, only adults a driving licence, and
// every type listed opens. A failing source leaves out what it did not answer and
// says so.
func TestHoldings(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		kinds := func(ts []*docs.Type) []string {
			var out []string
			for _, t := range ts {
				out = append(out, t.Kind)
			}
			return out
		}
		all := []string{docs.KindAddressRegistration, docs.KindBirthCertificate, docs.KindDrivingLicence, docs.KindIdentityCard, docs.KindVehicleRegistration}
		c := f.pop.Citizens
		for _, tc := range []struct {
			iin  string
			want []string
		}{
			{c[0].IIN, all},
			{c[1].IIN, []string{docs.KindAddressRegistration, docs.KindBirthCertificate, docs.KindDrivingLicence, docs.KindIdentityCard}},
			{"000000000000", nil},
		} {
			got, err := f.svc.Holdings(t.Context(), tc.iin)
			if err != nil || !slices.Equal(kinds(got), tc.want) {
				t.Errorf("Holdings(%s) = %v, %v; want %v", tc.iin, kinds(got), err, tc.want)
			}
			for _, k := range kinds(got) {
				if _, err := f.svc.Form(t.Context(), tc.iin, k); err != nil {
					t.Errorf("%s listed but does not open: %v", k, err)
				}
			}
		}
		g := newFixture(t, db, func(cfg *docs.Config) {
			cfg.Source = failing{Source: cfg.Source, none: docs.KindBirthCertificate, down: docs.KindIdentityCard}
		})
		got, err := g.svc.Holdings(t.Context(), c[0].IIN)
		if code(err) != "docs.source.unavailable" || !slices.Equal(kinds(got), []string{docs.KindAddressRegistration, docs.KindDrivingLicence, docs.KindVehicleRegistration}) {
			t.Errorf("a failing source: %v, %v", kinds(got), err)
		}
	})
}
