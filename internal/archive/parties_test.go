package archive

import (
	"crypto/x509"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// employeeSigner issues a legal entity's signing certificate held by a person: the
// person's IIN (SERIALNUMBER) and the organisation's BIN (OU) and name (O), as the NCA
// issues them to a bank's employee. An empty bin is the IIN itself (an individual
// entrepreneur's).
func (w *world) employeeSigner(cn string, n int, bin string) (cms.SignerSpec, string) {
	iin, ok := kzid.Complete(fmt.Sprintf("8001010%04d", n))
	if !ok {
		w.t.Fatal("no IIN")
	}
	if bin == "" {
		bin = iin
	}
	key, err := eds.GenerateKey(nil, eds.KeyGOST2015_512)
	if err != nil {
		w.t.Fatal(err)
	}
	cert, err := w.root.Issue(tsptest.Template{CommonName: cn, SerialNumber: "IIN" + iin, OrgUnit: "BIN" + bin, Organization: cn,
		NotBefore: day(2026, 1, 1), NotAfter: day(2028, 1, 1), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}, key)
	if err != nil {
		w.t.Fatal(err)
	}
	return cms.SignerSpec{Signer: key, Cert: cert}, iin
}

// rule DC-6: a loan agreement signed by a citizen and, for the bank, by its employee
// with the bank's (legal entity's) certificate: the parties are the citizen and the
// bank; the employee, who signed for the bank, does not find the bank's contract — and
// the customer's personal data in it — in their own cabinet. Before, every IIN on a
// signing certificate made its holder a party. A signer who is an individual
// entrepreneur (BIN = IIN) stays a citizen party.
func TestEmployeeSignsForTheOrganisation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w := newWorld(t)
		const bankBIN = "900140000009"
		customer, customerIIN := w.citizenSigner("Customer", 11)
		employee, employeeIIN := w.employeeSigner("Employee", 12, bankBIN)
		entrepreneur, entrepreneurIIN := w.employeeSigner("Entrepreneur", 13, "")
		parties := fakeParties{customerIIN: "citizen:11", employeeIIN: "citizen:12", entrepreneurIIN: "citizen:13"}
		svc, err := New(Config{DB: db, Validation: w.validation(w.crl()), Parties: parties, Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		content := []byte("Loan agreement No. 7, 24 months")
		sig, err := cms.Sign(ctx, content, []cms.SignerSpec{customer, employee, entrepreneur}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := svc.Ingest(ctx, "org:"+bankBIN, "loan.txt", content, [][]byte{sig})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"org:" + bankBIN, "citizen:11", "citizen:13", "org:" + entrepreneurIIN} {
			if _, _, err := svc.Open(ctx, p, sum.ID, false); err != nil {
				t.Errorf("%s, a party, cannot open it: %v", p, err)
			}
		}
		if _, _, err := svc.Open(ctx, "citizen:12", sum.ID, false); !errors.Is(err, ErrNotFound) {
			t.Errorf("the bank's employee opens the bank's contract as a citizen: %v", err)
		}
		if page, err := svc.List(ctx, "citizen:12", "", 0); err != nil || len(page.Documents) != 0 {
			t.Errorf("the employee's archive lists %d documents (%v)", len(page.Documents), err)
		}
	})
}

// rule DC-6 (issue 14, item 5): what a party does with a document — the bank storing,
// opening and exporting a loan agreement its customer and a co-borrower signed — is an
// event in the history of every citizen the document concerns, with the bank as its
// actor. Before, an organisation's view or export had no subject and reached no
// citizen's history. A citizen who is not a party (the bank's employee who signed for
// it, another citizen) gets nothing, nor does a refused export.
func TestOrganisationActionsInCitizensHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w := newWorld(t)
		const bankBIN = "900140000009"
		customer, customerIIN := w.citizenSigner("Customer", 21)
		coBorrower, coIIN := w.citizenSigner("Co-borrower", 22)
		employee, employeeIIN := w.employeeSigner("Employee", 23, bankBIN)
		parties := fakeParties{customerIIN: "citizen:21", coIIN: "citizen:22", employeeIIN: "citizen:23"}
		svc, err := New(Config{DB: db, Validation: w.validation(w.crl()), Parties: parties, Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		content := []byte("Loan agreement No. 9, 24 months")
		sig, err := cms.Sign(ctx, content, []cms.SignerSpec{customer, coBorrower, employee}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := svc.Ingest(ctx, "org:"+bankBIN, "loan.txt", content, [][]byte{sig})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Open(ctx, "org:"+bankBIN, sum.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Export(ctx, "org:"+bankBIN, sum.ID, MimeTypeASiCE); err != nil {
			t.Fatal(err)
		}
		// A third organisation is refused and recorded nowhere.
		if _, _, err := svc.Export(ctx, "org:900240000018", sum.ID, MimeTypeASiCE); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a third organisation's export: %v", err)
		}
		byBank := func(subject, typ string) int {
			return count(t, db, `SELECT COUNT(*) FROM outbox_events WHERE subject = ? AND type = ? AND actor = ? AND payload LIKE ?`,
				subject, typ, "org:"+bankBIN, "%"+sum.ID+"%")
		}
		for _, c := range []string{"citizen:21", "citizen:22"} {
			for _, typ := range []string{EvIngested, EvViewed, EvExported} {
				if n := byBank(c, typ); n != 1 {
					t.Errorf("%s: %d %s events by the bank, want 1", c, n, typ)
				}
			}
		}
		for _, c := range []string{"citizen:23", "citizen:24"} {
			if n := count(t, db, `SELECT COUNT(*) FROM outbox_events WHERE subject = ?`, c); n != 0 {
				t.Errorf("%s, not a party, is the subject of %d events", c, n)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox_events WHERE actor = 'org:900240000018'`); n != 0 {
			t.Errorf("the refused export left %d events", n)
		}
		// The document's history, as its page shows it: the co-borrower's own view
		// comes after the bank's actions; a non-party reads none of it.
		if _, _, err := svc.Open(ctx, "citizen:22", sum.ID, false); err != nil {
			t.Fatal(err)
		}
		acts, err := svc.Actions(ctx, "citizen:21", sum.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []Action{{EvIngested, "org:" + bankBIN, w.clock}, {EvViewed, "org:" + bankBIN, w.clock},
			{EvExported, "org:" + bankBIN, w.clock}, {EvViewed, "citizen:22", w.clock}}
		if len(acts) != len(want) {
			t.Fatalf("actions: %+v", acts)
		}
		for i := range want {
			if acts[i].Type != want[i].Type || acts[i].Actor != want[i].Actor || acts[i].At.IsZero() {
				t.Errorf("action %d: %+v, want %+v", i, acts[i], want[i])
			}
		}
		for _, p := range []string{"citizen:23", "citizen:24", "org:900240000018"} {
			if _, err := svc.Actions(ctx, p, sum.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s reads the document's history: %v", p, err)
			}
		}
	})
}
