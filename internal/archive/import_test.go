package archive

import (
	"bytes"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// rule DC-5, DC-6: a container without an evidence record is imported like an upload:
// a signer without a signature time-stamp gets one and the validation material is
// embedded (CAdES-LT), so the document still verifies at its signing time after the
// signer's certificate expired. Before, its signature was stored as it came, with no
// proof of the signing time, and in 2029 the report said the certificate "had expired
// when the document was signed". A container with an evidence record keeps its
// signature files byte for byte (the record covers them); a bare container whose signer
// is revoked is refused and nothing is stored.
func TestImportWithoutEvidenceIsExtended(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w := newWorld(t)
		alice, carol := w.signer("Alice"), w.signer("Carol")
		crl := w.crl(tsptest.Revoked{Serial: carol.Cert.SerialNumber, At: day(2026, 5, 1), Reason: int(pki.ReasonKeyCompromise)})
		trust := w.trust()
		trust.CRLs = []*pki.CRL{crl}
		svc, err := New(Config{DB: db, Validation: w.validation(crl), Trust: trust, Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		const owner = "org:900140000009"
		container := func(d *Document) []byte {
			var buf bytes.Buffer
			if err := WriteASiCE(&buf, d, w.clock); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}
		bare := func(content []byte, s cms.SignerSpec) []byte {
			sig, err := cms.Sign(ctx, content, []cms.SignerSpec{s}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
			if err != nil {
				t.Fatal(err)
			}
			return container(&Document{Name: "contract.txt", Content: content, Signatures: [][]byte{sig}})
		}
		docs := func() int { return count(t, db, `SELECT COUNT(*) FROM archive_documents`) }

		// A revoked signer: refused, nothing stored.
		if _, err := svc.Import(ctx, owner, bare([]byte("Carol's contract"), carol)); !errors.Is(err, ErrSignatureInvalid) {
			t.Fatalf("a revoked signer's container: %v", err)
		}
		if n := docs(); n != 0 {
			t.Fatalf("a refused import stored %d documents", n)
		}

		imported := w.clock.Add(time.Hour)
		w.clock = imported
		sum, err := svc.Import(ctx, owner, bare([]byte("Alice's contract"), alice))
		if err != nil {
			t.Fatal(err)
		}
		d, _, err := svc.Open(ctx, owner, sum.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		sd, err := signeddata.Parse(d.Signatures[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(signeddata.Attr(sd.Signers[0].UnsignedAttrs, signeddata.OIDAttrTimeStampToken)) == 0 || len(sd.RawCRLs) == 0 {
			t.Fatalf("the imported signature was stored without its time-stamp (%d) or CRLs (%d)",
				len(signeddata.Attr(sd.Signers[0].UnsignedAttrs, signeddata.OIDAttrTimeStampToken)), len(sd.RawCRLs))
		}
		// 2029: Alice's certificate expired in 2028; the signature was valid when made.
		w.clock = day(2029, 1, 1)
		svc.cfg.Trust = w.trust()
		rep, err := svc.Check(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		v := rep.View()
		if !v.Valid || len(v.Signers) != 1 || v.Signers[0].SignedAt == nil || !v.Signers[0].SignedAt.Equal(imported) {
			t.Fatalf("2029: %+v", v)
		}

		// A container with an evidence record: the signature files as they were.
		w.clock = day(2026, 7, 1)
		svc.cfg.Trust = trust
		sealed := w.archiveDoc([]byte("Sealed contract"), w.signer("Bob"))
		w.clock = w.clock.Add(time.Hour)
		w.seal(sealed)
		w.clock = w.clock.Add(time.Hour)
		sum, err = svc.Import(ctx, owner, container(sealed))
		if err != nil {
			t.Fatal(err)
		}
		d, _, err = svc.Open(ctx, owner, sum.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Signatures) != 1 || !bytes.Equal(d.Signatures[0], sealed.Signatures[0]) {
			t.Fatal("the signature file of a container with an evidence record was changed at import")
		}
	})
}

// rule DC-6 (issue 14, item 1: every stored signature is CAdES-LT): a container with an
// evidence record whose signature has no signature time-stamp, or does not carry the
// CRLs that decide its signer, is refused with archive.import.not_lt and nothing is
// stored. Extending it would change the signature file its evidence record covers by
// hash. Before, it was stored as it came: it verified while the signer's certificate was
// valid and had no proven signing time after. The LT container is still accepted.
func TestImportEvidenceNotLT(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w := newWorld(t)
		crl := w.crl()
		trust := w.trust()
		trust.CRLs = []*pki.CRL{crl}
		svc, err := New(Config{DB: db, Validation: w.validation(crl), Trust: trust, Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		const owner = "org:900140000009"
		container := func(d *Document) []byte {
			var buf bytes.Buffer
			if err := WriteASiCE(&buf, d, w.clock); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}
		docs := func() int { return count(t, db, `SELECT COUNT(*) FROM archive_documents`) }

		// No signature time-stamp.
		content := []byte("a contract signed without a time-stamp")
		sig, err := cms.Sign(ctx, content, []cms.SignerSpec{w.signer("Alice")}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		bare := &Document{Name: "contract.txt", Content: content, Signatures: [][]byte{sig}}
		w.clock = w.clock.Add(time.Hour)
		w.seal(bare)
		w.clock = w.clock.Add(time.Hour)
		_, err = svc.Import(ctx, owner, container(bare))
		if !errors.Is(err, ErrNotLT) {
			t.Fatalf("a sealed container without a signature time-stamp: %v", err)
		}
		if p := problem.From(Problem(err)); p.Status != http.StatusUnprocessableEntity || p.Code != "archive.import.not_lt" {
			t.Fatalf("problem: %d %s", p.Status, p.Code)
		}

		// Time-stamped, but the CRL that decides the signer is not in the signature: it
		// verifies only with the server's own CRL.
		stripped := w.archiveDoc([]byte("a contract without its CRL"), w.signer("Bob"))
		sd, err := signeddata.Parse(stripped.Signatures[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range sd.RawCRLs {
			c, err := pki.ParseCRL(raw)
			if err != nil {
				t.Fatal(err)
			}
			svc.cfg.Trust.CRLs = append(svc.cfg.Trust.CRLs, c)
		}
		sd.RawCRLs = nil
		if stripped.Signatures[0], err = sd.Marshal(); err != nil {
			t.Fatal(err)
		}
		w.clock = w.clock.Add(time.Hour)
		w.seal(stripped)
		w.clock = w.clock.Add(time.Hour)
		if _, err := svc.Import(ctx, owner, container(stripped)); !errors.Is(err, ErrNotLT) {
			t.Fatalf("a sealed container without the signer's CRL: %v", err)
		}
		if n := docs(); n != 0 {
			t.Fatalf("refused imports stored %d documents", n)
		}

		// LT and sealed: accepted, byte for byte.
		lt := w.archiveDoc([]byte("an LT contract"), w.signer("Carol"))
		w.clock = w.clock.Add(time.Hour)
		w.seal(lt)
		w.clock = w.clock.Add(time.Hour)
		if _, err := svc.Import(ctx, owner, container(lt)); err != nil {
			t.Fatal(err)
		}
		if n := docs(); n != 1 {
			t.Fatalf("%d documents stored", n)
		}
	})
}
