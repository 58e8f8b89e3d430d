// Package edsfast switches every GOST 2015-512 signature verification in Senim —
// certificates, CRLs, OCSP answers, CMS, time-stamps, verification tokens and signed
// requests all go through package eds — to the fast verifier of package gostfast, or
// back to go-cryptobin's reference implementation.
//
// The switch is a configuration choice (`serve --gost-verifier`, or the environment
// variable SENIM_GOST_VERIFIER for every command), made once at start-up. Signing is
// never affected: it stays with the library's implementation.
//
// A second, independent switch (UseStreebog: `serve --streebog`, or SENIM_STREEBOG)
// chooses the Streebog implementation behind every GOST R 34.11-2012 digest, for
// verification and signing alike: package streebog (the default) or go-cryptobin's.
// The two are separate so that either fast path can be turned off on its own.
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

// StreebogEnvVar selects the Streebog implementation (Fast or Reference) for every
// senim command.
const StreebogEnvVar = "SENIM_STREEBOG"

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

// UseStreebog selects the Streebog implementation of every GOST R 34.11-2012 digest:
// Fast (package streebog, the default; "" means Fast) or Reference (go-cryptobin).
func UseStreebog(mode string) error {
	switch mode {
	case "", Fast:
		eds.SetStreebogReference(false)
		return nil
	case Reference:
		eds.SetStreebogReference(true)
		return nil
	}
	return fmt.Errorf("the Streebog implementation must be %q or %q, not %q", Fast, Reference, mode)
}
