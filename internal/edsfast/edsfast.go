// Package edsfast switches every GOST 2015-512 signature verification in Senim —
// certificates, CRLs, OCSP answers, CMS, time-stamps, verification tokens and signed
// requests all go through package eds — to the fast verifier of package gostfast, or
// back to go-cryptobin's reference implementation.
//
// The switch is a configuration choice (`serve --gost-verifier`, or the environment
// variable SENIM_GOST_VERIFIER for every command), made once at start-up. Signing is
// never affected: it stays with the library's implementation.
package edsfast

import (
	"fmt"
	"math/big"
	"sync/atomic"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/gostfast"
)

// Modes.
const (
	Fast      = "fast"      // gostfast for the 512-bit tc26 curve (the default)
	Reference = "reference" // go-cryptobin for everything
)

// EnvVar selects the mode for every senim command.
const EnvVar = "SENIM_GOST_VERIFIER"

var fastCalls atomic.Int64

// FastCalls counts verifications made by the fast path (for tests and metrics).
func FastCalls() int64 { return fastCalls.Load() }

// Use selects the verifier for GOST 2015-512 ("" means Fast).
func Use(mode string) error {
	switch mode {
	case "", Fast:
		_, err := eds.SetGOSTVerifier(eds.OIDSignGOST2015_512, verify512)
		return err
	case Reference:
		_, err := eds.SetGOSTVerifier(eds.OIDSignGOST2015_512, nil)
		return err
	}
	return fmt.Errorf("GOST verifier must be %q or %q, not %q", Fast, Reference, mode)
}

func verify512(c *eds.GOSTCurve, x, y, e, r, s *big.Int) bool {
	if c != eds.CurveGOST512A {
		return eds.VerifyGOSTReference(c, x, y, e, r, s)
	}
	fastCalls.Add(1)
	return gostfast.Verify(gostfast.Tc26512A, x, y, e, r, s)
}
