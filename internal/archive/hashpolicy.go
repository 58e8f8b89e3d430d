package archive

import (
	_ "embed"
	"encoding/asn1"
	"encoding/json"
	"fmt"
	"time"
)

// The hash-algorithm policy is data: hashpolicy.json says, for each digest algorithm,
// from which date it no longer carries evidence (with the source of that date). It is
// the default of Policy.WeakFrom; an operator replaces it with ParseHashPolicy of their
// own file (senim archive renew --hash-policy FILE), and a test can declare SHA-256
// weak from a future date.
//
//go:embed hashpolicy.json
var defaultHashPolicy []byte

// HashPolicyEntry is one algorithm of a hash policy file.
type HashPolicyEntry struct {
	OID  string `json:"oid"`
	Name string `json:"name"`
	// WeakFrom is the date (YYYY-MM-DD, UTC) from which the algorithm is weak; empty or
	// null when it is considered strong.
	WeakFrom *string `json:"weak_from"`
	Source   string  `json:"source"`
}

type hashPolicyFile struct {
	Algorithms []HashPolicyEntry `json:"algorithms"`
}

// ParseHashPolicy reads a hash policy file (the format of hashpolicy.json) into the
// WeakFrom map of a Policy: dotted OID to the moment the algorithm is weak. Entries
// without a date are strong and left out.
func ParseHashPolicy(b []byte) (map[string]time.Time, error) {
	var f hashPolicyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("archive: hash policy: %w", err)
	}
	out := map[string]time.Time{}
	seen := map[string]bool{}
	for _, e := range f.Algorithms {
		oid, err := parseOID(e.OID)
		if err != nil || len(oid) < 2 {
			return nil, fmt.Errorf("archive: hash policy: bad OID %q", e.OID)
		}
		if seen[oid.String()] {
			return nil, fmt.Errorf("archive: hash policy: %s listed twice", oid)
		}
		seen[oid.String()] = true
		if e.WeakFrom == nil || *e.WeakFrom == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, *e.WeakFrom)
		if err != nil {
			return nil, fmt.Errorf("archive: hash policy: %s: %w", oid, err)
		}
		out[oid.String()] = t.UTC()
	}
	return out, nil
}

// DefaultHashPolicy returns the built-in WeakFrom map (hashpolicy.json).
func DefaultHashPolicy() map[string]time.Time {
	m, err := ParseHashPolicy(defaultHashPolicy)
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return m
}

// weakWithin reports whether alg is weak at t or becomes weak before t+margin.
func (p Policy) weakWithin(alg asn1.ObjectIdentifier, t time.Time, margin time.Duration) bool {
	return p.weakAt(alg, t.Add(margin))
}

// ParseHashOID reads a dotted OID of a digest algorithm Senim implements (the
// Policy.Hash of new hash trees).
func ParseHashOID(s string) (asn1.ObjectIdentifier, error) {
	oid, err := parseOID(s)
	if err != nil || len(oid) < 2 {
		return nil, fmt.Errorf("archive: bad hash OID %q", s)
	}
	if _, err := hasher(oid); err != nil {
		return nil, err
	}
	return oid, nil
}
