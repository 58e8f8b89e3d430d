package pki

import (
	"crypto/x509"
	"testing"
)

// BenchmarkValidateCachedRevocation validates an NCA leaf (GOST 2015-512 chain of three)
// with the CRL check, the CRL's signature result cached.
//
//   - warm: chain signatures remembered from the first call (the steady state of a
//     server that sees the same issuers again and again);
//   - chain-verified-each-time: the signature cache is emptied before each call, so both
//     chain signatures (leaf by NCA, NCA by root) are verified through eds every time.
func BenchmarkValidateCachedRevocation(b *testing.B) {
	leaf := ncaLeaf(b, "legal_valid_head")
	b.Run("nca/warm", func(b *testing.B) {
		v := ncaValidator(b, fixedNow)
		if res := v.Validate(b.Context(), leaf, fixedNow, crlOnly); !res.Valid {
			b.Fatal(res.Errors)
		}
		b.ReportAllocs()
		for b.Loop() {
			if res := v.Validate(b.Context(), leaf, fixedNow, crlOnly); !res.Valid {
				b.Fatal(res.Errors)
			}
		}
	})
	b.Run("nca/chain-verified-each-time", func(b *testing.B) {
		v := ncaValidator(b, fixedNow)
		if res := v.Validate(b.Context(), leaf, fixedNow, crlOnly); !res.Valid {
			b.Fatal(res.Errors)
		}
		b.ReportAllocs()
		for b.Loop() {
			v.sigs.mu.Lock()
			clear(v.sigs.good)
			v.sigs.mu.Unlock()
			if res := v.Validate(b.Context(), leaf, fixedNow, crlOnly); !res.Valid {
				b.Fatal(res.Errors)
			}
		}
	})
	b.Run("ecdsa-p256/warm", func(b *testing.B) {
		root := newTestRoot(b, "Bench Root")
		sub := root.subCA(b, "Bench CA")
		l := sub.leaf(b, "bench leaf")
		crl, err := ParseCRL(sub.crl(b, crlSpec{number: 1, thisUpdate: fixedNow.AddDate(0, 0, -1), nextUpdate: fixedNow.AddDate(0, 0, 7)}))
		if err != nil {
			b.Fatal(err)
		}
		v, err := New(Config{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{sub.cert}, CRLs: []*CRL{crl}, Clock: fixedClock(fixedNow)})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if res := v.Validate(b.Context(), l, fixedNow, crlOnly); !res.Valid {
				b.Fatal(res.Errors)
			}
		}
	})
}

func BenchmarkParseCRL(b *testing.B) {
	der := readNCA(b, "nca_gost2022_test.crl")
	b.ReportAllocs()
	b.SetBytes(int64(len(der)))
	for b.Loop() {
		if _, err := ParseCRL(der); err != nil {
			b.Fatal(err)
		}
	}
}
