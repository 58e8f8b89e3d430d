package cms_test

import (
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"testing"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
	"github.com/senimkz/senim/internal/eds/gostfast"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
)

// The benchmarks compare one CMS verification (parse, message digest, signature,
// signing-certificate attribute, chain to the root with cached signature checks, CRL
// revocation with the CRL's signature check cached) with the raw verification of the
// same signature (eds.VerifyDigest over the precomputed digest, as package eds's
// BenchmarkVerify*). The target is CMS >= 70% of the raw rate:
//
//	go test -run '^$' -bench 'CMS|Raw' -count 3 ./internal/eds/cms

type benchCase struct {
	cms    []byte
	opts   cms.VerifyOptions
	pub    *eds.PublicKey
	alg    asn1.ObjectIdentifier
	digest []byte
	sig    []byte
}

func prepare(b *testing.B, der []byte, opts cms.VerifyOptions) *benchCase {
	b.Helper()
	sd, err := cms.Parse(der)
	if err != nil {
		b.Fatal(err)
	}
	si := sd.Signers[0]
	cert := sd.SignerCertificate(si)
	pub, err := eds.ParsePublicKey(cert.RawSubjectPublicKeyInfo)
	if err != nil {
		b.Fatal(err)
	}
	alg, err := si.Algorithm(pub)
	if err != nil {
		b.Fatal(err)
	}
	d, err := signeddata.Digest(alg.HashOID, si.RawSignedAttrs)
	if err != nil {
		b.Fatal(err)
	}
	return &benchCase{cms: der, opts: opts, pub: pub, alg: alg.OID, digest: d, sig: si.Signature}
}

func (c *benchCase) verifyOnce(b *testing.B) {
	res, err := cms.Verify(b.Context(), c.cms, nil, c.opts)
	if err != nil || !res.Valid {
		b.Fatal("not valid")
	}
}

func (c *benchCase) verifyCMS(b *testing.B) {
	res, err := cms.Verify(b.Context(), c.cms, nil, c.opts)
	if err != nil || !res.Valid {
		b.Fatalf("not valid: %v %v", err, res.Signers[0].Codes())
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := cms.Verify(b.Context(), c.cms, nil, c.opts)
		if err != nil || !res.Valid {
			b.Fatal("not valid")
		}
	}
}

func (c *benchCase) verifyRaw(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := eds.VerifyDigest(c.pub, c.alg, c.digest, c.sig); err != nil {
			b.Fatal(err)
		}
	}
}

func gostCase(b *testing.B) *benchCase {
	der, err := cms.Sign(b.Context(), []byte("benchmark document"), []cms.SignerSpec{ncaSpec(b, individualValid)},
		cms.SignOptions{Now: ncaClock})
	if err != nil {
		b.Fatal(err)
	}
	return prepare(b, der, cms.VerifyOptions{Validator: ncaValidator(b), Revocation: crlOnly, Now: ncaClock})
}

func p256Case(b *testing.B) *benchCase {
	root, err := tsptest.NewRoot(eds.KeyECDSA, "Bench Root", date(2025, 1, 1), date(2030, 1, 1))
	if err != nil {
		b.Fatal(err)
	}
	ca, err := root.SubCA(eds.KeyECDSA, "Bench CA", date(2025, 1, 1), date(2030, 1, 1))
	if err != nil {
		b.Fatal(err)
	}
	cert, key, err := ca.Leaf(eds.KeyECDSA, "Signer", date(2026, 1, 1), date(2027, 1, 1))
	if err != nil {
		b.Fatal(err)
	}
	var revoked []tsptest.Revoked
	for i := range 200 { // a CRL of about the NCA test CRL's size
		revoked = append(revoked, tsptest.Revoked{Serial: big.NewInt(int64(1e9 + i)), At: date(2026, 6, 1)})
	}
	crlDER, err := ca.CRL(1, date(2026, 10, 1), date(2027, 2, 1), revoked)
	if err != nil {
		b.Fatal(err)
	}
	crl, err := pki.ParseCRL(crlDER)
	if err != nil {
		b.Fatal(err)
	}
	v, err := pki.New(pki.Config{Roots: []*x509.Certificate{root.Cert}, CRLs: []*pki.CRL{crl}, Clock: ncaClock})
	if err != nil {
		b.Fatal(err)
	}
	der, err := cms.Sign(b.Context(), []byte("benchmark document"),
		[]cms.SignerSpec{{Signer: key, Cert: cert, Chain: []*x509.Certificate{ca.Cert}}}, cms.SignOptions{Now: ncaClock})
	if err != nil {
		b.Fatal(err)
	}
	return prepare(b, der, cms.VerifyOptions{Validator: v, Revocation: crlOnly, Now: ncaClock})
}

// withGostfast runs f with gostfast as the GOST 2015-512 verifier (as the server wires it).
func withGostfast(b *testing.B, f func(b *testing.B)) {
	restore, err := eds.SetGOSTVerifier(eds.OIDSignGOST2015_512, func(c *eds.GOSTCurve, x, y, e, r, s *big.Int) bool {
		if c != eds.CurveGOST512A {
			return eds.VerifyGOSTReference(c, x, y, e, r, s)
		}
		return gostfast.Verify(gostfast.Tc26512A, x, y, e, r, s)
	})
	if err != nil {
		b.Fatal(err)
	}
	defer restore()
	f(b)
}

// withStreebogReference runs f with go-cryptobin's Streebog (SENIM_STREEBOG=reference)
// instead of package streebog's.
func withStreebogReference(b *testing.B, f func(b *testing.B)) {
	defer eds.SetStreebogReference(true)()
	f(b)
}

// The GOST benchmarks run in three configurations: "reference" (go-cryptobin's
// verifier, package streebog), "gostfast" (both fast paths, as the server runs) and
// "gostfast-cryptobin-streebog" (the fast verifier with go-cryptobin's Streebog, as
// the server ran before package streebog).
func BenchmarkVerifyCMS_GOST(b *testing.B) {
	c := gostCase(b)
	b.Run("reference", c.verifyCMS)
	b.Run("gostfast", func(b *testing.B) { withGostfast(b, c.verifyCMS) })
	b.Run("gostfast-cryptobin-streebog", func(b *testing.B) {
		withStreebogReference(b, func(b *testing.B) { withGostfast(b, c.verifyCMS) })
	})
}

func BenchmarkRawVerify_GOST(b *testing.B) {
	c := gostCase(b)
	b.Run("reference", c.verifyRaw)
	b.Run("gostfast", func(b *testing.B) { withGostfast(b, c.verifyRaw) })
}

func BenchmarkVerifyCMS_P256(b *testing.B) { p256Case(b).verifyCMS(b) }

func BenchmarkRawVerify_P256(b *testing.B) { p256Case(b).verifyRaw(b) }

// BenchmarkStreebog512 is the hashing a GOST CMS verification adds to the raw
// verification: the content (messageDigest) and the signed attributes (signature
// input), here of the benchmark's GOST CMS.
func BenchmarkStreebog512(b *testing.B) {
	c := gostCase(b)
	sd, err := cms.Parse(c.cms)
	if err != nil {
		b.Fatal(err)
	}
	attrs, content := sd.Signers[0].RawSignedAttrs, sd.Content
	run := func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := signeddata.Digest(eds.OIDDigestStreebog512, content); err != nil {
				b.Fatal(err)
			}
			if _, err := signeddata.Digest(eds.OIDDigestStreebog512, attrs); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("streebog", run)
	b.Run("cryptobin", func(b *testing.B) { withStreebogReference(b, run) })
}
