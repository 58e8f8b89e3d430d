package gostfast

import (
	"errors"
	"math/big"
	"testing"
)

var allCurves = []*Curve{Tc26512A, Tc26256A, CryptoProA}

// craftedSignature returns a valid signature under the key Q = G (private
// key 1) whose two halves u1·G and u2·Q are the same point, so that
// verification has to double rather than add: with s = q − r and
// e = −2r·k⁻¹ mod q, u1 = u2 and u1·G + u2·G = k·G.
func craftedSignature(t *testing.T, c *Curve, k *big.Int) (e, r, s *big.Int) {
	t.Helper()
	x, _, ok := c.affine(doubleScalarGeneric(c, c.gx, c.gy, k, big.NewInt(0)))
	if !ok {
		t.Fatal("k·G is infinity")
	}
	r = x.Mod(x, c.q)
	s = new(big.Int).Sub(c.q, r)
	kinv := new(big.Int).ModInverse(k, c.q)
	e = new(big.Int).Mul(big.NewInt(-2), r)
	e.Mul(e, kinv)
	e.Mod(e, c.q)
	return e, r, s
}

func TestVerifyEdgeCases(t *testing.T) {
	for _, c := range allCurves {
		t.Run(c.name, func(t *testing.T) {
			gx, gy := c.Base()
			q := c.Order()
			p := c.Prime()
			k := big.NewInt(0x1234567)
			e, r, s := craftedSignature(t, c, k)
			if !Verify(c, gx, gy, e, r, s) {
				t.Fatal("crafted signature with u1·G = u2·Q (doubling case) rejected")
			}
			if !verifyGeneric(c, gx, gy, scalarsU1(c, e, r, s), scalarsU2(c, e, r, s), r) {
				t.Fatal("generic path rejects the crafted signature")
			}
			qm1 := new(big.Int).Sub(q, one)
			negGy := new(big.Int).Sub(p, gy)
			tests := []struct {
				name          string
				x, y, e, r, s *big.Int
				want          bool
			}{
				{"valid", gx, gy, e, r, s, true},
				{"e + q is the same digest", gx, gy, new(big.Int).Add(e, q), r, s, true},
				{"r = 0", gx, gy, e, big.NewInt(0), s, false},
				{"s = 0", gx, gy, e, r, big.NewInt(0), false},
				{"r = q", gx, gy, e, q, s, false},
				{"s = q", gx, gy, e, r, q, false},
				{"r = q + r", gx, gy, e, new(big.Int).Add(q, r), s, false},
				{"s = q + s", gx, gy, e, r, new(big.Int).Add(q, s), false},
				{"r negative", gx, gy, e, new(big.Int).Neg(r), s, false},
				{"s negative", gx, gy, e, r, new(big.Int).Neg(s), false},
				{"e negative", gx, gy, new(big.Int).Neg(e), r, s, false},
				{"nil e", gx, gy, nil, r, s, false},
				{"nil r", gx, gy, e, nil, s, false},
				{"nil s", gx, gy, e, r, nil, false},
				{"nil x", nil, gy, e, r, s, false},
				{"nil y", gx, nil, e, r, s, false},
				{"(0, 0), the usual infinity encoding", big.NewInt(0), big.NewInt(0), e, r, s, false},
				{"y + 1: not on the curve", gx, new(big.Int).Add(gy, one), e, r, s, false},
				{"x + p: coordinate not reduced", new(big.Int).Add(gx, p), gy, e, r, s, false},
				{"y + p: coordinate not reduced", gx, new(big.Int).Add(gy, p), e, r, s, false},
				{"negative y", gx, new(big.Int).Neg(negGy), e, r, s, false},
				{"key −G", gx, negGy, e, r, s, false},
				// With Q = G and r = s, u1 + u2 = 0: the check point is infinity.
				{"check point at infinity", gx, gy, e, r, new(big.Int).Set(r), false},
				{"r = s = q − 1 at infinity", gx, gy, big.NewInt(5), qm1, qm1, false},
			}
			for _, tt := range tests {
				if got := Verify(c, tt.x, tt.y, tt.e, tt.r, tt.s); got != tt.want {
					t.Errorf("%s: Verify = %v, want %v", tt.name, got, tt.want)
				}
			}
			if Verify(nil, gx, gy, e, r, s) || Verify(&Curve{}, gx, gy, e, r, s) {
				t.Error("nil or zero-value curve accepted")
			}
			if VerifyKZ(&Curve{}, nil, nil, nil) || (&Curve{}).IsOnCurve(gx, gy) {
				t.Error("zero-value curve accepted")
			}
		})
	}
}

func scalarsU1(c *Curve, e, r, s *big.Int) *big.Int { u1, _ := scalars(c, e, r, s); return u1 }
func scalarsU2(c *Curve, e, r, s *big.Int) *big.Int { _, u2 := scalars(c, e, r, s); return u2 }

// TestZeroDigestIsOne checks the rule e ≡ 0 → e = 1: a signature made for
// e = 1 verifies for e = 0 and e = q.
func TestZeroDigestIsOne(t *testing.T) {
	for _, c := range allCurves {
		// Key Q = G (d = 1), nonce k: r = x(kG) mod q, s = r + k·1.
		k := big.NewInt(987654321)
		x, _, _ := c.affine(doubleScalarGeneric(c, c.gx, c.gy, k, big.NewInt(0)))
		r := x.Mod(x, c.q)
		s := new(big.Int).Add(r, k)
		s.Mod(s, c.q)
		for _, e := range []*big.Int{big.NewInt(1), big.NewInt(0), c.Order(), new(big.Int).Add(c.q, one)} {
			if !Verify(c, c.gx, c.gy, e, r, s) {
				t.Errorf("%s: e = %x rejected", c.name, e)
			}
		}
		if Verify(c, c.gx, c.gy, big.NewInt(2), r, s) {
			t.Errorf("%s: e = 2 accepted", c.name)
		}
	}
}

func TestVerifyKZLengths(t *testing.T) {
	s := ncaSignatures(t)[0]
	d := streebog512(s.tbs)
	if !VerifyKZ(Tc26512A, s.issuer, d, s.sig) {
		t.Fatal("genuine signature rejected")
	}
	tests := []struct {
		name        string
		c           *Curve
		pub, d, sig []byte
	}{
		{"nil curve", nil, s.issuer, d, s.sig},
		{"short key", Tc26512A, s.issuer[:127], d, s.sig},
		{"long key", Tc26512A, append(s.issuer[:128:128], 0), d, s.sig},
		{"short digest", Tc26512A, s.issuer, d[:63], s.sig},
		{"32-byte digest", Tc26512A, s.issuer, d[:32], s.sig},
		{"long digest", Tc26512A, s.issuer, append(d[:64:64], 0), s.sig},
		{"short signature", Tc26512A, s.issuer, d, s.sig[:127]},
		{"long signature", Tc26512A, s.issuer, d, append(s.sig[:128:128], 0)},
		{"wrong curve", Tc26256A, s.issuer, d, s.sig},
		{"empty", Tc26512A, nil, nil, nil},
	}
	for _, tt := range tests {
		if VerifyKZ(tt.c, tt.pub, tt.d, tt.sig) {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}

// TestReductionBranch512 builds a valid signature whose check point C has
// x(C) ≥ q, so that x(C) mod q = x(C) − q and verify512 must take its
// "r + q < p" branch. C is found by trying x = q, q+1, …; the key is then
// Q = u2⁻¹·(C − u1·G) for chosen e and s. go-cryptobin must agree.
func TestReductionBranch512(t *testing.T) {
	c := Tc26512A
	exp := new(big.Int).Add(c.p, one)
	exp.Rsh(exp, 2) // p ≡ 3 (mod 4): sqrt(a) = a^((p+1)/4)
	var cx, cy *big.Int
	for x := new(big.Int).Set(c.q); x.Cmp(c.p) < 0; x.Add(x, one) {
		rhs := new(big.Int).Mul(x, x)
		rhs.Add(rhs, c.a)
		rhs.Mul(rhs, x)
		rhs.Add(rhs, c.b)
		rhs.Mod(rhs, c.p)
		y := new(big.Int).Exp(rhs, exp, c.p)
		if c.IsOnCurve(x, y) {
			cx, cy = x, y
			break
		}
	}
	if cx == nil {
		t.Fatal("no point with x ≥ q found")
	}
	r := new(big.Int).Sub(cx, c.q)
	e := big.NewInt(123456789)
	s := big.NewInt(987654321)
	u1, u2 := scalars(c, e, r, s)
	// Q = u2⁻¹·(C + (q − u1)·G)
	tmp := doubleScalarGeneric(c, cx, cy, new(big.Int).Sub(c.q, u1), one)
	tx, ty, ok := c.affine(tmp)
	if !ok {
		t.Fatal("C − u1·G is infinity")
	}
	qx, qy, ok := c.affine(doubleScalarGeneric(c, tx, ty, big.NewInt(0), new(big.Int).ModInverse(u2, c.q)))
	if !ok {
		t.Fatal("key is infinity")
	}
	if !Verify(c, qx, qy, e, r, s) {
		t.Fatal("signature with x(C) ≥ q rejected")
	}
	if !cryptobinVerifyInt(t, cryptobinCurve(t, c), qx, qy, e, r, s) {
		t.Fatal("go-cryptobin rejects it: the construction is wrong")
	}
	if Verify(c, qx, qy, e, cx, s) {
		t.Fatal("r = x(C) ≥ q accepted")
	}
}

// TestP512AddInfinity covers the additions' infinity operands directly (the
// tables used by verify512 never hold the point at infinity).
func TestP512AddInfinity(t *testing.T) {
	var g jac512
	feFromBig(&g.x, Tc26512A.gx)
	feFromBig(&g.y, Tc26512A.gy)
	g.z = feOne
	var inf, r jac512
	p512Add(&r, &g, &inf)
	if r != g {
		t.Error("G + O ≠ G")
	}
	p512Add(&r, &inf, &g)
	if r != g {
		t.Error("O + G ≠ G")
	}
	p512Double(&r, &inf)
	if !feIsZero(&r.z) {
		t.Error("2·O ≠ O")
	}
}

func TestPublicKey512Errors(t *testing.T) {
	c := Tc26512A
	for _, tt := range []struct {
		name string
		x, y *big.Int
	}{
		{"nil", nil, nil},
		{"(0, 0)", big.NewInt(0), big.NewInt(0)},
		{"off the curve", c.gx, new(big.Int).Add(c.gy, one)},
		{"x + p", new(big.Int).Add(c.gx, c.p), c.gy},
	} {
		_, err := NewPublicKey512(tt.x, tt.y)
		if !errors.Is(err, ErrInvalidPublicKey) {
			t.Errorf("%s: err = %v, want ErrInvalidPublicKey", tt.name, err)
		}
	}
	_, err := NewPublicKey512KZ(make([]byte, 127))
	if !errors.Is(err, ErrInvalidPublicKey) {
		t.Errorf("127 bytes: err = %v, want ErrInvalidPublicKey", err)
	}
	var coded interface{ Code() string }
	if !errors.As(err, &coded) || coded.Code() != "eds.gost.invalid_public_key" {
		t.Errorf("error code missing or wrong: %v", err)
	}
	k, err := NewPublicKey512(c.gx, c.gy)
	if err != nil {
		t.Fatal(err)
	}
	e, r, s := craftedSignature(t, c, big.NewInt(77))
	if !k.Verify(e, r, s) {
		t.Error("crafted doubling-case signature rejected by the precomputed key")
	}
	for _, bad := range [][3]*big.Int{{nil, r, s}, {e, nil, s}, {e, r, nil}, {new(big.Int).Neg(e), r, s}, {e, c.q, s}, {e, r, big.NewInt(0)}, {e, r, new(big.Int).Set(r)}} {
		if k.Verify(bad[0], bad[1], bad[2]) {
			t.Errorf("Verify(%v, %v, %v) accepted", bad[0], bad[1], bad[2])
		}
	}
	if k.VerifyKZ(make([]byte, 63), make([]byte, 128)) || k.VerifyKZ(make([]byte, 64), make([]byte, 127)) {
		t.Error("wrong lengths accepted")
	}
}
