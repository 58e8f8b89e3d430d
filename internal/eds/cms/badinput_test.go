package cms_test

import (
	"bytes"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
)

// ecdsaPKI is a small ECDSA PKI for fast tests.
type ecdsaPKI struct {
	root *tsptest.CA
	spec cms.SignerSpec
	v    *pki.Validator
}

func newECDSAPKI(t testing.TB) *ecdsaPKI {
	t.Helper()
	root, err := tsptest.NewRoot(eds.KeyECDSA, "Test CA", date(2025, 1, 1), date(2030, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := root.Leaf(eds.KeyECDSA, "Signer", date(2026, 1, 1), date(2027, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	v, err := pki.New(pki.Config{Roots: []*x509.Certificate{root.Cert}, Clock: ncaClock})
	if err != nil {
		t.Fatal(err)
	}
	return &ecdsaPKI{root: root, spec: cms.SignerSpec{Signer: key, Cert: cert, Chain: []*x509.Certificate{root.Cert}}, v: v}
}

func TestBadInput(t *testing.T) {
	p := newECDSAPKI(t)
	content := []byte("content")
	good, err := cms.Sign(t.Context(), content, []cms.SignerSpec{p.spec}, cms.SignOptions{Now: ncaClock})
	if err != nil {
		t.Fatal(err)
	}
	detached, err := cms.Sign(t.Context(), content, []cms.SignerSpec{p.spec}, cms.SignOptions{Now: ncaClock, Detached: true})
	if err != nil {
		t.Fatal(err)
	}
	sd, _ := cms.Parse(good)
	noSigners := *sd
	noSigners.Signers = nil
	noSignersDER, _ := noSigners.Marshal()
	noCerts := *sd
	noCerts.RawCertificates, noCerts.Certificates = nil, nil
	noCertsDER, _ := noCerts.Marshal()
	// ecdsa-with-SHA256 (1.2.840.10045.4.3.2) turned into the unknown 1.2.840.10045.4.3.9.
	ecdsaSHA256 := []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}
	i := bytes.LastIndex(good, ecdsaSHA256)
	unknownAlg := bytes.Clone(good)
	unknownAlg[i+len(ecdsaSHA256)-1] = 0x09
	twoSigners, err := cms.AddSigner(t.Context(), good, nil, p.spec, cms.SignOptions{Now: ncaClock})
	if err != nil {
		t.Fatal(err)
	}
	dataContentInfo := []byte{0x30, 0x0f, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01, 0xa0, 0x02, 0x04, 0x00}

	// CMS-level failures: Verify returns an error.
	for _, tc := range []struct {
		name     string
		cms, det []byte
		want     error
	}{
		{"empty", nil, nil, cms.ErrMalformed},
		{"garbage", []byte("this is not DER"), nil, cms.ErrMalformed},
		{"truncated", good[:len(good)-7], nil, cms.ErrMalformed},
		{"trailing bytes", append(bytes.Clone(good), 0, 0, 1), nil, cms.ErrMalformed},
		{"indefinite length never closed", []byte{0x30, 0x80, 0x02, 0x01, 0x01}, nil, cms.ErrMalformed},
		{"not SignedData", dataContentInfo, nil, cms.ErrUnsupported},
		{"no signers", noSignersDER, nil, cms.ErrNoSigners},
		{"detached without content", detached, nil, cms.ErrDetachedContentMissing},
		{"attached with other content", good, []byte("other"), cms.ErrContentConflict},
		{"more signers than allowed", twoSigners, nil, cms.ErrTooManySigners},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cms.Verify(t.Context(), tc.cms, tc.det, cms.VerifyOptions{Validator: p.v, Now: ncaClock, MaxSigners: 1})
			if !errors.Is(err, tc.want) {
				t.Errorf("Verify: %v, want %v", err, tc.want)
			}
			if eds.Code(err) == "" {
				t.Errorf("no code in %v", err)
			}
		})
	}

	// Signer-level failures: one code each, listed in SignerResult.Errors.
	other := newECDSAPKI(t)
	for _, tc := range []struct {
		name string
		cms  []byte
		v    *pki.Validator
		want string
	}{
		{"unknown signature algorithm", unknownAlg, p.v, "eds.cms.unsupported"},
		{"untrusted chain", good, other.v, "eds.cert.untrusted"},
		{"signer certificate missing", noCertsDER, p.v, "eds.cms.signer_certificate_missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := cms.Verify(t.Context(), tc.cms, nil, cms.VerifyOptions{Validator: tc.v, Now: ncaClock})
			if err != nil {
				t.Fatal(err)
			}
			s := res.Signers[0]
			if res.Valid || s.Valid || len(s.Errors) == 0 || s.Codes()[0] != tc.want {
				t.Errorf("valid %v, codes %v, want %s first", res.Valid, s.Codes(), tc.want)
			}
		})
	}

	// The certificate can also come from the options.
	res, err := cms.Verify(t.Context(), noCertsDER, nil, cms.VerifyOptions{Validator: p.v, Now: ncaClock,
		Certificates: []*x509.Certificate{p.spec.Cert}})
	if err != nil || !res.Valid {
		t.Errorf("certificate from options: %v %v", err, res)
	}

	// Signing with a key that is not the certificate's.
	if _, err := cms.Sign(t.Context(), content, []cms.SignerSpec{{Signer: other.spec.Signer, Cert: p.spec.Cert}},
		cms.SignOptions{}); !errors.Is(err, cms.ErrKeyMismatch) {
		t.Errorf("key mismatch: %v", err)
	}
	if _, err := cms.Sign(t.Context(), content, nil, cms.SignOptions{}); !errors.Is(err, cms.ErrNoSigners) {
		t.Errorf("no signers: %v", err)
	}
	// A wrong key-file password has its own code (package pkcs12).
	if _, err := pkcs12.Decode(readNCA(t, individualValid), "Wrong123"); eds.Code(err) != "eds.pkcs12.bad_password" {
		t.Errorf("wrong password: %v", err)
	}
}

// toBER rewrites DER the way NCALayer and Kalkan write BER: every constructed element
// with an indefinite length, every universal OCTET STRING longer than 16 bytes as a
// constructed string of 16-byte segments.
func toBER(t testing.TB, der []byte) []byte {
	t.Helper()
	out, rest := berOf(t, der)
	if len(rest) != 0 {
		t.Fatal("toBER: trailing bytes")
	}
	return out
}

func berOf(t testing.TB, b []byte) (out, rest []byte) {
	t.Helper()
	id := b[0]
	l, n := int(b[1]), 2
	if l >= 0x80 {
		k := l & 0x7f
		l = 0
		for _, c := range b[2 : 2+k] {
			l = l<<8 | int(c)
		}
		n = 2 + k
	}
	body, rest := b[n:n+l], b[n+l:]
	switch {
	case id == 0x04 && len(body) > 16:
		out = []byte{0x24, 0x80}
		for len(body) > 0 {
			k := min(16, len(body))
			out = append(out, 0x04, byte(k))
			out = append(out, body[:k]...)
			body = body[k:]
		}
		return append(out, 0, 0), rest
	case id&0x20 != 0:
		out = []byte{id, 0x80}
		for len(body) > 0 {
			var c []byte
			c, body = berOf(t, body)
			out = append(out, c...)
		}
		return append(out, 0, 0), rest
	}
	return b[:n+l], rest
}

func TestBERInput(t *testing.T) {
	p := newECDSAPKI(t)
	tsa := newTSA(t, eds.KeyECDSA, ncaClock, ncaClock)
	content := bytes.Repeat([]byte("BER content "), 20)
	der, err := cms.Sign(t.Context(), content, []cms.SignerSpec{p.spec}, cms.SignOptions{Now: ncaClock, TSA: tsa.local})
	if err != nil {
		t.Fatal(err)
	}
	ber := toBER(t, der)
	if bytes.Equal(ber, der) || len(ber) <= len(der) {
		t.Fatal("toBER did nothing")
	}
	norm, err := signeddata.ToDER(ber)
	if err != nil || !bytes.Equal(norm, der) {
		t.Fatalf("ToDER(BER) differs from the DER: %v", err)
	}
	res, err := cms.Verify(t.Context(), ber, nil, cms.VerifyOptions{Validator: p.v, TSAValidator: tsa.v,
		TSARevocation: noRevocation, Now: ncaClock})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Valid || !bytes.Equal(res.Content, content) || res.Signers[0].TimeStamp == nil || !res.Signers[0].TimeStamp.Valid {
		t.Errorf("BER CMS: valid %v codes %v", res.Valid, res.Signers[0].Codes())
	}
	got, err := cms.Extract(ber)
	if err != nil || !bytes.Equal(got, content) {
		t.Errorf("Extract(BER): %v", err)
	}
	// Adding a signer to a BER CMS keeps the first signer (in DER) and verifies.
	both, err := cms.AddSigner(t.Context(), ber, nil, newECDSAPKI(t).spec, cms.SignOptions{Now: ncaClock})
	if err != nil {
		t.Fatal(err)
	}
	res, err = cms.Verify(t.Context(), both, nil, cms.VerifyOptions{Now: ncaClock, TSAValidator: tsa.v, TSARevocation: noRevocation})
	if err != nil || len(res.Signers) != 2 || !res.Valid {
		t.Errorf("AddSigner on BER: %v valid %v", err, res != nil && res.Valid)
	}
}

func TestDERIsUnchangedByToDER(t *testing.T) {
	p := newECDSAPKI(t)
	der, err := cms.Sign(t.Context(), []byte("x"), []cms.SignerSpec{p.spec}, cms.SignOptions{Now: func() time.Time { return ncaNow }})
	if err != nil {
		t.Fatal(err)
	}
	got, err := signeddata.ToDER(der)
	if err != nil || !bytes.Equal(got, der) {
		t.Errorf("ToDER changed DER input: %v", err)
	}
}
