package pd

import (
	"context"
	"slices"
)

// StaticRepresentatives answers from a fixed list: minor IIN -> the IINs of their legal
// representatives. The sandbox uses it; production needs the civil registry.
type StaticRepresentatives map[string][]string

// IsRepresentative implements Representatives.
func (s StaticRepresentatives) IsRepresentative(_ context.Context, rep, minor string) (bool, error) {
	return slices.Contains(s[minor], rep), nil
}

// Sandbox directory codes (what sandbox.SeedDirectories creates).
const (
	SandboxServiceCode  = "LOAN-KYC" // proactive service: banks and microfinance, identity + address
	SandboxGround       = "CPC-199"  // protocol mode, notify now
	SandboxGroundSecret = "ORD-12"   // protocol mode, notice deferred 30 days
	SandboxAccessMethod = "api"
)
