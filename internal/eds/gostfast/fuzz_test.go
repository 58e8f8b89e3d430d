package gostfast

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	cbgost "github.com/deatil/go-cryptobin/pubkey/gost"
)

// fit returns b cut or zero-padded to n bytes.
func fit(b []byte, n int) []byte {
	out := make([]byte, n)
	copy(out, b)
	return out
}

// FuzzVerifyDifferential compares VerifyKZ with go-cryptobin and with the
// math/big path on arbitrary inputs. mode&3 picks the curve (0 and 3: the
// 512-bit curve). With mode&4 = 0 the inputs are used as they are
// (key, digest, signature); random bytes then mostly give keys off the curve
// and invalid signatures. With mode&4 ≠ 0 they are a private key, a digest
// and a nonce, and the harness signs with go-cryptobin, so the fuzzer also
// explores valid signatures; mode&8 then flips the byte at (mode>>4)·n/8 of
// the signature.
func FuzzVerifyDifferential(f *testing.F) {
	for i, s := range ncaSignatures(f) {
		d := streebog512(s.tbs)
		f.Add(uint8(0), s.issuer, d, s.sig)
		if i == 0 {
			bad := bytes.Clone(s.sig)
			bad[3] ^= 0x10
			f.Add(uint8(0), s.issuer, d, bad)
			f.Add(uint8(0), s.issuer, d[:32], s.sig[:64])
		}
	}
	f.Add(uint8(4), []byte("private key"), []byte("digest"), []byte("nonce"))
	f.Add(uint8(5), []byte{1}, []byte{}, []byte{7})
	f.Add(uint8(6), []byte{0xff, 0xee}, []byte{0xff}, []byte{0x80})
	f.Add(uint8(4|8|0x30), []byte{2}, []byte{3}, []byte{4})
	f.Fuzz(func(t *testing.T, mode uint8, a, b, c []byte) {
		curve := []*Curve{Tc26512A, Tc26256A, CryptoProA, Tc26512A}[mode&3]
		cb := cryptobinCurve(t, curve)
		n := curve.size
		pub, digest, sig := a, b, c
		if mode&4 != 0 {
			d := new(big.Int).SetBytes(cbgost.Reverse(fit(a, n)))
			d.Mod(d, curve.q)
			if d.Sign() == 0 {
				return
			}
			priv, err := cbgost.NewPrivateKey(cb, leBytes(d, n))
			if err != nil {
				t.Fatal(err)
			}
			digest = fit(b, n)
			r, s, err := cbgost.SignToRS(bytes.NewReader(fit(c, n)), priv, digest)
			if err != nil {
				return // the nonce was 0 mod q or gave r = 0: the signer wants more randomness
			}
			pub = cbgost.PublicKeyTo(&priv.PublicKey)
			sig = append(leBytes(r, n), leBytes(s, n)...)
			if mode&8 != 0 {
				sig[int(mode>>4)*n/8] ^= 0xa5
			} else if !VerifyKZ(curve, pub, digest, sig) {
				t.Fatalf("fresh go-cryptobin signature rejected\npub %x\ndigest %x\nsig %x", pub, digest, sig)
			}
		}
		ours := VerifyKZ(curve, pub, digest, sig)
		if gen := verifyGenericKZ(curve, pub, digest, sig); gen != ours {
			t.Fatalf("%s: fast = %v, math/big = %v\npub %x\ndigest %x\nsig %x", curve.name, ours, gen, pub, digest, sig)
		}
		if len(pub) != 2*n || len(digest) != n || len(sig) != 2*n {
			if ours {
				t.Fatal("accepted inputs of the wrong length")
			}
			return // go-cryptobin accepts other digest lengths; we do not
		}
		if curve == Tc26512A {
			k, err := NewPublicKey512KZ(pub)
			switch {
			case err != nil && ours:
				t.Fatalf("NewPublicKey512KZ refuses a key VerifyKZ accepts: %v", err)
			case err != nil && !errors.Is(err, ErrInvalidPublicKey):
				t.Fatalf("unexpected error %v", err)
			case err == nil && k.VerifyKZ(digest, sig) != ours:
				t.Fatalf("PublicKey512.VerifyKZ = %v, VerifyKZ = %v", !ours, ours)
			}
		}
		lib := cryptobinVerifyKZ(t, curve, pub, digest, sig)
		if ours != lib && !cryptobinDegenerate(curve, pub, digest, sig) {
			t.Fatalf("%s: VerifyKZ = %v, go-cryptobin = %v\npub %x\ndigest %x\nsig %x", curve.name, ours, lib, pub, digest, sig)
		}
	})
}

// cryptobinDegenerate reports whether u1·G and u2·Q have the same x
// coordinate. go-cryptobin adds those two points with the affine chord
// formula, which divides by zero there (doubling or infinity), so its answer
// is not meaningful; our result is still checked against the math/big path.
func cryptobinDegenerate(c *Curve, pub, digest, sig []byte) bool {
	n := c.size
	x, y := leInt(pub[:n]), leInt(pub[n:])
	e, r, s := leInt(digest), leInt(sig[:n]), leInt(sig[n:])
	if r.Sign() <= 0 || r.Cmp(c.q) >= 0 || s.Sign() <= 0 || s.Cmp(c.q) >= 0 || !c.IsOnCurve(x, y) {
		return false
	}
	u1, u2 := scalars(c, e, r, s)
	p1, _, ok1 := c.affine(doubleScalarGeneric(c, x, y, u1, big.NewInt(0)))
	p2, _, ok2 := c.affine(doubleScalarGeneric(c, x, y, big.NewInt(0), u2))
	return ok1 && ok2 && p1.Cmp(p2) == 0
}
