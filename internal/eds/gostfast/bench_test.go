package gostfast

import (
	"math/big"
	"testing"
)

func benchFE() (x, y fe) {
	feFromBig(&x, new(big.Int).Sub(p512, big.NewInt(12345)))
	feFromBig(&y, Tc26512A.gy)
	return
}

// BenchmarkFieldMul512 measures one multiplication mod 2^512 − 569 with the
// fold.
func BenchmarkFieldMul512(b *testing.B) {
	x, y := benchFE()
	for b.Loop() {
		feMul(&x, &x, &y)
	}
}

// BenchmarkFieldSqr512 measures one squaring mod 2^512 − 569 with the fold.
func BenchmarkFieldSqr512(b *testing.B) {
	x, _ := benchFE()
	for b.Loop() {
		feSqr(&x, &x)
	}
}
