package archive

import (
	"crypto/x509"
	"encoding/asn1"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/tsp"
)

// tsa3 adds a TSA certificate of 2035 to 2060 to the world (a second key roll).
func (w *world) tsa3() *tsp.Local {
	c, err := w.root.TSA(eds.KeyGOST2015_512, "TSA 2035", day(2035, 1, 1), day(2060, 1, 1), func() time.Time { return w.clock })
	if err != nil {
		w.t.Fatal(err)
	}
	return &tsp.Local{Config: c}
}

// renewHashTree renews the documents' records by a new Streebog-512 hash tree.
func (w *world) renewHashTree(tsa *tsp.Local, alg asn1.ObjectIdentifier, docs ...*Document) {
	var in []HashTreeInput
	for _, d := range docs {
		in = append(in, HashTreeInput{Record: d.Evidence, Objects: d.Objects()})
	}
	out, err := RenewHashTrees(w.t.Context(), tsa, alg, in, []*x509.Certificate{tsa.Config.Cert, w.root.Cert}, [][]byte{w.crl().Raw})
	if err != nil {
		w.t.Fatal(err)
	}
	for i := range docs {
		docs[i].Evidence = out[i]
	}
}

// rule DC-6: an evidence record whose hash algorithm weakens is renewed by a new hash
// tree (RFC 4998, section 5.2) and keeps proving decades later with the old algorithm
// declared weak; a record renewed after the algorithm weakened, or not renewed, is
// refused (weak_hash); a changed earlier chain or content byte is refused (not_covered).
func TestHashTreeRenewal(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	// Sealed in 2026 with SHA-256; the test policy declares SHA-256 weak from 2036.
	doc := w.archiveDoc([]byte("lease of the flat on Abay avenue, 49 years"), w.signer("Alice"))
	other := w.archiveDoc([]byte("another lease"), w.signer("Bob"))
	w.clock = w.clock.Add(24 * time.Hour)
	ers, err := SealDocuments(ctx, w.tsa1, Policy{Hash: oidSHA256}, []*Document{doc, other},
		[]*x509.Certificate{w.tsa1.Config.Cert, w.root.Cert}, [][]byte{w.crl().Raw})
	if err != nil {
		t.Fatal(err)
	}
	doc.Evidence, other.Evidence = ers[0], ers[1]
	weak := Policy{WeakFrom: map[string]time.Time{oidSHA256.String(): day(2036, 1, 1)}}

	// 2030: time-stamp renewal with the rolled TSA key (SHA-256 still strong).
	w.clock = day(2030, 6, 1)
	w.renew(w.tsa2, nil, doc, other)
	notRenewed := *doc
	tooLate := *doc

	// 2035-06: hash-tree renewal to Streebog-512, one time-stamp for both documents.
	tsa3 := w.tsa3()
	w.clock = day(2035, 6, 1)
	w.renewHashTree(tsa3, oidStreebog512, doc, other)
	// 2037: SHA-256 is weak already; a hash-tree renewal now is too late.
	w.clock = day(2037, 1, 1)
	w.renewHashTree(tsa3, oidStreebog512, &tooLate)

	check := func(name string, d *Document, at time.Time, p Policy, wantValid bool, wantErr error) {
		t.Helper()
		rep, err := VerifyDocument(ctx, d, w.trust(), at, p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rep.Valid != wantValid || (wantErr != nil && !rep.HasCode(wantErr)) {
			t.Fatalf("%s: valid %v, errors %v; want %v %v", name, rep.Valid, rep.Errs(), wantValid, wantErr)
		}
	}
	er, err := ParseEvidenceRecord(doc.Evidence)
	if err != nil || len(er.Chains) != 2 || len(er.DigestAlgorithms) != 2 || !er.Chains[1][0].DigestAlgorithm.Equal(oidStreebog512) {
		t.Fatalf("renewed record: %v %+v", err, er)
	}
	// 2055: signer and both old TSA certificates expired, SHA-256 weak for 19 years.
	check("2055, renewed in time", doc, day(2055, 1, 1), weak, true, nil)
	check("2055, other document of the renewal", other, day(2055, 1, 1), weak, true, nil)
	check("2055, renewed in time, default policy", doc, day(2055, 1, 1), Policy{}, true, nil)
	check("2055, renewed too late", &tooLate, day(2055, 1, 1), weak, false, ErrWeakHash)
	check("2037, not renewed", &notRenewed, day(2037, 1, 1), weak, false, ErrWeakHash)
	check("2035, not renewed, before SHA-256 weakens", &notRenewed, day(2035, 1, 1), weak, true, nil)
	// The same record without the weak policy is refused at 2055 all the same: the 2030
	// TSA certificate has expired (gap), so the new chain is what proves.
	check("2055, not renewed", &notRenewed, day(2055, 1, 1), Policy{}, false, ErrGap)

	// A changed earlier chain: one more CRL in the old chain's last token leaves that
	// token's signature valid but changes the sequence the new chain hashed.
	tampered := *doc
	er, _ = ParseEvidenceRecord(doc.Evidence)
	first := er.Chains[0]
	if first[len(first)-1].TimeStamp, err = withValidationData(first[len(first)-1].TimeStamp, nil, [][]byte{w.crl().Raw}); err != nil {
		t.Fatal(err)
	}
	if tampered.Evidence, err = er.Marshal(); err != nil {
		t.Fatal(err)
	}
	check("2055, old chain changed", &tampered, day(2055, 1, 1), weak, false, ErrNotCovered)
	// Dropping the old chain's renewal: the new chain no longer matches either.
	er, _ = ParseEvidenceRecord(doc.Evidence)
	er.Chains[0] = er.Chains[0][:1]
	if tampered.Evidence, err = er.Marshal(); err != nil {
		t.Fatal(err)
	}
	check("2055, old chain shortened", &tampered, day(2055, 1, 1), weak, false, ErrNotCovered)
	// One content byte changed.
	changed := *doc
	changed.Content = append([]byte(nil), doc.Content...)
	changed.Content[3] ^= 1
	check("2055, content changed", &changed, day(2055, 1, 1), weak, false, ErrNotCovered)
	// The chain of another document does not prove this one.
	swapped := *doc
	swapped.Evidence = other.Evidence
	check("2055, another document's record", &swapped, day(2055, 1, 1), weak, false, ErrNotCovered)
}

// rule DC-6: the hash-algorithm policy is data with dates and sources; a policy file
// with a bad date, OID or a duplicate is refused.
func TestHashPolicy(t *testing.T) {
	m := DefaultHashPolicy()
	if got := m[oidSHA1.String()]; !got.Equal(day(2017, 2, 23)) {
		t.Fatalf("SHA-1 weak from %v", got)
	}
	if _, ok := m[oidGOST34311.String()]; !ok {
		t.Fatal("GOST 34.311-95 has no date")
	}
	for _, strong := range []string{oidSHA256.String(), oidStreebog512.String()} {
		if _, ok := m[strong]; ok {
			t.Fatalf("%s declared weak", strong)
		}
	}
	p := DefaultPolicy()
	if !p.weakAt(oidSHA1, day(2017, 2, 23)) || p.weakAt(oidSHA1, day(2017, 2, 22)) || p.weakAt(oidSHA256, day(2090, 1, 1)) {
		t.Fatal("weakAt")
	}
	if !p.weakWithin(oidGOST34311, day(2019, 6, 1), 365*24*time.Hour) || p.weakWithin(oidGOST34311, day(2018, 6, 1), 365*24*time.Hour) {
		t.Fatal("weakWithin")
	}
	custom, err := ParseHashPolicy([]byte(`{"algorithms":[{"oid":"2.16.840.1.101.3.4.2.1","name":"SHA-256","weak_from":"2036-01-01","source":"test"}]}`))
	if err != nil || !custom[oidSHA256.String()].Equal(day(2036, 1, 1)) {
		t.Fatalf("custom: %v %v", custom, err)
	}
	for _, bad := range []string{
		`{"algorithms":[{"oid":"2.16.840.1.101.3.4.2.1","weak_from":"2036-13-01"}]}`,
		`{"algorithms":[{"oid":"sha256","weak_from":"2036-01-01"}]}`,
		`{"algorithms":[{"oid":"1.3.14.3.2.26"},{"oid":"1.3.14.3.2.26"}]}`,
		`not json`,
	} {
		if _, err := ParseHashPolicy([]byte(bad)); err == nil {
			t.Fatalf("accepted %s", bad)
		}
	}
}
