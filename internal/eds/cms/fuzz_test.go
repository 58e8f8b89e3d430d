package cms_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
)

// cmsSeeds are real signatures to start from: GOST 2015-512 from an NCA test key,
// attached, detached and CAdES-T, and ECDSA with a time-stamp, each in DER and in BER;
// OpenSSL's RSASSA-PSS.
func cmsSeeds(f *testing.F) (content []byte, seeds [][]byte) {
	content = []byte("fuzz seed content, long enough to be chunked in BER")
	nca := ncaSpec(f, individualValid)
	p := newECDSAPKI(f)
	tsa := newTSA(f, eds.KeyECDSA, ncaClock, ncaClock)
	for _, tc := range []struct {
		spec cms.SignerSpec
		opts cms.SignOptions
	}{
		{nca, cms.SignOptions{Now: ncaClock}},
		{nca, cms.SignOptions{Now: ncaClock, Detached: true}},
		{nca, cms.SignOptions{Now: ncaClock, TSA: tsa.local}},
		{p.spec, cms.SignOptions{Now: ncaClock, TSA: tsa.local}},
	} {
		der, err := cms.Sign(f.Context(), content, []cms.SignerSpec{tc.spec}, tc.opts)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, der, toBER(f, der))
	}
	// RSASSA-PSS with its parameters, as OpenSSL writes it.
	for _, name := range []string{"openssl-pss.p7s", "openssl-pss-saltmax.p7s"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return content, append(seeds, []byte{0x30, 0x80, 0x00, 0x00})
}

// FuzzParse feeds the CMS reader (BER normaliser, SignedData, signer infos, attributes,
// time-stamp tokens) with mutations of real signatures. It only parses, so it runs fast;
// FuzzVerify adds the signature and chain checks. No input may panic.
func FuzzParse(f *testing.F) {
	_, seeds := cmsSeeds(f)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = signeddata.ToDER(b)
		sd, err := cms.Parse(b)
		if err != nil {
			if eds.Code(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		if _, err := sd.Marshal(); err != nil {
			t.Fatalf("Marshal of a parsed CMS: %v", err)
		}
		_, _ = cms.Extract(b)
	})
}

// FuzzVerify runs full verification (digests, signatures, chains, time-stamps) on
// mutations of real signatures: no panic, no error without a code, and no signer
// reported valid with errors.
func FuzzVerify(f *testing.F) {
	content, seeds := cmsSeeds(f)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := cms.Verify(t.Context(), b, content, cms.VerifyOptions{Now: ncaClock})
		if err != nil {
			if eds.Code(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		for _, s := range res.Signers {
			if s.Valid && len(s.Errors) != 0 {
				t.Fatalf("valid signer with errors %v", s.Codes())
			}
		}
	})
}
